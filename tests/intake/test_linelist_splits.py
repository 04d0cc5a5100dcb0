"""The same line-list rows in any split into uploads, in any order, give the same episodes and
the same counts (issue 13, item 4): every positive date is kept and the episodes are worked out
from all of them, so nothing depends on which upload brought which date first.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import fuzz, tiny_regions
from hypothesis import assume, given
from hypothesis import strategies as st

from zoning.intake.linelist import EPISODE_DAYS, import_linelist
from zoning.model.metrics import to_panel
from zoning.model.registers import REGISTER_FIELDS, fill_silent_days, merge_spans
from zoning.store import Store

pytestmark = pytest.mark.usefixtures("private_key_file")

A1, A2, B1 = "33.01.01.2001", "33.01.01.2002", "33.02.01.1001"
RW = f"{B1}.001"
RT1, RT2 = f"{RW}.001", f"{RW}.002"
#: Where a case is written: the village code and the RT number (empty: the village itself).
PLACES = [(A1, ""), (A2, ""), (B1, ""), (B1, "1"), (B1, "2")]
HEADER = ("nik", "tanggal_konfirmasi", "kode_desa", "rw", "rt", "no_kk", "alamat")
START = pd.Timestamp("2021-01-01")
#: Long enough for re-infections (:data:`EPISODE_DAYS`) and their late reports.
SPAN_DAYS = 2 * EPISODE_DAYS + 40
#: Every upload says it covers the whole province over the same days, so that what the
#: store covers is the same however the rows are split (the default, each file's own first to
#: last date, differs with the split by design: see test_registers).
COVERS = {"covers": "33", "first": "2020-12-20", "last": "2021-09-30"}


@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A closed SQLite file with the tiny province, one RW of two RTs, and no counts."""
    path = tmp_path_factory.mktemp("splits") / "template.db"
    store = Store(str(path))
    frame = pd.DataFrame(tiny_regions().drop(columns="geometry"))
    rows = [(RW, "RW 001", "rw", B1, 600.0), (RT1, "RT 001", "rt", RW, 300.0),
            (RT2, "RT 002", "rt", RW, 300.0)]  # fmt: skip
    frame = pd.concat([frame, pd.DataFrame(rows, columns=frame.columns)], ignore_index=True)
    with store.transaction() as conn:
        upload = store.record_upload(conn, "test", "regions", None, "pytest", 0, 0)
        store.write_regions(conn, frame, upload)
    store.engine.dispose()
    return path


def nik(person: int) -> str:
    return f"3301010101{90 + person:02d}{person + 1:04d}"


@st.composite
def _rows(draw) -> list[tuple[str, ...]]:
    """Line-list rows: a few people with one to four dates each (repeat tests, late reports
    and re-infections 90 days on), at villages or RTs, with or without a household; some
    rows without a valid NIK."""
    rows = []
    for person in range(draw(st.integers(1, 5))):
        for _ in range(draw(st.integers(1, 4))):
            village, rt = draw(st.sampled_from(PLACES))
            day = START + pd.Timedelta(days=draw(st.integers(0, SPAN_DAYS)))
            kk = draw(st.sampled_from(["", "3301010101900001", "3301010101900002"]))
            address = draw(st.sampled_from(["", "Jl. Melati 3", "JL MELATI NO 3", "Jl. Mawar 1"]))
            rows.append((nik(person), f"{day.date()}", village, "1" if rt else "", rt, kk, address))
    for _ in range(draw(st.integers(0, 3))):  # no valid NIK: each row a case of its own
        village, rt = draw(st.sampled_from(PLACES))
        day = START + pd.Timedelta(days=draw(st.integers(0, SPAN_DAYS)))
        bad = draw(st.sampled_from(["", "-", "3.30101E+15", "330101010190001"]))
        rows.append((bad, f"{day.date()}", village, "1" if rt else "", rt, "", ""))
    return rows


def _valid(row: tuple[str, ...]) -> bool:
    """Whether the row's NIK is one (the generator writes no other 16-digit cells)."""
    return len(row[0]) == 16 and row[0].isdigit()


def _csv(rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode()


def _state(store: Store) -> dict[str, object]:
    """What the rows make, without what depends on how they came (upload ids, and the keys
    of rows without a valid NIK, which are their files' and rows')."""
    rows = store.case_dates()
    key = rows["person_key"].where(~rows["unverified"], "unverified")
    register = sorted(
        zip(key, rows["date"], rows["region"], rows["household_key"].fillna(""),
            rows["episode"], strict=True)
    )  # fmt: skip
    out: dict[str, object] = {"register": register}
    spans = merge_spans(store.coverage())
    regions = store.regions()
    for level, fields in REGISTER_FIELDS.items():
        codes = regions.loc[regions["level"] == level, "code"].tolist()
        counts = store.counts(level=level)
        panel = fill_silent_days(to_panel(counts, {}, regions=codes), spans, fields)
        out[level] = (
            list(panel.dates),
            {f: np.nan_to_num(panel.values[f], nan=-1.0).tolist() for f in fields},
        )
    return out


def _fresh(template: Path, folder: Path, name: str) -> Store:
    path = folder / f"{name}.db"
    shutil.copy(template, path)
    return Store(str(path))


@fuzz(200)
@given(
    rows=_rows(),
    parts=st.integers(1, 4),
    data=st.data(),
)
def test_fuzz_any_split_of_the_same_rows_gives_the_same_episodes_and_counts(
    template_db, tmp_path_factory, rows, parts, data
):
    folder = tmp_path_factory.mktemp("split")
    whole = _fresh(template_db, folder, "whole")
    split = _fresh(template_db, folder, "split")
    try:
        import_linelist(whole, _csv(rows), filename="all.csv", **COVERS)
        # each row goes to one upload; a row with a valid NIK may come again in another one
        # (a later list repeating it), which must change nothing
        where = data.draw(st.lists(st.integers(0, parts - 1), min_size=len(rows),
                                   max_size=len(rows)), label="upload of each row")  # fmt: skip
        uploads: list[list[tuple[str, ...]]] = [[] for _ in range(parts)]
        for row, k in zip(rows, where, strict=True):
            uploads[k].append(row)
            if _valid(row) and data.draw(st.booleans(), label="again"):
                uploads[data.draw(st.integers(0, parts - 1), label="again in")].append(row)
        order = data.draw(st.permutations(range(parts)), label="order of the uploads")
        files = []
        for k in order:
            part = data.draw(st.permutations(uploads[k]), label="order of its rows")
            if part and not any(_valid(r) for r in part):
                part = [*part, rows[0]]  # a file without one valid NIK is refused
            if part:
                files.append(_csv(part))
        # the same bytes twice are the same file, one upload (zoning.intake.envelope), so its
        # rows without a valid NIK count once: not a split of distinct rows
        assume(len(set(files)) == len(files))
        for k, file in enumerate(files):
            import_linelist(split, file, filename=f"part{k}.csv", **COVERS)
        assert _state(split) == _state(whole)
    finally:
        whole.engine.dispose()
        split.engine.dispose()
