"""Zoning schemes as data files: loading, validation and classification.

A scheme is a TOML file with an id, names, a source, effective dates, the levels it applies
to, the metrics it reads, its zones (least to most severe, each with a colour, labels and
policy measures in Bahasa Indonesia and English) and its rules. Two kinds of rule exist:

``[[rules]]`` with ``metric`` and ``thresholds``
    A threshold indicator. ``thresholds`` maps zone ids to the value at which that zone
    starts (``compare = ">="``, the default) or above which it starts (``compare = ">"``);
    below the first threshold the rule gives its ``floor`` zone (default: the first zone).
    An optional ``when`` condition limits the rows the rule applies to.
``[[rules]]`` with ``zone`` and ``when``
    A condition that puts a row in at least ``zone``.

A row's zone is the most severe zone that any applicable rule gives ("the highest of the
indicators"). A row that misses a metric listed in ``requires``, or to which no rule applies,
has no zone (:data:`NO_ZONE`). Conditions are parsed by :mod:`zoning.model.rules`, never
evaluated as code.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import os
import re
import sys
import tomllib
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from zoning.core.i18n import LANGS, pick, t
from zoning.model import rules
from zoning.model.metrics import METRICS
from zoning.model.regions import LEVELS

#: The zone index of a region-day without a zone (no data, or too little to classify).
NO_ZONE = -1
#: The colour of "no zone" on every map, chart and card.
NO_DATA_COLOUR = "#bdbdbd"
#: The scheme a view shows when none is asked for.
DEFAULT_SCHEME = "who-ct-2021"
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_SCHEME_BYTES = 256 * 1024
CHUNK = 1 << 16  # elements: a chunk's arrays stay in the CPU cache across passes
PARALLEL_MIN = 1 << 22


class SchemeError(ValueError):
    """A scheme file that cannot be used; the message names the field and the problem."""


@dataclass(frozen=True)
class Zone:
    """One zone of a scheme, least severe first."""

    id: str
    colour: str
    label: dict[str, str]
    measures: dict[str, tuple[str, ...]]
    description: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    """A threshold indicator (``metric`` set) or a condition rule (``zone`` set)."""

    metric: str | None = None
    cuts: tuple[float, ...] = ()  # ascending thresholds
    cut_zones: tuple[int, ...] = ()  # zone index starting at each threshold
    floor: int = 0
    strict: bool = False  # ">" instead of ">="
    when: tuple | None = None
    when_text: str | None = None
    zone: int | None = None

    def reads(self) -> set[str]:
        names = {self.metric} if self.metric else set()
        return names | (rules.names_in(self.when) if self.when else set())


@dataclass(frozen=True)
class Scheme:
    """A zoning scheme loaded from a file."""

    id: str
    name: dict[str, str]
    description: dict[str, str]
    source: dict[str, str]
    effective_from: dt.date | None
    effective_until: dt.date | None
    levels: tuple[str, ...]
    metrics: tuple[str, ...]
    requires: tuple[str, ...]
    zones: tuple[Zone, ...]
    rules: tuple[Rule, ...]
    custom: bool = True
    notes: dict[str, str] = field(default_factory=dict)
    #: What it would take to use the scheme at a level without the figures it reads.
    elsewhere: dict[str, str] = field(default_factory=dict)
    #: Days in a row below a zone before a region steps down from it (0: at once).
    step_down_days: int = 0

    @property
    def zone_ids(self) -> tuple[str, ...]:
        return tuple(z.id for z in self.zones)

    def zone_index(self, zone_id: str) -> int:
        return self.zone_ids.index(zone_id)

    def bands(self, metric: str) -> list[tuple[str, float, float]]:
        """Zone bands of ``metric`` from its unconditional threshold rule, for charts.

        Returns ``(zone id, lower, upper)`` tuples, or an empty list when no rule reads the
        metric without a condition.
        """
        for rule in self.rules:
            if rule.metric == metric and rule.when is None:
                edges = [-np.inf, *rule.cuts, np.inf]
                zones = [rule.floor, *rule.cut_zones]
                return [(self.zones[z].id, edges[i], edges[i + 1]) for i, z in enumerate(zones)]
        return []

    def classify(
        self, values: Mapping[str, np.ndarray], shape: tuple[int, ...] | None = None
    ) -> np.ndarray:
        """Zone index per row (:data:`NO_ZONE` where none) from arrays of metric values.

        Parameters
        ----------
        values : mapping of str to numpy.ndarray
            One array per metric the scheme reads, all of the same shape. A metric missing
            from the mapping counts as missing (NaN) everywhere.
        shape : tuple of int, optional
            The shape of the result when ``values`` may hold none of the scheme's metrics
            (then every row has no zone).
        """
        present = [values[m] for m in self.metrics if m in values]
        if shape is None:
            shape = np.shape(present[0]) if present else (0,)
        arrays = {m: np.asarray(values[m], dtype=float) for m in self.metrics if m in values}
        missing = [m for m in self.metrics if m not in arrays]
        flat = {m: a.reshape(-1) for m, a in arrays.items()}
        n = int(np.prod(shape))
        out = np.empty(n, dtype=np.int8)
        nan_block = np.full(min(n, CHUNK), np.nan)

        def run(lo: int) -> None:
            hi = min(lo + CHUNK, n)
            chunk = {m: a[lo:hi] for m, a in flat.items()}
            chunk.update({m: nan_block[: hi - lo] for m in missing})
            self._classify_chunk(chunk, out[lo:hi])

        starts = range(0, n, CHUNK)
        if n >= PARALLEL_MIN:  # numpy releases the GIL: chunks run on every core
            with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
                list(pool.map(run, starts))
        else:
            for lo in starts:
                run(lo)
        return out.reshape(shape)

    def _classify_chunk(self, v: Mapping[str, np.ndarray], zone: np.ndarray) -> None:
        """Classify one cache-sized chunk into ``zone`` (an int8 view of the output)."""
        n = len(zone)
        zone.fill(NO_ZONE)
        z = np.empty(n, dtype=np.int8)
        step = np.empty(n, dtype=bool)
        for rule in self.rules:
            if rule.metric is not None:
                x = v[rule.metric]
                applies = ~np.isnan(x)
                if rule.when is not None:
                    applies &= rules.evaluate(rule.when, v)
                z.fill(rule.floor)
                below = rule.floor
                for cut, cz in zip(rule.cuts, rule.cut_zones, strict=True):
                    (np.greater if rule.strict else np.greater_equal)(x, cut, out=step)
                    if cz - below == 1:
                        z += step.view(np.int8)
                    else:
                        z += step.view(np.int8) * np.int8(cz - below)
                    below = cz
                np.maximum(zone, z, out=zone, where=applies)
            else:
                applies = rules.evaluate(rule.when, v)
                np.maximum(zone, np.int8(rule.zone), out=zone, where=applies)
        for m in self.requires:
            zone[np.isnan(v[m])] = NO_ZONE

    def zone_id_array(self, codes: np.ndarray) -> np.ndarray:
        """Zone ids (object array, ``None`` for no zone) from zone indexes."""
        lookup = np.array([*self.zone_ids, None], dtype=object)
        return lookup[self.lookup_index(codes)]

    def lookup_index(self, codes: np.ndarray) -> np.ndarray:
        """Zone indexes as positions in a list of every zone then "no zone" (its last entry),
        such as :meth:`zone_labels` and :meth:`zone_colours`."""
        codes = np.asarray(codes)
        return np.where(codes == NO_ZONE, len(self.zones), codes)

    def zone_label(self, index: int, lang: str) -> str:
        """The label of zone ``index`` in ``lang``; 'no data' for :data:`NO_ZONE`."""
        if index == NO_ZONE:
            return t("common.no_zone", lang)
        return pick(self.zones[index].label, lang)

    def zone_id_label(self, zone_id: str | None, lang: str) -> str:
        """The label of the zone with id ``zone_id``; 'no data' for ``None`` (no zone)."""
        return self.zone_label(self.zone_index(zone_id) if zone_id is not None else NO_ZONE, lang)

    def zone_labels(self, lang: str) -> list[str]:
        """The label of every zone, least severe first, then 'no data' (:data:`NO_ZONE`)."""
        return [self.zone_label(i, lang) for i in [*range(len(self.zones)), NO_ZONE]]

    def zone_colour(self, index: int) -> str:
        """The colour of zone ``index``; :data:`NO_DATA_COLOUR` for :data:`NO_ZONE`."""
        return NO_DATA_COLOUR if index == NO_ZONE else self.zones[index].colour

    def zone_colours(self) -> list[str]:
        """The colour of every zone, then that of 'no data', as :meth:`zone_labels`."""
        return [self.zone_colour(i) for i in [*range(len(self.zones)), NO_ZONE]]


@dataclass(frozen=True)
class ZoneChanges:
    """The last change of zone of each of several regions (:func:`zone_changes`).

    ``day`` is the column (day) on which the current run of the same zone began, -1 where
    the zone never changed; ``previous`` the zone before that change and ``current`` the
    latest known zone (both :data:`NO_ZONE` where there is none).
    """

    day: np.ndarray
    previous: np.ndarray
    current: np.ndarray


def _known_changes(zones: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rule of a change of zone, for zones over consecutive days (regions x days): days
    without a zone are skipped, and a change is a known zone that differs from the last
    known zone before it. Returns ``(change, before, latest)``: whether each day is a
    change, the last known zone before each day and each day's latest known zone."""
    n = zones.shape[1]
    known = zones != NO_ZONE
    last_known = np.maximum.accumulate(np.where(known, np.arange(n), -1), axis=1)
    latest = np.take_along_axis(zones, np.maximum(last_known, 0), axis=1)
    latest = np.where(last_known >= 0, latest, NO_ZONE)
    before = np.pad(latest[:, :-1], ((0, 0), (1, 0)), constant_values=NO_ZONE)
    return known & (before != NO_ZONE) & (zones != before), before, latest


