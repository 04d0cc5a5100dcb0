"""NIK validation, keyed hashes of people and households, and the key file."""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zoning.intake import nik as N
from zoning.intake.nik import (
    STORED_AS_NUMBER,
    NikHasher,
    NikKeyError,
    check_nik,
    check_niks,
    household_message,
    load_or_create_secret,
    normalise_address,
    normalise_addresses,
    prefix_unknown,
)

SECRET = bytes(range(32))


pytestmark = pytest.mark.usefixtures("private_key_file")


def nik(district="330101", day=1, month=1, year=90, serial=1, woman=False) -> str:
    """A NIK of a person registered in ``district`` and born on day/month/year."""
    return f"{district}{day + 40 * woman:02d}{month:02d}{year:02d}{serial:04d}"


# --- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        nik(),
        nik(day=31, month=12, year=0, serial=9999),
        nik(day=15, woman=True),  # day 55
        nik(day=31, month=1, woman=True),  # day 71
        nik(day=29, month=2, year=0),  # 2000 (or 1900... either way a 29 Feb exists)
        nik(day=29, month=2, year=96, woman=True),  # day 69
        "1101011501900001",  # Aceh
        "9401011501900001",  # Papua Tengah
        "3374 0101 0190 0001",  # spaces
        "3374.01.010190.0001",  # dots
        " 3374010101900001 ",
    ],
)
def test_valid_niks(value):
    assert check_nik(value) is None


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (nik(month=13), "month"),
        (nik(month=0), "month"),
        (nik(day=31, month=2), "day"),  # 31 February
        (nik(day=30, month=2, year=0), "day"),
        (nik(day=29, month=2, year=97), "day"),  # not a leap year
        (nik(day=31, month=4, woman=True), "day"),  # day 71 in a 30-day month
        (nik(day=0), "day"),
        ("3374013201900001", "day"),  # day 32: neither a man's nor a woman's
        ("3374017201900001", "day"),  # day 72 = 32 + 40
        (nik(serial=0), "0000"),
        (nik(district="100101"), "province"),
        (nik(district="950101"), "province"),
        (nik(district="330001"), "regency"),
        (nik(district="330100"), "district"),
        ("337401010190001", "not 16 digits (it has 15)"),
        ("33740101019000011", "not 16 digits (it has 17)"),
        ("33740101O1900001", "characters other than the digits"),  # letter O
        ("3374０10101900001", "characters other than the digits"),  # a full-width zero
        ("٣٣74010101900001", "characters other than the digits"),  # Arabic-Indic digits
        ("3.374011e15", STORED_AS_NUMBER),
        ("3.37401E+15", STORED_AS_NUMBER),
        ("3,37401E+15", STORED_AS_NUMBER),  # a spreadsheet in Indonesian
        ("3374010101900000.0", STORED_AS_NUMBER),
        (3.374010101900001e15, STORED_AS_NUMBER),
        ("", "empty"),
        (None, "empty"),
        (float("nan"), "empty"),
    ],
)
def test_invalid_niks_say_why_without_the_value(value, reason):
    problem = check_nik(value)
    assert problem is not None
    assert reason in problem
    digits = "".join(c for c in str(value) if c.isdigit())
    if len(digits) >= 6:
        assert digits[:6] not in problem and digits[-6:] not in problem


def test_float_mangled_nik_says_format_as_text():
    assert check_nik("3.374011e15") == "stored as a number; format the column as text"


niks_or_junk = st.one_of(
    st.builds(
        lambda p, d, m, y, s: f"{p:02d}{d:04d}{m:02d}{y:02d}{s:02d}{(s * 7) % 10000:04d}",
        st.integers(5, 99),
        st.integers(0, 9999),
        st.integers(0, 99),
        st.integers(0, 99),
        st.integers(0, 99),
    ),
    st.text(alphabet="0123456789 .e+-,O", max_size=20),
    st.text(max_size=18),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(niks_or_junk, max_size=30))
