"""Tests for zoning.model.regions: levels, names and the resolver that finds a region a cell
names (by code in any written form, or by name with or without its prefix)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from zoning.core.text import HIDDEN
from zoning.model.regions import (
    LEVEL_LABELS,
    LEVELS,
    LevelError,
    RegionResolver,
    check_level,
    child_level,
    level_depth,
    level_of_code,
    name_key,
    parent_level,
    region_view,
    search_regions,
    view_one_level_up,
)

REGIONS = pd.DataFrame(
    [
        ("33", "Jawa Tengah", "province"),
        ("33.22", "Kabupaten Semarang", "regency"),
        ("33.74", "Kota Semarang", "regency"),
        ("33.29", "Kabupaten Brebes", "regency"),
        ("33.28", "Kabupaten Tegal", "regency"),
        ("33.76", "Kota Tegal", "regency"),
        ("33.74.01", "Tugu", "district"),
        ("33.74.01.1001", "Kelurahan Tugu", "village"),
        ("33.22.01.2001", "Desa Sukamaju", "village"),
        ("33.29.01.2001", "Desa Sukamaju", "village"),
        ("33.29.01.2002", "Desa Kaliwungu", "village"),
    ],
    columns=["code", "name", "level"],
)


@pytest.fixture
def resolver() -> RegionResolver:
    return RegionResolver(REGIONS)


# --- levels ---------------------------------------------------------------------------------


def test_levels_from_the_top_with_labels_in_both_languages():
    assert LEVELS == ("province", "regency", "district", "village", "rw", "rt")
    for lang in ("id", "en"):
        assert set(LEVEL_LABELS[lang]) == set(LEVELS)
    assert [level_depth(lv) for lv in LEVELS] == [1, 2, 3, 4, 5, 6]
    assert [child_level(lv) for lv in LEVELS] == [*LEVELS[1:], None]
    assert [parent_level(lv) for lv in LEVELS] == [None, *LEVELS[:-1]]


@pytest.mark.parametrize(
    ("code", "level"),
    [("33", "province"), ("33.74", "regency"), ("33.74.01", "district"),
     ("33.74.01.1001", "village"), ("33.74.01.1001.003", "rw"), ("33.74.01.1001.003.002", "rt")],
)  # fmt: skip
def test_the_level_of_a_code_is_its_number_of_parts(code, level):
    assert level_of_code(code) == level


@pytest.mark.parametrize("bad", ["desa", "kabupaten", "", "Village"])
def test_an_unknown_level_names_the_choices(bad):
    with pytest.raises(LevelError, match="choose one of: province, regency"):
        check_level(bad)
    with pytest.raises(ValueError):
        child_level(bad)


@pytest.mark.parametrize(
    ("level", "within", "up"),
    [
        ("village", "33.74.01", ("district", "33.74", "33.74.01")),  # the parent's siblings
        ("district", "33.74", ("regency", "33", "33.74")),
        ("regency", "33", ("province", None, "33")),
        ("village", "33.74", ("district", "33.74", None)),  # within a grandparent: stay in it
        ("rt", "33.74.01.1003.001", ("rw", "33.74.01.1003", "33.74.01.1003.001")),
        ("village", None, ("district", None, None)),
        ("province", None, ("province", None, None)),
    ],
)
def test_the_map_view_one_level_up(level, within, up):
    assert view_one_level_up(level, within) == up


# --- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("Kabupaten Semarang", "kabupaten semarang"),
        ("KAB. SEMARANG", "kabupaten semarang"),
        ("Kab Semarang", "kabupaten semarang"),
        ("Kab.Semarang", "kabupaten semarang"),  # the prefix written onto the name
        ("  kab.  semarang ", "kabupaten semarang"),
        ("Kota Semarang", "kota semarang"),
        ("KOTA  SEMARANG.", "kota semarang"),
        ("Kota-Semarang", "kota semarang"),
        ("Kec. Ungaran Barat", "kecamatan ungaran barat"),
        ("Kel.Tugu", "kelurahan tugu"),
        ("Ds. Sukamaju", "desa sukamaju"),
        ("Tj. Priok", "tj priok"),  # a dot inside a name is no prefix
        ("Semarang", "semarang"),
    ],
)
def test_name_key_ignores_case_spacing_punctuation_and_spells_prefixes_out(written, key):
    assert name_key(written) == key


def test_a_prefix_is_only_a_prefix_at_the_start():
    assert name_key("Semarang Kota") == "semarang kota"
    assert name_key("Kabupaten Kota Baru") != name_key("Kota Baru")


# --- the resolver: codes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    ["33.74", "3374", " 33.74 ", "33 74", "33-74", "3374.0", 3374, 3374.0, np.int64(3374),
     np.float64(3374.0)],
)  # fmt: skip
def test_a_code_in_any_written_form_finds_the_region(resolver, written):
    assert resolver.resolve(written) == ("33.74", None)


def test_a_village_code_as_a_spreadsheet_number(resolver):
    assert resolver.resolve(3374011001.0) == ("33.74.01.1001", None)
    assert resolver.resolve("3374011001") == ("33.74.01.1001", None)


def test_an_unknown_code_says_to_import_the_region_first(resolver):
    code, problem = resolver.resolve("3399")
    assert code is None
    assert problem == "unknown region code '3399'; import the region first (regions import)"


def test_codes_are_found_at_any_level_names_only_at_the_resolver_s_level():
    villages = RegionResolver(REGIONS, level="village")
    assert villages.resolve("33.22") == ("33.22", None)  # a regency's code: the caller decides
    assert villages.resolve("Tugu") == ("33.74.01.1001", None)  # Kelurahan Tugu, not Kec. Tugu
    code, problem = villages.resolve("Kabupaten Semarang")
    assert code is None and problem.startswith("unknown region 'Kabupaten Semarang'")


# --- the resolver: names ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("Kabupaten Semarang", "33.22"),
        ("Kab. Semarang", "33.22"),
        ("kab semarang", "33.22"),
        ("Kab.Semarang", "33.22"),
        ("KABUPATEN  SEMARANG", "33.22"),
        ("Kota Semarang", "33.74"),
        ("kota. semarang", "33.74"),
        ("Brebes", "33.29"),  # without its prefix: only one region is called that
        ("Kab. Brebes", "33.29"),
        ("Kaliwungu", "33.29.01.2002"),
        ("Ds. Kaliwungu", "33.29.01.2002"),
    ],
)
def test_a_name_with_or_without_its_prefix_finds_the_region(resolver, written, code):
    assert resolver.resolve(written) == (code, None)


def test_a_whole_name_wins_over_a_name_without_prefix(resolver):
    """'Tugu' is the district's whole name, and Kelurahan Tugu without its prefix."""
    assert resolver.resolve("Tugu") == ("33.74.01", None)
    assert resolver.resolve("Kel. Tugu") == ("33.74.01.1001", None)


