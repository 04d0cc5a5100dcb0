"""Tests for zoning.model.schemes: the built-in schemes against the published figures.

The expected cut-offs below are written out by hand from the published sources (PPKM Mikro
Inmendagri 3/2021 and the 6 April 2021 criteria, WHO community transmission levels of June
2021, CDC community transmission 2021, CDC COVID-19 Community Levels 2022 and Harvard GHI
2020); they are deliberately NOT read from the TOML files, so a wrong threshold in a scheme
file makes a test fail. Every cut-off is tested just below, at and just above.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
import math
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest
from conftest import fuzz
from hypothesis import example, given
from hypothesis import strategies as st

from zoning.model import schemes
from zoning.model.schemes import (
    NO_ZONE,
    SchemeError,
    builtin_schemes,
    get_scheme,
    load_scheme,
    loads_scheme,
)

NAN = math.nan
EPS = 0.01

BUILTIN_IDS = (
    "ppkm-mikro-2021-02",
    "ppkm-mikro-2021-04",
    "who-ct-2021",
    "cdc-transmission-2021",
    "cdc-community-levels-2022",
    "harvard-ghi-2020",
)

ZONE_IDS = {
    "ppkm-mikro-2021-02": ("green", "yellow", "orange", "red"),
    "ppkm-mikro-2021-04": ("green", "yellow", "orange", "red"),
    "who-ct-2021": ("level-1", "level-2", "level-3", "level-4"),
    "cdc-transmission-2021": ("low", "moderate", "substantial", "high"),
    "cdc-community-levels-2022": ("low", "medium", "high"),
    "harvard-ghi-2020": ("green", "yellow", "orange", "red"),
}

# (scheme, metric) -> [(cut-off, zone below it, zone from it on)], for ">=" indicators.
# "fill" gives the values of the scheme's other metrics while one metric is varied: a
# required metric at its lowest zone, the other optional ones missing.
CUTS = {
    ("who-ct-2021", "cases_7d_per_100k"): [
        (20, "level-1", "level-2"),
        (50, "level-2", "level-3"),
        (150, "level-3", "level-4"),
    ],
    ("who-ct-2021", "admissions_7d_per_100k"): [
        (5, "level-1", "level-2"),
        (10, "level-2", "level-3"),
        (30, "level-3", "level-4"),
    ],
    ("who-ct-2021", "deaths_7d_per_100k"): [
        (1, "level-1", "level-2"),
        (2, "level-2", "level-3"),
        (5, "level-3", "level-4"),
    ],
    ("cdc-transmission-2021", "cases_7d_per_100k"): [
        (10, "low", "moderate"),
        (50, "moderate", "substantial"),
        (100, "substantial", "high"),
    ],
    ("cdc-transmission-2021", "positivity_7d_pct"): [
        (5, "low", "moderate"),
        (8, "moderate", "substantial"),
        (10, "substantial", "high"),
    ],
    ("harvard-ghi-2020", "cases_daily_per_100k_avg7"): [
        (1, "green", "yellow"),
        (10, "yellow", "orange"),
        (25, "orange", "red"),
    ],
}
FILL = {
    "who-ct-2021": {"cases_7d_per_100k": 0.0},
    "cdc-transmission-2021": {"cases_7d_per_100k": 0.0},
    "harvard-ghi-2020": {},
}


def zone_of(scheme_id: str, **values: float) -> str | None:
    """Classify one row under a built-in scheme and return its zone id."""
    scheme = get_scheme(scheme_id)
    arrays = {m: np.array([float(v)]) for m, v in values.items()}
    code = scheme.classify(arrays)
    assert code.shape == (1,)
    return scheme.zone_id_array(code)[0]


def _edge_cases():
    for (sid, metric), cuts in CUTS.items():
        for cut, below, at in cuts:
            for value, zone in ((cut - EPS, below), (cut, at), (cut + EPS, at)):
                yield pytest.param(sid, metric, value, zone, id=f"{sid}-{metric}-{value:g}")


@pytest.mark.parametrize(("sid", "metric", "value", "expected"), list(_edge_cases()))
def test_threshold_edges(sid, metric, value, expected):
    values = {**FILL[sid], metric: value}
    assert zone_of(sid, **values) == expected


@pytest.mark.parametrize(
    ("sid", "metric", "expected"),
    [
        ("who-ct-2021", "cases_7d_per_100k", "level-1"),
        ("who-ct-2021", "admissions_7d_per_100k", "level-1"),
        ("who-ct-2021", "deaths_7d_per_100k", "level-1"),
        ("cdc-transmission-2021", "cases_7d_per_100k", "low"),
        ("cdc-transmission-2021", "positivity_7d_pct", "low"),
        ("harvard-ghi-2020", "cases_daily_per_100k_avg7", "green"),
    ],
)
def test_zero_is_the_lowest_zone(sid, metric, expected):
    assert zone_of(sid, **{**FILL[sid], metric: 0.0}) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (19.99, "level-1"),
        (20, "level-2"),
        (20.01, "level-2"),
        (149.99, "level-3"),
        (150, "level-4"),
    ],
)
def test_who_cases_written_out(value, expected):
    assert zone_of("who-ct-2021", cases_7d_per_100k=value) == expected


# --- PPKM Mikro: houses with a confirmed case in the last 7 days ---------------------------

PPKM = {
    # houses: 0 green; Feb 2021: 1-5 yellow, 6-10 orange, >10 red; Apr 2021: 1-2, 3-5, >5.
    "ppkm-mikro-2021-02": {
        0: "green",
        1: "yellow",
        2: "yellow",
        3: "yellow",
        5: "yellow",
        6: "orange",
        10: "orange",
        11: "red",
    },
    "ppkm-mikro-2021-04": {
        0: "green",
        1: "yellow",
        2: "yellow",
        3: "orange",
        5: "orange",
        6: "red",
        10: "red",
        11: "red",
    },
}


@pytest.mark.parametrize(
    ("sid", "houses", "expected"),
    [(sid, h, z) for sid, table in PPKM.items() for h, z in table.items()],
)
def test_ppkm_houses(sid, houses, expected):
    assert zone_of(sid, houses_7d=houses) == expected


@pytest.mark.parametrize("sid", list(PPKM))
def test_ppkm_houses_as_one_array(sid):
    scheme = get_scheme(sid)
    houses = np.array(list(PPKM[sid]), dtype=float)
    got = scheme.zone_id_array(scheme.classify({"houses_7d": houses}))
    assert list(got) == list(PPKM[sid].values())


@pytest.mark.parametrize("sid", list(PPKM))
def test_ppkm_large_counts_stay_red(sid):
    assert zone_of(sid, houses_7d=500) == "red"


# --- highest of the indicators ---------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"cases_7d_per_100k": 10, "deaths_7d_per_100k": 5}, "level-4"),
        ({"cases_7d_per_100k": 10, "admissions_7d_per_100k": 30}, "level-4"),
        (
            {"cases_7d_per_100k": 160, "admissions_7d_per_100k": 0, "deaths_7d_per_100k": 0},
            "level-4",
        ),
        (
            {"cases_7d_per_100k": 25, "admissions_7d_per_100k": 12, "deaths_7d_per_100k": 0.5},
            "level-3",
        ),
        (
            {"cases_7d_per_100k": 19.99, "admissions_7d_per_100k": 4.99, "deaths_7d_per_100k": 1},
            "level-2",
        ),
        (
            {"cases_7d_per_100k": 0, "admissions_7d_per_100k": 0, "deaths_7d_per_100k": 0},
            "level-1",
        ),
    ],
)
def test_who_highest_of_indicators(values, expected):
    assert zone_of("who-ct-2021", **values) == expected


@pytest.mark.parametrize(
    ("cases", "positivity", "expected"),
    [
        (5, 10, "high"),
        (120, 1, "high"),
        (60, 6, "substantial"),
        (12, 9.99, "substantial"),
        (9.99, 4.99, "low"),
        (10, 4.99, "moderate"),
    ],
)
def test_cdc_transmission_higher_of_two(cases, positivity, expected):
    got = zone_of("cdc-transmission-2021", cases_7d_per_100k=cases, positivity_7d_pct=positivity)
    assert got == expected


# --- CDC COVID-19 Community Levels: the two-row table -----------------------------------

# (cases per 100k, admissions per 100k, inpatient %, level); NaN = not reported.
CDC_CL_TABLE = [
    # cases < 200: admissions < 10 low, 10-19.9 medium, >= 20 high
    (199.99, 0, NAN, "low"),
    (199.99, 9.99, NAN, "low"),
    (199.99, 10, NAN, "medium"),
    (199.99, 19.99, NAN, "medium"),
    (199.99, 20, NAN, "high"),
    # cases < 200: inpatient < 10 low, 10-14.9 medium, >= 15 high
    (199.99, NAN, 9.99, "low"),
    (199.99, NAN, 10, "medium"),
    (199.99, NAN, 14.99, "medium"),
    (199.99, NAN, 15, "high"),
    # cases >= 200: admissions < 10 medium, >= 10 high
    (200, 0, NAN, "medium"),
    (200, 9.99, NAN, "medium"),
    (200, 10, NAN, "high"),
    (200, 19.99, NAN, "high"),
    (200, 20, NAN, "high"),
    # cases >= 200: inpatient < 10 medium, >= 10 high
    (200, NAN, 0, "medium"),
    (200, NAN, 9.99, "medium"),
    (200, NAN, 10, "high"),
    (200, NAN, 14.99, "high"),
    (200, NAN, 15, "high"),
    # the higher of the two indicators of the applicable row
    (199.99, 9.99, 9.99, "low"),
    (199.99, 9.99, 10, "medium"),
    (199.99, 10, 9.99, "medium"),
    (199.99, 9.99, 15, "high"),
    (199.99, 20, 0, "high"),
    (199.99, 19.99, 14.99, "medium"),
    (200, 9.99, 9.99, "medium"),
    (200, 9.99, 10, "high"),
    (200, 10, 9.99, "high"),
    (0, 0, 0, "low"),
    (1000, 0, 0, "medium"),
    (200.01, 0, 0, "medium"),
]


@pytest.mark.parametrize(("cases", "admissions", "inpatient", "expected"), CDC_CL_TABLE)
def test_cdc_community_levels_table(cases, admissions, inpatient, expected):
    got = zone_of(
        "cdc-community-levels-2022",
        cases_7d_per_100k=cases,
        admissions_7d_per_100k=admissions,
        inpatient_covid_pct=inpatient,
    )
    assert got == expected


def _cdc_cl_reference(cases: float, adm: float, inp: float) -> str | None:
    """The published table, written independently of the scheme file."""
    if math.isnan(cases):
        return None
    levels = []
    if cases < 200:
        if not math.isnan(adm):
            levels.append(0 if adm < 10 else 1 if adm < 20 else 2)
        if not math.isnan(inp):
            levels.append(0 if inp < 10 else 1 if inp < 15 else 2)
    else:
        if not math.isnan(adm):
            levels.append(1 if adm < 10 else 2)
        if not math.isnan(inp):
            levels.append(1 if inp < 10 else 2)
    return ("low", "medium", "high")[max(levels)] if levels else None


def test_cdc_community_levels_full_grid():
    grid = [
        (c, a, i)
        for c in (0, 199.99, 200, 200.01, 350, NAN)
        for a in (NAN, 0, 9.99, 10, 10.01, 19.99, 20, 20.01)
        for i in (NAN, 0, 9.99, 10, 10.01, 14.99, 15, 15.01)
    ]
    cases, adm, inp = (np.array(col, dtype=float) for col in zip(*grid, strict=True))
    scheme = get_scheme("cdc-community-levels-2022")
    got = scheme.zone_id_array(
        scheme.classify(
            {
                "cases_7d_per_100k": cases,
                "admissions_7d_per_100k": adm,
                "inpatient_covid_pct": inp,
            }
        )
    )
    expected = [_cdc_cl_reference(*row) for row in grid]
    mismatches = [(row, g, e) for row, g, e in zip(grid, got, expected, strict=True) if g != e]
    assert mismatches == []


# --- missing metrics ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sid", "values", "expected"),
    [
        # a required metric missing: no zone, whatever the others say
        ("who-ct-2021", {"cases_7d_per_100k": NAN, "deaths_7d_per_100k": 10}, None),
        ("who-ct-2021", {"cases_7d_per_100k": NAN, "admissions_7d_per_100k": 50}, None),
        ("cdc-transmission-2021", {"cases_7d_per_100k": NAN, "positivity_7d_pct": 20}, None),
        ("harvard-ghi-2020", {"cases_daily_per_100k_avg7": NAN}, None),
        ("ppkm-mikro-2021-02", {"houses_7d": NAN}, None),
        ("ppkm-mikro-2021-04", {"houses_7d": NAN}, None),
        (
            "cdc-community-levels-2022",
            {"cases_7d_per_100k": NAN, "admissions_7d_per_100k": 25, "inpatient_covid_pct": 20},
            None,
        ),
        # an optional metric missing: classified from the others
        (
            "who-ct-2021",
            {"cases_7d_per_100k": 25, "admissions_7d_per_100k": NAN, "deaths_7d_per_100k": NAN},
            "level-2",
        ),
        (
            "who-ct-2021",
            {"cases_7d_per_100k": 25, "admissions_7d_per_100k": NAN, "deaths_7d_per_100k": 3},
            "level-3",
        ),
        ("cdc-transmission-2021", {"cases_7d_per_100k": 20, "positivity_7d_pct": NAN}, "moderate"),
        (
            "cdc-community-levels-2022",
            {"cases_7d_per_100k": 100, "admissions_7d_per_100k": NAN, "inpatient_covid_pct": 12},
            "medium",
        ),
        (
            "cdc-community-levels-2022",
            {"cases_7d_per_100k": 300, "admissions_7d_per_100k": NAN, "inpatient_covid_pct": 5},
            "medium",
        ),
        (
            "cdc-community-levels-2022",
            {"cases_7d_per_100k": 100, "admissions_7d_per_100k": 5, "inpatient_covid_pct": NAN},
            "low",
        ),
        # CDC Community Levels: no hospital indicator at all -> no level
        (
            "cdc-community-levels-2022",
            {"cases_7d_per_100k": 100, "admissions_7d_per_100k": NAN, "inpatient_covid_pct": NAN},
            None,
        ),
    ],
)
def test_missing_metrics(sid, values, expected):
    assert zone_of(sid, **values) == expected


def test_metric_absent_from_mapping_counts_as_missing():
    scheme = get_scheme("who-ct-2021")
    codes = scheme.classify({"cases_7d_per_100k": np.array([25.0, NAN])})
    assert codes.tolist() == [1, NO_ZONE]
    assert codes.dtype == np.int8
    assert scheme.classify({"deaths_7d_per_100k": np.array([10.0])}).tolist() == [NO_ZONE]


def test_zone_id_array_maps_no_zone_to_none():
    scheme = get_scheme("harvard-ghi-2020")
    got = scheme.zone_id_array(np.array([0, 3, NO_ZONE, 1], dtype=np.int8))
    assert list(got) == ["green", "red", None, "yellow"]


# --- the scheme files: ids, zones, texts -------------------------------------------------


def test_builtin_ids():
    assert sorted(builtin_schemes()) == sorted(BUILTIN_IDS)


@pytest.mark.parametrize("sid", BUILTIN_IDS)
def test_zone_ids_and_order(sid):
    scheme = get_scheme(sid)
    assert scheme.zone_ids == ZONE_IDS[sid]
    assert [scheme.zone_index(z) for z in ZONE_IDS[sid]] == list(range(len(ZONE_IDS[sid])))
    assert scheme.custom is False


@pytest.mark.parametrize("sid", BUILTIN_IDS)
def test_source_dates_labels_measures(sid):
    scheme = get_scheme(sid)
    assert scheme.id == sid
    assert scheme.source["title"].strip()
    assert isinstance(scheme.effective_from, dt.date)
    for lang in ("id", "en"):
        assert scheme.name[lang].strip()
    for zone in scheme.zones:
        assert set(zone.label) == {"id", "en"}
        assert zone.label["id"].strip() and zone.label["en"].strip()
        assert set(zone.measures) == {"id", "en"}
        assert isinstance(zone.measures["id"], tuple)
        assert isinstance(zone.measures["en"], tuple)
        assert len(zone.measures["id"]) == len(zone.measures["en"])
        assert all(isinstance(m, str) and m.strip() for m in zone.measures["en"])
        assert zone.colour.startswith("#") and len(zone.colour) == 7


@pytest.mark.parametrize(
    ("sid", "start", "until"),
    [
        ("ppkm-mikro-2021-02", dt.date(2021, 2, 9), dt.date(2021, 4, 5)),
        ("ppkm-mikro-2021-04", dt.date(2021, 4, 6), None),
        ("cdc-community-levels-2022", dt.date(2022, 2, 25), None),
    ],
)
def test_published_effective_dates(sid, start, until):
    scheme = get_scheme(sid)
    assert scheme.effective_from == start
    assert scheme.effective_until == until


def test_who_effective_from_june_2021():
    start = get_scheme("who-ct-2021").effective_from
    assert (start.year, start.month) == (2021, 6)


@pytest.mark.parametrize(
    "sid", ["ppkm-mikro-2021-02", "ppkm-mikro-2021-04", "cdc-community-levels-2022"]
)
def test_schemes_with_published_measures_have_them_for_every_zone(sid):
    for zone in get_scheme(sid).zones:
        assert len(zone.measures["id"]) >= 1, zone.id
        assert len(zone.measures["en"]) >= 1, zone.id


def test_ppkm_measures_build_up():
    scheme = get_scheme("ppkm-mikro-2021-04")
    yellow, orange, red = (set(scheme.zones[i].measures["en"]) for i in (1, 2, 3))
    assert yellow < orange  # orange: as yellow, plus closing public places
    closing = orange - yellow
    assert len(closing) == 1 and closing <= red
    assert any("3 people" in m for m in red)
    assert any("20:00" in m for m in red)


def test_ppkm_versions_differ_only_in_thresholds():
    feb, apr = get_scheme("ppkm-mikro-2021-02"), get_scheme("ppkm-mikro-2021-04")
    assert [z.measures for z in feb.zones] == [z.measures for z in apr.zones]
    assert feb.levels == apr.levels == ("rt",)
    assert feb.metrics == apr.metrics == ("houses_7d",)


def test_get_scheme_unknown_lists_the_ids():
    with pytest.raises(SchemeError) as info:
        get_scheme("no-such-scheme")
    message = str(info.value)
    assert "no-such-scheme" in message
    for sid in BUILTIN_IDS:
        assert sid in message


# --- bands ---------------------------------------------------------------------------------

INF = math.inf


@pytest.mark.parametrize(
    ("sid", "metric", "expected"),
    [
        (
            "who-ct-2021",
            "cases_7d_per_100k",
            [
                ("level-1", -INF, 20),
                ("level-2", 20, 50),
                ("level-3", 50, 150),
                ("level-4", 150, INF),
            ],
        ),
        (
            "who-ct-2021",
            "deaths_7d_per_100k",
            [("level-1", -INF, 1), ("level-2", 1, 2), ("level-3", 2, 5), ("level-4", 5, INF)],
        ),
        (
            "harvard-ghi-2020",
            "cases_daily_per_100k_avg7",
            [("green", -INF, 1), ("yellow", 1, 10), ("orange", 10, 25), ("red", 25, INF)],
        ),
        (
            "ppkm-mikro-2021-04",
            "houses_7d",
            [("green", -INF, 0), ("yellow", 0, 2), ("orange", 2, 5), ("red", 5, INF)],
        ),
        (
            "ppkm-mikro-2021-02",
            "houses_7d",
            [("green", -INF, 0), ("yellow", 0, 5), ("orange", 5, 10), ("red", 10, INF)],
        ),
        # every CDC Community Levels rule depends on cases: no unconditional bands
        ("cdc-community-levels-2022", "admissions_7d_per_100k", []),
        ("cdc-community-levels-2022", "inpatient_covid_pct", []),
        ("who-ct-2021", "positivity_7d_pct", []),
    ],
)
def test_bands(sid, metric, expected):
    assert get_scheme(sid).bands(metric) == expected


# --- scheme files: a valid custom scheme and every class of error -----------------------

VALID = """
id = "test-three-zones"
name = { id = "Uji tiga zona", en = "Three-zone test" }
levels = ["village", "rt"]
metrics = ["cases_7d_per_100k", "positivity_7d_pct"]
requires = ["cases_7d_per_100k"]
effective_from = 2021-05-01

