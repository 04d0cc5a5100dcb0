"""Tests for zoning.core.text: the escapers for Markdown and HTML."""

from __future__ import annotations

import re

import pytest

from zoning.core.text import MARKDOWN_SPECIAL, WORD_JOINER, escape_html, escape_markdown

NAMES = [
    "![px](http://host/track.png)",
    "[link](http://x)",
    "**bold** _it_ ~~gone~~ `code`",
    "<img src=x onerror=alert(1)>",
    "# heading",
    "1. list",
    "- item | a | b |",
    ":red[red] :smile: :material/map: $x^2$",
    "www.example.com and sari@dinkes.go.id",
    "C:\\path\\ & &amp; done",
    "Kota Semarang",
]


def unescape(text: str) -> str:
    """What CommonMark shows of backslash-escaped text, without the invisible joiners."""
    return re.sub(r"\\(.)", r"\1", text).replace(WORD_JOINER, "")


@pytest.mark.parametrize("name", NAMES)
def test_escaped_markdown_reads_back_as_the_name(name):
    escaped = escape_markdown(name)
    assert unescape(escaped) == name
    plain = escaped.replace(WORD_JOINER, "")
    i = 0
    while i < len(plain):  # every special character has its backslash
        if plain[i] == "\\":
            assert plain[i + 1] in MARKDOWN_SPECIAL
            i += 2
            continue
        assert plain[i] not in MARKDOWN_SPECIAL, (name, plain, i)
        i += 1


@pytest.mark.parametrize("name", NAMES)
def test_addresses_and_icons_are_broken_up(name):
    escaped = escape_markdown(name).replace("\\", "")
    for trigger in ("://", "www.", ":material/"):
        assert trigger not in escaped.lower()
    assert not re.search(r"@\w", escaped)


def test_line_breaks_become_spaces_and_none_is_empty():
    assert escape_markdown("Desa\n# Besar\r\nLor") == "Desa \\# Besar Lor"
    assert escape_markdown(None) == ""
    assert escape_markdown(12.5) == "12\\.5"


def test_html_escaper_is_unchanged():
    assert escape_html("<b>'x'</b>") == "&lt;b&gt;&#x27;x&#x27;&lt;/b&gt;"
