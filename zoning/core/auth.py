"""Who may change the data: analysts, signed in by OIDC or by the operator's password.

Everyone who can reach the dashboard may look at it; uploads, boundary imports and policy
notes are for analysts. The dashboard (``ui/common.py``) decides who is an analyst with
the pieces here, which never import Streamlit:

- **OIDC** (Streamlit's ``st.login``) when ``.streamlit/secrets.toml`` has an ``[auth]``
  section: a signed-in person is an analyst when :func:`is_allowed` finds their e-mail in the
  allow-list ``[zoning] analysts = ["ana@dinkes.go.id", "@dinkes.jatengprov.go.id"]``.
- otherwise a **local analyst password** set by the operator, stored only as a salted scrypt
  hash (:func:`hash_password`, printed by ``python -m zoning auth hash-password``) in the
  environment variable :data:`HASH_ENV` or in ``[zoning] analyst_password_hash`` of the
  secrets file (:func:`configured_hash`).
- with neither, analyst pages are locked.

A password is never logged or stored; only its hash is compared, in constant time. A hash's
scrypt cost is bounded both ways whenever it is read (:func:`parse_hash`). Failed sign-ins
are counted per session and per client address (:class:`Throttles`, deciding and counting an
attempt in one step); the client address is the connecting one unless that is a proxy named
in :data:`PROXIES_ENV` (:func:`client_address`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import os
import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from zoning.core.i18n import t

#: Environment variable holding the analyst password hash (wins over the secrets file).
HASH_ENV = "ZONING_ANALYST_PASSWORD_HASH"
#: scrypt cost: 2**14 x 8 x 1 takes ~16 MiB and a few tens of milliseconds per check.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SALT_BYTES = 16
KEY_BYTES = 32
#: The costs a hash may ask for, checked whenever one is read (:func:`parse_hash`): ``n`` a
#: power of two in this range, ``r`` and ``p`` from 1 up to these.
MIN_N, MAX_N, MAX_R, MAX_P = 2**10, 2**20, 32, 16
#: Memory one check takes, ``128 * n * r`` bytes: at least 1 MiB (2**10 x 8) so that a hash is
#: not trivially cheap to guess against, at most 64 MiB (a typo must not exhaust the memory).
MIN_MEMORY, MAX_MEMORY = 2**20, 64 * 2**20
#: CPU of one check, ``n * r * p``: at most 8 times the default, about 0.4 s of one core on
#: the 2-core test machine (2**17 x 8 x 16 took 6.6 s per attempt).
MAX_WORK = 8 * SCRYPT_N * SCRYPT_R * SCRYPT_P
#: hashlib's own memory limit for scrypt: above anything the bounds allow (OpenSSL needs a
#: little more than ``128 * n * r``), so a hash that passes them never makes hashlib refuse.
_MAXMEM = 2 * MAX_MEMORY
#: A password shorter than this is refused by :func:`hash_password`.
MIN_PASSWORD_CHARS = 12
#: Failed sign-ins that cost no wait; each further one makes the next attempt wait 1 s, then
#: 2 s, 4 s ... (so four attempts in a row are free, and the fifth waits).
FREE_ATTEMPTS = 3
MAX_WAIT_SECONDS = 300.0


class HashError(ValueError):
    """A configured password hash that cannot be used: malformed, or a cost out of bounds.

    ``key`` names the reason in ``zoning/strings/auth.toml`` (filled in with ``values``), so
    the page can say it in its language; the message is the English text, for the log and
    the command line.
    """

    def __init__(self, key: str, **values: object):
        super().__init__(t(f"auth.{key}", "en", **values))
        self.key, self.values = key, values


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(
    password: str,
    *,
    n: int = SCRYPT_N,
    r: int = SCRYPT_R,
    p: int = SCRYPT_P,
    salt: bytes | None = None,
) -> str:
    """A salted scrypt hash of ``password`` that says how it was made.

    Returns ``scrypt$<n>$<r>$<p>$<salt, base64>$<key, base64>``: everything
    :func:`verify_password` needs, and nothing from which the password can be read back.
    Raises ``ValueError`` for a password shorter than :data:`MIN_PASSWORD_CHARS`.
    """
    if len(password) < MIN_PASSWORD_CHARS:
        raise ValueError(f"the password needs at least {MIN_PASSWORD_CHARS} characters")
    _check_cost(n, r, p)
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    key = _derive(password, salt, n, r, p, KEY_BYTES)
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(key)}"


def _check_cost(n: int, r: int, p: int) -> None:
    """Raise :class:`HashError` saying which bound a scrypt cost breaks."""
    if not MIN_N <= n <= MAX_N or n & (n - 1):
        raise HashError("cost_n", n=n, low=MIN_N, high=MAX_N)
    if not 1 <= r <= MAX_R or not 1 <= p <= MAX_P:
        raise HashError("cost_rp", r=r, p=p, max_r=MAX_R, max_p=MAX_P)
    mib, low, high = 128 * n * r / 2**20, MIN_MEMORY // 2**20, MAX_MEMORY // 2**20
    if not low <= mib <= high:
        raise HashError("cost_memory", n=n, r=r, mib=f"{mib:g}", low=low, high=high)
    default = SCRYPT_N * SCRYPT_R * SCRYPT_P
    if n * r * p > MAX_WORK:
        times = f"{n * r * p / default:g}"
        raise HashError("cost_work", n=n, r=r, p=p, times=times, most=MAX_WORK // default)


def _derive(password: str, salt: bytes, n: int, r: int, p: int, size: int) -> bytes:
    try:
        return hashlib.scrypt(
            password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=size
        )
    except (ValueError, MemoryError) as exc:  # not expected within the bounds; never raw
        raise HashError("cost_scrypt", n=n, r=r, p=p, reason=str(exc)) from None


@dataclass(frozen=True)
class ParsedHash:
    n: int
    r: int
    p: int
    salt: bytes
    key: bytes


def parse_hash(encoded: str) -> ParsedHash:
    """The parts of a hash made by :func:`hash_password`; :class:`HashError` if malformed."""
    parts = (encoded or "").strip().split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        raise HashError("hash_format")
    try:
        n, r, p = (int(x) for x in parts[1:4])
        salt = base64.b64decode(parts[4], validate=True)
        key = base64.b64decode(parts[5], validate=True)
    except (ValueError, binascii.Error):
        raise HashError("hash_unreadable") from None
    _check_cost(n, r, p)
    if not salt or len(key) < 16:
        raise HashError("hash_short")
    return ParsedHash(n, r, p, salt, key)


def verify_password(password: str, encoded: str) -> bool:
    """Whether ``password`` is the one ``encoded`` was made from (constant-time compare).

    Raises :class:`HashError` when ``encoded`` is malformed: a configuration mistake, which
    the page reports to the operator rather than treating as a wrong password.
    """
    parsed = parse_hash(encoded)
    key = _derive(password or "", parsed.salt, parsed.n, parsed.r, parsed.p, len(parsed.key))
    return hmac.compare_digest(key, parsed.key)


def configured_hash(from_secrets: object = None) -> str | None:
    """The analyst password hash the operator set, or ``None``.

    The environment variable :data:`HASH_ENV` wins over ``from_secrets`` (the page passes
    ``[zoning] analyst_password_hash`` of ``.streamlit/secrets.toml``).
    """
    for value in (os.environ.get(HASH_ENV), from_secrets):
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def is_allowed(email: object, allowed: Iterable[str] | str | None) -> bool:
    """Whether an OIDC e-mail is on the analysts' allow-list.

    Entries are whole addresses (``ana@dinkes.go.id``) or domains written with their ``@``
    (``@dinkes.jatengprov.go.id``: that domain only, not its subdomains). Case is ignored.
    An empty list allows nobody: signing in with an identity provider is not enough.
    """
    if not isinstance(email, str) or email.count("@") != 1 or not email.split("@")[0]:
        return False
    email = email.strip().lower()
    domain = "@" + email.split("@")[1]
    entries = [allowed] if isinstance(allowed, str) else list(allowed or [])
    for entry in entries:
        entry = str(entry).strip().lower()
        if entry and (entry == email or (entry.startswith("@") and entry == domain)):
            return True
    return False


def identity(method: str, who: str) -> str:
    """How a change records who made it: ``oidc:ana@dinkes.go.id``, ``password:Sari``,
    ``cli:root``. The prefix says how the person was recognised."""
    who = " ".join(str(who).split())
    if not who:
        raise ValueError("an identity needs a name")
    return f"{method}:{who}"


@dataclass
class Throttle:
    """Failed sign-ins of one session or address: after :data:`FREE_ATTEMPTS` each must wait.

    The wait doubles with every further failure (1 s, 2 s, 4 s ... up to
    :data:`MAX_WAIT_SECONDS`); a success clears it. Times are ``time.monotonic()`` seconds.
    """

    failures: int = 0
    until: float = 0.0

    def wait(self, now: float) -> float:
        """Seconds before the next attempt is allowed (0 when it is allowed now)."""
        return max(0.0, self.until - now)

    def failed(self, now: float) -> float:
        """Count a failure; return the seconds the session now has to wait."""
        self.failures += 1
        extra = self.failures - FREE_ATTEMPTS
        delay = 0.0 if extra <= 0 else min(2.0 ** (extra - 1), MAX_WAIT_SECONDS)
        if delay:  # a free failure moves nothing: a clock read a moment earlier (another
            self.until = now + delay  # replica's, or a thread's) must not see a wait
        return delay

    def succeeded(self) -> None:
        self.failures, self.until = 0, 0.0


class Throttles:
    """A :class:`Throttle` per client address, shared by every session of the server.

    A session's own throttle is reset by opening a new session; this one is not. Thread-safe;
    it keeps at most ``size`` addresses, forgetting the least recently used.
    """

    def __init__(self, size: int = 10_000):
        self._size = size
        self._lock = threading.Lock()
        self._by_address: OrderedDict[str, Throttle] = OrderedDict()

    def wait(self, address: str, now: float) -> float:
        """Seconds before ``address`` may try again (0 when it may now)."""
        with self._lock:
            throttle = self._by_address.get(address)
            return throttle.wait(now) if throttle else 0.0

    def begin(self, address: str, now: float) -> float:
        """Before a password check: may ``address`` try now? If so, count the attempt.

        Returns 0 when the attempt may go ahead; it is then already counted as a failure,
        cleared by :meth:`succeeded`. Otherwise returns the seconds to wait and counts
        nothing. Deciding and counting under one lock means attempts sent at the same
        moment cannot all pass the check before any of them is counted: exactly as many
        reach the password check as would one after another.
        """
        with self._lock:
            throttle = self._throttle(address)
            wait = throttle.wait(now)
            if wait == 0.0:
                throttle.failed(now)
            return wait

    def failed(self, address: str, now: float) -> float:
        """Count a failure from ``address``; return the seconds it now has to wait."""
        with self._lock:
            return self._throttle(address).failed(now)

    def _throttle(self, address: str) -> Throttle:
        """The throttle of ``address``, now the most recently used (the lock is held)."""
        throttle = self._by_address.pop(address, None) or Throttle()
        self._by_address[address] = throttle
        while len(self._by_address) > self._size:
            self._by_address.popitem(last=False)
        return throttle

    def succeeded(self, address: str) -> None:
        with self._lock:
            self._by_address.pop(address, None)

    def clear(self) -> None:
        with self._lock:
            self._by_address.clear()


# --- the client's address, behind trusted reverse proxies only ---------------------------

#: Environment variable listing the reverse proxies whose ``X-Forwarded-For`` is believed:
#: addresses or networks (``127.0.0.1``, ``10.0.0.0/8``, ``::1``), separated by commas or
#: spaces. Unset or empty: none, and every client is known by the address that connected.
PROXIES_ENV = "ZONING_TRUSTED_PROXIES"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_proxies(value: str | None) -> tuple[Network, ...]:
    """The networks written in :data:`PROXIES_ENV` (``None`` or blank: none).

    Raises ``ValueError`` naming the entry that is not an address or network.
    """
    networks = []
    for entry in (value or "").replace(",", " ").split():
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(
                f"{PROXIES_ENV}: {entry!r} is not an address or network such as 127.0.0.1 "
                "or 10.0.0.0/8"
            ) from None
    return tuple(networks)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address in an ``X-Forwarded-For`` entry (``1.2.3.4``, ``1.2.3.4:80``,
    ``[::1]:80``, ``::1``), or ``None``."""
    text = text.strip()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":")[0]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    return ip.ipv4_mapped or ip if ip.version == 6 else ip  # ::ffff:10.0.0.1 is 10.0.0.1


def _trusted(ip: object, proxies: tuple[Network, ...]) -> bool:
    return ip is not None and any(ip.version == net.version and ip in net for net in proxies)


def client_address(
    peer: str | None, forwarded_for: Iterable[str], proxies: tuple[Network, ...]
) -> str:
    """Who a request comes from: ``peer`` (the address that connected) unless it is a
    trusted proxy; then the right-most ``X-Forwarded-For`` address that is not one.

    Each proxy appends the address it received the request from, so the entries right of
    the first untrusted one were written by trusted proxies, and the ones left of it by the
    client, who may write anything: those are never read. ``forwarded_for`` holds the values
    of every ``X-Forwarded-For`` header, in order. An entry that is not an address ends the
    walk with the last trusted address, so a proxy's mistake never lets a client choose.
    """
    peer = (peer or "").strip() or "unknown"
    current = _ip(peer)
    if not _trusted(current, proxies):
        return peer
    entries = [e for value in forwarded_for for e in str(value).split(",") if e.strip()]
    for entry in reversed(entries):
        ip = _ip(entry)
        if ip is None:
            break
        current = ip
        if not _trusted(ip, proxies):
            break
    return str(current)