[source]
title = "A test scheme"

[[zones]]
id = "green"
colour = "#00AA00"
label = { id = "Hijau", en = "Green" }
measures = { id = ["Pantau"], en = ["Monitor"] }

[[zones]]
id = "yellow"
colour = "#ffd92f"
label = { id = "Kuning", en = "Yellow" }

[[zones]]
id = "red"
colour = "#b2182b"
label = { id = "Merah", en = "Red" }

[[rules]]
metric = "cases_7d_per_100k"
thresholds = { yellow = 10, red = 50 }

[[rules]]
zone = "red"
when = "positivity_7d_pct >= 20 and cases_7d_per_100k >= 5"
"""


@pytest.fixture(scope="module")
def custom():
    return loads_scheme(VALID)


def test_custom_scheme_loads(custom):
    assert custom.id == "test-three-zones"
    assert custom.zone_ids == ("green", "yellow", "red")
    assert custom.custom is True
    assert custom.zones[0].colour == "#00aa00"
    assert custom.zones[0].measures == {"id": ("Pantau",), "en": ("Monitor",)}
    assert custom.zones[1].measures == {"id": (), "en": ()}
    assert custom.effective_from == dt.date(2021, 5, 1)
    assert custom.effective_until is None
    assert custom.bands("cases_7d_per_100k") == [
        ("green", -INF, 10),
        ("yellow", 10, 50),
        ("red", 50, INF),
    ]
    assert custom.bands("positivity_7d_pct") == []


@pytest.mark.parametrize(
    ("cases", "positivity", "expected"),
    [
        (0, NAN, "green"),
        (9.99, NAN, "green"),
        (10, NAN, "yellow"),
        (49.99, 5, "yellow"),
        (50, NAN, "red"),
        (5, 25, "red"),  # the condition rule lifts it to red
        (5, 20, "red"),
        (5, 19.99, "green"),
        (4.99, 25, "green"),  # condition false: cases below 5
        (20, NAN, "yellow"),  # NaN comparison is false: condition does not apply
        (NAN, 30, None),  # required metric missing
    ],
)
def test_custom_scheme_classifies(custom, cases, positivity, expected):
    codes = custom.classify(
        {"cases_7d_per_100k": np.array([cases]), "positivity_7d_pct": np.array([positivity])}
    )
    assert custom.zone_id_array(codes)[0] == expected


def test_custom_scheme_strict_compare_and_floor():
    text = VALID.replace(
        "thresholds = { yellow = 10, red = 50 }",
        'compare = ">"\nfloor = "yellow"\nthresholds = { red = 50 }',
    )
    scheme = loads_scheme(text)
    got = scheme.zone_id_array(
        scheme.classify(
            {"cases_7d_per_100k": np.array([0, 50, 50.01]), "positivity_7d_pct": np.full(3, NAN)}
        )
    )
    assert list(got) == ["yellow", "yellow", "red"]
    assert scheme.bands("cases_7d_per_100k") == [("yellow", -INF, 50), ("red", 50, INF)]


def test_loads_scheme_accepts_bytes_with_bom():
    scheme = loads_scheme(b"\xef\xbb\xbf" + VALID.encode())
    assert scheme.id == "test-three-zones"


def test_load_scheme_from_file(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(VALID, encoding="utf-8")
    assert load_scheme(path).zone_ids == ("green", "yellow", "red")


def test_load_scheme_error_names_the_file(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("id = ", encoding="utf-8")
    with pytest.raises(SchemeError, match=r"^broken\.toml: not valid TOML"):
        load_scheme(path)


def test_load_scheme_missing_file(tmp_path):
    with pytest.raises(SchemeError, match="cannot read"):
        load_scheme(tmp_path / "nope.toml")


def _sub(old: str, new: str) -> str:
    assert old in VALID, old
    return VALID.replace(old, new, 1)


BAD = [
    pytest.param("id = = 3", ["not valid TOML"], id="malformed-toml"),
    pytest.param(VALID + "\n[[zones]\n", ["not valid TOML"], id="malformed-table"),
    pytest.param(
        _sub('"positivity_7d_pct"]', '"positivity_7d_pct", "vaccinations"]'),
        ["'metrics'", "cases_7d_per_100k"],
        id="unknown-metric",
    ),
    pytest.param(
        _sub('metric = "cases_7d_per_100k"', 'metric = "deaths_7d_per_100k"'),
        ["rules[1].metric", "deaths_7d_per_100k"],
        id="rule-metric-not-in-scheme",
    ),
    pytest.param(
        _sub("{ yellow = 10, red = 50 }", "{ yellow = 50, red = 10 }"),
        ["rules[1].thresholds", "increase"],
        id="thresholds-decreasing",
    ),
    pytest.param(
        _sub("{ yellow = 10, red = 50 }", "{ yellow = 10, red = 10 }"),
        ["rules[1].thresholds", "increase"],
        id="thresholds-equal",
    ),
    pytest.param(
        _sub("{ yellow = 10, red = 50 }", "{ red = 10, yellow = 50 }"),
        ["rules[1].thresholds", "order of zones"],
        id="thresholds-zone-order",
    ),
    pytest.param(
        _sub("{ yellow = 10, red = 50 }", "{ purple = 10, red = 50 }"),
        ["rules[1].thresholds.purple", "not a zone"],
        id="unknown-zone-in-thresholds",
    ),
    pytest.param(
        _sub("{ yellow = 10, red = 50 }", '{ yellow = "10", red = 50 }'),
        ["rules[1].thresholds.yellow", "number"],
        id="threshold-not-a-number",
    ),
    pytest.param(
        _sub("{ yellow = 10, red = 50 }", "{ yellow = 10, red = inf }"),
        ["rules[1].thresholds.red", "finite"],
        id="threshold-infinite",
    ),
    pytest.param(
        _sub("{ yellow = 10, red = 50 }", "{ }"),
        ["rules[1].thresholds"],
        id="thresholds-empty",
    ),
    pytest.param(
        _sub('zone = "red"', 'zone = "crimson"'),
        ["rules[2].zone", "crimson"],
        id="unknown-zone-rule",
    ),
    pytest.param(
        _sub("thresholds = { yellow = 10, red = 50 }", 'floor = "pink"\nthresholds = { red = 50 }'),
        ["rules[1].floor", "pink"],
        id="unknown-floor",
    ),
    pytest.param(
        _sub("thresholds = { yellow = 10", 'compare = "<"\nthresholds = { yellow = 10'),
        ["rules[1].compare"],
        id="bad-compare",
    ),
    pytest.param(
        _sub('label = { id = "Hijau", en = "Green" }', 'label = { id = "Hijau" }'),
        ["zones[1]", "'label'", "'en'"],
        id="missing-en-label",
    ),
    pytest.param(
        _sub('label = { id = "Kuning", en = "Yellow" }\n', ""),
        ["zones[2]", "'label' is missing"],
        id="missing-label",
    ),
    pytest.param(
        _sub(
            'measures = { id = ["Pantau"], en = ["Monitor"] }',
            'measures = { id = ["Pantau"], en = "Monitor" }',
        ),
        ["zones[1]", "measures.en"],
        id="measures-not-a-list",
    ),
    pytest.param(
        _sub('colour = "#00AA00"', 'colour = "#00AA0"'), ["zones[1].colour"], id="colour-short"
    ),
    pytest.param(
        _sub('colour = "#ffd92f"', 'colour = "yellow"'), ["zones[2].colour"], id="colour-name"
    ),
    pytest.param(
        _sub('colour = "#b2182b"', 'colour = "#b2182b;x"'), ["zones[3].colour"], id="colour-extra"
    ),
    pytest.param(_sub('id = "yellow"', 'id = "Yellow Zone"'), ["zones[2].id"], id="bad-zone-id"),
    pytest.param(_sub('id = "yellow"', 'id = "green"'), ["unique"], id="duplicate-zone"),
    pytest.param(
        _sub(
            'when = "positivity_7d_pct >= 20 and cases_7d_per_100k >= 5"',
            "when = \"__import__('os').system('x')\"",
        ),
        ["rules[2].when", "unexpected character"],
        id="when-import",
    ),
    pytest.param(
        _sub(
            'when = "positivity_7d_pct >= 20 and cases_7d_per_100k >= 5"',
            'when = "().__class__"',
        ),
        ["rules[2].when"],
        id="when-dunder",
    ),
    pytest.param(
        _sub(
            'when = "positivity_7d_pct >= 20 and cases_7d_per_100k >= 5"',
            'when = "os > 1"',
        ),
        ["rules[2].when", "unknown metric 'os'"],
        id="when-unknown-name",
    ),
    pytest.param(
        _sub(
            'when = "positivity_7d_pct >= 20 and cases_7d_per_100k >= 5"',
            'when = "cases_7d_per_100k >= 5; import os"',
        ),
        ["rules[2].when", "';'"],
        id="when-statement",
    ),
    pytest.param(
        _sub(
            'when = "positivity_7d_pct >= 20 and cases_7d_per_100k >= 5"',
            'when = "lambda: 1"',
        ),
        ["rules[2].when"],
        id="when-lambda",
    ),
    pytest.param(
        _sub(
            'when = "positivity_7d_pct >= 20 and cases_7d_per_100k >= 5"',
            'when = "deaths_7d_per_100k > 1"',
        ),
        ["rules[2].when", "deaths_7d_per_100k"],
        id="when-metric-not-in-scheme",
    ),
    pytest.param(
        _sub('when = "positivity_7d_pct >= 20 and cases_7d_per_100k >= 5"', "when = 5"),
        ["rules[2].when", "text"],
        id="when-not-text",
    ),
    pytest.param(
        _sub('when = "positivity_7d_pct >= 20 and cases_7d_per_100k >= 5"', ""),
        ["rules[2]", "'when'"],
        id="zone-rule-without-when",
    ),
    pytest.param(
        _sub('zone = "red"\n', 'zone = "red"\neval = "1"\n'),
        ["rules[2]", "unknown field", "eval"],
        id="unknown-rule-field",
    ),
    pytest.param(
        _sub('zone = "red"\n', ""),
        ["rules[2]", "'metric'", "'zone'"],
        id="rule-neither-kind",
    ),
    pytest.param('exec = "x"\n' + VALID, ["unknown top-level", "exec"], id="unknown-top-level"),
    pytest.param(_sub('id = "test-three-zones"', 'id = "Test Scheme"'), ["'id'"], id="bad-id"),
    pytest.param(
        _sub('title = "A test scheme"', 'publisher = "nobody"'),
        ["'source'", "'title'"],
        id="no-title",
    ),
    pytest.param(
        _sub('levels = ["village", "rt"]', 'levels = ["kelurahan"]'), ["'levels'"], id="bad-level"
    ),
    pytest.param(
        _sub('requires = ["cases_7d_per_100k"]', 'requires = ["houses_7d"]'),
        ["'requires'"],
        id="requires-not-in-metrics",
    ),
    pytest.param(
        _sub('name = { id = "Uji tiga zona", en = "Three-zone test" }', 'name = { en = "x" }'),
        ["'name'", "'id'"],
        id="name-missing-id",
    ),
    pytest.param(
        _sub("effective_from = 2021-05-01", 'effective_from = "1 May 2021"'),
        ["'effective_from'"],
        id="bad-date",
    ),
    pytest.param(
        _sub(
            "effective_from = 2021-05-01",
            "effective_from = 2021-05-01\neffective_until = 2021-04-01",
        ),
        ["'effective_until'"],
        id="until-before-from",
    ),
    pytest.param(
        VALID.split("[[zones]]")[0]
        + VALID.split("[[zones]]")[1]
        + '[[rules]]\nzone = "green"\nwhen = "cases_7d_per_100k > 1"\n',
        ["'zones'", "two"],
        id="one-zone",
    ),
    pytest.param(VALID.split("[[rules]]")[0], ["'rules'"], id="no-rules"),
]


@pytest.mark.parametrize(("text", "fragments"), BAD)
def test_invalid_scheme_files(text, fragments):
    with pytest.raises(SchemeError) as info:
        loads_scheme(text)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_when_with_code_is_never_run(tmp_path):
    marker = tmp_path / "pwned"
    text = _sub(
        'when = "positivity_7d_pct >= 20 and cases_7d_per_100k >= 5"',
        f"when = \"__import__('os').system('touch {marker}')\"",
    )
    with pytest.raises(SchemeError, match=r"rules\[2\]\.when"):
        loads_scheme(text)
    assert not marker.exists()


def test_scheme_file_not_utf8():
    with pytest.raises(SchemeError, match="UTF-8"):
        loads_scheme(b"id = '\xff\xfe'")


def test_scheme_file_too_large():
    with pytest.raises(SchemeError, match="larger than"):
        loads_scheme(VALID + "#" * schemes.MAX_SCHEME_BYTES)
    with pytest.raises(SchemeError, match="larger than"):
        loads_scheme((VALID + "#" * schemes.MAX_SCHEME_BYTES).encode())


def test_threshold_too_large_for_a_number_is_a_scheme_error():
    text = (
        (_ROOT / "examples" / "custom-scheme.toml")
        .read_text()
        .replace("red = 100", "red = 1" + "0" * 400)
    )
    with pytest.raises(SchemeError, match=r"rules\[1\]\.thresholds\.red: must be a finite number"):
        loads_scheme(text)


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("yellow = 20", "yellow = " + "9" * 5000, "rules[1].thresholds.yellow: "),
        ("red = 100", "red = -1_" + "0" * 5000, "rules[1].thresholds.red: "),
        ('"positivity_7d_pct"]', '"positivity_7d_pct", ' + "7" * 5000 + "]", "metrics[3]: "),
        ("[source]", "x = { y = [0, " + "1" * 4301 + "] }\n[source]", "x.y[2]: "),
    ],
)
def test_integer_longer_than_python_reads_names_the_field(old, new, field):
    # Python refuses to read decimal integers of more than 4300 digits (a ValueError that
    # tomllib lets through): the scheme error names the field, like every other one.
    text = (_ROOT / "examples" / "custom-scheme.toml").read_text()
    assert old in text
    with pytest.raises(SchemeError, match=re.escape(field) + r"a number with \d+ digits"):
        loads_scheme(text.replace(old, new))


def test_integer_longer_than_python_reads_without_a_field_names_the_line():
    # a long integer next to a float cannot be marked: the line is named instead
    with pytest.raises(SchemeError, match=r"^line 1: a number with 5000 digits"):
        loads_scheme("a = " + "9" * 5000 + "\nb = 1." + "0" * 5000)


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ('id = "contoh-kabupaten-2021"', 'id = "contoh\\n"', "'id'"),
        ('id = "red"', 'id = "red\\n"', "zones[3].id"),
        ('colour = "#b2182b"', 'colour = "#b2182b\\n"', "zones[3].colour"),
    ],
)
def test_ids_and_colours_ending_in_a_line_break_are_refused(old, new, field):
    text = (_ROOT / "examples" / "custom-scheme.toml").read_text()
    assert old in text
    with pytest.raises(SchemeError, match=re.escape(field)):
        loads_scheme(text.replace(old, new))


def test_scheme_file_deeply_nested():
    with pytest.raises(SchemeError, match="not valid TOML"):
        loads_scheme("x = " + "[" * 100_000)


@pytest.mark.parametrize(
    "text",
    [
        _sub('metric = "cases_7d_per_100k"', 'metric = ["cases_7d_per_100k"]'),
        _sub('metric = "cases_7d_per_100k"', "metric = { a = 1 }"),
        _sub('"positivity_7d_pct"]', '"positivity_7d_pct", ["x"]]'),
    ],
    ids=["metric-array", "metric-table", "metrics-entry-array"],
)
def test_unhashable_metric_is_a_scheme_error(text):
    with pytest.raises(SchemeError):
        loads_scheme(text)


# --- fuzzing: scheme files, valid ones damaged -------------------------------------------------

_ROOT = Path(__file__).resolve().parents[2]
_SCHEME_FILES = [
    *sorted((_ROOT / "zoning" / "schemes").glob("*.toml")),
    _ROOT / "examples" / "custom-scheme.toml",
]
_RAW = [tomllib.loads(p.read_text(encoding="utf-8")) for p in _SCHEME_FILES]


def _toml_value(value: object) -> str:
    """A value as TOML (inline tables and arrays): enough to write any parsed scheme back."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(str(value), repr(value))
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value))


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def _toml(raw: dict) -> str:
    return "".join(f"{_toml_key(k)} = {_toml_value(v)}\n" for k, v in raw.items())


