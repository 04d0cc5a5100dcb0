"""Tests for zoning.render.presentation: what a page shows, built from the store."""

from __future__ import annotations

import json
import re

import pandas as pd

from zoning.model.schemes import builtin_schemes
from zoning.render import presentation


def test_standalone_map_is_one_offline_file_with_every_region(tiny_store):
    scheme = builtin_schemes()["who-ct-2021"]
    html = presentation.standalone_map_html(
        tiny_store, scheme, "village", "2021-07-10", "en", public=False
    )
    text = html.decode("utf-8")
    assert "<script src=" not in text and '<link rel="stylesheet" href=' not in text
    assert not re.search(r"https?://(?!www\.w3\.org)", text.split("</head>")[1])
    for name in tiny_store.regions("village")["name"]:
        assert name in text
    assert json.dumps("Village · 2021-07-10")[1:-1] in text  # the title, as a JS string


def test_zones_within_keeps_only_the_region_s_children(tiny_store):
    from zoning.views import service

    scheme = builtin_schemes()["who-ct-2021"]
    zones = service.zones_on(tiny_store, scheme, "village", "2021-07-10")
    inside = presentation.zones_within(zones, "33.02")
    assert len(inside) and all(c.startswith("33.02.") for c in inside["code"])
    assert len(presentation.zones_within(zones, None)) == len(zones)
    geometry = presentation.geometry_of(tiny_store, "village", inside["code"])
    assert len(geometry) == len(inside) and geometry.notna().all()


def _tooltips(html: bytes) -> dict[str, dict]:
    """The tooltip properties of each region of a standalone HTML map, by code."""
    text = html.decode("utf-8")
    found = (json.loads(m[1]) for m in re.finditer(r'"properties":\s*(\{[^{}]*\})', text))
    return {p["code"]: p for p in found}


def _gap_store(tmp_path):
    """The tiny store with one of the two villages of regency 33.01 silent on 15 July: the
    regency's figures rest on half its people for a week (zone "at least")."""
    from conftest import tiny_counts, tiny_regions, write_store

    counts = tiny_counts()
    gap = (counts["region"] == "33.01.01.2002") & (counts["date"] == "2021-07-15")
    return write_store(tmp_path / "gap.db", tiny_regions(), counts[~gap])


def test_the_standalone_map_says_coverage_and_at_least_as_the_live_map_does(tmp_path):
    """Before, the live map's tooltip said "Reporting coverage: 50 % (the zone is at least this)"
    for a regency resting on part of its villages and the downloaded HTML map said
    nothing of it."""
    store = _gap_store(tmp_path)
    scheme = builtin_schemes()["who-ct-2021"]
    html = presentation.standalone_map_html(
        store, scheme, "regency", "2021-07-16", "en", public=False
    )
    tips = _tooltips(html)
    assert tips["33.01"]["coverage__text"] == "50 % (the zone is at least this)"
    assert tips["33.02"]["coverage__text"] == "100 %"


def test_live_and_standalone_maps_show_the_same_tooltip_rows(tmp_path):
    """Both tooltips come from presentation.tooltip_rows: the same labels, in the same
    order, with the same values (the live map formats its numbers in the browser)."""
    from zoning.core.i18n import format_number
    from zoning.render import mapdata

    store = _gap_store(tmp_path)
    for level, public in (("regency", False), ("village", True), ("village", False)):
        for day in ("2021-07-16", "2021-07-18"):
            scheme = builtin_schemes()["who-ct-2021"]
            layer, fields = presentation.map_layer(store, scheme, level, day, "en", public=public)
            view = mapdata.view_of(store, scheme, level, day, "en", public=public, level_label="x")
            codes = list(mapdata.level_geometry(store, level).codes)
            rows = [(c, label) for c, label in fields if c not in ("name", "zone_label")]
            assert [label for _, label in rows[:-1]] == [f["label"] for f in view["fields"]]
            assert rows[-1][0] == "population__text"
            frame = layer.set_index("code")
            for field, (column, _) in zip(view["fields"], rows, strict=False):
                for i, code in enumerate(codes):
                    text_of = field.get("text_of", [-1] * len(codes))[i]
                    if text_of >= 0:
                        live = field["texts"][text_of]
                    else:
                        live = format_number(field["values"][i], "en", field["decimals"])
                    assert frame.loc[code, column] == live, (level, public, day, code, column)