@pytest.mark.parametrize(
    ("written", "codes"),
    [
        ("Semarang", "33.22, 33.74"),  # a kabupaten and a kota
        ("Tegal", "33.28, 33.76"),
        ("Sukamaju", "33.22.01.2001, 33.29.01.2001"),  # villages of the same name
        ("Desa Sukamaju", "33.22.01.2001, 33.29.01.2001"),
    ],
)
def test_an_ambiguous_name_lists_the_codes_and_asks_for_one(resolver, written, codes):
    code, problem = resolver.resolve(written)
    assert code is None
    assert problem == f"the name '{written}' fits several regions ({codes}); use the code"


def test_an_unknown_name_suggests_regions_whose_name_contains_it(resolver):
    assert resolver.resolve("Semar") == (
        None,
        "unknown region 'Semar'; did you mean Kabupaten Semarang (33.22), Kota Semarang (33.74)?",
    )
    assert resolver.resolve("Wonosobo") == (None, "unknown region 'Wonosobo'")


@pytest.mark.parametrize("placeholder", ["-", "...", "?", "/"])
def test_a_placeholder_suggests_nothing(resolver, placeholder):
    """A cell with no letters or digits fits every name: no region is suggested for it."""
    code, problem = resolver.resolve(placeholder)
    assert code is None and problem == f"unknown region {placeholder!r}"


@pytest.mark.parametrize("empty", [None, "", "   ", float("nan"), np.nan, "nan", "NaN"])
def test_an_empty_cell_is_said_to_be_empty(resolver, empty):
    assert resolver.resolve(empty) == (None, "the region is empty")


def test_a_long_cell_is_cut_and_a_nik_in_it_hidden(resolver):
    cell = "Kelurahan " + "Sukamaju " * 20 + "3315061507850018"
    code, problem = resolver.resolve(cell)
    assert code is None
    assert len(problem) < 80 and "Kelurahan Sukamaju" in problem
    nik = RegionResolver(REGIONS).resolve("NIK 3315061507850018")[1]
    assert HIDDEN in nik and "3315061507850018" not in nik


def test_regions_with_the_same_name_at_other_levels_do_not_count_for_a_level():
    villages = RegionResolver(REGIONS, level="village")
    regencies = RegionResolver(REGIONS, level="regency")
    assert villages.resolve("Tegal") == (None, "unknown region 'Tegal'")
    assert regencies.resolve("Sukamaju")[1].startswith("unknown region")