_WORDS = [
    "green", "yellow", "orange", "red", "level-1", "level-4", "low", "high", "red\n", "Red",
    "#b2182b", "#B2182B", "#b2182b\n", "#12345", "blue", "", " ", "village", "rt", "regency",
    "planet", "cases_7d_per_100k", "positivity_7d_pct", "houses_7d", "cases_7d", ">", ">=",
    "=>", "my-scheme", "my-scheme\n", "-x", "A", "x" * 65, "2021-06-01", "2021-13-01",
    "cases_7d_per_100k >= 200", "houses_7d > 5 and not cases_7d < 1", "(((", "__import__('os')",
    "positivity_7d_pct >= 1" + "0" * 400, "cases_7d >= ٣", "a" * 501,
]  # fmt: skip
_SCALARS = st.one_of(
    st.sampled_from(_WORDS),
    st.text(max_size=10),
    st.integers(),
    st.integers(-(10**500), 10**500),
    st.floats(),
    st.booleans(),
    st.dates(),
    st.datetimes().map(lambda d: d.replace(fold=0)),  # (fold is not written in a file)
    st.times().map(lambda t: t.replace(fold=0)),
)
_NUMBERS = st.one_of(
    st.sampled_from([0, -1, 1, 2**63, -(2**63), 10**400, math.nan, math.inf, -math.inf, 1e308]),
    st.integers(),
    st.floats(),
)
_TEXTS = st.one_of(
    st.sampled_from(_WORDS), st.text(max_size=10), st.sampled_from(_WORDS).map(lambda w: w + "\n")
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["id", "en", "title", "red", "green", "x"]), inner, max_size=3
        )
    ),
    max_leaves=8,
)