def test_column_check_agrees_with_the_cell_check(values):
    for dtype in ("str", object):
        niks, problems = check_niks(pd.Series(values, dtype=dtype))
        for k, value in enumerate(values):
            expected = check_nik(value)
            assert problems.get(k) == expected
            if expected is None:
                assert niks.iloc[k] == N.clean_nik(value)
            else:
                assert pd.isna(niks.iloc[k])


@settings(max_examples=200, deadline=None)
@given(st.lists(niks_or_junk, max_size=30))
def test_numbers_and_their_prefixes_are_those_of_the_valid_niks(values):
    codes = ["33", "33.74", "33.74.01", "33.01", "31"]
    for dtype in ("str", object):
        cells = pd.Series(values, dtype=dtype)
        niks, problems = check_niks(cells)
        again, same_problems, numbers = N.check_nik_numbers(cells)
        assert same_problems == problems and again.equals(niks)
        valid = niks.notna().to_numpy()
        expected = [int(v) if ok else 0 for v, ok in zip(niks, valid, strict=True)]
        assert numbers.tolist() == expected
        assert np.array_equal(
            N.prefix_unknown_numbers(numbers[valid], codes),
            prefix_unknown(niks[valid].tolist(), codes),
        )


def test_column_check_of_floats_and_empties():
    niks, problems = check_niks(pd.Series([3.374010101900001e15, None, nik()], dtype=object))
    assert problems == {0: STORED_AS_NUMBER, 1: "the NIK is empty"}
    assert niks.iloc[2] == nik()


def test_prefix_of_a_known_province_must_be_a_known_district():
    codes = ["33", "33.74", "33.74.01", "33.01"]  # 33.01 without districts in the store
    flags = prefix_unknown(
        [nik("337401"), nik("337402"), nik("339901"), nik("330199"), nik("317101")], codes
    )
    # known district; unknown district; unknown regency; regency without districts; Jakarta
    assert flags.tolist() == [False, True, True, False, False]


# --- keyed hashes ---------------------------------------------------------------------------


def test_person_key_is_hmac_sha256_of_the_clean_nik():
    h = NikHasher(SECRET)
    key = h.key(nik())
    assert key == hmac.new(SECRET, b"nik:" + nik().encode(), hashlib.sha256).hexdigest()
    assert len(key) == 64 and int(key, 16) >= 0
    assert h.key("3301 0101 0190 0001") == h.key("330101.010190.0001") == key
    assert h.keys([nik(), nik(serial=2)]) == [h.key(nik()), h.key(nik(serial=2))]
    assert NikHasher(bytes(32)).key(nik()) != key
    assert h.key(nik(serial=2)) != key


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 10**16 - 1), max_size=30))
def test_keys_of_niks_as_numbers_are_the_keys_of_their_16_digits(numbers):
    h = NikHasher(SECRET)
    texts = [f"{n:016d}" for n in numbers]  # leading zeros too
    assert h.number_keys(np.array(numbers, dtype=np.int64)) == h.keys(texts)


def _many_numbers(n: int = 500) -> np.ndarray:
    rng = np.random.default_rng(3)
    return np.unique(3301010101900001 + rng.integers(0, 10**9, n))


def test_keys_made_by_a_helper_process_are_the_keys_made_here(monkeypatch):
    monkeypatch.setattr(N, "KEYS_APART", 1)
    h, numbers = NikHasher(SECRET), _many_numbers()
    later = h.number_keys_begun(numbers)
    assert later._process is not None  # a helper was started (Linux: memory files)
    helper = later._process
    assert later.result() == h.number_keys(numbers)
    assert helper.returncode == 0  # it answered, and has ended
    assert later._files is None  # its memory files are closed
    few = numbers[:10]  # below KEYS_APART: made here, no process
    monkeypatch.setattr(N, "KEYS_APART", 100)
    alone = h.number_keys_begun(few)
    assert alone._process is None and alone.result() == h.number_keys(few)


