"""Line lists are registers: within what an upload covers a day without a case is a zero, so
regions fed only by line lists get zones every day, down to RT; outside it a day stays missing.

Every store here is built from raw line-list rows through the import, as an analyst would.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import tiny_counts, tiny_regions

from zoning.intake.linelist import import_linelist
from zoning.model.regions import LEVELS
from zoning.model.schemes import NO_ZONE, get_scheme
from zoning.store import Store
from zoning.views import briefing, service

pytestmark = pytest.mark.usefixtures("private_key_file")

A1, A2, B1, B2 = "33.01.01.2001", "33.01.01.2002", "33.02.01.1001", "33.02.01.1002"
RW = f"{B1}.001"
RT1, RT2 = f"{RW}.001", f"{RW}.002"
VILLAGES = (A1, A2, B1, B2)
HARVARD = get_scheme("harvard-ghi-2020")
PPKM = get_scheme("ppkm-mikro-2021-04")
JULY = pd.date_range("2021-07-01", "2021-07-31")


def _regions() -> pd.DataFrame:
    frame = pd.DataFrame(tiny_regions().drop(columns="geometry"))
    rows = [(RW, "RW 001", "rw", B1, 600.0), (RT1, "RT 001", "rt", RW, 300.0),
            (RT2, "RT 002", "rt", RW, 300.0)]  # fmt: skip
    return pd.concat([frame, pd.DataFrame(rows, columns=frame.columns)], ignore_index=True)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_store(request: pytest.FixtureRequest, tmp_path) -> Store:
    """The tiny province with one RW of two RTs in Kelurahan B1, and no counts at all."""
    url = str(tmp_path / "register.db")
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
    store = Store(url)
    with store.transaction() as conn:
        upload = store.record_upload(conn, "test", "regions", None, "pytest", 0, 0)
        store.write_regions(conn, _regions(), upload)
    return store


def nik(serial: int) -> str:
    return f"3301010101{90 + serial // 10_000:02d}{serial % 10_000:04d}"


def _cases(seed: int = 13) -> list[tuple[str, pd.Timestamp, str, str, str]]:
    """Raw rows: ``(nik, date, village code, rw, rt)``, some people tested twice, some
    placed in an RT of Kelurahan B1, nobody in Kelurahan B2."""
    rng = np.random.default_rng(seed)
    rows = []
    for serial in range(1, 41):
        village = (A1, A2, B1)[rng.integers(0, 3)]
        day = JULY[rng.integers(0, len(JULY))]
        rt = "1" if village == B1 and rng.random() < 0.6 else ""
        rows.append((nik(serial), day, village, "1" if rt else "", rt))
        if rng.random() < 0.3:  # a second test in the same episode
            later = min(day + pd.Timedelta(days=int(rng.integers(1, 5))), JULY[-1])
            rows.append((nik(serial), later, village, "1" if rt else "", rt))
    return rows


def _csv(rows) -> bytes:
    lines = ["nik,tanggal_konfirmasi,kode_desa,rw,rt"]
    lines += [f"{n},{pd.Timestamp(d).date()},{v},{w},{t}" for n, d, v, w, t in rows]
    return ("\n".join(lines) + "\n").encode()


def _expected_cases_7d(rows, day: pd.Timestamp) -> dict[str, int]:
    """New cases in the 7 days to ``day`` per village, from the raw rows by hand: each
    person once, on their first date (every episode here is shorter than 90 days)."""
    first: dict[str, tuple[pd.Timestamp, str]] = {}
    for n, d, v, _, _ in rows:
        first[n] = min(first.get(n, (d, v)), (d, v))
    out = dict.fromkeys(VILLAGES, 0)
    for d, v in first.values():
        if day - pd.Timedelta(days=6) <= d <= day:
            out[v] += 1
    return out


def _zones(store: Store, level: str) -> np.ndarray:
    scheme = PPKM if level in ("rw", "rt") else HARVARD
    return service.zone_panel(store, scheme, level)


def test_a_province_fed_only_by_a_line_list_has_zones_on_every_covered_day_down_to_rt(
    empty_store: Store,
):
    rows = _cases()
    result = import_linelist(
        empty_store, _csv(rows), filename="list.csv", covers="33", first="2021-07-01",
        last="2021-07-31",
    )  # fmt: skip
    assert result.report.facts["coverage"]["regions"] == 1
    assert service.counted_levels(empty_store) == ("village", "rt")
    complete = np.asarray(JULY >= "2021-07-07")  # the first day with 7 covered days
    for level in LEVELS:
        data = service.level_data(empty_store, level)
        assert data.panel.dates.equals(JULY), level
        zones = _zones(empty_store, level)
        assert (zones[:, complete] != NO_ZONE).all(), level
        assert (zones[:, ~complete] == NO_ZONE).all(), level
        assert data.metrics["coverage"][:, complete].min() == 1.0, level
    village = service.level_data(empty_store, "village")
    for day in JULY[complete]:
        j = village.day_index(day)
        want = _expected_cases_7d(rows, day)
        got = dict(zip(village.panel.regions, village.metrics["cases_7d"][:, j], strict=True))
        assert got == {v: float(n) for v, n in want.items()}, day
    # nobody lives in Kelurahan B2 or RT 2 in these rows: 0 every day, so Harvard's and
    # PPKM Mikro's green, never "no data"
    b2 = list(village.panel.regions).index(B2)
    assert (village.panel.values["new_cases"][b2] == 0).all()
    rts = service.level_data(empty_store, "rt")
    rt2 = list(rts.panel.regions).index(RT2)
    assert (_zones(empty_store, "rt")[rt2, complete] == PPKM.zone_ids.index("green")).all()
    assert (rts.panel.values["houses_7d"][rt2, complete] == 0).all()


def test_by_default_a_line_list_covers_the_villages_it_names_from_its_first_to_last_date(
    empty_store: Store,
):
    rows = [(nik(1), "2021-07-02", A1, "", ""), (nik(2), "2021-07-20", B1, "1", "1")]
    result = import_linelist(empty_store, _csv(rows), filename="list.csv")
    coverage = result.report.facts["coverage"]
    assert coverage == {
        "given": False, "regions": 2, "levels": {"village": 2}, "codes": [A1, B1],
        "first": "2021-07-02", "last": "2021-07-20", "days": 19,
    }  # fmt: skip
    stored = empty_store.coverage()
    assert stored["region"].tolist() == [A1, B1]
    assert (stored["upload_id"] == result.upload_id).all()
    village = service.level_data(empty_store, "village")
    assert village.panel.dates[0] == pd.Timestamp("2021-07-02")
    assert village.panel.dates[-1] == pd.Timestamp("2021-07-20")
    new = dict(zip(village.panel.regions, village.panel.values["new_cases"].sum(axis=1),
                   strict=True))  # fmt: skip
    assert new[A1] == 1 and new[B1] == 1
    zones = dict(zip(village.panel.regions, _zones(empty_store, "village")[:, -1], strict=True))
    assert zones[A1] != NO_ZONE and zones[B1] != NO_ZONE
    assert zones[A2] == NO_ZONE and zones[B2] == NO_ZONE  # not named: not covered, missing
    assert np.isnan(village.panel.values["new_cases"][list(village.panel.regions).index(A2)]).all()
    # the RTs of a village named are covered; the regency holds half its people: "at least"
    rts = service.level_data(empty_store, "rt")
    assert (_zones(empty_store, "rt")[:, -1] != NO_ZONE).all()
    assert rts.panel.values["houses_7d"][list(rts.panel.regions).index(RT2), -1] == 0
    regency = service.zones_on(empty_store, HARVARD, "regency", "2021-07-20")
    assert regency["coverage"].tolist() == [0.5, 0.5]
    assert regency["at_least"].all()


def test_later_coverage_adds_to_earlier_and_a_day_outside_stays_missing(empty_store: Store):
    first = [(nik(1), "2021-07-01", A1, "", ""), (nik(2), "2021-07-10", A1, "", "")]
    later = [(nik(3), "2021-07-15", A1, "", ""), (nik(4), "2021-07-25", A1, "", "")]
    import_linelist(empty_store, _csv(first), filename="first.csv")
    service.level_data(empty_store, "village")  # the union of spans is kept as a snapshot
    import_linelist(empty_store, _csv(later), filename="later.csv")
    spans = service.register_spans(empty_store)
    assert spans.values.tolist() == [
        [A1, pd.Timestamp("2021-07-01"), pd.Timestamp("2021-07-10")],
        [A1, pd.Timestamp("2021-07-15"), pd.Timestamp("2021-07-25")],
    ]
    village = service.level_data(empty_store, "village")
    a1 = village.panel.values["new_cases"][list(village.panel.regions).index(A1)]
    gap = (village.panel.dates > "2021-07-10") & (village.panel.dates < "2021-07-15")
    assert np.isnan(a1[gap]).all()  # no register covers 11 to 14 July
    assert (a1[~gap] >= 0).all() and np.nansum(a1) == 4
    zone = _zones(empty_store, "village")[list(village.panel.regions).index(A1)]
    days = village.panel.dates
    assert (zone[(days >= "2021-07-07") & (days <= "2021-07-10")] != NO_ZONE).all()
    assert (zone[(days > "2021-07-10") & (days < "2021-07-21")] == NO_ZONE).all()
    assert (zone[days >= "2021-07-21"] != NO_ZONE).all()
    # a line list that fills the gap joins the runs into one
    import_linelist(empty_store, _csv([(nik(5), "2021-07-12", A1, "", "")]), filename="gap.csv",
                    first="2021-07-11", last="2021-07-14")  # fmt: skip
    spans = service.register_spans(empty_store)
    assert spans.values.tolist() == [[A1, pd.Timestamp("2021-07-01"), pd.Timestamp("2021-07-25")]]
    assert (_zones(empty_store, "village")[list(village.panel.regions).index(A1), 6:] >= 0).all()


def test_after_an_upload_only_its_coverage_is_read(empty_store: Store, monkeypatch):
    import_linelist(empty_store, _csv([(nik(1), "2021-07-01", A1, "", "")]), filename="a.csv")
    service.register_spans(empty_store)
    second = import_linelist(
        empty_store, _csv([(nik(2), "2021-07-03", A2, "", "")]), filename="b.csv"
    )
    asked = []
    real = empty_store.coverage

    def spy(after_upload=None, *args):
        asked.append(after_upload)
        return real(after_upload, *args)

    monkeypatch.setattr(empty_store, "coverage", spy)
    spans = service.register_spans(empty_store)
    assert asked and set(asked) == {second.upload_id - 1}  # only what came since the snapshot
    assert spans["region"].tolist() == [A1, A2]


def test_counts_files_keep_their_meaning_beside_a_register(tmp_path):
    """A counts file's missing day stays missing; its figures stand on covered days."""
    counts = tiny_counts(days=14)
    counts = counts[~((counts["region"] == B2) & (counts["date"] == "2021-07-10"))]
    counts = counts[counts["region"] != A1]  # A1 is left to the line list
    store = Store(str(tmp_path / "both.db"))
    with store.transaction() as conn:
        upload = store.record_upload(conn, "test", "counts", None, "pytest", 0, 0)
        store.write_regions(conn, _regions(), upload)
        store.write_counts(conn, counts, upload)
    import_linelist(store, _csv([(nik(1), "2021-07-03", A1, "", "")]), filename="list.csv",
                    covers=f"{A1},{A2}", first="2021-07-01", last="2021-07-14")  # fmt: skip
    village = service.level_data(store, "village")
    values = dict(zip(village.panel.regions, village.panel.values["new_cases"], strict=True))
    assert values[A1].tolist() == [0, 0, 1, *[0] * 11]  # the register's zeros
    assert values[A2].tolist() == [2.0] * 14  # the counts file's figures, not zeros
    assert np.isnan(values[B2][village.day_index("2021-07-10")])  # missing, not 0
    assert not np.isnan(np.delete(values[B2], village.day_index("2021-07-10"))).any()


def test_unverified_cases_are_a_count_field_rolled_up(empty_store: Store):
    rows = [(nik(1), "2021-07-05", A1, "", ""), ("", "2021-07-05", A1, "", ""),
            ("12345", "2021-07-06", B1, "", "")]  # fmt: skip
    import_linelist(empty_store, _csv(rows), filename="list.csv", covers="33")
    province = service.case_series(empty_store, "province", "33")
    assert province["new_cases"].tolist() == [2.0, 1.0]
    assert province["new_cases_unverified"].tolist() == [1.0, 1.0]
    village = service.case_series(empty_store, "village", A1)
    assert village["new_cases_unverified"].tolist() == [1.0, 0.0]


def test_the_briefing_counts_a_register_s_silent_villages_as_reported(empty_store: Store):
    import_linelist(empty_store, _csv(_cases()), filename="list.csv", covers="33",
                    first="2021-07-01", last="2021-07-31")  # fmt: skip
    numbers = briefing.province_cases(empty_store, "2021-07-31")
    assert numbers["coverage"] == numbers["prev_coverage"] == 1.0
    village = service.level_data(empty_store, "village")
    assert numbers["cases_7d"] == village.metrics["cases_7d"][:, -1].sum()