# --- zones resting on provisional figures ------------------------------------------------------
def _daily_store(tmp_path, monkeypatch):
    """The tiny province counted day by day for 40 days, 30 % of a day's cases reported the
    same day and all within 5 days; and the last day of it."""
    import numpy as np
    import pandas as pd
    from conftest import DAILY_START, count_uploads, tiny_regions, tiny_villages, write_store

    old = pd.DataFrame({"region": tiny_villages(), "date": pd.Timestamp("2021-01-01"),
                        "new_cases": 5.0})  # fmt: skip
    store = write_store(tmp_path / "p.db", tiny_regions(), old)
    count_uploads(store, monkeypatch, np.array([0.3, 0.2, 0.2, 0.1, 0.1, 0.1]), days=40)
    return store, DAILY_START + pd.Timedelta(days=39)


def test_a_provisional_zone_says_so_with_its_nowcast(tmp_path, monkeypatch):
    from zoning.views import analysis, service

    store, last = _daily_store(tmp_path, monkeypatch)
    scheme = builtin_schemes()["who-ct-2021"]
    zones = service.zones_on(store, scheme, "village", last)
    said = presentation.provisional_texts(store, "village", last, zones, "en", public=False)
    found = analysis.window_nowcasts(store, "village", last).set_index("code")
    for code, text in zip(zones["code"], said, strict=True):
        n, lower, upper = found.loc[code, ["nowcast", "lower", "upper"]]
        assert lower <= n <= upper and n > zones.set_index("code").loc[code, "new_cases_7d"]
        assert text == f"reports still arriving; nowcast {n:,.0f} ({lower:,.0f}–{upper:,.0f}) " \
            "cases in 7 days"  # fmt: skip
    # the public at village level: the words, never a figure scaled up from the count
    public = presentation.provisional_texts(store, "village", last, zones, "id", public=True)
    assert set(public) == {"laporan masih masuk"}
    # the public at regency level sees the nowcast
    regencies = service.zones_on(store, scheme, "regency", last)
    said = presentation.provisional_texts(store, "regency", last, regencies, "id", public=True)
    assert all(s.startswith("laporan masih masuk; nowcast ") for s in said)
    # a settled day: nothing said
    settled = service.level_data(store, "village").settled_day
    zones = service.zones_on(store, scheme, "village", settled)
    said = presentation.provisional_texts(store, "village", settled, zones, "en", public=False)
    assert list(said) == [None] * 4
    assert presentation.provisional_note(store, "village", zones, "en") is None


def test_the_maps_tooltip_and_legend_say_a_zone_rests_on_a_nowcast(tmp_path, monkeypatch):
    from zoning.render import mapdata

    store, last = _daily_store(tmp_path, monkeypatch)
    scheme = builtin_schemes()["who-ct-2021"]
    for public, lang in ((False, "en"), (True, "id")):
        view = mapdata.view_of(store, scheme, "village", last, lang, public=public,
                               level_label="Village")  # fmt: skip
        labels = [f["label"] for f in view["fields"]]
        said = {"en": ("Provisional", "reports still arriving"),
                "id": ("Sementara", "laporan masih masuk")}[lang]  # fmt: skip
        field = view["fields"][labels.index(said[0])]
        assert {field["texts"][k] for k in field["text_of"]} == {said[1]}
        # the nowcast of the 7 days: for analysts only at village level
        assert ("Nowcast, cases in 7 days" in labels) == (not public)
        if not public:
            field = view["fields"][labels.index("Nowcast, cases in 7 days")]
            texts = [field["texts"][k] for k in field["text_of"]]
            assert all(re.fullmatch(r"[\d,]+ \([\d,]+–[\d,]+\)", s) for s in texts)
        note = view["note"]
        assert ("last 5 days" in note and "estimated from reports" in note) or (
            "5 hari terakhir" in note and "diperkirakan dari laporan" in note
        )


def test_the_shown_layer_gives_each_region_its_decided_zone_and_counts_the_cards(tiny_store):
    """The map page's zones, built once per view: an official's override shows instead of the
    computed zone, in the layer, its labels and the cards' totals, and the layer is shared."""
    from zoning.views import decisions, service

    scheme = builtin_schemes()["who-ct-2021"]
    day = "2021-07-14"
    computed = service.zones_on(tiny_store, scheme, "village", day)
    code = computed["code"].iloc[0]
    before = int(computed["zone_index"].iloc[0])
    other = (before + 1) % len(scheme.zone_ids)
    args = (tiny_store, scheme, "village", day, "en")
    first = presentation.shown_layer(*args, public=False)
    assert presentation.shown_layer(*args, public=False) is first  # one build per view
    assert first.smoothing == "raw"
    assert list(first.totals["regions"]) == [
        *[int((computed["zone_index"] == i).sum()) for i in range(len(scheme.zone_ids))],
        int((computed["zone_index"] < 0).sum()),
    ]
    decisions.record(
        tiny_store, scheme, code, day, zone=scheme.zone_ids[other], reason="field visit",
        who="ana",
    )  # fmt: skip
    after = presentation.shown_layer(*args, public=False)
    row = after.layer.set_index("code").loc[code]
    assert row["zone_index"] == other and row["decision"] == "overridden"
    assert row["computed_zone_index"] == before
    assert row["zone_label"] == scheme.zone_labels("en")[other]
    moved = after.totals.set_index("zone")["regions"] - first.totals.set_index("zone")["regions"]
    assert moved[scheme.zone_ids[other]] == 1 and moved[scheme.zone_ids[before]] == -1
    inside = presentation.shown_layer(*args, public=False, within="33.02")
    assert len(inside.layer) and all(c.startswith("33.02.") for c in inside.layer["code"])
    withheld = presentation.shown_layer(*args, public=True, smooth="eb")
    assert withheld.smoothing == "withheld"  # smoothed village zones are for analysts
    assert presentation.shown_layer(*args, public=False, smooth="eb").smoothing == "shown"


