"""NIK (Nomor Induk Kependudukan): validation, and keyed hashes so that no NIK is stored.

A NIK has 16 digits: ``PP RR DD ddmmyy ssss`` -- province, regency and district of
registration, date of birth (women add 40 to the day) and a serial number. Central Java
counts every case by NIK, so that nobody is counted twice; this module lets the store do the
same without keeping a single NIK:

* :func:`check_nik` says why a cell is not a NIK (never repeating the cell);
* :class:`NikHasher` turns a NIK, a family card number (No. KK) or an address into a keyed
  hash (HMAC-SHA256). The NIK space is small enough (~10^10 plausible values) that a plain
  hash could be reversed by trying every NIK; the key makes that impossible without the key;
* :func:`load_or_create_secret` keeps that key in a file of its own, outside the repository
  and the database (``$ZONING_SECRET_FILE``, else ``~/.local/share/zoning/nik-secret``), so
  that a copy of the database alone reveals no NIK.

The store records a fingerprint of the key (:meth:`NikHasher.fingerprint`): a store built
with one key refuses imports under another, because the same person would get another hash
and be counted again.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from zoning.store import StoreError

NIK_LENGTH = 16
#: The environment variable naming the key file.
SECRET_ENV = "ZONING_SECRET_FILE"
SECRET_BYTES = 32
#: The meta key under which a store records the fingerprint of its NIK key.
FINGERPRINT_META = "nik_key_fingerprint"

STORED_AS_NUMBER = "stored as a number; format the column as text"
_PROJECT_ROOT = Path(__file__).resolve().parents[2]

_SEPARATORS = re.compile(r"[\s.]+")
_ASCII16 = re.compile(r"[0-9]{16}")
_SCIENTIFIC = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]*)?[eE][+-]?[0-9]+")
_FLOAT_TAIL = re.compile(r"[0-9]+[.,]0+")
_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


class NikKeyError(StoreError):
    """The NIK key file is missing, damaged or unsafe, or does not fit the store."""


# --- validation -----------------------------------------------------------------------------


def clean_nik(text: object) -> str:
    """The cell with spaces and dots removed (``3374 0101.9000 0001`` -> 16 digits)."""
    return _SEPARATORS.sub("", str(text).strip())


def check_nik(text: object) -> str | None:
    """``None`` if ``text`` is a valid NIK, else what is wrong (never the value itself).

    Spaces and dots are ignored. A number such as ``3.374011e15`` (a spreadsheet that stored
    the column as numbers, which keeps only 15 digits) is refused with
    :data:`STORED_AS_NUMBER`.
    """
    if text is None or isinstance(text, bool):
        return "the NIK is empty" if text is None else "not a NIK"
    if isinstance(text, float):
        return "the NIK is empty" if text != text else STORED_AS_NUMBER
    raw = str(text).strip()
    if not raw or raw.lower() in {"nan", "none", "null", "-"}:
        return "the NIK is empty"
    if _SCIENTIFIC.fullmatch(raw) or _FLOAT_TAIL.fullmatch(raw):
        return STORED_AS_NUMBER
    digits = clean_nik(raw)
    if not _ASCII16.fullmatch(digits):
        if not all("0" <= c <= "9" for c in digits):
            return "contains characters other than the digits 0-9"
        return f"not 16 digits (it has {len(digits)})"
    return _structure_problem(digits)


def _structure_problem(digits: str) -> str | None:
    d = [ord(c) - 48 for c in digits]
    province = d[0] * 10 + d[1]
    if not 11 <= province <= 94:
        return "digits 1-2 are not a province code (11-94)"
    if d[2] == d[3] == 0:
        return "digits 3-4 are 00, not a regency code"
    if d[4] == d[5] == 0:
        return "digits 5-6 are 00, not a district code"
    day, month, year = d[6] * 10 + d[7], d[8] * 10 + d[9], d[10] * 10 + d[11]
    if not 1 <= month <= 12:
        return "digits 9-10 (month of birth) are not 01-12"
    if day > 40:
        day -= 40  # women
    last = 29 if month == 2 and year % 4 == 0 else int(_DAYS[month - 1])
    if not 1 <= day <= last:
        return "digits 7-8 (day of birth, +40 for women) are not a day of that month"
    if d[12] == d[13] == d[14] == d[15] == 0:
        return "digits 13-16 are 0000, not a serial number"
    return None


def check_niks(values: pd.Series) -> tuple[pd.Series, dict[int, str]]:
    """Validate a column at once (about 0.5 s for a million cells).

    Returns
    -------
    niks : pandas.Series of str
        The 16 digits of each valid NIK (spaces and dots removed), NaN where invalid; the
        index is the position (0-based).
    problems : dict of int to str
        The :func:`check_nik` reason for each invalid position.
    """
    niks, problems, _ = check_nik_numbers(values)
    return niks, problems


def check_nik_numbers(values: pd.Series) -> tuple[pd.Series, dict[int, str], np.ndarray]:
    """:func:`check_niks`, and each valid NIK as a number (int64; 0 where invalid): its
    digits, read once, serve the later checks (:func:`prefix_unknown_numbers`)."""
    n = len(values)
    text = pd.Series(values, dtype="str").reset_index(drop=True)
    ok = np.zeros(n, dtype=bool)
    numbers = np.zeros(n, dtype=np.int64)
    for start in range(0, n, _CHUNK):  # small arrays, made again and again in the same memory
        where, digits = _sixteen_digits(text.iloc[start : start + _CHUNK])
        if len(where):
            ok[start + where] = _structure_ok(digits)
            numbers[start + where] = _as_numbers(digits)
    numbers[~ok] = 0
    niks = text.where(ok)
    problems: dict[int, str] = {}
    rescued: dict[int, str] = {}
    bad = np.flatnonzero(~ok)
    for k, cell in zip(bad, pd.Series(values).iloc[bad].to_numpy(dtype=object), strict=True):
        reason = check_nik(None if _missing(cell) else cell)
        if reason is None:  # valid once spaces and dots are removed
            rescued[int(k)] = clean_nik(cell)
        else:
            problems[int(k)] = reason
    if rescued:
        niks.iloc[list(rescued)] = list(rescued.values())
        numbers[list(rescued)] = [int(v) for v in rescued.values()]
    return niks, problems, numbers


#: Cells checked at a time by :func:`check_nik_numbers`: its arrays (16 bytes and more a
#: cell) stay a few megabytes, which the allocator hands out again from chunk to chunk,
#: instead of hundreds of megabytes of new memory for a million cells (on a virtual machine
#: each new page can cost more than the work done on it).
_CHUNK = 65_536


def _as_numbers(digits: np.ndarray) -> np.ndarray:
    """A (16, n) array of digits as n int64 numbers (16 digits fit in 63 bits)."""
    out = np.zeros(digits.shape[1], dtype=np.int64)
    for row in digits:  # 16 passes over n numbers: no (16, n) int64 copy
        out *= 10
        out += row
    return out


def sixteen_digit_cells(values: pd.Series) -> np.ndarray:
    """Which cells are exactly 16 ASCII digits (fast; no other check)."""
    text = pd.Series(values, dtype="str").reset_index(drop=True)
    out = np.zeros(len(text), dtype=bool)
    for start in range(0, len(text), _CHUNK):  # as check_nik_numbers: small arrays
        out[start + _sixteen_digits(text.iloc[start : start + _CHUNK])[0]] = True
    return out


def _sixteen_digits(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the cells that are exactly 16 ASCII digits, and those digits (16 x n)."""
    array = text.array
    if hasattr(array, "__arrow_array__"):
        import pyarrow as pa
        import pyarrow.compute as pc

        arr = pa.array(array)
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        where = np.flatnonzero(pc.binary_length(arr).fill_null(0).to_numpy() == NIK_LENGTH)
        picked = pc.take(arr, pa.array(where)).cast(pa.binary())
        offsets, data = picked.buffers()[1:3]  # the picked cells back to back, 16 bytes each
        start = int(np.frombuffer(offsets, dtype=np.int32)[picked.offset]) if len(where) else 0
        codes = (
            np.frombuffer(data, dtype=np.uint8)[start : start + NIK_LENGTH * len(where)]
            if data is not None
            else np.zeros(0, dtype=np.uint8)
        )
        codes = np.ascontiguousarray(codes.reshape(-1, NIK_LENGTH).T)
    else:  # strings kept as Python objects
        lengths = text.str.len().fillna(0).to_numpy(int)
        where = np.flatnonzero(lengths == NIK_LENGTH)
        cells = text.iloc[where].to_numpy(dtype=str).astype(f"U{NIK_LENGTH}")
        codes = np.ascontiguousarray(cells.view(np.uint32).reshape(-1, NIK_LENGTH).T)
    digits = ((codes >= 48) & (codes <= 57)).all(axis=0)
    return where[digits], (codes[:, digits] - 48).astype(np.int16)


