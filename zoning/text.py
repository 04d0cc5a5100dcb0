"""Text safety: the one place that escapes text for HTML, for Markdown and for spreadsheets."""

from __future__ import annotations

import html
import re

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
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

    Numbers pass through unchanged; text starting with ``= + - @`` or a tab/CR is prefixed
    with an apostrophe (the OWASP recommendation for CSV injection).
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