def test_the_shown_layer_holds_the_cached_tables_columns_not_copies(tiny_store):
    """The layer's figures are the cached zones table's own and its decision columns the
    public zones' own (at 83,402 villages copies were 8 MB more per view held), with the
    values the page showed before: exact figures, the decided zone, the decision's columns."""
    import numpy as np
    import pandas as pd

    from zoning.views import decisions, published, service

    scheme = builtin_schemes()["who-ct-2021"]
    day = "2021-07-14"
    zones = service.zones_on(tiny_store, scheme, "village", day)
    shown = published.public_zones(tiny_store, scheme, "village", day, "en", public=True)
    layer = presentation.shown_layer(tiny_store, scheme, "village", day, "en", public=True).layer
    for column in ("population", "coverage"):
        assert np.shares_memory(layer[column].to_numpy(), zones[column].to_numpy()), column
    assert np.shares_memory(layer["decided_by"].to_numpy(), shown["decided_by"].to_numpy())
    decided = shown.set_index("code").reindex(zones["code"])
    columns = ("zone_index", "zone", *decisions.COLUMNS)
    expected = zones.assign(**{c: decided[c].to_numpy() for c in columns})
    pd.testing.assert_frame_equal(layer[list(expected.columns)], expected)


def test_the_shown_layer_follows_the_small_number_threshold_at_the_same_data(
    tiny_store, monkeypatch
):
    """Smoothed village zones are for the public only with suppression off: raising the
    threshold in a running process (same data version) withholds them again at once."""
    from zoning.model import privacy

    scheme = builtin_schemes()["who-ct-2021"]
    args = (tiny_store, scheme, "village", "2021-07-14", "en")
    monkeypatch.setenv(privacy.ENV_VAR, "0")
    assert presentation.shown_layer(*args, public=True, smooth="eb").smoothing == "shown"
    monkeypatch.setenv(privacy.ENV_VAR, "5")
    assert presentation.shown_layer(*args, public=True, smooth="eb").smoothing == "withheld"


def test_each_region_s_tooltip_says_what_its_own_zone_rests_on():
    """The decision row: every region its own state, who and day (regions sharing one share
    its text), with None and NaN both read as nobody."""
    import numpy as np

    from zoning.model import decisions as D
    from zoning.views.decisions import state_lines

    scheme = builtin_schemes()["who-ct-2021"]
    n = 7
    masks = {
        "decision": [D.CONFIRMED, D.UNCONFIRMED, D.OVERRIDDEN, D.CONFIRMED, D.OVERRIDDEN,
                     D.UNCONFIRMED, D.AWAITING],
        "decided_by": ["Ani", None, "Budi", "Cici", "Budi", np.nan, None],
        "decided_on": ["2021-07-01", None, "2021-07-02", "2021-07-01", "2021-07-02", None, None],
        "computed_zone_index": [1, 2, 0, 1, 3, 2, -1],
    }  # fmt: skip
    zones = pd.DataFrame({"code": [f"33.01.01.100{i}" for i in range(n)], "zone_index": 0,
                          "window_complete": True})  # fmt: skip
    row = presentation._decision_row(scheme, "en", masks)[0]
    assert row.column == "decision" and len(row.values) == n
    for i in range(n):
        expected = " · ".join(state_lines(
            scheme, "en", decision=masks["decision"][i], decided_by=masks["decided_by"][i],
            decided_on=masks["decided_on"][i], computed_index=masks["computed_zone_index"][i],
        ))  # fmt: skip
        assert row.values[i] == expected, i
    assert "Ani" in row.values[0] and "Cici" in row.values[3] and row.values[0] != row.values[3]
    assert row.values[2] != row.values[4]  # the same decider and day, another computed zone
    assert row.values[1] == row.values[5]
    assert presentation.tooltip_rows(zones, scheme, "en", masks)[-1].values.tolist() == list(
        row.values
    )