def _paths(value: object, path: tuple = ()) -> list[tuple]:
    """Every place in a parsed file, as a path of keys and indexes."""
    out = [path]
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(
        value, list) else ()  # fmt: skip
    for k, v in items:
        out += _paths(v, (*path, k))
    return out


@st.composite
def _damaged_scheme(draw) -> dict:
    raw = copy.deepcopy(draw(st.sampled_from(_RAW)))
    for _ in range(draw(st.integers(0, 4))):
        places = _paths(raw)[1:]
        path = draw(st.sampled_from(places))
        *head, last = path
        parent = raw
        for k in head:
            parent = parent[k]
        action = draw(st.sampled_from(["delete", "replace", "retype", "retype", "copy", "add"]))
        if action == "delete":
            del parent[last]
        elif action == "replace":
            parent[last] = draw(_VALUES)
        elif action == "retype":  # another value of the same type: a typo, not a new shape
            kind = type(parent[last])
            parent[last] = draw(_TEXTS if kind is str else _NUMBERS if kind in (int, float)
                                else _VALUES)  # fmt: skip
        elif action == "copy" and isinstance(parent, list):
            parent.insert(last, copy.deepcopy(parent[last]))
        elif action == "add" and isinstance(parent[last], dict):
            key = draw(st.sampled_from(["metric", "when", "zone", "floor", "compare", "x"]))
            parent[last][key] = draw(_VALUES)
    return raw


