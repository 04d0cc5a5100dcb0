"""Analysts: password hashes, where the hash comes from, the OIDC allow-list, throttling,
and the command that prints a hash."""

from __future__ import annotations

import base64
import io
import re
import threading
import time

import pytest

from zoning.cli import main
from zoning.core import auth

PASSWORD = "kata sandi analis 2021"
CHEAP = {"n": 2**10, "r": 8, "p": 1}  # fast hashes for the tests; the default costs more


def test_hash_says_how_it_was_made_and_verifies():
    encoded = auth.hash_password(PASSWORD)
    method, n, r, p, salt, key = encoded.split("$")
    assert (method, int(n), int(r), int(p)) == ("scrypt", auth.SCRYPT_N, auth.SCRYPT_R, 1)
    assert len(base64.b64decode(salt)) == auth.SALT_BYTES
    assert len(base64.b64decode(key)) == auth.KEY_BYTES
    assert PASSWORD not in encoded
    assert auth.verify_password(PASSWORD, encoded)


def test_wrong_passwords_fail():
    encoded = auth.hash_password(PASSWORD, **CHEAP)
    for wrong in ("", PASSWORD + " ", PASSWORD.upper(), PASSWORD[:-1], "x" * 40):
        assert not auth.verify_password(wrong, encoded)


def test_salt_makes_every_hash_different():
    first, second = (auth.hash_password(PASSWORD, **CHEAP) for _ in range(2))
    assert first != second
    assert auth.verify_password(PASSWORD, first) and auth.verify_password(PASSWORD, second)
    same_salt = auth.hash_password(PASSWORD, salt=b"0123456789abcdef", **CHEAP)
    assert same_salt == auth.hash_password(PASSWORD, salt=b"0123456789abcdef", **CHEAP)


def test_short_password_is_refused():
    with pytest.raises(ValueError, match="at least 12"):
        auth.hash_password("x" * (auth.MIN_PASSWORD_CHARS - 1))
    assert auth.hash_password("x" * auth.MIN_PASSWORD_CHARS, **CHEAP)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "plain text password",
        "pbkdf2$1$2$3$AAAA$AAAA",
        "scrypt$16384$8$1$AAAA",  # a part missing
        "scrypt$x$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAA==",
        "scrypt$16384$8$1$not base64!$AAAAAAAAAAAAAAAAAAAAAA==",
        "scrypt$1000$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAA==",  # n not 2**k
        "scrypt$4194304$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAA==",  # n too large
        "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA",  # key too short
    ],
)
def test_malformed_hash_is_a_configuration_error(bad):
    with pytest.raises(auth.HashError):
        auth.verify_password(PASSWORD, bad)


def test_surrounding_whitespace_of_a_hash_is_ignored():
    encoded = auth.hash_password(PASSWORD, **CHEAP)
    assert auth.verify_password(PASSWORD, f"  {encoded}\n")


def test_configured_hash_env_wins_over_secrets(monkeypatch):
    monkeypatch.delenv(auth.HASH_ENV, raising=False)
    assert auth.configured_hash() is None
    assert auth.configured_hash("  ") is None
    assert auth.configured_hash(" scrypt$from-secrets ") == "scrypt$from-secrets"
    monkeypatch.setenv(auth.HASH_ENV, "scrypt$from-env")
    assert auth.configured_hash("scrypt$from-secrets") == "scrypt$from-env"
    monkeypatch.setenv(auth.HASH_ENV, "")
    assert auth.configured_hash(["not", "a", "string"]) is None


