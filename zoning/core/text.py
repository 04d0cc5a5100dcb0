"""Text safety: the one place that escapes text for HTML, for Markdown and for spreadsheets."""

from __future__ import annotations

import html
import re

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0")
#: Characters that can start Markdown (CommonMark, GitHub's extensions, Streamlit's own
#: ``:colour[...]``, ``:emoji:`` and ``$math$``): each is written with a backslash before it.
MARKDOWN_SPECIAL = frozenset("\\`*_{}[]()<>#+-.!|~$:&@^")
#: An invisible WORD JOINER, put where an autolink or an icon would otherwise begin.
WORD_JOINER = "\u2060"
# Backslashes stop neither GitHub's autolinks (``http://...``, ``www.``, ``name@host.tld``)
# nor Streamlit's icons (``:material/map:``): these are found in the text after unescaping.
_AUTOLINK = re.compile(r"(?i)(?<=:)(?=//|\w+/)|(?<=\bwww)(?=\.)|(?<=@)")


def escape_html(value: object) -> str:
    """Escape any value for inclusion in HTML text or attributes.

    Parameters
    ----------
    value : object
        Anything; ``None`` becomes the empty string.

    Returns
    -------
    str
        Text safe to place between tags or inside a quoted attribute.
    """
    if value is None:
        return ""
    return html.escape(str(value), quote=True)


def escape_markdown(value: object) -> str:
    """Text from data (a region or scheme name, a note) made literal for Markdown.

    Every character that Markdown, GitHub's extensions or Streamlit could read as markup
    (links, images, emphasis, HTML, colours, icons, maths) gets a backslash, which CommonMark
    turns back into the character itself. Addresses (``http://``, ``www.``, ``@``) and icon
    names (``:material/...``) get an invisible :data:`WORD_JOINER`, so they stay text. Line
    breaks become spaces, so the text cannot start a heading, list or table of its own.
    ``None`` gives the empty string. The result is shown exactly as written by st.markdown,
    st.header, st.caption and the labels of buttons and expanders.
    """
    text = "" if value is None else _AUTOLINK.sub(WORD_JOINER, " ".join(str(value).splitlines()))
    return "".join("\\" + ch if ch in MARKDOWN_SPECIAL else ch for ch in text)


def spreadsheet_safe(value: object) -> object:
    """Neutralise a text cell that a spreadsheet would run as a formula.

    Numbers pass through unchanged; text starting with ``= + - @``, a tab, a CR or a NUL is
    prefixed with an apostrophe (OWASP's recommendation for CSV injection; ASVS 1.2.10 adds
    the NUL).
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


# --- numbers that identify a person -------------------------------------------------------

#: A run of digit groups: joined by spaces, or by one of ``. - / _`` (spaces around allowed),
#: or by a comma between digits (``3315,0615``). A comma followed by a space is a list
#: (``rows 12, 13``), not part of a number. Digits are any script's (full-width ``３３１５``
#: too), spaces any (no-break, thin, ideographic, line breaks), dashes any (en dash, minus).
_JOIN = r"[./_\-\u2010-\u2015\u2212\uff0d\uff0e\uff0f\uff3f]"
_DIGIT_RUN = re.compile(rf"\d+(?:(?:\s*{_JOIN}\s*|\s+|,)\d+)*")
_REGION_CODE = re.compile(r"[0-9]{2}(?:\.[0-9]{2}){0,2}(?:\.[0-9]{4})?(?:\.[0-9]{3}){0,2}")
#: A run with this many digits or more is hidden: a NIK or a No. KK has 16.
HIDE_DIGITS = 12
HIDDEN = "[number hidden]"


def redact(value: object) -> str:
    """``value`` as text with every long number (a NIK, a No. KK...) replaced by
    :data:`HIDDEN`: the one redaction used for messages, file names, reports and previews.

    A number is hidden when its digits, however written (``3315061507850018``,
    ``3315 0615 0785 0018``, ``3315.0615.0785.0018``, ``3315-0615-0785-0018``,
    ``3315,0615,0785,0018``, in full-width digits), number :data:`HIDE_DIGITS` or more, even
    inside a word (``kasus_3315061507850018.csv``). Dotted region codes (``33.74.01.1001``)
    and lists written with ``", "`` stay readable.
    """

    def hide(match: re.Match) -> str:
        run = match.group(0)
        if sum(c.isdigit() for c in run) < HIDE_DIGITS:
            return run
        if all(_REGION_CODE.fullmatch(part) for part in run.split()):
            return run
        return HIDDEN

    return _DIGIT_RUN.sub(hide, str(value))


def quote(value: object, limit: int = 40) -> str:
    """A cell quoted in a message: redacted first, then cut to ``limit`` characters.

    Cutting first could leave part of a NIK too short to be recognised (ten digits of a
    sixteen-digit NIK cut at 40 characters), so the order matters.
    """
    return repr(redact(value)[:limit])


def redact_all(value: object) -> object:
    """:func:`redact` applied to every string inside lists, tuples and dicts (keys too)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact_all(k): redact_all(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact_all(v) for v in value)
    return value