@pytest.mark.parametrize(
    "program",
    [
        "import sys; sys.stdout.write('0' * 64 * 400)",  # the right length, wrong keys
        "import sys; sys.stdout.write('ab')",  # too short
        "import sys; sys.exit(3)",  # a failure
        "import os; os.kill(os.getpid(), 9)",  # killed
    ],
)
def test_a_helper_that_fails_leaves_the_keys_to_this_process(monkeypatch, program):
    monkeypatch.setattr(N, "KEYS_APART", 1)
    monkeypatch.setattr(N, "_HELPER", program)
    h, numbers = NikHasher(SECRET), _many_numbers()
    assert h.number_keys_begun(numbers).result() == h.number_keys(numbers)


def test_no_interpreter_to_start_leaves_the_keys_to_this_process(monkeypatch):
    monkeypatch.setattr(N, "KEYS_APART", 1)
    monkeypatch.setattr(N.sys, "executable", "/nonexistent/python")
    h, numbers = NikHasher(SECRET), _many_numbers()
    later = h.number_keys_begun(numbers)
    assert later._process is None and later._files is None
    assert later.result() == h.number_keys(numbers)


def test_the_helper_is_given_no_key_and_no_nik_but_through_memory(monkeypatch):
    monkeypatch.setattr(N, "KEYS_APART", 1)
    started = []
    real = N.subprocess.Popen

    def spy(args, **kwargs):
        started.append((args, kwargs))
        return real(args, **kwargs)

    monkeypatch.setattr(N.subprocess, "Popen", spy)
    h, numbers = NikHasher(SECRET), _many_numbers()
    later = h.number_keys_begun(numbers)
    later.cancel()  # not wanted after all: stopped, its files closed
    assert later._process is None and later._files is None
    ((args, kwargs),) = started
    told = " ".join(args) + repr(kwargs)
    assert SECRET.hex() not in told and repr(SECRET)[2:-1] not in told
    assert not any(str(n) in told for n in numbers)
    assert "env" not in kwargs and {"-I", "-S"} <= set(args)
    assert isinstance(kwargs["stdin"], int) and isinstance(kwargs["stdout"], int)  # memfd


def test_key_of_an_invalid_nik_raises_without_the_value():
    with pytest.raises(ValueError) as info:
        NikHasher(SECRET).key("337401010190001")
    assert "337401010190001" not in str(info.value)


def test_hasher_hides_its_key_and_refuses_short_keys():
    h = NikHasher(SECRET)
    assert SECRET.hex() not in repr(h) and "hidden" in repr(h)
    assert h.fingerprint() != NikHasher(bytes(32)).fingerprint()
    assert h.fingerprint() == NikHasher(SECRET).fingerprint()
    with pytest.raises(NikKeyError):
        NikHasher(b"short")


def test_household_key_from_family_card_or_address():
    h = NikHasher(SECRET)
    kk = "3301012301150003"
    assert h.household_key(kk) == h.household_key("3301 0123 0115 0003")
    assert h.household_key(kk) != h.key(kk)  # a No. KK is not a person
    a = h.household_key("Jl. Melati No. 3 RT 003/RW 002", scope="33.01.01.2001")
    b = h.household_key("JALAN MELATI nomor 3, rt.3 / rw.02", scope="33.01.01.2001")
    c = h.household_key("Jl. Melati No. 3 RT 003/RW 002", scope="33.01.01.2002")
    assert a == b and a != c  # the same address in another village is another house
    assert h.household_key("") is None and h.household_key(None) is None
    assert h.household_key(" ,. ") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jl. Melati No. 12 RT 003/RW 002", "jalan melati no 12 rt 3 rw 2"),
        ("JALAN MELATI NO 12, RT.03 / RW.02", "jalan melati no 12 rt 3 rw 2"),
        ("jln melati nomor 12 rt/rw 003/002", "jalan melati no 12 rt 3 rw 2"),
        ("Jl Melati 12 RT03RW02", "jalan melati 12 rt 3 rw 2"),
        ("Gg. Kenanga  5,  Kp. Jl", "gang kenanga 5 kampung jalan"),
        ("Perum Café Indah Blk C", "perumahan cafe indah blok c"),
        ("  Jalan   Pemuda\t\n7 ", "jalan pemuda 7"),
        ("Smart 3", "smart 3"),  # 'rt' inside a word is not an RT
        # abbreviations side by side, punctuation at both ends, a longer word than the short
        ("..Jl.jl;;Mawar,,", "jalan jalan mawar"),
        ("Komp. Kompleks Indah, kompleksnya", "komplek komplek indah kompleksnya"),
        ("Nomer 4 gg gg", "no 4 gang gang"),
    ],
)
def test_address_normalisation(text, expected):
    assert normalise_address(text) == expected