@pytest.mark.parametrize(
    ("email", "allowed", "expected"),
    [
        ("ana@dinkes.go.id", ["ana@dinkes.go.id"], True),
        ("Ana@Dinkes.GO.id", ["ana@dinkes.go.id"], True),
        ("budi@dinkes.go.id", ["ana@dinkes.go.id"], False),
        ("budi@dinkes.go.id", ["@dinkes.go.id"], True),
        ("budi@dinkes.go.id", "@dinkes.go.id", True),  # one entry written as a string
        ("budi@sub.dinkes.go.id", ["@dinkes.go.id"], False),  # a domain, not its subdomains
        ("budi@evil-dinkes.go.id", ["@dinkes.go.id"], False),
        ("dinkes.go.id@evil.com", ["@dinkes.go.id"], False),
        ("budi@dinkes.go.id", ["dinkes.go.id"], False),  # a domain needs its @
        ("budi@dinkes.go.id", [], False),  # nobody without a list
        ("budi@dinkes.go.id", None, False),
        (None, ["@dinkes.go.id"], False),
        ("", ["@dinkes.go.id"], False),
        ("@dinkes.go.id", ["@dinkes.go.id"], False),  # not an address
        ("a@b@dinkes.go.id", ["@dinkes.go.id"], False),
    ],
)
def test_allow_list(email, allowed, expected):
    assert auth.is_allowed(email, allowed) is expected


def test_identity_says_how_a_person_was_recognised():
    assert auth.identity("oidc", "ana@dinkes.go.id") == "oidc:ana@dinkes.go.id"
    assert auth.identity("password", "  Bu   Sari \n") == "password:Bu Sari"
    with pytest.raises(ValueError):
        auth.identity("password", "   ")


def test_throttle_grows_after_the_free_attempts_and_clears_on_success():
    throttle = auth.Throttle()
    waits = [throttle.failed(now=100.0) for _ in range(auth.FREE_ATTEMPTS + 4)]
    assert waits[: auth.FREE_ATTEMPTS] == [0.0] * auth.FREE_ATTEMPTS
    assert waits[auth.FREE_ATTEMPTS :] == [1.0, 2.0, 4.0, 8.0]
    assert throttle.wait(now=100.0) == 8.0
    assert throttle.wait(now=105.0) == 3.0
    assert throttle.wait(now=200.0) == 0.0
    for _ in range(30):
        throttle.failed(now=0.0)
    assert throttle.wait(now=0.0) == auth.MAX_WAIT_SECONDS
    throttle.succeeded()
    assert throttle.wait(now=0.0) == 0.0 and throttle.failures == 0


def test_cli_prints_a_hash_read_from_stdin(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["auth", "hash-password"]) == 0
    out, err = capsys.readouterr()
    encoded = out.strip()
    assert auth.verify_password(PASSWORD, encoded)
    assert PASSWORD not in out + err
    assert auth.HASH_ENV in err