def every_zone_change(zones: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every change of zone over consecutive days (regions x days): ``(region, day,
    from_zone, to_zone)`` index arrays, by region then day. Days without a zone are skipped,
    so a gap in the data is not a change (:func:`zone_changes` has the last one)."""
    zones = np.asarray(zones)
    if zones.ndim != 2 or not zones.size:
        empty = np.array([], dtype=np.int64)
        return empty, empty, empty, empty
    change, before, _ = _known_changes(zones)
    region, day = np.nonzero(change)
    return region, day, before[region, day], zones[region, day]


def zone_changes(zones: np.ndarray) -> ZoneChanges:
    """When each region's zone last changed, over consecutive days (regions x days, or the
    days of one region), by the rule of :func:`every_zone_change`: the one place of "the
    last change" (the policy page's region and its list of recent changes)."""
    zones = np.atleast_2d(np.asarray(zones, dtype=np.int16))
    rows, n = zones.shape
    if not n:
        none = np.full(rows, NO_ZONE, dtype=np.int16)
        return ZoneChanges(np.full(rows, -1), none, none.copy())
    change, before, latest = _known_changes(zones)
    changed = change.any(axis=1)
    day = np.where(changed, n - 1 - np.argmax(change[:, ::-1], axis=1), -1)
    previous = np.where(changed, before[np.arange(rows), np.maximum(day, 0)], NO_ZONE)
    return ZoneChanges(day, previous, latest[:, -1])


