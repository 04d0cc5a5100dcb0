"""Analysts: password hashes, where the hash comes from, the OIDC allow-list, throttling,
and the command that prints a hash."""

from __future__ import annotations

import base64
import io

import pytest

from zoning import auth
from zoning.cli import main

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