def _check_scheme(scheme: schemes.Scheme) -> None:
    """A loaded scheme is well formed and classifies any numbers."""
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]{0,63}", scheme.id)
    assert len(scheme.zones) >= 2 and len(set(scheme.zone_ids)) == len(scheme.zones)
    for zone in scheme.zones:
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]{0,63}", zone.id)
        assert re.fullmatch(r"#[0-9a-f]{6}", zone.colour)
    values = np.array([NAN, -1.0, 0.0, 0.5, 5.0, 20.0, 150.0, 1e300, np.inf, -np.inf])
    grid = np.meshgrid(*[values] * min(len(scheme.metrics), 3), indexing="ij")
    arrays = {m: grid[i % len(grid)].ravel() for i, m in enumerate(scheme.metrics)}
    zones = scheme.classify(arrays)
    assert zones.dtype == np.int8 and zones.shape == arrays[scheme.metrics[0]].shape
    assert ((zones >= NO_ZONE) & (zones < len(scheme.zones))).all()
    scheme.zone_id_array(zones)
    for metric in scheme.metrics:
        for _zone, low, high in scheme.bands(metric):
            assert low < high


def _changed(path: tuple, value: object) -> dict:
    """The example scheme (examples/custom-scheme.toml) with one value changed."""
    raw = copy.deepcopy(_RAW[-1])
    *head, last = path
    parent = raw
    for k in head:
        parent = parent[k]
    parent[last] = value
    return raw


