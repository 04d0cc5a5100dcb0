"""Region boundaries and region lists from analysts' files: read, check and import.

Formats, recognised from the content (the file name only helps):

* GeoJSON;
* GeoPackage (one layer, or the one named by ``layer``);
* zipped Shapefile (a ``.zip`` holding ``.shp``, ``.shx``, ``.dbf`` and ``.prj``), or a
  ``.shp`` path with those files beside it;
* CSV region lists without geometry (RW and RT usually have none).

Any coordinate reference system is reprojected to EPSG:4326. Fields are found from the
common Indonesian names (``kode``, ``nama``, ``penduduk``; BIG's ``KDEPUM``/``WADMKD``; OCHA's
``ADM4_PCODE``/``ADM4_EN``...) unless named. Problems of the file as a whole raise
:class:`~zoning.core.errors.InputError`; problems of single features go into the
:class:`~zoning.intake.report.Report` with their row: the feature's number (first feature = row 1)
for GIS files, the spreadsheet row (header = row 1) for CSV.
"""

from __future__ import annotations

import io
import logging
import re
import tempfile
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from zoning.core.errors import InputError
from zoning.core.text import quote, redact
from zoning.intake import envelope, tables
from zoning.intake.columns import (
    REGION_LEVEL_CODES,
    REGION_LEVEL_NAMES,
    REGION_LOCAL_NUMBERS,
    REGIONS,
    describe,
    match_columns,
    pick_columns,
)
from zoning.intake.envelope import Loaded
from zoning.intake.filecheck import (
    Limits,
    ReadOnce,
    check_entries,
    check_json_depth,
    check_members,
    extract,
)
from zoning.intake.report import ImportResult, Report
from zoning.model.codes import DIGIT_LENGTHS, CodeError, depth, normalise_code, parent_code
from zoning.model.regions import (
    LEVELS,
    level_depth,
    level_of_code,
    missing_ancestors,
    parent_level,
)
from zoning.store import Store, Transaction

#: Largest file read, in bytes.
MAX_BYTES = 1024 * 2**20

#: Plural words for messages.
PLURAL = {
    "province": "provinces",
    "regency": "regencies",
    "district": "districts",
    "village": "villages",
    "rw": "RWs",
    "rt": "RTs",
}

#: Fields and the names looked for (:data:`zoning.intake.columns.REGIONS`).
FIELD_NAMES = REGIONS
_OPTIONS = {
    "code": "--code-field",
    "name": "--name-field",
    "parent": "--parent-field",
    "population": "--population-field",
}

_PCODE = re.compile(r"^[Ii][Dd]([0-9]+)$")
_SHAPEFILE_NAME = 10  # a Shapefile's field names are cut to 10 characters
_SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_SQLITE_MAGIC = b"SQLite format 3\x00"
#: Files read lately, by content and layer: the upload page reruns on every click, and a
#: rerun (or the commit after the preview) must not unzip and read the file again.
_READS = ReadOnce(entries=2)


# --- loading bytes ---------------------------------------------------------------------------


def _load(
    source: str | Path | bytes | Loaded, filename: str | None, limit: int = MAX_BYTES
) -> Loaded:
    """The file's content: its bytes, or a Shapefile's parts read from beside a ``.shp``."""
    if isinstance(source, Loaded):
        return source
    if isinstance(source, bytes | bytearray | memoryview):
        return envelope.load(bytes(source), filename, limit)
    path = Path(source)
    if path.suffix.lower() != ".shp":
        return envelope.load(path, filename, limit)
    parts = {}
    for ext in _SHAPEFILE_PARTS:
        found = [p for p in path.parent.glob(path.stem + ".*") if p.suffix.lower() == ext]
        if found:
            parts[ext] = tables.load_bytes(found[0], limit)
        elif ext in (".shp", ".shx", ".dbf"):
            raise InputError(
                f"the Shapefile {path.name} has no {ext} file beside it; a Shapefile needs "
                f"{path.stem}.shp, .shx, .dbf and .prj together (or upload them as one .zip)"
            )
    return Loaded(filename if filename is not None else path.name, parts=parts)


# --- opening the file as a table ---------------------------------------------------------------


@dataclass
class _Table:
    """The file's rows (indexed by row number) and what was learnt opening it."""

    frame: pd.DataFrame  # a GeoDataFrame when the file has geometry
    facts: dict[str, object]
    notes: list[str] = field(default_factory=list)  # warnings from the reader


def _open(loaded: Loaded, layer: str | None) -> _Table:
    """The file as a table, read once per content and layer (see :data:`_READS`)."""
    key = (loaded.sha256, layer, loaded.name)
    return _READS.get(key, lambda: _open_now(loaded, layer, Limits.from_env()))


def _open_now(loaded: Loaded, layer: str | None, limits: Limits) -> _Table:
    try:
        return _open_checked(loaded, layer, limits)
    except InputError:
        raise
    except Exception as exc:  # any reader's failure is the file's problem, never a traceback
        raise _unreadable(exc) from None