# --- loading -----------------------------------------------------------------------------


def _text(raw: Mapping, key: str, where: str, required: bool = True) -> dict[str, str]:
    value = raw.get(key)
    if value is None:
        if required:
            raise SchemeError(f"{where}: '{key}' is missing; give it as {{ id = ..., en = ... }}")
        return {}
    if isinstance(value, str):
        return dict.fromkeys(LANGS, value)
    if not isinstance(value, Mapping) or not all(isinstance(value.get(lg), str) for lg in LANGS):
        raise SchemeError(f"{where}: '{key}' must have text in both 'id' and 'en'")
    return {lg: value[lg] for lg in LANGS}


def _date(raw: Mapping, key: str) -> dt.date | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise SchemeError(f"'{key}' must be a date such as 2021-04-06, not {value!r}") from None


def _measures(raw: Mapping, where: str) -> dict[str, tuple[str, ...]]:
    value = raw.get("measures", {})
    if not isinstance(value, Mapping):
        raise SchemeError(f"{where}: 'measures' must be {{ id = [...], en = [...] }}")
    out = {}
    for lg in LANGS:
        items = value.get(lg, [])
        if not isinstance(items, list) or not all(isinstance(s, str) for s in items):
            raise SchemeError(f"{where}: 'measures.{lg}' must be a list of texts")
        out[lg] = tuple(items)
    return out


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SchemeError(f"{where}: must be a number, not {value!r}")
    try:
        number = float(value)  # TOML integers have no size limit; a float has
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise SchemeError(f"{where}: must be a finite number")
    return number