def test_cli_refuses_a_short_password(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["auth", "hash-password"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "at least 12" in err and "short" not in err


def test_cli_asks_twice_on_a_terminal(monkeypatch, capsys):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    answers = iter([PASSWORD, PASSWORD + "typo"])
    monkeypatch.setattr("sys.stdin", Terminal())
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert main(["auth", "hash-password"]) == 2
    assert "differ" in capsys.readouterr().err
    answers = iter([PASSWORD, PASSWORD])
    assert main(["auth", "hash-password"]) == 0
    assert auth.verify_password(PASSWORD, capsys.readouterr().out.strip())


def test_cli_takes_no_password_argument(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["auth", "hash-password", PASSWORD])
    assert exc.value.code == 2
    assert "unrecognized arguments" in capsys.readouterr().err


def test_address_throttles_are_separate_and_forget_the_oldest():
    throttles = auth.Throttles(size=2)
    for _ in range(auth.FREE_ATTEMPTS + 1):
        throttles.failed("10.0.0.1", now=0.0)
    assert throttles.wait("10.0.0.1", now=0.0) == 1.0
    assert throttles.wait("10.0.0.2", now=0.0) == 0.0
    throttles.failed("10.0.0.2", now=0.0)
    throttles.failed("10.0.0.3", now=0.0)  # a third address: the first is forgotten
    assert throttles.wait("10.0.0.1", now=0.0) == 0.0
    throttles.failed("10.0.0.3", now=0.0)
    throttles.succeeded("10.0.0.3")
    assert throttles.wait("10.0.0.3", now=0.0) == 0.0


# --- scrypt cost: bounded both ways when a hash is read ----------------------------------

SALT_KEY = "AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="


@pytest.mark.parametrize(
    ("n", "r", "p"),
    [
        (2**10, 8, 1),  # the least memory: 1 MiB (the tests' cheap hashes)
        (2**13, 1, 1),  # 1 MiB another way
        (2**16, 8, 2),  # the most memory (64 MiB) and the most work (8 x the default)
        (2**19, 1, 2),  # the same limits with the largest n they allow at r = 1
        (2**14, 32, 2),  # the largest r
        (2**10, 8, 16),  # the largest p
    ],
)
def test_costs_within_the_bounds_are_accepted(n, r, p):
    parsed = auth.parse_hash(f"scrypt${n}${r}${p}${SALT_KEY}")
    assert (parsed.n, parsed.r, parsed.p) == (n, r, p)


@pytest.mark.parametrize(
    ("n", "r", "p", "message"),
    [
        (
            2**20,
            8,
            1,
            "1024 MiB of memory for every sign-in attempt; from 1 to 64 MiB",
        ),  # hashlib refused it
        (2**17, 8, 16, "128 MiB"),  # 6.6 s of CPU per attempt
        (2**17, 8, 1, "128 MiB"),
        (2**16, 8, 3, "12 times the default work for every sign-in attempt; at most 8 times"),
        (2**19, 1, 3, "12 times the default"),
        (2**21, 1, 1, "n=2097152 must be a power of two from 1024 to 1048576"),
        (2**9, 16, 1, "n=512 must be a power of two from 1024"),
        (2**10 + 1, 8, 1, "n=1025 must be a power of two"),
        (2**10, 4, 1, "0.5 MiB of memory for every sign-in attempt; from 1 to 64 MiB"),
        (2**12, 33, 1, "r=33 must be from 1 to 32 and p=1"),
        (2**14, 0, 1, "r=0"),
        (2**10, 8, 17, "p=17"),
        (2**14, 8, 0, "p=0"),
        (-(2**14), 8, 1, "n=-16384"),
    ],
)
def test_costs_beyond_the_bounds_are_refused_with_the_reason(n, r, p, message):
    encoded = f"scrypt${n}${r}${p}${SALT_KEY}"
    with pytest.raises(auth.HashError, match=re.escape(message)):
        auth.parse_hash(encoded)
    with pytest.raises(auth.HashError, match=re.escape(message)):
        auth.verify_password(PASSWORD, encoded)  # refused before scrypt runs


def test_hash_at_the_largest_cost_still_verifies():
    encoded = auth.hash_password(PASSWORD, n=2**16, r=8, p=2)
    assert auth.verify_password(PASSWORD, encoded)
    assert not auth.verify_password(PASSWORD + "x", encoded)


def test_every_hash_error_has_its_reason_in_both_languages():
    from zoning.core.i18n import t

    for encoded in ("x", "scrypt$x$8$1$AA$AA", "scrypt$1024$8$1$AAAA$AAAA", "scrypt$2$8$1$A$A"):
        with pytest.raises(auth.HashError) as error:
            auth.parse_hash(encoded)
        reasons = {t(f"auth.{error.value.key}", lg, **error.value.values) for lg in ("id", "en")}
        assert str(error.value) in reasons and len(reasons) == 2


def test_scrypt_refusing_is_a_hash_error_never_a_raw_one(monkeypatch):
    # should hashlib still refuse a cost within the bounds, the page gets a HashError
    encoded = auth.hash_password(PASSWORD, **CHEAP)
    monkeypatch.setattr(auth, "_MAXMEM", 1024)
    with pytest.raises(auth.HashError, match="scrypt cannot use n=1024, r=8, p=1"):
        auth.verify_password(PASSWORD, encoded)


# --- the throttle: deciding and counting in one step ----------------------------------------


def sequential_allowance() -> int:
    """How many attempts one address gets, one after another, before it must wait."""
    throttles, allowed = auth.Throttles(), 0
    while throttles.begin("192.0.2.1", now=0.0) == 0.0:
        allowed += 1
    return allowed


def test_begin_counts_the_attempt_it_allows():
    throttles = auth.Throttles()
    assert sequential_allowance() == auth.FREE_ATTEMPTS + 1  # the 4th failure makes it wait
    for _ in range(auth.FREE_ATTEMPTS + 1):
        assert throttles.begin("192.0.2.1", now=0.0) == 0.0
    assert throttles.begin("192.0.2.1", now=0.0) == 1.0  # refused: not counted again
    assert throttles.begin("192.0.2.1", now=0.5) == 0.5
    assert throttles.begin("192.0.2.2", now=0.0) == 0.0  # another address
    assert throttles.begin("192.0.2.1", now=1.0) == 0.0  # waited: allowed, and counted
    assert throttles.wait("192.0.2.1", now=1.0) == 2.0
    throttles.succeeded("192.0.2.1")  # the right password clears the count
    assert throttles.begin("192.0.2.1", now=1.0) == 0.0


def test_ten_attempts_at_once_from_one_address_get_no_more_than_one_after_another():
    throttles, start = auth.Throttles(), threading.Barrier(10)
    checked = []

    def attempt() -> None:
        start.wait()
        if throttles.begin("203.0.113.9", now=time.monotonic()) == 0.0:
            checked.append(1)  # the password check would run here

    threads = [threading.Thread(target=attempt) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(checked) == sequential_allowance()


# --- the client's address: X-Forwarded-For only from trusted proxies ------------------------

LOCAL = auth.trusted_proxies("127.0.0.1, ::1")


@pytest.mark.parametrize(
    ("peer", "forwarded", "proxies", "expected"),
    [
        # no proxy trusted (the default): the address that connected, whatever it sends
        ("127.0.0.1", ["198.51.100.7"], (), "127.0.0.1"),
        ("203.0.113.5", ["198.51.100.7"], (), "203.0.113.5"),
        (None, [], (), "unknown"),
        # from a trusted proxy: the right-most address that is not a trusted proxy
        ("127.0.0.1", ["198.51.100.7"], LOCAL, "198.51.100.7"),
        ("127.0.0.1", ["6.6.6.6, 198.51.100.7"], LOCAL, "198.51.100.7"),  # 6.6.6.6 invented
        ("127.0.0.1", ["6.6.6.6", "198.51.100.7"], LOCAL, "198.51.100.7"),  # two headers
        ("::1", ["198.51.100.7:51234"], LOCAL, "198.51.100.7"),
        ("::1", ["[2001:db8::7]:443"], LOCAL, "2001:db8::7"),
        ("127.0.0.1", [], LOCAL, "127.0.0.1"),  # nothing forwarded: the proxy itself
        ("127.0.0.1", ["garbage"], LOCAL, "127.0.0.1"),  # not an address: not believed
        ("127.0.0.1", ["198.51.100.7, garbage"], LOCAL, "127.0.0.1"),
        ("127.0.0.1", ["127.0.0.1, ::1"], LOCAL, "127.0.0.1"),  # only proxies
        # a chain of trusted proxies, by network
        (
            "10.0.0.2",
            ["6.6.6.6, 198.51.100.7, 10.0.0.9"],
            auth.trusted_proxies("10.0.0.0/8"),
            "198.51.100.7",
        ),
        # a proxy not in the list is a client like any other
        ("10.0.0.2", ["198.51.100.7"], LOCAL, "10.0.0.2"),
    ],
)
def test_client_address(peer, forwarded, proxies, expected):
    assert auth.client_address(peer, forwarded, proxies) == expected


def test_trusted_proxies_setting():
    assert auth.trusted_proxies(None) == () and auth.trusted_proxies("  ") == ()
    nets = auth.trusted_proxies("127.0.0.1,10.0.0.0/8 ::1")
    assert [str(n) for n in nets] == ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]
    with pytest.raises(ValueError, match=r"ZONING_TRUSTED_PROXIES: 'localhost' is not an addr"):
        auth.trusted_proxies("127.0.0.1, localhost")