def _unreadable(exc: Exception) -> InputError:
    """A reader's unexpected failure as a message for the person (logged without content)."""
    logging.getLogger("zoning").warning(
        "boundary file unreadable: %s: %s", type(exc).__name__, redact(exc)[:300]
    )
    return InputError(
        f"cannot read the file ({type(exc).__name__}); check that it is a GeoJSON, a "
        "GeoPackage, a zipped Shapefile or a CSV file, and export it again"
    )


def _open_checked(loaded: Loaded, layer: str | None, limits: Limits) -> _Table:
    if loaded.parts:
        return _read_shapefile(loaded.parts, PurePosixPath(loaded.name or "regions.shp").stem)
    data, name = loaded.data, loaded.name or ""
    suffix = PurePosixPath(name).suffix.lower()
    if not data.strip():
        raise InputError("the file is empty")
    if data.startswith(_ZIP_MAGIC):
        return _open_zip(data, layer, limits)
    if data.startswith(_SQLITE_MAGIC):
        return _read_gdal(data, _safe_name(name, ".gpkg"), "GeoPackage", layer)
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"{", b"[")):
        check_json_depth(data, limits)
        return _read_gdal(data, _safe_name(name, ".geojson"), "GeoJSON", None)
    if suffix in (".shp", ".shx", ".dbf", ".prj"):
        raise InputError(
            "a Shapefile is several files: upload them as one .zip holding the .shp, .shx, "
            ".dbf and .prj"
        )
    if suffix in (".gpkg", ".geojson", ".json", ".zip"):
        kind = {".gpkg": "GeoPackage", ".zip": "zip"}.get(suffix, "GeoJSON")
        raise InputError(f"{name} is not a {kind} file (its content is not {kind})")
    if suffix in (".xlsx", ".xls", ".ods"):
        raise InputError("this is a spreadsheet; save the sheet as CSV and try again")
    if b"\x00" in data[:8192] and data[:2] not in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16: CSV
        raise InputError(
            "cannot read this file: expected GeoJSON, a GeoPackage, a zipped Shapefile or CSV"
        )
    frame = tables.read_table(data)  # header row 1, rows numbered from 2
    return _Table(frame, {"format": "CSV", "features": len(frame)})


def _open_zip(data: bytes, layer: str | None, limits: Limits) -> _Table:
    """The Shapefile in a zip: sizes checked from the directory first, then unzipped to disk."""
    check_entries(data)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [
            m
            for m in archive.infolist()
            if not m.is_dir()
            and not m.filename.startswith("__MACOSX/")
            and not PurePosixPath(m.filename).name.startswith(".")
        ]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        raise InputError("the file is not a readable zip archive") from None
    names = [m.filename for m in members]
    if "[Content_Types].xml" in names:
        raise InputError("this is an Excel workbook; save the sheet as CSV and try again")
    shps = {str(PurePosixPath(n).with_suffix("")): n for n in names if n.lower().endswith(".shp")}
    if not shps:
        listed = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "") or "nothing"
        raise InputError(
            f"the zip has no .shp file (it holds: {listed}); a zipped Shapefile needs the .shp, "
            ".shx, .dbf and .prj files"
        )
    if layer is not None:
        chosen = [s for s in shps if PurePosixPath(s).name == layer or s == layer]
        if not chosen:
            raise InputError(
                f"the zip has no Shapefile {layer!r}; it has: "
                + ", ".join(PurePosixPath(s).name for s in shps),
                column="--layer",
            )
        stem = chosen[0]
    elif len(shps) > 1:
        raise InputError(
            "the zip holds several Shapefiles: "
            + ", ".join(PurePosixPath(s).name for s in shps)
            + "; choose one with --layer",
            column="--layer",
        )
    else:
        stem = next(iter(shps))
    wanted = {}
    for m in members:
        path = PurePosixPath(m.filename)
        ext = path.suffix.lower()
        if str(path.with_suffix("")) == stem and ext in _SHAPEFILE_PARTS:
            wanted[ext] = m
    missing = [ext for ext in (".shx", ".dbf") if ext not in wanted]
    if missing:
        raise InputError(
            f"the zip has {PurePosixPath(stem).name}.shp but no {' or '.join(missing)} file "
            "beside it; a zipped Shapefile needs the .shp, .shx, .dbf and .prj files"
        )
    check_members(wanted.values(), limits)  # before anything is unzipped

    def unzip(path: Path) -> None:
        for ext, member in wanted.items():
            extract(archive, member, path.with_suffix(ext))

    table = _read_gdal(unzip, _safe_name(stem, ".shp"), "Shapefile", None)
    table.facts["layer"] = PurePosixPath(stem).name
    if ".prj" not in wanted:
        table.facts["prj"] = "missing"
    return table