def nik_messages(numbers: np.ndarray) -> list[bytes]:
    """What :meth:`NikHasher.keys` hashes for each NIK (``nik:`` and its 16 digits), from
    the NIKs as numbers, made as one block of bytes."""
    block = _message_block(numbers)
    return block.view(f"S{block.shape[1]}").ravel().tolist()


def _message_block(numbers: np.ndarray) -> np.ndarray:
    """:func:`nik_messages` as one (n, 20) array of bytes, a message a row."""
    value = np.asarray(numbers, dtype=np.int64).copy()
    block = np.empty((len(value), 4 + NIK_LENGTH), dtype=np.uint8)
    block[:, :4] = np.frombuffer(b"nik:", dtype=np.uint8)
    for k in range(NIK_LENGTH - 1, -1, -1):  # the digits from the last one
        value, digit = np.divmod(value, 10)
        block[:, 4 + k] = digit + 48
    return block


def factorize_digits(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What ``pd.factorize`` gives for texts (NIKs, No. KKs): codes in order of first
    appearance and the distinct texts, several times faster when every text is exactly 16
    ASCII digits (they are compared as 64-bit integers). Any other text: ``pd.factorize``."""
    values = np.asarray(values, dtype=object)
    n = len(values)
    try:
        raw = values.astype(f"S{NIK_LENGTH + 1}") if n else None
    except (UnicodeEncodeError, TypeError, ValueError):
        raw = None
    if raw is not None:
        table = raw.view(np.uint8).reshape(n, NIK_LENGTH + 1)
        digits = table[:, :NIK_LENGTH]
        if (table[:, NIK_LENGTH] == 0).all() and ((digits >= 48) & (digits <= 57)).all():
            number = np.zeros(n, dtype=np.int64)
            for k in range(NIK_LENGTH):  # the digits' codes, as one decimal number
                number *= 10
                number += digits[:, k]
            codes, _ = pd.factorize(number)  # the same codes as of the texts (offset alike)
            # codes number the values in order of first appearance: a first one is greater
            # than every code before it
            first = np.flatnonzero(np.r_[True, codes[1:] > np.maximum.accumulate(codes)[:-1]])
            return codes, values[first]
    codes, uniques = pd.factorize(values)
    return codes, np.asarray(uniques, dtype=object)


def _missing(cell: object) -> bool:
    return cell is None or (isinstance(cell, float) and cell != cell) or cell is pd.NA


def _structure_ok(d: np.ndarray) -> np.ndarray:
    """The rules of :func:`_structure_problem` on a (16, n) array of digits."""
    province = d[0] * 10 + d[1]
    day = d[6] * 10 + d[7]
    month = d[8] * 10 + d[9]
    year = d[10] * 10 + d[11]
    day = np.where(day > 40, day - 40, day)
    last = _DAYS[np.clip(month, 1, 12) - 1] + ((month == 2) & (year % 4 == 0))
    return (
        (province >= 11)
        & (province <= 94)
        & ((d[2] + d[3]) > 0)
        & ((d[4] + d[5]) > 0)
        & (month >= 1)
        & (month <= 12)
        & (day >= 1)
        & (day <= last)
        & ((d[12] + d[13] + d[14] + d[15]) > 0)
    )


def prefix_unknown(niks: Iterable[str], region_codes: Iterable[str]) -> np.ndarray:
    """Which NIKs have a place of registration the store should know but does not.

    A NIK's first digits are where the person was registered, which may well be another
    province; only NIKs of a province the store has are checked: their regency (digits 1-4)
    must be a stored regency and, where the store has that regency's districts, their
    district (digits 1-6) a stored district. Such a NIK is worth a warning, not a refusal.
    """
    text = pd.Series(niks, dtype="str").reset_index(drop=True)
    where, digits = _sixteen_digits(text)  # valid NIKs are 16 digits
    numbers = np.zeros(len(text), dtype=np.int64)
    numbers[where] = _as_numbers(digits)
    out = prefix_unknown_numbers(numbers, region_codes)
    out[numbers == 0] = False
    return out


def prefix_unknown_numbers(numbers: np.ndarray, region_codes: Iterable[str]) -> np.ndarray:
    """:func:`prefix_unknown` of NIKs given as numbers (:func:`check_nik_numbers`)."""
    provinces, regencies, districts, with_districts = set(), set(), set(), set()
    for code in region_codes:
        parts = code.split(".")
        provinces.add(parts[0])
        if len(parts) >= 2:
            regencies.add(parts[0] + parts[1])
        if len(parts) >= 3:
            districts.add("".join(parts[:3]))
            with_districts.add(parts[0] + parts[1])

    def unknown(prefix: str) -> bool:
        if prefix[:2] not in provinces:
            return False
        if prefix[:4] not in regencies:
            return True
        return prefix[:4] in with_districts and prefix not in districts

    prefix = np.asarray(numbers, dtype=np.int64) // 10 ** (NIK_LENGTH - 6)
    distinct, inverse = np.unique(prefix, return_inverse=True)
    flags = np.array([unknown(f"{p:06d}") for p in distinct], dtype=bool)
    return flags[inverse.ravel()] if len(prefix) else np.zeros(0, dtype=bool)


# --- keyed hashing ------------------------------------------------------------------------


class NikHasher:
    """Keyed hashes (HMAC-SHA256, hexadecimal) of NIKs and households.

    Parameters
    ----------
    secret : bytes
        The key, from :func:`load_or_create_secret` (at least 16 bytes).
    """

    __slots__ = ("_inner", "_outer", "_padded")

    def __init__(self, secret: bytes):
        if not isinstance(secret, bytes | bytearray) or len(secret) < 16:
            raise NikKeyError("the NIK key must be at least 16 bytes")
        key = bytes(secret)
        if len(key) > 64:
            key = hashlib.sha256(key).digest()
        key = key.ljust(64, b"\0")
        self._padded = key  # for a helper process (KeysLater), in memory only
        # HMAC = H((K ^ opad) || H((K ^ ipad) || m)); the padded-key states are computed
        # once and copied per message, which is twice as fast as hmac.new per message.
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def __repr__(self) -> str:
        return "NikHasher(<key hidden>)"

    def _mac(self, message: bytes) -> str:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()

    def _macs(self, messages: Iterable[bytes]) -> list[str]:
        inner_state, outer_state = self._inner, self._outer
        out = []
        append = out.append
        for message in messages:
            inner = inner_state.copy()
            inner.update(message)
            outer = outer_state.copy()
            outer.update(inner.digest())
            append(outer.hexdigest())
        return out

    def key(self, nik: str) -> str:
        """The person key of a NIK (spaces and dots ignored); raises if it is not a NIK."""
        problem = check_nik(nik)
        if problem is not None:
            raise ValueError(f"not a valid NIK: {problem}")
        return self._mac(b"nik:" + clean_nik(nik).encode("ascii"))

    def keys(self, niks: Iterable[str]) -> list[str]:
        """Person keys of many NIKs that are already clean (16 ASCII digits each)."""
        return self._macs([b"nik:" + n.encode("ascii") for n in niks])

    def number_keys(self, numbers: np.ndarray) -> list[str]:
        """Person keys of many valid NIKs given as numbers (int64): what :meth:`keys` gives
        for their 16 digits, without making a text of each."""
        return self._macs(nik_messages(numbers))

    def number_keys_begun(self, numbers: np.ndarray) -> KeysLater:
        """:meth:`number_keys`, computed on another core while the caller goes on.

        From :data:`KEYS_APART` NIKs on, a helper process (this Python, isolated: ``-I -S``,
        so no site packages, no ``PYTHON*`` variables and no working folder on its path)
        hashes most of them, and :meth:`KeysLater.result` makes the rest and waits for its
        keys. The key and the NIKs reach it through a file in memory (see
        :class:`KeysLater`), never its command line, environment or a file on disk.
        Whatever goes wrong there (no interpreter to start, a killed helper, a wrong
        answer: its first and last keys are checked here) is not an error: the keys are
        then computed in this process, as :meth:`number_keys` does.
        """
        numbers = np.asarray(numbers, dtype=np.int64)
        if len(numbers) < KEYS_APART:
            return KeysLater(self, numbers, None)
        return KeysLater(self, numbers, self._padded)

    def row_keys(self, file_sha256: str, rows: Iterable[int]) -> list[str]:
        """Keys of rows of one file (its sha256) that have no valid NIK: each row a key of
        its own, never a person's, and the same again only for the same row of the same
        file (so a file imported twice counts its rows once)."""
        prefix = b"row:" + file_sha256.encode("ascii") + b":"
        return self._macs(prefix + str(int(r)).encode("ascii") for r in rows)

    def household_key(self, no_kk_or_address: object, scope: str = "") -> str | None:
        """The household key of a family card number (No. KK) or of an address.

        A value of 16 digits (spaces and dots ignored) is a No. KK; anything else is an
        address, normalised by :func:`normalise_address` and keyed together with ``scope``
        (the village code) so that the same street address in two villages is two houses.
        ``None`` for an empty value.
        """
        message = household_message(no_kk_or_address, scope)
        return None if message is None else self._mac(message)

    def household_keys(self, messages: Iterable[bytes]) -> list[str]:
        """Keys of messages built by :func:`household_message`."""
        return self._macs(messages)

    def fingerprint(self) -> str:
        """An HMAC of a constant: tells keys apart without revealing them."""
        return self._mac(b"zoning:nik-key-fingerprint:v1")


#: From how many NIKs :meth:`NikHasher.number_keys_begun` hashes in a helper process: below,
#: starting one (~40 ms) costs more than it saves.
KEYS_APART = 100_000

#: The share of the keys the helper makes; this process makes the rest while it waits. The
#: helper also starts, reads and writes, so its share is made to end with this process's
#: (a million rows on 2 cores: the households' keys here meanwhile).
HELPER_SHARE = 0.8

#: The helper's program: HMAC-SHA256 of fixed-width messages read from stdin (the padded key,
#: the width and the count as 4-byte little-endian numbers, then the messages), each key
#: written to stdout as 64 hexadecimal characters. Only the standard library, nothing shared.
_HELPER = """
import hashlib, sys
data = sys.stdin.buffer.read()
key = data[:64]
width, n = int.from_bytes(data[64:68], "little"), int.from_bytes(data[68:72], "little")
inner0 = hashlib.sha256(bytes(b ^ 0x36 for b in key))
outer0 = hashlib.sha256(bytes(b ^ 0x5C for b in key))
out = []
for at in range(72, 72 + width * n, width):
    inner = inner0.copy()
    inner.update(data[at : at + width])
    outer = outer0.copy()
    outer.update(inner.digest())
    out.append(outer.hexdigest())
sys.stdout.buffer.write("".join(out).encode("ascii"))
"""


class KeysLater:
    """Person keys being computed (:meth:`NikHasher.number_keys_begun`); :meth:`result`
    gives them, in the order of the numbers.

    The helper reads its input from, and writes its keys to, files that live in memory only
    (``memfd``: no name on any disk), so nothing in this process has to feed it meanwhile.
    Where there is no such file (not Linux), the keys are computed by :meth:`result`.
    """

    def __init__(self, hasher: NikHasher, numbers: np.ndarray, padded_key: bytes | None):
        self._hasher, self._numbers = hasher, numbers
        self._ready: list[str] | None = None
        self._process: subprocess.Popen | None = None
        self._files: tuple[int, int] | None = None
        self._apart = 0  # how many of the first numbers the helper hashes
        apart = int(len(numbers) * HELPER_SHARE)
        if padded_key is None or not hasattr(os, "memfd_create") or not apart:
            return
        self._apart = apart
        block = _message_block(numbers[: self._apart])
        width, n = block.shape[1].to_bytes(4, "little"), self._apart.to_bytes(4, "little")
        given = os.memfd_create("zoning-keys-in", os.MFD_CLOEXEC)
        keys = os.memfd_create("zoning-keys-out", os.MFD_CLOEXEC)
        self._files = (given, keys)
        try:
            with open(given, "wb", closefd=False) as out:
                out.write(padded_key + width + n)
                out.write(memoryview(block).cast("B"))
            os.lseek(given, 0, os.SEEK_SET)
            self._process = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _HELPER],
                stdin=given,
                stdout=keys,
                stderr=subprocess.DEVNULL,
            )
        except OSError:  # no interpreter to start, no memory: the keys are made here
            self._close()

    @classmethod
    def ready(cls, keys: list[str]) -> KeysLater:
        """Keys already made, as :meth:`result` gives them."""
        out = cls.__new__(cls)
        out._ready, out._process, out._files = list(keys), None, None
        return out

    def result(self) -> list[str]:
        """The keys (the helper's share waited for, the rest computed here; all of them
        here if the helper failed)."""
        if self._ready is not None:
            return self._ready
        n, numbers = self._apart, self._numbers[: self._apart]
        rest = self._hasher.number_keys(self._numbers[n:])
        out = b""
        if self._process is not None:
            try:  # the longest a helper may take: far more than a slow machine needs
                self._process.wait(timeout=60 + n * 2e-5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            if self._process.returncode == 0:
                out = _read_all(self._files[1])
        self._close()
        keys = []
        if len(out) == 64 * n and n:
            text = out.decode("ascii", errors="replace")
            keys = [text[at : at + 64] for at in range(0, 64 * n, 64)]
            if keys[0] + keys[-1] != "".join(self._hasher.number_keys(numbers[[0, -1]])):
                keys = []  # a wrong answer: not used
        if len(keys) != n:
            keys = self._hasher.number_keys(numbers)
        keys.extend(rest)
        return keys

    def cancel(self) -> None:
        """Stop the helper, if any (the keys are no longer wanted)."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._close()

    def _close(self) -> None:
        for fd in self._files or ():
            os.close(fd)
        self._files, self._process = None, None


def _read_all(fd: int) -> bytes:
    """The whole content of a file descriptor of a regular file, from its start."""
    size = os.fstat(fd).st_size
    parts, at = [], 0
    while at < size:
        part = os.pread(fd, size - at, at)
        if not part:
            break
        parts.append(part)
        at += len(part)
    return b"".join(parts)


def household_message(value: object, scope: str = "") -> bytes | None:
    """What :meth:`NikHasher.household_key` hashes (``None`` for an empty value)."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    digits = clean_nik(text)
    if _ASCII16.fullmatch(digits):
        return b"kk:" + digits.encode("ascii")
    address = normalise_address(text)
    return address_message(address, scope) if address else None


def address_message(normalised: str, scope: str = "") -> bytes:
    """What the household key of a normalised address hashes."""
    return b"addr:" + scope.encode("utf-8") + b"|" + normalised.encode("utf-8")


_ABBREVIATIONS = {
    "jalan": ("jl", "jln"),
    "gang": ("gg",),
    "kampung": ("kp", "kmp"),
    "perumahan": ("perum",),
    "komplek": ("komp", "kompleks"),
    "desa": ("ds",),
    "kelurahan": ("kel",),
    "kecamatan": ("kec",),
    "blok": ("blk",),
    "no": ("nomor", "nomer"),
}
# ASCII-only patterns with explicit classes: Python's re and pyarrow's RE2 read them alike.
_WS = "[ \t\n\r\f\v]*"
_RT_RW_PAIR = rf"\brt{_WS}[./]?{_WS}rw{_WS}[.:]?{_WS}0*([0-9]+){_WS}[/.-]{_WS}0*([0-9]+)"
_RT = rf"\brt{_WS}[.:]?{_WS}0*([0-9]+)"
_RW = rf"\brw{_WS}[.:]?{_WS}0*([0-9]+)"


def normalise_addresses(values: pd.Series) -> pd.Series:
    """A comparable form of each address (see :func:`normalise_address`), all at once."""
    t = pd.Series(values, dtype="str")
    t = t.str.normalize("NFKD").str.replace("[^\x00-\x7f]", "", regex=True).str.lower()
    t = t.str.replace(_RT_RW_PAIR, r" rt \1 rw \2 ", regex=True)
    t = t.str.replace(_RT, r" rt \1 ", regex=True)
    t = t.str.replace(_RW, r" rw \1 ", regex=True)
    # every word between two spaces of its own, so that neighbours match one after another;
    # then words and their spaces are plain texts, replaced without a regular expression
    # (a third less time for the addresses of a large line list)
    t = "  " + t.str.replace("[^0-9a-z]+", "  ", regex=True) + "  "
    for full, short in _ABBREVIATIONS.items():
        for word in short:
            t = t.str.replace(f" {word} ", f" {full} ", regex=False)
    # words are two spaces apart (four at most at either end): one space apart, no ends
    return t.str.replace("  ", " ", regex=False).str.strip()


def normalise_address(text: str) -> str:
    """A comparable form of an address.

    Accents dropped, lower case, punctuation removed, spaces collapsed, ``jl.``/``jln`` ->
    ``jalan`` (and a few other abbreviations), and every way of writing RT and RW
    (``RT.003/RW.002``, ``RT/RW 03/02``, ``rt 3 rw 2``) -> ``rt 3 rw 2``.
    """
    return str(normalise_addresses(pd.Series([str(text)])).iloc[0])


# --- the key file -------------------------------------------------------------------------


def default_secret_path() -> Path:
    """``$ZONING_SECRET_FILE``, else ``$XDG_DATA_HOME/zoning/nik-secret``, else
    ``~/.local/share/zoning/nik-secret``."""
    named = os.environ.get(SECRET_ENV, "").strip()
    if named:
        return Path(named).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME", "").strip()
    root = Path(data_home) if data_home and Path(data_home).is_absolute() else None
    if root is None:
        root = Path.home() / ".local" / "share"
    return root / "zoning" / "nik-secret"


def load_or_create_secret(path: Path | None = None) -> bytes:
    """The NIK key: read from its file, or made (32 random bytes, mode 0600) on first use.

    Parameters
    ----------
    path : Path, optional
        The key file; default :func:`default_secret_path`. It must lie outside the project
        folder (a key next to the database, or in git, would undo the hashing).

    Raises
    ------
    NikKeyError
        If the file is inside the project, readable by other users, or damaged.
    """
    path = Path(path).expanduser() if path is not None else default_secret_path()
    _refuse_inside_project(path)
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    secret = secrets.token_bytes(SECRET_BYTES)
    # Write a private temporary file, then link it into place: another process either sees
    # no key or the whole key, and if two create one at once, one wins and both use it.
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secret.hex() + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return _read_secret(path)
    finally:
        tmp.unlink(missing_ok=True)
    return secret


def _refuse_inside_project(path: Path) -> None:
    root = _PROJECT_ROOT
    if not ((root / ".git").exists() or (root / "pyproject.toml").exists()):
        return  # an installed package: there is no project folder to protect
    if path.resolve().is_relative_to(root):
        raise NikKeyError(
            f"the NIK key file {path} is inside the project folder {root}, where it could be "
            f"committed or copied with the database; keep it elsewhere (set {SECRET_ENV})"
        )


def _read_secret(path: Path) -> bytes:
    if os.name == "posix" and path.stat().st_mode & 0o077:
        raise NikKeyError(
            f"the NIK key file {path} can be read by other users; run: chmod 600 {path}"
        )
    text = path.read_text(encoding="ascii", errors="replace").strip()
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        secret = b""
    if len(secret) < 16:
        raise NikKeyError(
            f"the NIK key file {path} is damaged (expected {2 * SECRET_BYTES} hexadecimal "
            "characters); restore it from your backup. Do not delete it: a new key would "
            "count everybody already stored a second time"
        )
    return secret