# --- names as people write them (issue 14) -----------------------------------------------------


@pytest.mark.parametrize(
    "written",
    ["Kab Semarang", "SEMARANG (KAB)", "Semarang (Kab.)", "Kabupaten Semarang", "Semarang, Kab.",
     "KAB. SEMARANG", "semarang ( kabupaten )"],
)  # fmt: skip
def test_the_ways_a_regency_is_written_are_the_same_regency(resolver, written):
    assert resolver.resolve(written) == ("33.22", None)


@pytest.mark.parametrize("written", ["SEMARANG (KOTA)", "Semarang, Kota", "Kota Semarang"])
def test_the_city_is_not_the_regency(resolver, written):
    assert resolver.resolve(written) == ("33.74", None)


@pytest.mark.parametrize(
    ("written", "hint"),
    [
        ("Kab. Semarng", "Kabupaten Semarang (33.22)"),
        ("Kota Semaranng", "Kota Semarang (33.74)"),
        ("Desa Kaliwngu", "Desa Kaliwungu (33.29.01.2002)"),
        ("Brebess", "Kabupaten Brebes (33.29)"),
    ],
)
def test_a_near_miss_gets_a_suggestion_never_a_match(resolver, written, hint):
    code, problem = resolver.resolve(written)
    assert code is None
    assert problem.startswith(f"unknown region {written!r}; did you mean ")
    assert hint in problem


def test_a_village_name_is_looked_for_within_its_district_or_regency(resolver):
    villages = RegionResolver(REGIONS, level="village")
    assert villages.resolve("Sukamaju")[0] is None  # two of them in the province
    assert villages.resolve("Sukamaju", within="33.29") == ("33.29.01.2001", None)
    assert villages.resolve("Desa Sukamaju", within="33.22") == ("33.22.01.2001", None)
    code, problem = villages.resolve("Kaliwungu", within="33.22")
    assert code is None and problem.startswith(
        "unknown region 'Kaliwungu' in Kabupaten Semarang (33.22)"
    )
    # a code outside the region it should lie in is wrong
    assert villages.resolve("33.29.01.2002", within="33.22") == (
        None, "the region 33.29.01.2002 is not in 33.22",
    )  # fmt: skip


# --- regions known before any file ----------------------------------------------------------


def test_the_38_provinces_are_built_in_with_their_kemendagri_codes():
    from zoning.model.regions import builtin_provinces

    provinces = builtin_provinces()
    assert len(provinces) == 38 and provinces["code"].is_unique
    assert (provinces["level"] == "province").all() and provinces["parent"].isna().all()
    named = dict(zip(provinces["code"], provinces["name"], strict=True))
    assert (named["33"], named["31"], named["96"]) == ("Jawa Tengah", "DKI Jakarta",
                                                       "Papua Barat Daya")  # fmt: skip
    assert all(len(c) == 2 and c.isdigit() for c in named)


def test_missing_ancestors_are_a_built_in_province_and_placeholders():
    from zoning.model.regions import is_placeholder, missing_ancestors

    made, unknown = missing_ancestors(["33.22.01.2001", "33.22.02", "99.01"], known=["33.22"])
    assert made.values.tolist()[0][:3] == ["33", "Jawa Tengah", "province"]
    assert pd.isna(made["parent"].iloc[0])
    assert made["code"].tolist() == ["33", "33.22.01"]  # 33.22 is known
    assert made["parent"].tolist()[1] == "33.22"
    assert is_placeholder("33.22.01", made["name"].iloc[1])
    assert not is_placeholder("33", "Jawa Tengah")
    assert unknown == ["99"]


def test_an_rt_named_by_its_numbers_makes_its_rw_too():
    from zoning.model.regions import local_regions

    made = local_regions(["33.22.01.2001.003.002", "33.22.01.2001.003.005", "33.22.01.2001"],
                         known=["33.22.01.2001.003.005"])  # fmt: skip
    assert made[["code", "name", "level", "parent"]].values.tolist() == [
        ["33.22.01.2001.003", "RW 003", "rw", "33.22.01.2001"],
        ["33.22.01.2001.003.002", "RT 002/RW 003", "rt", "33.22.01.2001.003"],
    ]


# --- finding a place (issue 15 item 4) --------------------------------------------------------