def _parse_rule(raw: object, i: int, zone_ids: tuple[str, ...], metrics: frozenset[str]) -> Rule:
    where = f"rules[{i + 1}]"
    if not isinstance(raw, Mapping):
        raise SchemeError(f"{where}: must be a table")
    unknown = set(raw) - {
        "metric",
        "thresholds",
        "compare",
        "floor",
        "when",
        "zone",
        "note",
    }
    if unknown:
        raise SchemeError(f"{where}: unknown field(s) " + ", ".join(sorted(unknown)))
    when = when_text = None
    if "when" in raw:
        when_text = raw["when"]
        try:
            when = rules.parse(when_text, metrics)
        except rules.RuleError as exc:
            raise SchemeError(f"{where}.when: {exc}") from None

    def zone_of(name: object, field_name: str) -> int:
        if not isinstance(name, str) or name not in zone_ids:
            raise SchemeError(
                f"{where}.{field_name}: {name!r} is not a zone of this scheme "
                f"({', '.join(zone_ids)})"
            )
        return zone_ids.index(name)

    if "metric" in raw:
        metric = raw["metric"]
        if not isinstance(metric, str) or metric not in metrics:
            raise SchemeError(
                f"{where}.metric: {metric!r} is not among the scheme's metrics "
                f"({', '.join(sorted(metrics))})"
            )
        thresholds = raw.get("thresholds")
        if not isinstance(thresholds, Mapping) or not thresholds:
            raise SchemeError(f"{where}.thresholds: give {{ zone = value, ... }}, at least one")
        cut_zones = tuple(zone_of(z, f"thresholds.{z}") for z in thresholds)
        cuts = tuple(_number(v, f"{where}.thresholds.{z}") for z, v in thresholds.items())
        floor = zone_of(raw.get("floor", zone_ids[0]), "floor")
        if any(b <= a for a, b in itertools.pairwise(cuts)):
            raise SchemeError(f"{where}.thresholds: values must increase from one zone to the next")
        if any(b <= a for a, b in zip((floor, *cut_zones), cut_zones, strict=False)):
            raise SchemeError(f"{where}.thresholds: zones must follow the scheme's order of zones")
        compare = raw.get("compare", ">=")
        if compare not in (">=", ">"):
            raise SchemeError(f"{where}.compare: must be '>=' or '>', not {compare!r}")
        return Rule(metric, cuts, cut_zones, floor, compare == ">", when, when_text)
    if "zone" in raw:
        if when is None:
            raise SchemeError(f"{where}: a rule with 'zone' needs a 'when' condition")
        return Rule(zone=zone_of(raw["zone"], "zone"), when=when, when_text=when_text)
    raise SchemeError(f"{where}: give either 'metric' and 'thresholds', or 'zone' and 'when'")


