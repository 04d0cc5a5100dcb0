"""Text safety: the one place that escapes text for HTML and for spreadsheets."""

from __future__ import annotations

import html

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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


def spreadsheet_safe(value: object) -> object:
    """Neutralise a text cell that a spreadsheet would run as a formula.

    Numbers pass through unchanged; text starting with ``= + - @`` or a tab/CR is prefixed
    with an apostrophe (the OWASP recommendation for CSV injection).
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
