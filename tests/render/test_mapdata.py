"""Tests for zoning.render.mapdata: the ZMG geometry encoding and the per-view zone payload."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from zoning.model.schemes import builtin_schemes
from zoning.render import mapdata
from zoning.render.mapdata import GRID, decode_geometry, encode_geometry, zone_view
from zoning.store import DISPLAY_TOLERANCE
from zoning.views import published


def _encode(geoms, grid=0.001, names=None):
    codes = [f"33.01.01.{2001 + i}" for i in range(len(geoms))]
    names = names or [f"Desa {i}" for i in range(len(geoms))]
    return encode_geometry(codes, names, [1000.0] * len(geoms), geoms, grid)


def test_round_trip_keeps_shapes_within_half_a_grid_step():
    rng = np.random.default_rng(1)
    ring = np.c_[110 + rng.random(50) * 0.2, -7 + rng.random(50) * 0.2]
    hull = shapely.convex_hull(shapely.multipoints(ring))
    hole = box(110.08, -6.92, 110.1, -6.9)
    geoms = [hull.difference(hole), box(110.3, -7.0, 110.4, -6.9)]
    encoded = _encode(geoms, grid=0.0001)
    header, back = decode_geometry(encoded.payload)
    assert header["codes"] == list(encoded.codes)
    for original, decoded in zip(geoms, back, strict=True):
        assert shapely.hausdorff_distance(original, decoded) <= 0.0001 * 0.71
        assert len(decoded.interiors) == len(original.interiors)
    assert encoded.drawn == 2


def test_shared_borders_stay_shared():
    left, right = box(0, 0, 1, 1), box(1, 0, 2, 1)
    _, (a, b) = decode_geometry(_encode([left, right], grid=0.3).payload)
    # quantising moves both copies of the shared edge the same way: no gap, no overlap
    assert a.intersection(b).area == pytest.approx(0, abs=1e-12)
    assert a.union(b).area == pytest.approx(a.area + b.area)
    assert shapely.shared_paths(a.exterior, b.exterior).length > 0


def test_multipolygon_keeps_every_part_and_missing_geometry_has_none():
    island = MultiPolygon([box(0, 0, 1, 1), box(3, 3, 4, 4)])
    encoded = _encode([island, None, Polygon()], grid=0.01)
    header, back = decode_geometry(encoded.payload)
    assert back[0].geom_type == "MultiPolygon" and len(back[0].geoms) == 2
    assert back[1] is None and back[2] is None
    assert header["counts"][:2] == [3, 2]
    assert encoded.drawn == 1


def test_a_ring_smaller_than_the_grid_is_dropped_and_takes_its_polygon_only():
    tiny = box(5, 5, 5.0001, 5.0001)
    encoded = _encode([MultiPolygon([box(0, 0, 1, 1), tiny])], grid=0.01)
    _, back = decode_geometry(encoded.payload)
    assert back[0].geom_type == "Polygon" and back[0].area == pytest.approx(1)


def test_points_are_not_repeated_and_rings_are_not_closed_twice():
    square = Polygon([(0, 0), (0, 1), (0.0001, 1), (1, 1), (1, 0), (0, 0)])
    header, _ = decode_geometry(_encode([square], grid=0.01).payload)
    assert header["counts"] == [1, 1, 1, 4]  # the near-duplicate merged, closing point implied


def test_payload_is_gzip_with_magic_header_and_names_as_plain_text():
    hostile = "<img src=x onerror=alert(1)>"
    encoded = _encode([box(0, 0, 1, 1)], names=[hostile])
    raw = gzip.decompress(encoded.payload)
    assert raw[:4] == b"ZMG1"
    (size,) = struct.unpack("<I", raw[4:8])
    header, _ = decode_geometry(encoded.payload)
    assert header["names"] == [hostile]  # text; the map writes it with textContent
    assert len(raw) > 8 + size


def test_digest_follows_content():
    a = _encode([box(0, 0, 1, 1)])
    assert a.digest == _encode([box(0, 0, 1, 1)]).digest
    assert a.digest != _encode([box(0, 0, 1, 2)]).digest


def test_varints_match_a_plain_reader_at_byte_boundaries():
    values = np.array([0, 1, 127, 128, 16383, 16384, 2**21 - 1, 2**21, 2**35 + 3], np.uint64)
    data = mapdata._varints(values)
    back, pos = mapdata._read_varints(data, 0, len(values))
    assert back.tolist() == values.tolist() and pos == len(data)
    assert len(mapdata._varints(np.array([127], np.uint64))) == 1
    assert len(mapdata._varints(np.array([128], np.uint64))) == 2


def test_zigzag_is_small_for_small_negatives():
    assert mapdata._zigzag(np.array([0, -1, 1, -2, 2])).tolist() == [0, 1, 2, 3, 4]


def test_grid_is_finer_than_the_display_simplification_at_every_level():
    for level, step in GRID.items():
        assert step <= DISPLAY_TOLERANCE[level] / 2.9, level


def test_level_geometry_is_cached_by_data_version(tiny_store):
    first = mapdata.level_geometry(tiny_store, "village")
    assert mapdata.level_geometry(tiny_store, "village") is first
    assert first.drawn == len(tiny_store.regions("village"))
    inside = mapdata.level_geometry(tiny_store, "village", within="33.01")
    assert inside.codes and all(c.startswith("33.01.") for c in inside.codes)
    tiny_store.set_meta(note="x")  # any committed change moves the data version
    assert mapdata.level_geometry(tiny_store, "village") is not first


def test_a_view_is_built_once_for_every_session_and_masked_for_the_public(tiny_store):
    from zoning.render import presentation
    from zoning.views import service

    scheme = builtin_schemes()["who-ct-2021"]
    args = (tiny_store, scheme, "village", "2021-07-14", "en")
    public = mapdata.view_of(*args, public=True, level_label="Village")
    assert mapdata.view_of(*args, public=True, level_label="Village") is public  # shared
    exact = mapdata.view_of(*args, public=False, level_label="Village")
    geometry = mapdata.level_geometry(tiny_store, "village")
    zones = service.zones_on(*args[:4])
    shown = presentation.shown_zones(*args, public=True)
    assert public == zone_view(zones, geometry, scheme, "en", level_label="Village", masks=shown)
    analysts = published.public_zones(*args, public=False)  # the zones with their decisions
    assert exact == zone_view(zones, geometry, scheme, "en", level_label="Village", masks=analysts)
    assert public != exact  # villages with few cases: the public sees weekly figures only
    inside = mapdata.view_of(*args, public=False, level_label="Village", within="33.02")
    assert len(inside["zones"]) == 2 and len(exact["zones"]) == 4
    tiny_store.set_meta(note="x")
    assert mapdata.view_of(*args, public=True, level_label="Village") is not public


def _zones(codes, zone_index, cases, complete=True):
    return pd.DataFrame(
        {
            "code": codes,
            "zone_index": zone_index,
            "cases_7d_per_100k": cases,
            "new_cases_7d": cases,
            "window_complete": complete,
        }
    )


def test_zone_view_follows_the_geometry_order_and_marks_missing_regions():
    scheme = builtin_schemes()["who-ct-2021"]
    geometry = _encode([box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)])
    codes = list(geometry.codes)
    zones = _zones([codes[2], codes[0]], [3, 0], [250.04, 12.0])
    view = zone_view(zones, geometry, scheme, "en", level_label="Village")
    assert view["zones"] == [0, -1, 3]
    assert view["labels"][-1] == "No data" and len(view["colours"]) == len(scheme.zones) + 1
    rate = next(f for f in view["fields"] if f["label"].startswith("Cases per 100"))
    assert rate["values"] == [12.0, None, 250.0] and rate["decimals"] == 1


def test_zone_view_says_incomplete_and_takes_masks_as_text():
    scheme = builtin_schemes()["who-ct-2021"]
    geometry = _encode([box(0, 0, 1, 1), box(1, 0, 2, 1)])
    codes = list(geometry.codes)
    zones = _zones(codes, [-1, 1], [np.nan, 3.0], complete=[False, True])
    view = zone_view(
        zones, geometry, scheme, "id", level_label="Desa",
        masks={"new_cases_7d": [None, "1–4"]},
    )  # fmt: skip
    counts = next(f for f in view["fields"] if f["decimals"] == 0)
    assert [counts["texts"][i] for i in counts["text_of"]] == [
        "jendela 7 hari tidak lengkap",
        "1–4",
    ]
    assert "values" not in counts  # nothing but text: no list of nulls


def test_repeated_text_is_sent_once():
    scheme = builtin_schemes()["who-ct-2021"]
    geometry = _encode([box(i, 0, i + 1, 1) for i in range(4)])
    codes = list(geometry.codes)
    zones = _zones(codes, [0, 0, 1, 1], [7.0, 8.0, 9.0, 10.0])
    masks = {"new_cases_7d": ["Sundays only", "Sundays only", 9.0, "Sundays only"]}
    view = zone_view(zones, geometry, scheme, "en", level_label="Village", masks=masks)
    counts = next(f for f in view["fields"] if f["decimals"] == 0)
    assert counts["texts"] == ["Sundays only"]
    assert counts["text_of"] == [0, 0, -1, 0]
    assert counts["values"] == [None, None, 9, None]
    rate = next(f for f in view["fields"] if f["decimals"] == 1)
    assert "texts" not in rate and rate["values"] == [7.0, 8.0, 9.0, 10.0]


def test_zone_view_says_coverage_and_at_least_where_a_region_rests_on_part_of_it():
    scheme = builtin_schemes()["who-ct-2021"]
    geometry = _encode([box(i, 0, i + 1, 1) for i in range(3)])
    codes = list(geometry.codes)
    zones = _zones(codes, [3, 2, 1], [200.0, 60.0, 30.0]).assign(
        coverage=[1.0, 0.97, 0.5], at_least=[False, False, True]
    )
    view = zone_view(zones, geometry, scheme, "id", level_label="Kecamatan")
    cover = next(f for f in view["fields"] if f["label"] == "Cakupan pelaporan")
    assert [cover["texts"][i] for i in cover["text_of"]] == [
        "100 %",
        "97 %",
        "50 % (zona paling sedikit ini)",
    ]
    whole = _zones(codes, [3, 2, 1], [200.0, 60.0, 30.0]).assign(coverage=1.0, at_least=False)
    whole_view = zone_view(whole, geometry, scheme, "en", level_label="District")
    assert all(f["label"] != "Reporting coverage" for f in whole_view["fields"])


# --- issue 15: names on the map, the neighbours around a view, the box a level opens on -------


def test_each_name_goes_inside_its_region_s_largest_part():
    mainland = box(0, 0, 4, 2)
    islands = MultiPolygon([box(10, 10, 10.5, 10.5), mainland])
    encoded = _encode([islands, box(5, 0, 6, 1), None], grid=0.01)
    header, _ = decode_geometry(encoded.payload)
    origin, grid = np.asarray(header["origin"]), header["grid"]
    first, second, third = header["labels"]
    assert mainland.contains(shapely.Point(origin + np.asarray(first) * grid))
    assert box(5, 0, 6, 1).contains(shapely.Point(origin + np.asarray(second) * grid))
    assert third is None  # no shape, no name on the map


def test_context_regions_come_last_outside_the_codes_and_the_box():
    shown = [box(0, 0, 1, 1), box(1, 0, 2, 1)]
    around = [box(-5, -5, 0, 0), box(2, 0, 9, 9)]
    codes = ["33.74.01.1009.001", "33.74.01.1009.002", "33.74.01.1009", "33.74.01.1010"]
    encoded = encode_geometry(codes, ["RW 001", "RW 002", "Bangunharjo", "Kauman"],
                              [1.0] * 4, shown + around, 0.01, context=2)  # fmt: skip
    header, back = decode_geometry(encoded.payload)
    assert encoded.codes == tuple(codes[:2])  # the map's zones are of these only
    assert header["codes"] == codes and header["context"] == 2
    assert header["bbox"] == [0.0, 0.0, 2.0, 1.0]  # the view opens on the regions shown
    assert encoded.drawn == 2
    assert back[3].equals(around[1])


def test_a_whole_level_opens_on_the_mainland_not_on_far_small_islands():
    mainland = [box(x, 0, x + 1, 1) for x in range(20)]
    far_island = MultiPolygon([box(5, 8, 5.05, 8.05), box(5.5, 8.2, 5.52, 8.22)])
    geoms = [*mainland[:-1], MultiPolygon([mainland[-1].buffer(0), far_island.geoms[0]]),
             far_island.geoms[1]]  # fmt: skip
    header, _ = decode_geometry(_encode(geoms, grid=0.01).payload)
    assert header["fit"] is None  # only a whole level's map gets a box of its own
    codes = [f"33.{i + 1:02d}" for i in range(len(geoms))]
    whole = encode_geometry(codes, codes, [1.0] * len(geoms), geoms, 0.01, fit=True)
    header, _ = decode_geometry(whole.payload)
    assert header["bbox"][3] == pytest.approx(8.22)
    assert header["fit"] == pytest.approx([0.0, 0.0, 20.0, 1.0])


def test_an_rw_map_is_drawn_among_its_village_and_the_village_s_neighbours(tiny_store):
    import geopandas as gpd

    store = tiny_store
    rw = pd.DataFrame(
        {
            "code": ["33.01.01.2001.001", "33.01.01.2001.002"],
            "name": ["RW 001", "RW 002"],
            "level": ["rw", "rw"],
            "parent": ["33.01.01.2001", "33.01.01.2001"],
            "population": [500, 500],
        }
    )
    rw = gpd.GeoDataFrame(rw, geometry=[box(0, 0, 0.5, 1), box(0.5, 0, 1, 1)], crs="EPSG:4326")
    with store.transaction() as conn:
        upload = store.record_upload(conn, "test", "rw", None, "pytest", 2, 0)
        store.write_regions(conn, rw, upload)
    for within in ("33.01.01.2001", None):
        geometry = mapdata.level_geometry(store, "rw", within)
        header, _ = decode_geometry(geometry.payload)
        assert geometry.codes == ("33.01.01.2001.001", "33.01.01.2001.002")
        # the kelurahan and the other village of its district, as named outlines
        assert header["codes"][header["context"] :] == ["33.01.01.2001", "33.01.01.2002"]
        assert header["names"][header["context"] :] == ["Desa A1", "Desa A2"]
    # villages within a district: the district and its neighbours (the regency's districts)
    header, _ = decode_geometry(mapdata.level_geometry(store, "village", "33.01.01").payload)
    assert header["codes"][header["context"] :] == ["33.01.01"]
    # a whole level of villages: no neighbours to draw
    header, _ = decode_geometry(mapdata.level_geometry(store, "village").payload)
    assert header["context"] == len(header["codes"]) == 4


# --- level of detail: coarse shapes of a whole level, detail tiles, tooltips apart ---------------
def _coverage(n: int, seed: int = 3, detail: float = 0.002):
    """``n`` Voronoi cells tiling a box (exactly shared borders), each edge cut into many
    points, as village boundaries have."""
    rng = np.random.default_rng(seed)
    frame = box(110.0, -7.2, 110.6, -6.8)
    points = shapely.multipoints(np.c_[rng.uniform(110, 110.6, n), rng.uniform(-7.2, -6.8, n)])
    cells = shapely.get_parts(shapely.voronoi_polygons(points, extend_to=frame))
    cells = shapely.intersection(cells, frame)
    # the borders cut into points once, then made into cells again: neighbours share them
    borders = shapely.get_parts(shapely.line_merge(shapely.union_all(shapely.boundary(cells))))
    cells = shapely.get_parts(shapely.polygonize(shapely.segmentize(borders, detail)))
    centres = shapely.get_coordinates(shapely.centroid(cells))
    return cells[np.lexsort((centres[:, 0], -centres[:, 1]))]  # north to south, as codes go


def _tiled(geoms, **kwargs):
    codes = [f"33.01.{1 + i // 100:02d}.{2001 + i % 100}" for i in range(len(geoms))]
    names = [f"Desa {i}" for i in range(len(geoms))]
    population = [1000.0 + i for i in range(len(geoms))]
    return codes, mapdata.encode_tiled(codes, names, population, geoms, 0.0001, **kwargs)


def test_a_tiled_level_round_trips_and_a_region_keeps_its_id_in_every_part():
    geoms = _coverage(50)
    assert shapely.coverage_is_valid(geoms)
    codes, encoded = _tiled(geoms, tile_regions=8, coarse=20)
    header, coarse = decode_geometry(encoded.payload)
    assert header["codes"] == codes and list(encoded.codes) == codes
    assert header["population"][3] == 1003  # whole numbers as integers
    assert [t[4] for t in header["tiles"]] == [tile.name for tile in encoded.tiles]
    assert header["labels"] == []  # the tiles carry them
    seen = []
    for listed, tile in zip(header["tiles"], encoded.tiles, strict=True):
        tile_header, shapes = decode_geometry(tile.payload)
        ids = tile_header["ids"]
        assert len(ids) == len(shapes) <= 8 and ids == sorted(ids)
        assert "codes" not in tile_header and "names" not in tile_header
        seen += ids
        for k, shape in enumerate(shapes):
            # region ``ids[k]`` of the tile is region ``ids[k]`` of the level, in detail
            assert shapely.hausdorff_distance(shape, geoms[ids[k]]) <= 0.0001 * 0.71
            assert shapely.contains(shape, shapely.point_on_surface(geoms[ids[k]]))
            assert len(tile_header["labels"][k]) == 2
        assert shapely.box(*listed[:4]).buffer(0.0001).contains(shapely.union_all(shapes))
    assert sorted(seen) == list(range(50))  # every region in one tile
    # tiles are compact: together their boxes cover little more than the whole
    boxes = shapely.box(*np.array([t[:4] for t in header["tiles"]]).T)
    assert shapely.area(boxes).sum() < 2.5 * shapely.area(shapely.union_all(geoms))
    # the coarse shapes: every region, near its own shape, with far fewer points
    assert len(coarse) == 50 and all(c is not None for c in coarse)
    tolerance = 0.0001 * 20
    for original, rough in zip(geoms, coarse, strict=True):
        assert shapely.hausdorff_distance(original, rough) <= tolerance * 1.5
    assert header["counts"][3] * 5 < shapely.get_num_coordinates(geoms).sum()
    assert header["detail_zoom"] == pytest.approx(np.log2(360 / 256 / tolerance * 1.5), 0.01)


def test_coarse_shapes_keep_shared_borders():
    geoms = _coverage(80, seed=7)
    _, encoded = _tiled(geoms, tile_regions=30, coarse=30)
    _, coarse = decode_geometry(encoded.payload)
    coarse = np.asarray(coarse, dtype=object)
    assert shapely.coverage_is_valid(coarse)  # no overlaps, edges matched
    union = shapely.union_all(coarse)
    assert abs(union.area - shapely.area(coarse).sum()) < 1e-9  # no overlap
    tree = shapely.STRtree(geoms)
    pairs = tree.query(geoms, predicate="intersects").T
    for a, b in pairs[pairs[:, 0] < pairs[:, 1]]:
        shared = shapely.intersection(geoms[a], geoms[b]).length
        if shared > 0.01:  # real neighbours still share a border, not a point or a gap
            assert shapely.intersection(coarse[a], coarse[b]).length > 0.5 * shared, (a, b)


def test_a_tiled_view_sends_a_byte_per_region_and_its_tooltips_as_files():
    import base64
    import json

    n = 50_000
    rng = np.random.default_rng(2)
    zones = rng.integers(-1, 4, n).tolist()
    rates = np.round(rng.gamma(2.0, 40.0, n), 1).tolist()
    counts = [("1–4" if c < 5 else float(c)) for c in rng.integers(0, 40, n)]
    view = {
        "zones": zones, "labels": ["a", "b", "c", "d", "none"], "colours": ["#000000"] * 5,
        "legend": [], "title": "Village", "zone_label": "Zone", "population_label": "People",
        "fields": [
            {"label": "Rate", "decimals": 1, "values": rates},
            {"label": "Cases", "decimals": 0,
             **mapdata._packed(np.asarray(counts, dtype=object))},
        ],
        "marks": {"hotspot": rng.integers(0, 2, n).tolist()},
    }  # fmt: skip
    geometry = mapdata.MapGeometry(("x",) * n, b"", (0, 0, 1, 1), n, tiles=(mapdata.MapFile(b""),))
    full, _ = mapdata.wire_view(view)
    assert full is view  # a level that is not tiled is sent as it is
    sent, tips = mapdata.wire_view(mapdata.tiled_view(view, geometry))
    wire = json.dumps(sent, ensure_ascii=False).encode("utf-8")
    assert len(wire) < n  # under a byte per region, where the whole view is many times that
    assert len(json.dumps(view, ensure_ascii=False).encode("utf-8")) > 10 * n
    raw = gzip.decompress(base64.b64decode(sent["zones"]))
    assert np.frombuffer(raw, dtype=np.int8).tolist() == zones
    hot = gzip.decompress(base64.b64decode(sent["marks"]["hotspot"]))
    assert np.frombuffer(hot, dtype=np.int8).tolist() == view["marks"]["hotspot"]
    assert all(set(f) == {"label", "decimals"} for f in sent["fields"])
    assert not any(key.startswith("_") for key in sent)
    ranges = [[k, min(k + mapdata.TIP_REGIONS, n)] for k in range(0, n, mapdata.TIP_REGIONS)]
    assert [t[:2] for t in sent["tips"]] == [[t.first, t.end] for t in tips] == ranges
    assert [t[2] for t in sent["tips"]] == [t.name for t in tips]
    seen_rates, seen_counts = [], []
    for tip in tips:
        data = json.loads(gzip.decompress(tip.payload))
        assert data["first"] == tip.first
        seen_rates += mapdata._unpacked(data["fields"][0])
        seen_counts += mapdata._unpacked(data["fields"][1])
    assert seen_rates == rates and seen_counts == counts


def test_a_tiled_level_from_the_store_publishes_only_what_the_public_may_see(
    tiny_store, monkeypatch
):
    import json

    from zoning.render import presentation
    from zoning.views import service

    monkeypatch.setenv(mapdata.TILED_ABOVE_ENV, "2")
    monkeypatch.setattr(mapdata, "TILE_REGIONS", 3)
    monkeypatch.setattr(mapdata, "TIP_REGIONS", 3)
    geometry = mapdata.level_geometry(tiny_store, "village")
    ids = [decode_geometry(t.payload)[0]["ids"] for t in geometry.tiles]
    assert sorted(i for part in ids for i in part) == [0, 1, 2, 3] and len(ids) == 2
    scheme = builtin_schemes()["who-ct-2021"]
    args = (tiny_store, scheme, "village", "2021-07-14", "en")
    zones = service.zones_on(*args[:4])
    for public in (True, False):
        view = mapdata.view_of(*args, public=public, level_label="Village")
        masks = presentation.shown_zones(*args, public=True) if public else zones
        whole = zone_view(zones, geometry, scheme, "en", level_label="Village", masks=masks)
        sent, tips = mapdata.wire_view(view)
        assert "values" not in json.dumps(sent)
        files = [json.loads(gzip.decompress(t.payload))["fields"] for t in tips]
        for k, field in enumerate(whole["fields"]):
            published = [v for part in files for v in mapdata._unpacked(part[k])]
            assert published == mapdata._unpacked(field), (public, field["label"])
    public = mapdata.view_of(*args, public=True, level_label="Village")
    exact = mapdata.view_of(*args, public=False, level_label="Village")
    assert [t.name for t in public["_tips"]] != [t.name for t in exact["_tips"]]
    monkeypatch.delenv(mapdata.TILED_ABOVE_ENV)
    tiny_store.set_meta(note="x")
    assert not mapdata.level_geometry(tiny_store, "village").tiles  # 4 villages: one file


def test_a_tiled_level_is_kept_in_the_store_for_the_next_server(tiny_store, monkeypatch):
    from zoning.store import Store
    from zoning.views import cache

    monkeypatch.setenv(mapdata.TILED_ABOVE_ENV, "2")
    monkeypatch.setattr(mapdata, "TILE_REGIONS", 3)
    built = mapdata.level_geometry(tiny_store, "village")
    back = mapdata._geometry_from_bytes(mapdata._geometry_to_bytes(built))
    assert (back.codes, back.payload, back.drawn) == (built.codes, built.payload, built.drawn)
    assert [t.payload for t in back.tiles] == [t.payload for t in built.tiles]
    assert back.bounds == pytest.approx(built.bounds)

    def no_build(*args, **kwargs):
        raise AssertionError("built again")

    for shelf in cache._SHELVES.values():  # a new server: nothing in memory
        shelf.clear()
    monkeypatch.setattr(mapdata, "encode_tiled", no_build)
    again = mapdata.level_geometry(Store(tiny_store.url), "village")
    assert again.payload == built.payload and again.digest == built.digest
    assert [t.name for t in again.tiles] == [t.name for t in built.tiles]
    tiny_store.set_meta(note="x")  # new data: the kept one is stale, so it is built again
    with pytest.raises(AssertionError, match="built again"):
        mapdata.level_geometry(tiny_store, "village")