def parse_scheme(raw: Mapping, custom: bool = True) -> Scheme:
    """Build a :class:`Scheme` from the parsed contents of a scheme file."""
    unknown = set(raw) - {
        "id", "name", "description", "source", "effective_from", "effective_until", "levels",
        "metrics", "requires", "zones", "rules", "notes", "elsewhere", "format", "hysteresis",
    }  # fmt: skip
    if unknown:
        raise SchemeError("unknown top-level field(s): " + ", ".join(sorted(unknown)))
    sid = raw.get("id")
    if not isinstance(sid, str) or not _ID.fullmatch(sid):
        raise SchemeError("'id' must be lower-case letters, digits and '-', such as my-scheme-2021")
    source = raw.get("source")
    if not isinstance(source, Mapping) or not isinstance(source.get("title"), str):
        raise SchemeError(
            "'source' must be a table with at least a 'title' (where the rules come from)"
        )
    levels = raw.get("levels")
    if (
        not isinstance(levels, list)
        or not levels
        or any(not isinstance(lv, str) or lv not in LEVELS for lv in levels)
    ):
        raise SchemeError("'levels' must list one or more of: " + ", ".join(LEVELS))
    metrics = raw.get("metrics")
    if (
        not isinstance(metrics, list)
        or not metrics
        or any(not isinstance(m, str) or m not in METRICS for m in metrics)
    ):
        raise SchemeError("'metrics' must list one or more of: " + ", ".join(sorted(METRICS)))
    requires = raw.get("requires", [])
    if not isinstance(requires, list) or any(
        not isinstance(m, str) or m not in metrics for m in requires
    ):
        raise SchemeError("'requires' must list metrics named in 'metrics'")
    zones_raw = raw.get("zones")
    if not isinstance(zones_raw, list) or len(zones_raw) < 2:
        raise SchemeError("'zones' must list at least two [[zones]], least severe first")
    zones = []
    for i, z in enumerate(zones_raw):
        where = f"zones[{i + 1}]"
        if not isinstance(z, Mapping):
            raise SchemeError(f"{where}: must be a table")
        if not isinstance(z.get("id"), str) or not _ID.fullmatch(z["id"]):
            raise SchemeError(f"{where}.id: lower-case letters, digits and '-', such as 'red'")
        if not isinstance(z.get("colour"), str) or not _COLOUR.fullmatch(z["colour"]):
            raise SchemeError(f"{where}.colour: a colour such as '#b2182b'")
        zones.append(
            Zone(
                z["id"], z["colour"].lower(), _text(z, "label", where), _measures(z, where),
                _text(z, "description", where, required=False),
            )
        )  # fmt: skip
    zone_ids = tuple(z.id for z in zones)
    if len(set(zone_ids)) != len(zone_ids):
        raise SchemeError("zone ids must be unique")
    if len(zones) > 100:
        raise SchemeError("a scheme may have at most 100 zones")
    rules_raw = raw.get("rules")
    if not isinstance(rules_raw, list) or not rules_raw:
        raise SchemeError("'rules' must list at least one [[rules]]")
    mset = frozenset(metrics)
    parsed = tuple(_parse_rule(r, i, zone_ids, mset) for i, r in enumerate(rules_raw))
    start, until = _date(raw, "effective_from"), _date(raw, "effective_until")
    if start and until and until < start:
        raise SchemeError("'effective_until' is before 'effective_from'")
    return Scheme(
        id=sid,
        name=_text(raw, "name", "scheme"),
        description=_text(raw, "description", "scheme", required=False),
        source={k: str(v) for k, v in source.items()},
        effective_from=start,
        effective_until=until,
        levels=tuple(levels),
        metrics=tuple(metrics),
        requires=tuple(requires),
        zones=tuple(zones),
        rules=parsed,
        custom=custom,
        notes=_text(raw, "notes", "scheme", required=False),
        elsewhere=_text(raw, "elsewhere", "scheme", required=False),
        step_down_days=_hysteresis(raw),
    )


def _hysteresis(raw: Mapping) -> int:
    """``[hysteresis] step_down_after = N`` and ``unit = "days"`` or ``"weeks"``: how many
    days in a row below its zone a region needs before it steps down."""
    table = raw.get("hysteresis")
    if table is None:
        return 0
    if not isinstance(table, Mapping) or set(table) - {"step_down_after", "unit"}:
        raise SchemeError("'hysteresis' must be a table with 'step_down_after' and 'unit'")
    n, unit = table.get("step_down_after"), table.get("unit", "days")
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= 365:
        raise SchemeError("hysteresis.step_down_after: a whole number of days or weeks, 0-365")
    if unit not in ("days", "weeks"):
        raise SchemeError("hysteresis.unit: 'days' or 'weeks'")
    return n * (7 if unit == "weeks" else 1)


