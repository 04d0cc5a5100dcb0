"""Tests for zoning.core.text: the escapers for Markdown, HTML and spreadsheets, and the one
redaction of long numbers (end to end through the importers: ``test_redaction.py``)."""

from __future__ import annotations

import math
import re

import pytest

from zoning.core.text import (
    HIDDEN,
    MARKDOWN_SPECIAL,
    WORD_JOINER,
    escape_html,
    escape_markdown,
    quote,
    redact,
    redact_all,
    spreadsheet_safe,
)

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


@pytest.mark.parametrize(
    "text",
    ["Desa\u2028# Besar", "Desa\x85# Besar", "Desa\x0b# Besar", "Desa\x0c# Besar", "Desa\r# Besar"],
)
def test_every_kind_of_line_break_becomes_a_space(text):
    assert escape_markdown(text) == "Desa \\# Besar"


@pytest.mark.parametrize(
    ("name", "gone"),
    [
        ("HTTPS://EXAMPLE.ORG/x", "://"),
        ("WWW.EXAMPLE.ORG", "www."),
        ("ftp://host/file", "://"),
        ("mailto:sari@dinkes.go.id", "@d"),
        ("lihat :material/warning: di sini", ":material/"),
    ],
)
def test_addresses_in_any_case_and_scheme_stay_text(name, gone):
    shown = escape_markdown(name).replace("\\", "")
    assert gone not in shown.lower()
    assert shown.replace(WORD_JOINER, "") == name


def test_markdown_that_only_starts_a_line_is_escaped_too():
    assert escape_markdown("1) daftar") == "1\\) daftar"
    assert escape_markdown("> kutipan") == "\\> kutipan"
    assert escape_markdown("&copy; 2021") == "\\&copy; 2021"  # no entity
    assert escape_markdown("a\\b") == "a\\\\b"


# --- HTML -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        (None, ""),
        ("", ""),
        (0, "0"),  # a falsy value is still shown
        (False, "False"),
        (12.5, "12.5"),
        ('"><script>alert(1)</script>', "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("it's", "it&#x27;s"),
        ("&amp;", "&amp;amp;"),  # escaped again: shown as written
    ],
)
def test_html_escaping_of_any_value(value, escaped):
    assert escape_html(value) == escaped


def test_an_escaped_value_cannot_leave_an_attribute():
    for quote_char in "\"'":
        attribute = f"<span title={quote_char}{escape_html('x' + quote_char + ' onclick=a()')}"
        assert attribute.count(quote_char) == 1


# --- spreadsheets -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell",
    ["=HYPERLINK(\"http://x\",\"klik\")", "+62 812", "-1+1", "@SUM(A1:A9)", "\t=1+1", "\r=1+1",
     "\0=1+1", "=", "-"],
)  # fmt: skip
def test_text_a_spreadsheet_would_run_gets_an_apostrophe(cell):
    assert spreadsheet_safe(cell) == "'" + cell


@pytest.mark.parametrize(
    "cell",
    ["Kota Semarang", "a=b", " =1", "'=1", "", "33.74", "1–4", "Level 1 (low)"],
)
def test_other_text_is_left_as_it_is(cell):
    assert spreadsheet_safe(cell) == cell


@pytest.mark.parametrize("value", [-5, -5.0, 0, 12.5, None, True])
def test_values_that_are_not_text_pass_through(value):
    assert spreadsheet_safe(value) is value


def test_a_missing_value_passes_through():
    assert math.isnan(spreadsheet_safe(float("nan")))


# --- long numbers -----------------------------------------------------------------------------

NIK = "3315061507850018"
FULL_WIDTH = "".join(chr(ord(c) + 0xFEE0) for c in NIK)


@pytest.mark.parametrize(
    "written",
    [
        FULL_WIDTH,  # digits of another script
        "٣٣١٥٠٦١٥٠٧٨٥٠٠١٨",  # Arabic-Indic digits
        "3\u202f315\u202f061\u202f507\u202f850\u202f018",  # grouped with narrow no-break spaces
        "3315\u20090615\u20090785\u20090018",  # thin spaces
        "3315\u30000615\u30000785\u30000018",  # ideographic spaces
        "3315\u20130615\u20130785\u20130018",  # en dashes
        "3315 \u2212 0615 \u2212 0785 \u2212 0018",  # minus signs
        "3315\uff0e0615\uff0e0785\uff0e0018",  # full-width full stops
        "3315\n0615\r\n0785\u20280018",  # a cell broken over lines (repr would hide the breaks)
    ],
)
def test_a_nik_written_with_other_digits_spaces_or_dashes_is_hidden(written):
    assert redact(f"NIK {written} tidak valid") == f"NIK {HIDDEN} tidak valid"


@pytest.mark.parametrize(
    "kept",
    ["1–4", "50,0–200,0", "2021-07-05 to 2021-07-09", "33.74.01.1001.003.002",
     "rows 12, 13, 14, 15", "rows 1001,\n1002,\n1003"],
)  # fmt: skip
def test_short_numbers_codes_and_lists_stay_readable(kept):
    assert redact(kept) == kept


def test_eleven_digits_stay_and_twelve_are_hidden():
    assert redact("08123456789") == "08123456789"  # a phone number's 11 digits
    assert redact("081234567890") == HIDDEN


def test_a_quoted_cell_is_redacted_then_cut():
    assert quote("Kota Semarang") == "'Kota Semarang'"
    assert quote("x" * 100) == repr("x" * 40)
    assert quote("abc", limit=2) == "'ab'"
    assert quote(f"{'y' * 30} {NIK}") == repr(f"{'y' * 30} {HIDDEN}"[:40])


def test_redact_all_reaches_every_string_inside():
    value = {
        f"kolom {NIK}": [NIK, (f"a {NIK}", 3), {"n": 3315061507850018}],
        "rows": 2,
        "ok": None,
    }
    assert redact_all(value) == {
        f"kolom {HIDDEN}": [HIDDEN, (f"a {HIDDEN}", 3), {"n": 3315061507850018}],
        "rows": 2,
        "ok": None,
    }
    assert isinstance(redact_all((NIK,)), tuple) and isinstance(redact_all([NIK]), list)