@fuzz(200)
@given(_damaged_scheme())
# found by this test: a threshold beyond a float's range raised TypeError from numpy, and an
# id or colour ending in a line break was accepted ("$" matches before a final "\n")
@example(_changed(("rules", 0, "thresholds", "red"), 10**400))
@example(_changed(("id",), "contoh\n"))
@example(_changed(("zones", 1, "colour"), "#ffd92f\n"))
def test_fuzz_damaged_schemes_load_right_or_raise_scheme_error(raw):
    try:
        scheme = schemes.parse_scheme(raw)
    except SchemeError as exc:
        assert str(exc)
        outcome = str
    else:
        _check_scheme(scheme)
        outcome = schemes.Scheme
    # the same content as a file gives the same outcome
    try:
        text = _toml(raw)
    except TypeError:
        return
    try:
        again = loads_scheme(text.encode())
    except SchemeError as exc:
        assert outcome is str, (str(exc), text)
    else:
        assert outcome is schemes.Scheme and again == scheme


@fuzz(200)
@given(
    st.sampled_from(_SCHEME_FILES).map(lambda p: p.read_bytes()),
    st.lists(
        st.tuples(st.integers(0, 4000), st.integers(0, 40), st.binary(max_size=6)), max_size=4
    ),
)
def test_fuzz_damaged_scheme_bytes_load_or_raise_scheme_error(data, edits):
    for at, length, junk in edits:  # cut out some bytes, put others in
        at = at % (len(data) + 1)
        data = data[:at] + junk + data[at + length :]
    try:
        scheme = loads_scheme(data)
    except SchemeError as exc:
        assert str(exc)
        return
    _check_scheme(scheme)