PLACES = pd.DataFrame(
    [
        ("33", "Jawa Tengah", "province"),
        ("33.22", "Kabupaten Semarang", "regency"),
        ("33.74", "Kota Semarang", "regency"),
        ("33.05", "Kabupaten Kebumen", "regency"),
        ("33.74.01", "Semarang Tengah", "district"),
        ("33.74.13", "Semarang Barat", "district"),
        ("33.05.07", "Ambal", "district"),
        ("33.22.03", "Tengaran", "district"),
        ("33.74.01.1001", "Miroto", "village"),
        ("33.74.01.1002", "Brumbungan", "village"),
        ("33.05.07.2024", "Sidorejo", "village"),
        ("33.22.03.2004", "Sidorejo", "village"),
        ("33.22.03.2005", "Sidorejo Lor", "village"),
        ("33.22.03.2006", "Kalisidorejo", "village"),
        ("33.74.01.1001.001", "RW 001", "rw"),
        ("33.74.01.1001.001.002", "RT 002/RW 001", "rt"),
    ],
    columns=["code", "name", "level"],
)
PLACES["parent"] = [None if "." not in c else c.rsplit(".", 1)[0] for c in PLACES["code"]]


@pytest.mark.parametrize("typed", ["Miroto", "miroto", " MIROTO ", "Kel. Miroto", "33.74.01.1001",
                                   "3374011001", "33.74.1.1001"])  # fmt: skip
def test_a_village_is_found_by_name_or_by_code_in_any_form(typed):
    found = search_regions(PLACES, typed)
    assert found["code"].iloc[0] == "33.74.01.1001"
    assert found["parents"].iloc[0] == ["Semarang Tengah", "Kota Semarang"]


def test_a_district_code_finds_the_district_not_its_villages():
    found = search_regions(PLACES, "33.74.01")
    assert found["code"].tolist() == ["33.74.01"]
    assert found["match"].tolist() == ["code"]
    assert found.attrs["total"] == 1


def test_an_ambiguous_name_shows_each_with_its_parents_whole_names_first():
    found = search_regions(PLACES, "Sidorejo")
    assert found["code"].tolist()[:2] == ["33.05.07.2024", "33.22.03.2004"]
    assert found["parents"].tolist()[:2] == [
        ["Ambal", "Kabupaten Kebumen"],
        ["Tengaran", "Kabupaten Semarang"],
    ]
    # then a name that starts with it, then one that holds it
    assert found["code"].tolist()[2:] == ["33.22.03.2005", "33.22.03.2006"]
    assert found["match"].tolist() == ["name", "name", "start", "part"]


def test_higher_levels_first_among_equal_matches_and_prefixes_count_as_the_name():
    found = search_regions(PLACES, "semarang")
    # Kabupaten and Kota Semarang are both "Semarang" without their prefix
    assert found["code"].tolist()[:2] == ["33.22", "33.74"]
    assert set(found["code"].tolist()[2:]) == {"33.74.01", "33.74.13"}
    # the prefix as typed comes first
    assert search_regions(PLACES, "kab semarang")["code"].tolist()[:2] == ["33.22", "33.74"]
    assert search_regions(PLACES, "kota semarang")["code"].tolist()[:2] == ["33.74", "33.22"]


def test_a_limit_keeps_the_best_and_says_how_many_matched():
    found = search_regions(PLACES, "sidorejo", limit=2)
    assert len(found) == 2 and found.attrs["total"] == 4


@pytest.mark.parametrize("typed", ["", "   ", None, "Atlantis", "99.99", "--"])
def test_nothing_found_is_an_empty_table(typed):
    found = search_regions(PLACES, typed)
    assert found.empty and found.attrs["total"] == 0
    assert list(found.columns) == ["code", "name", "level", "match", "parents"]


def test_rt_and_rw_are_found_with_their_village():
    found = search_regions(PLACES, "RT 002")
    assert found["code"].tolist() == ["33.74.01.1001.001.002"]
    assert found["parents"].iloc[0] == ["RW 001", "Miroto", "Semarang Tengah", "Kota Semarang"]


@pytest.mark.parametrize(
    ("code", "view"),
    [
        ("33", {"level": "province", "region": "33"}),
        ("33.74", {"level": "regency", "region": "33.74"}),
        ("33.74.01", {"level": "district", "region": "33.74.01", "within": "33.74"}),
        ("33.74.01.1001", {"level": "village", "region": "33.74.01.1001", "within": "33.74.01"}),
        ("33.74.01.1001.001", {"level": "rw", "region": "33.74.01.1001.001",
                               "within": "33.74.01.1001"}),
        ("33.74.01.1001.001.002", {"level": "rt", "region": "33.74.01.1001.001.002",
                                   "within": "33.74.01.1001"}),
    ],
)  # fmt: skip
def test_a_found_region_is_shown_among_its_neighbours_selected(code, view):
    assert region_view(code) == view