def test_addresses_normalise_the_same_one_by_one_and_all_at_once():
    texts = ["Jl. Melati No. 12 RT 003/RW 002", "", "Kp. Jl jl", "rt 000 rw 0", "JL.MAWAR"]
    together = normalise_addresses(pd.Series(texts, dtype=object)).tolist()
    assert together == [normalise_address(t) for t in texts]
    assert household_message("Jl. Mawar", "33.01.01.2001") == b"addr:33.01.01.2001|jalan mawar"


# --- the key file ---------------------------------------------------------------------------


def test_secret_is_made_once_private_and_reused(tmp_path):
    path = Path(os.environ["ZONING_SECRET_FILE"])
    assert not path.exists()
    secret = load_or_create_secret()
    assert len(secret) == 32 and path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_secret() == secret
    assert load_or_create_secret(path) == secret
    assert not list(path.parent.glob(".*tmp"))  # no temporary file left behind


def test_default_secret_path_is_outside_the_repository(tmp_path, monkeypatch):
    monkeypatch.delenv("ZONING_SECRET_FILE")
    home = Path(os.environ["HOME"])
    assert N.default_secret_path() == home / ".local" / "share" / "zoning" / "nik-secret"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert N.default_secret_path() == tmp_path / "xdg" / "zoning" / "nik-secret"
    secret = load_or_create_secret()
    assert (tmp_path / "xdg" / "zoning" / "nik-secret").exists()
    assert load_or_create_secret(tmp_path / "xdg" / "zoning" / "nik-secret") == secret
    monkeypatch.setenv("XDG_DATA_HOME", "relative/path")  # ignored, as the XDG spec says
    assert N.default_secret_path() == home / ".local" / "share" / "zoning" / "nik-secret"


def test_secret_readable_by_others_is_refused(tmp_path):
    path = tmp_path / "open-key"
    path.write_text(SECRET.hex())
    path.chmod(0o644)
    with pytest.raises(NikKeyError, match="chmod 600"):
        load_or_create_secret(path)
    path.chmod(0o600)
    assert load_or_create_secret(path) == SECRET


def test_damaged_secret_is_refused_not_replaced(tmp_path):
    path = tmp_path / "bad-key"
    path.write_text("not hexadecimal")
    path.chmod(0o600)
    with pytest.raises(NikKeyError, match="damaged"):
        load_or_create_secret(path)
    assert path.read_text() == "not hexadecimal"


def test_secret_inside_the_project_is_refused():
    inside = Path(N.__file__).resolve().parents[2] / "data" / "nik-secret-test"
    with pytest.raises(NikKeyError, match="inside the project"):
        load_or_create_secret(inside)
    assert not inside.exists()


def test_secret_file_in_a_new_folder(tmp_path):
    path = tmp_path / "a" / "b" / "key"
    secret = load_or_create_secret(path)
    assert path.read_text().strip() == secret.hex()
    assert stat.S_IMODE(path.parent.stat().st_mode) & 0o077 == 0


def test_many_digits_checked_fast_enough():
    values = pd.Series([nik(serial=s % 9999 + 1) for s in range(200_000)], dtype="str")
    niks, problems = check_niks(values)
    assert not problems and niks.notna().all()
    assert np.array_equal(N.sixteen_digit_cells(values), np.ones(len(values), dtype=bool))
