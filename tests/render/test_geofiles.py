"""``within=`` names a real region above the view, and no live view loses its geometry file."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from conftest import open_page

from zoning.render import mapdata
from zoning.render.geofiles import GeoFiles
from zoning.store import Store

BOGUS = ["99.99", "33.09", "33.01.01.2001", "33.01.01.2001.001", "abc", "33.01.01.x",
         "' OR 1=1 --", "3301" * 30, "33.01.01/../../etc", "3315061507850018"]  # fmt: skip
REAL = ["33", "33.01", "3302", "33.01.01", "33.02.01"]


@pytest.mark.parametrize(
    ("level", "given", "want"),
    [
        ("village", "33.01.01", "33.01.01"),
        ("village", "330201", "33.02.01"),
        ("village", "33", "33"),
        ("district", "33.02", "33.02"),
        ("village", None, None),
        ("village", "  ", None),
    ],
)
def test_a_real_region_above_the_level_is_accepted(tiny_store: Store, level, given, want):
    assert mapdata.checked_within(tiny_store, level, given) == (want, False)


@pytest.mark.parametrize("given", BOGUS)
def test_anything_else_is_refused(tiny_store: Store, given: str):
    assert mapdata.checked_within(tiny_store, "village", given) == (None, True)
    assert mapdata.checked_within(tiny_store, "regency", "33.01") == (None, True)  # same level


def test_a_refused_within_gives_the_whole_level(tiny_store: Store):
    whole = mapdata.level_geometry(tiny_store, "village")
    for given in BOGUS:
        assert mapdata.level_geometry(tiny_store, "village", given) is whole
    part = mapdata.level_geometry(tiny_store, "village", "33.01.01")
    assert sorted(part.codes) == ["33.01.01.2001", "33.01.01.2002"]
    assert (part.store, part.version) == (tiny_store.url, tiny_store.data_version())


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.glob("*.zmg")}


def test_many_within_values_write_files_only_for_real_regions_and_keep_them(
    tiny_store: Store, tmp_path: Path
):
    """68 loads with different ``within`` values, on a folder that keeps only 2 files."""
    files = GeoFiles(tmp_path / "geo", keep=2)
    published = set()
    for k in range(68):
        given = (REAL + BOGUS)[k % len(REAL + BOGUS)]
        for level in ("village", "district"):
            within = mapdata.checked_within(tiny_store, level, given)[0]
            geometry = mapdata.level_geometry(tiny_store, level, within)
            name = files.publish(
                geometry.digest, geometry.payload, geometry.store, geometry.version
            )
            published.add(name)
            assert _files(files.folder) >= published  # no file a view was given is gone
    real = {
        mapdata.level_geometry(tiny_store, lv, mapdata.checked_within(tiny_store, lv, w)[0]).digest
        for lv in ("village", "district")
        for w in [*REAL, None]
    }
    assert _files(files.folder) == {f"{d}.zmg" for d in real}  # none for the bogus values


def _publish(files: GeoFiles, text: str, version: int, store: str = "db") -> str:
    return files.publish(text, text.encode(), store, version)


def _age(folder: Path, name: str, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(folder / name, (then, then))


def test_files_of_the_current_and_previous_data_version_are_never_removed(tmp_path: Path):
    files = GeoFiles(tmp_path, keep=1, grace=60)
    old = _publish(files, "a", 1)
    _publish(files, "b", 2)
    _age(tmp_path, old, 3600)  # long unused, but a view of version 1 may still fetch it
    _publish(files, "c", 2)
    assert old in _files(tmp_path)
    _publish(files, "d", 3)  # two versions on: version 1's file goes, version 2's stay
    assert _files(tmp_path) == {"b.zmg", "c.zmg", "d.zmg"}


def test_a_file_another_process_uses_is_kept_until_it_is_stale(tmp_path: Path):
    (tmp_path / "theirs.zmg").write_bytes(b"x")  # written by another server just now
    (tmp_path / "stale.zmg").write_bytes(b"x")
    _age(tmp_path, "stale.zmg", 7200)
    files = GeoFiles(tmp_path, keep=1, grace=60)
    _publish(files, "mine", 1)
    assert _files(tmp_path) == {"theirs.zmg", "mine.zmg"}


def test_publishing_again_marks_a_file_in_use(tmp_path: Path):
    files = GeoFiles(tmp_path, keep=1, grace=60)
    name = _publish(files, "a", 1)
    _age(tmp_path, name, 7200)
    assert _publish(files, "a", 1) == name
    assert time.time() - (tmp_path / name).stat().st_mtime < 60


def test_a_read_only_folder_gives_no_file(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    assert GeoFiles(blocker / "geo").publish("a", b"a", "db", 1) is None


# --- the page --------------------------------------------------------------------------------


@pytest.fixture
def page_store(tiny_store: Store, serve_store) -> Store:
    return serve_store(tiny_store)


@pytest.mark.parametrize(
    ("lang", "said"), [("id", "bukan wilayah yang dikenal"), ("en", "not a known region")]
)
def test_the_map_page_says_a_bogus_within_is_unknown_and_shows_everything(
    page_store: Store, lang: str, said: str
):
    at = open_page("map", lang=lang, level="village", date="2021-07-10", within="99.99")
    assert at.info and said in at.info[0].value and "99" in at.info[0].value
    total = "4 dari 4 wilayah" if lang == "id" else "4 of 4 regions"
    assert total in "\n".join(el.value for el in at.markdown)
    at = open_page("map", lang=lang, level="village", date="2021-07-10", within="33.01.01")
    assert not at.info
    assert ("2 dari 2 wilayah" if lang == "id" else "2 of 2 regions") in "\n".join(
        el.value for el in at.markdown
    )