def _safe_name(name: str, suffix: str) -> str:
    """A file name for the temporary copy: the person's name (for messages), made safe."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", redact(PurePosixPath(name).stem))[:60].strip("_")
    return (stem or "regions") + suffix


def _read_shapefile(parts: dict[str, bytes], stem: str) -> _Table:
    def write(path: Path) -> None:
        for ext, data in parts.items():
            path.with_suffix(ext).write_bytes(data)

    table = _read_gdal(write, _safe_name(stem, ".shp"), "Shapefile", None)
    table.facts["layer"] = stem
    if ".prj" not in parts:
        table.facts["prj"] = "missing"
    return table


def _read_gdal(
    content: bytes | Callable[[Path], None], filename: str, kind: str, layer: str | None
) -> _Table:
    """Read a GIS file through GDAL from a private temporary folder.

    ``content`` is the file's bytes, or writes the file(s) at the path it is given.
    """
    with tempfile.TemporaryDirectory(prefix="zoning-") as tmp:
        path = Path(tmp) / filename
        if callable(content):
            content(path)
        else:
            path.write_bytes(content)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if kind == "GeoPackage":
                layer = _choose_layer(path, layer, tmp)
            try:
                frame = pyogrio.read_dataframe(path, layer=layer, on_invalid="fix", use_arrow=True)
            except Exception as exc:
                raise InputError(f"cannot read the file as {kind}: {_gdal(exc, tmp)}") from None
    notes = [
        _gdal(w.message, tmp) for w in caught if not issubclass(w.category, DeprecationWarning)
    ]
    frame.index = pd.RangeIndex(1, len(frame) + 1)  # row = feature number
    facts: dict[str, object] = {"format": kind, "features": len(frame)}
    if kind == "GeoPackage":
        facts["layer"] = layer
    return _Table(frame, facts, notes)


def _choose_layer(path: Path, layer: str | None, tmp: str) -> str:
    """The GeoPackage layer to read: the one named, else the only one."""
    try:
        layers = [str(n) for n, _ in pyogrio.list_layers(path)]
    except Exception as exc:
        raise InputError(f"cannot read the file as GeoPackage: {_gdal(exc, tmp)}") from None
    if not layers:
        raise InputError("the GeoPackage has no layers")
    if layer is not None and layer not in layers:
        raise InputError(
            f"the GeoPackage has no layer {layer!r}; its layers are: {', '.join(layers)}",
            column="--layer",
        )
    if layer is None and len(layers) > 1:
        raise InputError(
            f"the GeoPackage has several layers: {', '.join(layers)}; choose one with --layer",
            column="--layer",
        )
    return layer or layers[0]


def _gdal(exc: object, tmp: str) -> str:
    """A reader's message without the temporary folder, cut to a readable length."""
    text = str(exc).replace(tmp + "/", "").strip()
    text = text.split("; It might help")[0]
    return redact(text)[:300]  # redacted before it is cut (zoning.core.text.quote)


# --- fields ------------------------------------------------------------------------------------


def _listed(columns: list[str]) -> str:
    shown = [quote(c) for c in columns[:30]]
    return ", ".join(shown) + (", ..." if len(columns) > 30 else "") if shown else "none"


def _choose_fields(
    columns: list[str], level: str, given: dict[str, str | None]
) -> dict[str, str | None]:
    """The column of each role: the one named, else the first common name found."""
    above = parent_level(level)
    candidates = {
        "code": FIELD_NAMES["code"] + REGION_LEVEL_CODES[level],
        "name": FIELD_NAMES["name"] + REGION_LEVEL_NAMES[level],
        "parent": FIELD_NAMES["parent"]
        + tuple(
            n for n in REGION_LEVEL_CODES.get(above or "", ()) if n not in REGION_LOCAL_NUMBERS
        ),
        "population": FIELD_NAMES["population"],
    }
    chosen: dict[str, str | None] = {}
    for role, option in _OPTIONS.items():
        want = given.get(role)
        if want is not None:
            hits = [c for c in columns if c == want] or match_columns(columns, {role: (want,)}).get(
                role, []
            )
            if not hits:
                raise InputError(
                    f"the file has no field {want!r}; its fields are: {_listed(columns)}",
                    column=option,
                )
            chosen[role] = hits[0]
            continue
        taken = [c for c in chosen.values() if c is not None]
        found = match_columns(columns, {role: candidates[role]}, cut=_SHAPEFILE_NAME)
        found = pick_columns(found, taken=taken).get(role)
        if found is None and role in ("code", "name"):
            raise InputError(
                f"cannot find the {role} field of the {PLURAL[level]} (looked for "
                + ", ".join(candidates[role][:8])
                + f", ...); the file's fields are: {_listed(columns)}; name it with {option}",
                column=option,
            )
        chosen[role] = found
    if level == "province" and given.get("parent") is None:
        chosen["parent"] = None
    return chosen


# --- cells -------------------------------------------------------------------------------------