# --- zone labels, colours and the last change: one place each ----------------------------------


def test_zone_labels_and_colours_end_with_no_zone():
    who = builtin_schemes()["who-ct-2021"]
    labels = who.zone_labels("en")
    assert labels[-1] == who.zone_label(schemes.NO_ZONE, "en") == "No data"
    assert (
        labels[:-1]
        == [z.label["en"] for z in who.zones]
        == [who.zone_label(i, "en") for i in range(len(who.zones))]
    )
    assert who.zone_label(0, "id") == who.zones[0].label["id"]
    assert who.zone_id_label("level-3", "en") == labels[2]
    assert who.zone_id_label(None, "en") == "No data"
    assert who.zone_colours() == [z.colour for z in who.zones] + [schemes.NO_DATA_COLOUR]
    assert who.zone_colour(schemes.NO_ZONE) == schemes.NO_DATA_COLOUR
    index = who.lookup_index(np.array([2, NO_ZONE, 0]))
    assert [labels[i] for i in index] == [labels[2], "No data", labels[0]]


def _changes_by_hand(days: list[int]) -> list[tuple[int, int, int]]:
    """Every change of one region's zones, written plainly: (day, from, to)."""
    known = [(d, z) for d, z in enumerate(days) if z != NO_ZONE]
    return [(d, a, b) for (_, a), (d, b) in itertools.pairwise(known) if a != b]


