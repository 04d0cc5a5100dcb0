"""Every interface string exists in Bahasa Indonesia and English, and every key used exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from zoning.core.i18n import LANGS, format_number, lang_or_default, strings, t

ROOT = Path(__file__).resolve().parents[2]
KEY_USE = re.compile(r"""\btn?\(\s*f?["']([a-z_]+\.[a-z0-9_]+)["']""")


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(strings()))
def test_both_languages_with_same_placeholders(key):
    texts = strings()[key]
    assert set(texts) == set(LANGS), key
    assert all(texts[lg].strip() for lg in LANGS), key
    assert _placeholders(texts["id"]) == _placeholders(texts["en"]), key


def test_every_key_used_in_the_code_exists():
    used = set()
    code = [ROOT / "dashboard.py", *ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py")]
    for path in [*code, *ROOT.glob("zoning/**/*.py")]:
        used |= set(KEY_USE.findall(path.read_text("utf-8")))
    assert used, "the scan found no t() calls: the pattern is wrong"
    missing = sorted(k for k in used if k not in strings())
    assert not missing


def test_lookup_formats_and_defaults():
    assert t("common.data_as_of", "en", as_of="2021-07-01") == "Data as of 2021-07-01"
    assert t("common.data_as_of", "xx", as_of="1") == t("common.data_as_of", "id", as_of="1")
    assert lang_or_default(None) == "id"


def test_number_format_per_language():
    assert format_number(1234567.5, "id", 1) == "1.234.567,5"
    assert format_number(1234567.5, "en", 1) == "1,234,567.5"
    assert format_number(float("nan"), "en") == "–"


def test_a_count_of_one_is_singular_in_english():
    from zoning.core.i18n import tn

    assert tn("briefing.regions_n", "en", 1, n="1") == "1 region"
    assert tn("briefing.regions_n", "en", 2, n="2") == "2 regions"
    assert tn("briefing.regions_n", "en", 0, n="0") == "0 regions"
    assert tn("briefing.regions_n", "id", 1, n="1") == "1 wilayah"
    assert tn("map.regions_in_zone", "en", 1, n="1", total="1", people="5") == (
        "1 of 1 region · 5 people"
    )
    assert tn("common.zone", "en", 1) == "Zone"  # a text without a singular twin


def test_every_singular_text_has_its_plural():
    for key in strings():
        if key.endswith("_one"):
            assert key.removesuffix("_one") in strings(), key