def loads_scheme(text: str | bytes, custom: bool = True) -> Scheme:
    """Parse a scheme from TOML text; raise :class:`SchemeError` with a clear message."""
    if isinstance(text, bytes):
        if len(text) > MAX_SCHEME_BYTES:
            raise SchemeError(f"the scheme file is larger than {MAX_SCHEME_BYTES // 1024} KB")
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise SchemeError("the scheme file is not UTF-8 text") from None
    if len(text) > MAX_SCHEME_BYTES:
        raise SchemeError(f"the scheme file is larger than {MAX_SCHEME_BYTES // 1024} KB")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SchemeError(f"not valid TOML: {exc}") from None
    except RecursionError:
        raise SchemeError("not valid TOML: nested too deeply") from None
    except ValueError:  # an integer longer than Python reads (sys.get_int_max_str_digits)
        raise SchemeError(_too_long_integer(text)) from None
    return parse_scheme(raw, custom=custom)


_DIGITS = re.compile(r"[+-]?\d[\d_]*")
#: A float literal put in place of a too long integer to find where it stood.
_MARK = "1_2_3_4.5_6_7e-8_9"
_TOO_LONG = object()


def _too_long_integer(text: str) -> str:
    """The message for a scheme holding an integer with more digits than Python reads.

    The integer is replaced by a marker and the file read again, so that the message names
    the field (``rules[1].thresholds.red``) as every other scheme error does; when that is
    not possible, it names the line.
    """
    limit = sys.get_int_max_str_digits()
    first = None

    def mark(match: re.Match) -> str:
        nonlocal first
        if len(match.group().lstrip("+-").replace("_", "")) <= limit:
            return match.group()
        first = first or match
        return _MARK

    marked = _DIGITS.sub(mark, text) if limit else text
    if first is None:
        return "not valid TOML: a value cannot be read"
    try:
        raw = tomllib.loads(marked, parse_float=lambda s: _TOO_LONG if s == _MARK else float(s))
        where = _path_of(raw, _TOO_LONG)
    except (ValueError, RecursionError):
        where = None
    if where is None:
        where = f"line {text.count(chr(10), 0, first.start()) + 1}"
    digits = len(first.group().lstrip("+-").replace("_", ""))
    return f"{where}: a number with {digits} digits is too long; write at most {limit} digits"


def _path_of(value: object, target: object, path: str = "") -> str | None:
    """Where ``target`` is in parsed TOML, written as scheme errors write fields."""
    if value is target:
        return path
    if isinstance(value, dict):
        items = [(f"{path}.{key}" if path else str(key), item) for key, item in value.items()]
    elif isinstance(value, list):
        items = [(f"{path}[{i + 1}]", item) for i, item in enumerate(value)]
    else:
        return None
    for where, item in items:
        found = _path_of(item, target, where)
        if found is not None:
            return found
    return None


def load_scheme(path: str | Path) -> Scheme:
    """Load a scheme file; the error message starts with the file name."""
    path = Path(path)
    try:
        return loads_scheme(path.read_bytes())
    except OSError as exc:
        raise SchemeError(f"{path}: cannot read: {exc.strerror}") from None
    except SchemeError as exc:
        raise SchemeError(f"{path.name}: {exc}") from None


_BUILTIN: dict[str, Scheme] | None = None


def builtin_schemes() -> dict[str, Scheme]:
    """The schemes shipped in ``zoning/schemes/``, by id, in a stable order."""
    global _BUILTIN
    if _BUILTIN is None:
        found = {}
        for entry in sorted(resources.files("zoning").joinpath("schemes").iterdir(), key=str):
            if entry.name.endswith(".toml"):
                scheme = loads_scheme(entry.read_bytes(), custom=False)
                found[scheme.id] = scheme
        _BUILTIN = found
    return dict(_BUILTIN)


def get_scheme(scheme_id: str, extra: Mapping[str, Scheme] | None = None) -> Scheme:
    """A built-in (or ``extra``) scheme by id; :class:`SchemeError` lists the ids if unknown."""
    known = {**builtin_schemes(), **(extra or {})}
    if scheme_id not in known:
        raise SchemeError(f"unknown scheme {scheme_id!r}; choose one of: " + ", ".join(known))
    return known[scheme_id]