def test_changes_skip_days_without_data():
    region, day, before, after = schemes.every_zone_change(
        np.array([[0, NO_ZONE, 0, 1, 1, NO_ZONE, NO_ZONE, 0]])
    )
    assert region.tolist() == [0, 0] and day.tolist() == [3, 7]
    assert before.tolist() == [0, 1] and after.tolist() == [1, 0]


@fuzz(200)
@given(st.lists(st.lists(st.integers(NO_ZONE, 3), min_size=0, max_size=12), min_size=1, max_size=6))
@example([[NO_ZONE, 0, 0, 1, 1, NO_ZONE, 1]])  # a day without a zone does not end a run
@example([[2, NO_ZONE, 1, NO_ZONE]])
def test_every_change_and_the_last_one_are_the_changes_by_hand(rows):
    width = max(len(r) for r in rows)
    zones = np.array([r + [NO_ZONE] * (width - len(r)) for r in rows], dtype=np.int8)
    region, day, before, after = schemes.every_zone_change(zones)
    last = schemes.zone_changes(zones)
    for i, row in enumerate(zones.tolist()):
        mine = region == i
        expected = _changes_by_hand(row)
        assert list(zip(day[mine], before[mine], after[mine], strict=True)) == expected
        latest = next((z for z in reversed(row) if z != NO_ZONE), NO_ZONE)
        if expected:
            assert (last.day[i], last.previous[i]) == expected[-1][:2]
        else:
            assert (last.day[i], last.previous[i]) == (-1, NO_ZONE)
        assert last.current[i] == latest
