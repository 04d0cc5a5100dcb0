"""Who may change the data: analysts, signed in by OIDC or by the operator's password.

Everyone who can reach the dashboard may look at it; uploads, boundary imports and policy
notes are for analysts. The dashboard (``pages/common.py``) decides who is an analyst with
the pieces here, which never import Streamlit:

- **OIDC** (Streamlit's ``st.login``) when ``.streamlit/secrets.toml`` has an ``[auth]``
  section: a signed-in person is an analyst when :func:`is_allowed` finds their e-mail in the
  allow-list ``[zoning] analysts = ["ana@dinkes.go.id", "@dinkes.jatengprov.go.id"]``.
- otherwise a **local analyst password** set by the operator, stored only as a salted scrypt
  hash (:func:`hash_password`, printed by ``python -m zoning auth hash-password``) in the
  environment variable :data:`HASH_ENV` or in ``[zoning] analyst_password_hash`` of the
  secrets file (:func:`configured_hash`).
- with neither, analyst pages are locked.

A password is never logged or stored; only its hash is compared, in constant time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

#: Environment variable holding the analyst password hash (wins over the secrets file).
HASH_ENV = "ZONING_ANALYST_PASSWORD_HASH"
#: scrypt cost: 2**14 x 8 x 1 takes ~16 MiB and a few tens of milliseconds per check.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SALT_BYTES = 16
KEY_BYTES = 32
#: The largest cost a configured hash may ask for (a typo must not exhaust the memory).
MAX_N, MAX_R, MAX_P = 2**20, 32, 16
_MAXMEM = 1024 * 1024 * 1024
#: A password shorter than this is refused by :func:`hash_password`.
MIN_PASSWORD_CHARS = 12
#: Failed sign-ins a session may make before it has to wait; then the wait doubles.
FREE_ATTEMPTS = 3
MAX_WAIT_SECONDS = 300.0


class HashError(ValueError):
    """A configured password hash that is not of the form ``scrypt$n$r$p$salt$hash``."""


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
    if n < 2 or n & (n - 1) or n > MAX_N or not 1 <= r <= MAX_R or not 1 <= p <= MAX_P:
        raise HashError(f"unsupported scrypt cost n={n}, r={r}, p={p}")


def _derive(password: str, salt: bytes, n: int, r: int, p: int, size: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=size
    )


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
        raise HashError("the analyst password hash is not 'scrypt$n$r$p$salt$hash'")
    try:
        n, r, p = (int(x) for x in parts[1:4])
        salt = base64.b64decode(parts[4], validate=True)
        key = base64.b64decode(parts[5], validate=True)
    except (ValueError, binascii.Error):
        raise HashError("the analyst password hash has a part that cannot be read") from None
    _check_cost(n, r, p)
    if not salt or len(key) < 16:
        raise HashError("the analyst password hash is too short")
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
        self.until = now + delay
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

    def failed(self, address: str, now: float) -> float:
        """Count a failure from ``address``; return the seconds it now has to wait."""
        with self._lock:
            throttle = self._by_address.pop(address, None) or Throttle()
            self._by_address[address] = throttle
            while len(self._by_address) > self._size:
                self._by_address.popitem(last=False)
            return throttle.failed(now)

    def succeeded(self, address: str) -> None:
        with self._lock:
            self._by_address.pop(address, None)

    def clear(self) -> None:
        with self._lock:
            self._by_address.clear()
