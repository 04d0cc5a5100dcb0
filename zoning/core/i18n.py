"""Interface text in Bahasa Indonesia (first) and English.

Strings live in ``zoning/strings/<section>.toml`` as ``[key] id = "..." en = "..."`` and
are looked up as ``"section.key"``; a text that counts something may have a ``key_one``
twin for a count of one (:func:`tn`). A missing key or language is an error in the tests, never
an English fallback in front of an official.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

#: Every language of the interface, by code, with its name in itself; the first is the default.
LANG_NAMES = {"id": "Bahasa Indonesia", "en": "English"}
LANGS = tuple(LANG_NAMES)
DEFAULT_LANG = LANGS[0]


@cache
def strings() -> dict[str, dict[str, str]]:
    """Every string, by ``section.key``, then language."""
    out: dict[str, dict[str, str]] = {}
    folder = resources.files("zoning").joinpath("strings")
    for entry in sorted(folder.iterdir(), key=str):
        if not entry.name.endswith(".toml"):
            continue
        section = entry.name.removesuffix(".toml")
        for key, texts in tomllib.loads(entry.read_text("utf-8")).items():
            out[f"{section}.{key}"] = texts
    return out


def lang_or_default(lang: object) -> str:
    """``lang`` if it is a supported language code, else Bahasa Indonesia."""
    return lang if lang in LANGS else DEFAULT_LANG


def t(key: str, lang: str, **values: object) -> str:
    """The text of ``key`` in ``lang``, with ``{name}`` placeholders filled from ``values``."""
    text = strings()[key][lang_or_default(lang)]
    return text.format(**values) if values else text


def tn(key: str, lang: str, count: float, **values: object) -> str:
    """The text of ``key`` for ``count`` things: ``key_one`` when ``count`` is 1 and it exists.

    English says "1 region" but "2 regions"; Bahasa Indonesia says "1 wilayah" and
    "2 wilayah", so its ``_one`` text is the same as the other. ``values`` fill the
    placeholders (the count itself too, formatted by the caller).
    """
    one = f"{key}_one"
    return t(one if count == 1 and one in strings() else key, lang, **values)


def pick(texts: dict[str, str], lang: str) -> str:
    """The ``lang`` entry of a bilingual dict from a scheme file."""
    return texts.get(lang_or_default(lang)) or texts.get(DEFAULT_LANG, "")


def format_number(value: float, lang: str, decimals: int = 0) -> str:
    """A number with the language's separators: 1.234,5 (id) or 1,234.5 (en)."""
    if value is None or value != value:  # NaN
        return "–"
    text = f"{value:,.{decimals}f}"
    if lang_or_default(lang) == "id":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text