def _empty(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def parse_code(value: object) -> str:
    """A region code from a cell: any form :func:`normalise_code` reads, or an OCHA P-code.

    ``ID3374`` becomes ``33.74``: the ``ID`` prefix is dropped when the rest is a code's
    number of digits. OCHA's district P-codes (``ID3374010``, seven digits) follow BPS
    numbering and have no Kemendagri equivalent, so they are refused, and so are
    ten-digit village P-codes whose village number cannot be a Kemendagri one (Kemendagri
    village numbers start with 1, 2 or 3: ``33.74.01.1001``).
    """
    if isinstance(value, str):
        match = _PCODE.match(value.strip())
        if match:
            digits = match.group(1)
            if len(digits) not in DIGIT_LENGTHS:
                raise CodeError(
                    f"P-code {value.strip()!r} has {len(digits)} digits after 'ID': OCHA's "
                    "district and village P-codes use BPS numbering, not Kemendagri codes; "
                    "use a field with Kemendagri codes such as 33.74.01"
                )
            code = normalise_code(digits)
            if depth(code) == 4 and code[-4] not in "123":
                raise CodeError(
                    f"P-code {value.strip()!r} is a BPS village number, not a Kemendagri code "
                    "(village numbers start with 1, 2 or 3, as in 33.74.01.1001); use a field "
                    "with Kemendagri codes"
                )
            return code
    return normalise_code(value)


# --- geometry ----------------------------------------------------------------------------------


def _geometry(table: _Table, report: Report) -> np.ndarray | None:
    """Polygonal EPSG:4326 geometry per row (``None`` where unusable), or ``None`` if none."""
    frame = table.frame
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame.columns:
        return None
    geoms = frame.geometry
    crs = geoms.crs
    present = geoms.values[~shapely.is_missing(geoms.values)]
    present = present[~shapely.is_empty(present)]
    if crs is None:
        report.facts["crs"] = None
        if len(present):
            xmin, ymin, xmax, ymax = shapely.total_bounds(present)
            if not (-180 <= xmin <= xmax <= 180 and -90 <= ymin <= ymax <= 90):
                raise InputError(
                    "the file has no coordinate reference system and its coordinates are not "
                    "longitude/latitude; include the .prj file (or save the layer with its CRS)"
                )
        report.warn(
            "the file has no coordinate reference system (no .prj); its coordinates look like "
            "longitude/latitude, so EPSG:4326 was assumed"
        )
        geoms = geoms.set_crs("EPSG:4326", allow_override=True)
    else:
        epsg = crs.to_epsg()
        report.facts["crs"] = f"EPSG:{epsg}" if epsg else crs.to_string()[:200]
        if epsg != 4326:
            try:
                geoms = geoms.to_crs("EPSG:4326")
            except Exception as exc:
                raise InputError(
                    f"cannot convert the coordinates from {report.facts['crs']} to "
                    f"longitude/latitude: {redact(exc)[:200]}"
                ) from None
    values = shapely.force_2d(np.asarray(geoms.values, dtype=object))
    out = np.full(len(values), None, dtype=object)
    rows = list(frame.index)
    missing = shapely.is_missing(values)
    present = ~missing & ~shapely.is_empty(values)
    bounds = np.full((len(values), 4), np.nan)
    bounds[present] = shapely.bounds(values[present])
    with np.errstate(invalid="ignore"):
        inside = (bounds[:, 0] >= -180) & (bounds[:, 2] <= 180)
        inside &= (bounds[:, 1] >= -90) & (bounds[:, 3] <= 90)
    coords, owner = shapely.get_coordinates(values, return_index=True)
    finite = np.ones(len(values), dtype=bool)
    np.logical_and.at(finite, owner, np.isfinite(coords).all(axis=1))
    outside = present & ~inside & finite
    if present.any() and outside[present].all():
        raise InputError(
            f"the coordinates are not longitude/latitude although the file says "
            f"{report.facts['crs']}"
            + (
                "; GeoJSON must be in longitude/latitude (or name its CRS)"
                if table.facts.get("format") == "GeoJSON"
                else "; check the file's coordinate reference system (.prj)"
            )
        )
    valid = np.zeros(len(values), dtype=bool)
    valid[~missing] = shapely.is_valid(values[~missing])
    for k, (row, geom) in enumerate(zip(rows, values, strict=True)):
        if geom is None:
            report.error("the feature has no geometry (or it cannot be read)", row, "geometry")
            continue
        kind = geom.geom_type
        if geom.is_empty:
            report.error("the geometry is empty", row, "geometry")
            continue
        if kind not in ("Polygon", "MultiPolygon", "GeometryCollection"):
            report.error(f"the geometry is a {kind}, not an area (polygon)", row, "geometry")
            continue
        if not finite[k]:
            report.error("some coordinates are not numbers (NaN or infinite)", row, "geometry")
            continue
        if outside[k]:
            report.error("the coordinates are outside longitude/latitude range", row, "geometry")
            continue
        try:
            geom = _polygonal(geom, valid[k])
        except shapely.errors.GEOSException as exc:
            report.error(f"the geometry cannot be repaired ({exc})", row, "geometry")
            continue
        if geom is None or geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
            report.error("the geometry has no area left after repair", row, "geometry")
            continue
        if not valid[k]:
            reason = shapely.is_valid_reason(values[k])
            report.warn(f"the geometry was invalid ({reason}) and was repaired", row, "geometry")
        out[k] = geom
    return out


def _polygonal(geom: shapely.Geometry, valid: bool) -> shapely.Geometry | None:
    """The polygonal part of a geometry, repaired first if it is invalid."""
    if not valid:
        geom = shapely.make_valid(geom)
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else None


# --- reading -----------------------------------------------------------------------------------


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _given(code: str | None, name: str | None, parent: str | None, population: str | None):
    return {"code": code, "name": name, "parent": parent, "population": population}


def _level(level: str) -> str:
    if level not in LEVELS:
        raise InputError(
            f"unknown level {level!r}; choose one of: {', '.join(LEVELS)}", column="--level"
        )
    return level


def read_regions(
    source: str | Path | bytes,
    level: str,
    regions: pd.DataFrame,
    *,
    code_field: str | None = None,
    name_field: str | None = None,
    parent_field: str | None = None,
    population_field: str | None = None,
    layer: str | None = None,
    filename: str | None = None,
) -> tuple[gpd.GeoDataFrame | pd.DataFrame, Report]:
    """Read and check the regions of one level from a GIS file or a CSV list.

    Parameters
    ----------
    source : Path or bytes
        GeoJSON, GeoPackage, zipped Shapefile (or a ``.shp`` path) or CSV.
    level : str
        The level of every region in the file (see :data:`zoning.model.regions.LEVELS`).
    regions : DataFrame
        The stored regions (``code, name, level, parent, population``); with a
        ``geometry`` column, regions of the level above also place children spatially.
    code_field, name_field, parent_field, population_field : str, optional
        Field names; found from common names when not given.
    layer : str, optional
        GeoPackage layer (or Shapefile name in a zip holding several).
    filename : str, optional
        The file's name (a hint for the format, and for messages).

    Returns
    -------
    (GeoDataFrame or DataFrame, Report)
        ``code, name, level, parent, population[, geometry]`` (EPSG:4326) indexed by row
        number, and the problems found. Rows with errors are still in the frame: check
        ``report.has_errors`` before writing.

    Raises
    ------
    InputError
        When the file as a whole cannot be used (unreadable, no such field or layer...).
    """
    return _read(
        _load(source, filename),
        _level(level),
        regions,
        _given(code_field, name_field, parent_field, population_field),
        layer,
    )


def _read(
    loaded: Loaded,
    level: str,
    regions: pd.DataFrame,
    given: dict[str, str | None],
    layer: str | None,
) -> tuple[gpd.GeoDataFrame | pd.DataFrame, Report]:
    try:
        return _read_checked(loaded, level, regions, given, layer)
    except InputError:
        raise
    except Exception as exc:  # a failure checking the features: a message, never a traceback
        raise _unreadable(exc) from None


def _read_checked(
    loaded: Loaded,
    level: str,
    regions: pd.DataFrame,
    given: dict[str, str | None],
    layer: str | None,
) -> tuple[gpd.GeoDataFrame | pd.DataFrame, Report]:
    table = _open(loaded, layer)
    raw = table.frame
    report = Report()
    report.facts.update(table.facts, file=loaded.name, level=level)
    for note in table.notes:
        report.warn(f"the reader says: {note}")
    if len(raw) == 0:
        raise InputError("the file has no features (no rows)")
    geom_col = raw.geometry.name if isinstance(raw, gpd.GeoDataFrame) else None
    columns = [str(c) for c in raw.columns if c != geom_col]
    fields = _choose_fields(columns, level, given)
    report.facts["fields"] = {k: v for k, v in fields.items() if v is not None}
    for line in describe(
        {"region": fields["code"], **{k: v for k, v in fields.items() if k != "code"}}
    ):
        report.note(line)
    geoms = _geometry(table, report)
    rows = list(raw.index)
    n = len(rows)
    code_col, name_col = fields["code"], fields["name"]
    parent_col, pop_col = fields["parent"], fields["population"]
    above = parent_level(level)
    want_depth = level_depth(level)

    # codes (a full code, or an RW/RT number within its parent)
    codes: list[str | None] = [None] * n
    local: dict[int, int] = {}  # position -> number within the parent
    wrong_depth: list[tuple[int, str]] = []
    for k, (row, value) in enumerate(zip(rows, raw[code_col].tolist(), strict=True)):
        if _empty(value):
            report.error("the code is empty", row, code_col)
            continue
        if level in ("rw", "rt"):
            number = tables.local_number(value)
            if number is not None:
                if number == 0:
                    report.error(f"{level.upper()} number 0; numbers start at 1", row, code_col)
                else:
                    local[k] = number
                continue
        try:
            code = parse_code(value)
        except CodeError as exc:
            report.error(str(exc), row, code_col)
            continue
        if depth(code) != want_depth:
            wrong_depth.append((k, code))
            continue
        codes[k] = code
    if wrong_depth:
        depths = {depth(c) for _, c in wrong_depth}
        parsed = len(wrong_depth) + len(local) + sum(c is not None for c in codes)
        if len(wrong_depth) == parsed and len(depths) == 1:
            other = level_of_code(wrong_depth[0][1])
            report.error(
                f"the codes are {other} codes (such as {wrong_depth[0][1]}), not {level} codes; "
                f"import the file with --level {other}",
                column=code_col,
            )
        else:
            for k, code in wrong_depth:
                report.error(
                    f"{code} is a {level_of_code(code)} code, not a {level} code", rows[k], code_col
                )

    # parents
    parents: list[str | None] = [None] * n
    stored_parents = regions[regions["level"] == above] if above else regions.iloc[:0]
    if above is not None:
        values = raw[parent_col].tolist() if parent_col else [None] * n
        for k, (row, value) in enumerate(zip(rows, values, strict=True)):
            if codes[k] is None and k not in local:
                continue
            given_parent = None
            if not _empty(value):
                try:
                    given_parent = parse_code(value)
                except CodeError as exc:
                    report.error(f"the parent: {exc}", row, parent_col)
                    continue
                if depth(given_parent) != want_depth - 1:
                    report.error(
                        f"the parent {given_parent} is a {level_of_code(given_parent)} code, "
                        f"not a {above} code",
                        row,
                        parent_col,
                    )
                    continue
            if k in local:
                parents[k] = given_parent
                continue
            derived = parent_code(codes[k])
            if given_parent is not None and given_parent != derived:
                report.error(
                    f"the parent {given_parent} does not contain {codes[k]} (whose {above} is "
                    f"{derived})",
                    row,
                    parent_col,
                )
                continue
            parents[k] = derived
        _place_by_containment(
            local, parents, geoms, stored_parents, rows, level, above, code_col, report
        )
        for k, number in local.items():
            if parents[k] is not None:
                codes[k] = f"{parents[k]}.{number:03d}"
        # ancestors the store lacks are made from the codes: the province from the built-in
        # table, a placeholder for anything between (a later file of its level replaces it)
        made, unknown = missing_ancestors([c for c in codes if c is not None], regions["code"])
        for k, code in enumerate(codes):
            if code is not None and code[:2] in unknown:
                report.error(
                    f"{code} lies in province {code[:2]}, which is not one of Indonesia's 38 "
                    "provinces (Kemendagri codes); check the code",
                    rows[k],
                    code_col,
                )
        if len(made):
            provinces = made.loc[made["level"] == "province", "code"].tolist()
            others = made[made["level"] != "province"]
            report.facts["ancestors"] = {
                "provinces": provinces, "placeholders": {
                    lv: int((others["level"] == lv).sum()) for lv in others["level"].unique()
                },
            }  # fmt: skip
            if provinces:
                report.note(
                    "made from the codes: " + ", ".join(
                        f"province {c} {n}" for c, n in zip(
                            provinces, made.loc[made["level"] == "province", "name"], strict=True)
                    ) + " (built in)"
                )  # fmt: skip
            for lv, part in others.groupby("level", sort=False):
                shown = ", ".join(part["code"].head(5)) + (", ..." if len(part) > 5 else "")
                report.note(
                    f"made from the codes: {len(part)} {PLURAL[lv] if len(part) > 1 else lv} "
                    f"without a file yet ({shown}), named by their codes until a file of "
                    f"{PLURAL[lv]} names them"
                )

    # duplicated codes
    first_row: dict[str, list[int]] = {}
    for k, code in enumerate(codes):
        if code is not None:
            first_row.setdefault(code, []).append(rows[k])
    for code, at in first_row.items():
        if len(at) > 1:
            listed = ", ".join(str(r) for r in at[:5]) + (", ..." if len(at) > 5 else "")
            report.error(f"the code {code} appears more than once (rows {listed})", at[1], code_col)

    # names
    names: list[str | None] = [None] * n
    for k, (row, value) in enumerate(zip(rows, raw[name_col].tolist(), strict=True)):
        if _empty(value):
            report.error("the name is empty", row, name_col)
        else:
            names[k] = " ".join(str(value).split())

    # populations
    pops = np.full(n, np.nan)
    if pop_col is None:
        report.warn(
            "the file has no population field (looked for "
            + ", ".join(FIELD_NAMES["population"])
            + "); stored populations are kept; name the field with --population-field"
        )
    else:
        for k, (row, value) in enumerate(zip(rows, raw[pop_col].tolist(), strict=True)):
            number = tables.count_cell(value)
            if number is not None and np.isnan(number):
                continue
            if number is None:
                report.error(f"{quote(value)} is not a number", row, pop_col)
            elif number < 0:
                report.error(f"the population {value} is negative", row, pop_col)
            elif not float(number).is_integer():
                report.error(f"the population {value} is not a whole number", row, pop_col)
            else:
                pops[k] = number
        empty = [rows[k] for k in range(n) if np.isnan(pops[k])]
        if empty:
            listed = ", ".join(str(r) for r in empty[:5]) + (", ..." if len(empty) > 5 else "")
            report.warn(
                f"{_count(len(empty), 'region has', 'regions have')} no population "
                f"(rows {listed}); stored populations are kept, others stay empty and have no "
                "rates per 100,000",
                column=pop_col,
            )
    if above is not None:
        parent_pop = dict(zip(stored_parents["code"], stored_parents["population"], strict=True))
        for k, p in enumerate(parents):
            pp = parent_pop.get(p)
            if pp is not None and not pd.isna(pp) and pops[k] > pp:
                report.warn(
                    f"the population {pops[k]:,.0f} is larger than that of its {above} {p} "
                    f"({pp:,.0f})",
                    rows[k],
                    pop_col,
                )

    if geoms is not None and above is not None:
        _check_containment(codes, parents, geoms, stored_parents, rows, above, report)

    out = pd.DataFrame(
        {"code": codes, "name": names, "level": level, "parent": parents, "population": pops},
        index=raw.index,
    )
    out["parent"] = out["parent"].astype(object)
    report.facts["regions"] = n
    if geoms is None:
        return out, report
    return gpd.GeoDataFrame(out, geometry=geoms, crs="EPSG:4326"), report


def _parent_shapes(stored_parents: pd.DataFrame) -> tuple[list[str], np.ndarray] | None:
    if "geometry" not in stored_parents.columns:
        return None
    shapes = np.asarray(stored_parents["geometry"].to_numpy(), dtype=object)
    ok = ~shapely.is_missing(shapes)
    if not ok.any():
        return None
    return list(stored_parents["code"].to_numpy()[ok]), shapes[ok]


def _place_by_containment(
    local: dict[int, int],
    parents: list[str | None],
    geoms: np.ndarray | None,
    stored_parents: pd.DataFrame,
    rows: list[int],
    level: str,
    above: str,
    code_col: str,
    report: Report,
) -> None:
    """Find the parent of RWs/RTs given by number alone: the stored region holding them."""
    todo = [k for k in local if parents[k] is None]
    if not todo:
        return
    shapes = _parent_shapes(stored_parents)
    for k in list(todo):
        if geoms is None or geoms[k] is None or shapes is None:
            report.error(
                f"{level.upper()} {local[k]} has only a number; give its {above} code "
                f"(--parent-field) or a full code"
                + ("" if geoms is None else f", or import the {PLURAL[above]} with boundaries"),
                rows[k],
                code_col,
            )
            todo.remove(k)
    if not todo:
        return
    codes, polys = shapes
    points = shapely.point_on_surface(np.array([geoms[k] for k in todo], dtype=object))
    tree = shapely.STRtree(polys)
    hit_point, hit_poly = tree.query(points, predicate="within")
    found: dict[int, list[str]] = {}
    for i, j in zip(hit_point, hit_poly, strict=True):
        found.setdefault(int(i), []).append(codes[int(j)])
    for i, k in enumerate(todo):
        hits = found.get(i, [])
        if len(hits) == 1:
            parents[k] = hits[0]
        else:
            where = (
                f"lies in several {PLURAL[above]} ({', '.join(hits)})"
                if hits
                else (f"lies in no stored {above}")
            )
            report.error(
                f"{level.upper()} {local[k]} {where}; give its {above} code (--parent-field)",
                rows[k],
                "geometry",
            )


def _check_containment(
    codes: list[str | None],
    parents: list[str | None],
    geoms: np.ndarray,
    stored_parents: pd.DataFrame,
    rows: list[int],
    above: str,
    report: Report,
) -> None:
    """Warn about regions whose inside point is not in their parent's stored boundary."""
    shapes = _parent_shapes(stored_parents)
    if shapes is None:
        return
    by_code = dict(zip(*shapes, strict=True))
    ks = [k for k in range(len(codes)) if geoms[k] is not None and parents[k] in by_code]
    if not ks:
        return
    points = shapely.point_on_surface(np.array([geoms[k] for k in ks], dtype=object))
    outer = np.array([by_code[parents[k]] for k in ks], dtype=object)
    inside = shapely.covered_by(points, outer)
    for k, ok in zip(ks, inside, strict=True):
        if not ok:
            report.warn(
                f"{codes[k]} lies outside the boundary of its {above} {parents[k]}",
                rows[k],
                "geometry",
            )


# --- importing ---------------------------------------------------------------------------------


def _stored(store: Store, level: str) -> pd.DataFrame:
    """Stored regions, with boundaries for this level and the one above."""
    known = store.regions()
    shapes = [
        store.geometries(lv, display=False)[["code", "geometry"]]
        for lv in (level, parent_level(level))
        if lv is not None
    ]
    geo = pd.concat(shapes, ignore_index=True)
    merged = known.merge(geo, on="code", how="left")
    return gpd.GeoDataFrame(merged, geometry="geometry", crs="EPSG:4326")


def _keep_stored(frame: pd.DataFrame, stored: gpd.GeoDataFrame) -> gpd.GeoDataFrame | pd.DataFrame:
    """Fill what the file lacks (population, boundary) from the stored regions."""
    same = stored.set_index("code")
    pop = frame["code"].map(same["population"])
    frame = frame.assign(population=frame["population"].where(frame["population"].notna(), pop))
    if isinstance(frame, gpd.GeoDataFrame):
        return frame
    geom = frame["code"].map(same["geometry"]) if len(same) else pd.Series(None, frame.index)
    if geom.isna().all():
        return frame
    return gpd.GeoDataFrame(frame, geometry=geom.to_numpy(dtype=object), crs="EPSG:4326")


def _changes(frame: pd.DataFrame, stored: gpd.GeoDataFrame) -> int:
    """How many of the frame's regions are new or differ from the stored ones."""
    same = stored.set_index("code").reindex(frame["code"])
    differs = (same["name"].to_numpy() != frame["name"].to_numpy()) | (
        same["parent"].fillna("").to_numpy() != frame["parent"].fillna("").to_numpy()
    )
    a = same["population"].to_numpy(float)
    b = frame["population"].to_numpy(float)
    differs |= ~((a == b) | (np.isnan(a) & np.isnan(b)))
    new_geom = (
        frame.geometry.to_numpy()
        if isinstance(frame, gpd.GeoDataFrame)
        else np.full(len(frame), None, dtype=object)
    )
    old_geom = np.asarray(same["geometry"].to_numpy(), dtype=object)
    both = ~shapely.is_missing(new_geom) & ~shapely.is_missing(old_geom)
    geom_same = shapely.is_missing(new_geom) & shapely.is_missing(old_geom)
    geom_same[both] = shapely.equals_exact(new_geom[both], old_geom[both], tolerance=0)
    differs |= ~geom_same
    return int(differs.sum())


@dataclass
class Boundaries(envelope.Kind):
    """Region boundaries and region lists of one level, with the analyst's choices: the
    upload kind of :func:`import_regions` and the upload page."""

    level: str
    code_field: str | None = None
    name_field: str | None = None
    parent_field: str | None = None
    population_field: str | None = None
    layer: str | None = None
    name = "regions"
    max_bytes = MAX_BYTES

    def __post_init__(self) -> None:
        self.level = _level(self.level)

    @property
    def given(self) -> dict[str, str | None]:
        return _given(self.code_field, self.name_field, self.parent_field, self.population_field)

    def options(self) -> dict:
        return {"level": self.level, "layer": self.layer, **self.given}

    def load(self, source: str | Path | bytes, filename: str | None) -> Loaded:
        return _load(source, filename, self.max_bytes)

    def read(self, store: Store, loaded: Loaded) -> envelope.Checked:
        """Read and check against the stored regions, with the boundaries of this level and
        the one above (which place RWs and RTs given by number, and check containment)."""
        stored = _stored(store, self.level)
        frame, report = _read(loaded, self.level, stored, self.given, self.layer)
        return envelope.Checked(frame, report, len(frame), stored)

    def prepare(self, store: Store, checked: envelope.Checked) -> None:
        """Keep what the file lacks from the stored regions; count what would change; the
        ancestors the store lacks, made from the codes."""
        stored = checked.work
        frame = checked.frame.reset_index(drop=True)
        frame = _keep_stored(frame, stored[stored["level"] == self.level])
        ancestors, _ = missing_ancestors(frame["code"].dropna(), stored["code"])
        checked.work = (frame, _changes(frame, stored), ancestors)

    def write(
        self, store: Store, conn: Transaction, upload_id: int, checked: envelope.Checked
    ) -> int:
        frame, changed, ancestors = checked.work
        made = store.add_regions(conn, ancestors, upload_id)
        store.write_regions(conn, frame, upload_id)
        return changed + made


def import_regions(
    store: Store,
    source: str | Path | bytes,
    level: str,
    *,
    code_field: str | None = None,
    name_field: str | None = None,
    parent_field: str | None = None,
    population_field: str | None = None,
    layer: str | None = None,
    filename: str | None = None,
    author: str = "cli",
) -> ImportResult:
    """Read, check and store the regions of one level, all of them or nothing.

    Regions already stored with the same code are replaced (a re-import changes them in
    place); a population or boundary the file lacks keeps its stored value. The same
    content imported again with the same options, when it would change nothing, writes
    nothing and reports the earlier upload (:func:`zoning.intake.envelope.import_file`).

    Raises
    ------
    InputError
        The file cannot be used; :class:`~zoning.intake.report.UploadRejected` (carrying the
        report) when some regions have errors. Nothing is written in either case.
    """
    kind = Boundaries(level, code_field, name_field, parent_field, population_field, layer)
    return envelope.import_file(store, kind, source, filename=filename, author=author)
