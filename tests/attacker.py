"""An attacker on the public figures, written from the published outputs only.

It reads what anyone can download (the public CSV of villages and of their districts, and
the standalone HTML map), knows the schemes' published thresholds, and tries to pin down
the villages' small counts: a district's total minus the villages shown as numbers, each
hidden village bounded by what its own display, its zones and its population say. It does
not import the dashboard's privacy code.
"""

from __future__ import annotations

import io
import json
import math
import re

import pandas as pd

THRESHOLD = 5
TOP = THRESHOLD - 1
#: Published thresholds (per 100,000 a week) and zone ids, by scheme and count column.
WHO = ["level-1", "level-2", "level-3", "level-4"]
HARVARD = ["green", "yellow", "orange", "red"]
CDC = ["low", "moderate", "substantial", "high"]
IDS = {"who": WHO, "harvard": HARVARD, "cdc": CDC}
CUTS = {
    ("cdc", "new_cases_7d"): [10, 50, 100],  # and test positivity, not published by village
    ("who", "new_cases_7d"): [20, 50, 150],
    ("who", "admissions_7d"): [5, 10, 30],
    ("who", "deaths_7d"): [1, 2, 5],
    ("harvard", "new_cases_7d"): [7, 70, 175],  # 1, 10, 25 a day, 7-day average
}
COLUMNS = ("new_cases_7d", "deaths_7d", "admissions_7d")
RANGE = re.compile(r"^\s*(\d+)\s*[–-]\s*(\d+)\s*$")
ZONE_TEXTS = {"see zone", "lihat zona"}


def read_csv(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), dtype={"code": str, "parent": str})


def display(row: pd.Series, column: str) -> tuple[str, float, float]:
    """``("exact", v, v)``, ``("range", lo, hi)``, ``("zone", 0, inf)`` or ``("hidden", ...)``."""
    value = row.get(column)
    note = row.get(f"{column}_note")
    text = value if isinstance(value, str) else note if isinstance(note, str) else None
    if text is None:
        number = float(value) if value is not None else math.nan
        if not math.isnan(number):
            return ("exact", number, number)
        return ("missing", 0, math.inf)
    text = text.strip()
    for form in (text, text.replace(",", "")):
        try:
            number = float(form)
            return ("exact", number, number)
        except ValueError:
            pass
    found = RANGE.match(text)
    if found:
        return ("range", float(found[1]), float(found[2]))
    if text.lower() in ZONE_TEXTS:
        return ("zone", 0.0, math.inf)
    return ("hidden", 0.0, math.inf)


def band(zones: dict[str, str], column: str, population: float, shown: dict) -> tuple:
    """The counts of ``column`` the village's zones allow: ``(lo, hi)``."""
    lo, hi = 0.0, math.inf
    for scheme, ids in IDS.items():
        cuts = CUTS.get((scheme, column))
        zone = zones.get(scheme)
        if not cuts or zone not in ids or not population > 0:
            continue
        k = ids.index(zone)
        edges = [c * population / 100_000 for c in cuts]
        if k < len(edges):  # below the next cut
            hi = min(hi, math.ceil(edges[k] - 1e-9) - 1)
        if k > 0 and _set_by(scheme, column, k, zones, population, shown):
            lo = max(lo, math.ceil(edges[k - 1] - 1e-9))
    return lo, hi


def _set_by(scheme, column, k, zones, population, shown) -> bool:
    """Whether the zone can only come from ``column``: one rule, or every other metric of
    the scheme shown exactly below its own cut for this zone."""
    if scheme == "cdc":  # its other indicator: test positivity, published as a percent
        kind, value, _ = shown.get("positivity_7d_pct", ("hidden", 0, 0))
        return kind == "exact" and value < [5, 8, 10][k - 1]
    others = [c for (s, c) in CUTS if s == scheme and c != column]
    for other in others:
        kind, value, _ = shown.get(other, ("hidden", 0, 0))
        if kind != "exact" or value * 100_000 / population >= CUTS[(scheme, other)][k - 1]:
            return False
    return True


def _reach(domains: list[range], limit: int) -> int:
    bits = 1
    mask = (1 << (limit + 1)) - 1
    for dom in domains:
        new = 0
        for x in dom:
            new |= bits << x
        bits = new & mask
    return bits


def attack(
    villages: pd.DataFrame, districts: pd.DataFrame, zones: dict, blind: bool = False
) -> list[dict]:
    """Every hidden or ranged village count the attacker can bound: one dict per cell with
    ``code, column, lo, hi, band`` (``lo``/``hi``: the values it found possible).

    ``zones``: ``{scheme: {code: zone id}}`` read from each scheme's public CSV. ``blind``:
    ignore every village figure (keep zones, populations and district totals): what can be
    found whatever the villages show.
    """
    found = []
    totals = districts.set_index("code")
    for parent, group in villages.groupby("parent"):
        for column in COLUMNS:
            if column not in group and f"{column}_note" not in group:
                continue
            shown = {
                r.code: {c: display(r._asdict(), c) for c in (*COLUMNS, "positivity_7d_pct")}
                for r in group.itertuples(index=False)
            }
            if blind:
                hidden = ("zone", 0.0, math.inf)
                shown = {
                    code: dict.fromkeys((*COLUMNS, "positivity_7d_pct"), hidden) for code in shown
                }
            cells = {code: s[column] for code, s in shown.items()}
            if any(kind == "missing" for kind, _, _ in cells.values()):
                continue
            total = totals[column].get(parent) if column in totals else None
            if total is None or math.isnan(total):
                continue
            exact = [v for kind, v, _ in cells.values() if kind == "exact"]
            rest = int(total - sum(exact))
            smallest = min((v for v in exact if v > 0), default=math.inf)
            has_range = any(kind == "range" for kind, _, _ in cells.values())
            open_cells, domains, bands = [], [], []
            for r in group.itertuples(index=False):
                kind, lo, hi = cells[r.code]
                if kind == "exact":
                    continue
                zone_of = {s: z.get(r.code) for s, z in zones.items()}
                blo, bhi = band(zone_of, column, r.population, shown[r.code])
                if kind == "hidden":
                    hi = min(hi, max(TOP, smallest))
                lo, hi = max(lo, blo), min(hi, bhi, rest)
                values = range(int(lo), int(hi) + 1)
                if kind == "hidden" and has_range:  # a complementary cell is never small
                    values = [x for x in values if x == 0 or x >= THRESHOLD]
                open_cells.append(r.code)
                domains.append(list(values))
                bands.append((blo, bhi))
            for i, code in enumerate(open_cells):
                others = _reach(domains[:i] + domains[i + 1 :], max(rest, 0))
                possible = [x for x in domains[i] if rest - x >= 0 and (others >> (rest - x)) & 1]
                if possible:
                    found.append(
                        {"code": code, "column": column, "lo": min(possible),
                         "hi": max(possible), "band": bands[i]}
                    )  # fmt: skip
    return found


def acceptable(lo: float, hi: float, blo: float, bhi: float) -> bool:
    """Whether what the attacker found of a small count is no more than allowed: the whole
    range 1–4, or all the zones say of it (up to the threshold), or zero and as wide as
    the range (it cannot tell whether anyone here is a case)."""
    return (
        (lo <= 1 and hi >= TOP)
        or (lo <= blo and hi >= min(bhi, THRESHOLD))
        or (lo <= 0 and hi >= TOP - 1)
    )


def score(found: list[dict], truth: pd.DataFrame, blind: list[dict]) -> dict[str, int]:
    """How many small counts the attacker pinned (``pinned``: exactly) or narrowed further
    than the range 1–4 and the zones allow (``narrowed``, pinned included).

    A count the zones alone pin (WHO level 1 and Harvard yellow: exactly 1) is the zones'
    doing, and one that the ``blind`` attack (zones, populations and district totals only,
    :func:`attack`) bounds as narrowly is not the villages' figures' doing: both are
    counted apart, as ``zones_and_districts``.
    """
    true = truth.set_index("code")
    base = {(c["code"], c["column"]): (c["lo"], c["hi"]) for c in blind}
    out = {"pinned": 0, "narrowed": 0, "zones_and_districts": 0}
    for cell in found:
        v = float(true.at[cell["code"], cell["column"]])
        if not 1 <= v <= TOP:
            continue
        lo, hi, (blo, bhi) = cell["lo"], cell["hi"], cell["band"]
        if acceptable(lo, hi, blo, bhi):
            continue
        b_lo, b_hi = base.get((cell["code"], cell["column"]), (-math.inf, math.inf))
        if b_lo >= lo and b_hi <= hi:
            out["zones_and_districts"] += 1
            continue
        out["pinned"] += lo == hi
        out["narrowed"] += 1
    return out


def html_leaks(html: bytes, table: pd.DataFrame) -> int:
    """Tooltip values of the standalone HTML map that are numbers where the public table
    shows none (a range, hidden, a note)."""
    text = html.decode("utf-8")
    rows = table.set_index("code")
    leaks = 0
    for match in re.finditer(r'"properties":\s*(\{[^{}]*\})', text):
        props = json.loads(match[1])
        code = props.get("code")
        if code not in rows.index:
            continue
        for column in COLUMNS:
            shown = props.get(f"{column}__text")
            if not isinstance(shown, str):
                continue
            kind = display(rows.loc[code], column)[0]
            if kind != "exact" and display({column: shown}, column)[0] == "exact":
                leaks += 1
    return leaks


def outputs(store, day, html: bool = False) -> dict:
    """What anyone can download for ``day``: the village and district CSVs under WHO, the
    village zones under Harvard GHI and CDC, and (``html``) the standalone HTML map of villages;
    made the way the map page makes them. ``truth``: the exact table, for scoring only."""
    from zoning.model.schemes import builtin_schemes
    from zoning.render import export, presentation
    from zoning.views import service

    schemes = builtin_schemes()
    who, harvard = schemes["who-ct-2021"], schemes["harvard-ghi-2020"]
    cdc = schemes["cdc-transmission-2021"]

    def csv(scheme, level, public):
        shown = presentation.shown_zones(store, scheme, level, day, "en", public=public)
        table = export.zones_table(presentation.with_labels(shown, scheme, "en"), scheme, day)
        return read_csv(export.to_csv_bytes(table))

    out = {
        "villages": csv(who, "village", True),
        "districts": csv(who, "district", False),
        "truth": service.zones_on(store, who, "village", day),
    }
    tables = {"harvard": csv(harvard, "village", True), "cdc": csv(cdc, "village", True)}
    tables["who"] = out["villages"]
    out["zones"] = {
        name: dict(zip(table["code"], table["zone"], strict=True)) for name, table in tables.items()
    }
    positivity = [c for c in ("positivity_7d_pct", "positivity_7d_pct_note") if c in tables["cdc"]]
    out["villages"] = out["villages"].merge(tables["cdc"][["code", *positivity]], on="code")
    if html:
        try:
            page = presentation.standalone_map_html(store, who, "village", day, "en", public=True)
        except TypeError:  # before the fix: no way to ask for the public map
            page = presentation.standalone_map_html(store, who, "village", day, "en")
        out["html"] = page
    return out


# --- RT and RW: houses with a case, where the parent (RW) is masked too ----------------------

#: PPKM Mikro's published bands of houses with a case per RT (``>`` cuts), by scheme.
PPKM = {
    "ppkm-mikro-2021-02": {"green": (0, 0), "yellow": (1, 5), "orange": (6, 10), "red": (11, None)},
    "ppkm-mikro-2021-04": {"green": (0, 0), "yellow": (1, 2), "orange": (3, 5), "red": (6, None)},
}


def houses_band(zones: dict[str, str]) -> tuple[float, float]:
    """The houses the PPKM zones of a region allow (both schemes' bands, intersected)."""
    lo, hi = 0.0, math.inf
    for scheme, zone in zones.items():
        band = PPKM.get(scheme, {}).get(zone)
        if band:
            lo, hi = max(lo, band[0]), min(hi, math.inf if band[1] is None else band[1])
    return lo, hi


def _domain(kind: str, lo: float, hi: float, band: tuple, cap: float) -> list[int]:
    if kind == "exact":
        return [int(lo)]
    if kind == "hidden":
        hi = min(hi, cap)
    lo, hi = max(lo, band[0]), min(hi, band[1], 200)
    return list(range(int(lo), int(hi) + 1))


def attack_houses(rts: pd.DataFrame, rws: pd.DataFrame, zones: dict, blind=False) -> list[dict]:
    """RT counts bounded by their RW's figure (exact, a range, or hidden) and the zones of
    both, and the RW's own figure bounded by its RTs'. ``zones``: ``{scheme: {code: zone}}``
    for RT and RW codes alike."""
    column = "houses_7d"
    found = []
    parents = rws.set_index("code")
    for parent, group in rts.groupby("parent"):
        if parent not in parents.index:
            continue
        cells = {r.code: display(r._asdict(), column) for r in group.itertuples(index=False)}
        top = display(parents.loc[parent], column)
        if blind:
            cells = dict.fromkeys(cells, ("zone", 0.0, math.inf))
            top = ("zone", 0.0, math.inf)
        if "missing" in {k for k, _, _ in cells.values()} or top[0] == "missing":
            continue
        smallest = min(
            (v for k, v, _ in cells.values() if k == "exact" and v > 0), default=math.inf
        )
        cap = max(TOP, smallest)
        band = {c: houses_band({s: z.get(c) for s, z in zones.items()}) for c in [*cells, parent]}
        codes = list(cells)
        domains = [_domain(*cells[c], band[c], cap) for c in codes]
        parent_domain = _domain(*top, band[parent], math.inf)
        limit = max(parent_domain)
        reach_all = _reach(domains, limit)
        for i, code in enumerate([*codes, parent]):
            if i < len(codes):
                if cells[code][0] == "exact":
                    continue
                others = _reach(domains[:i] + domains[i + 1 :], limit)
                possible = [
                    x for x in domains[i]
                    if any(p >= x and (others >> (p - x)) & 1 for p in parent_domain)
                ]  # fmt: skip
            else:
                if top[0] == "exact":
                    continue
                possible = [p for p in parent_domain if (reach_all >> p) & 1]
            if possible:
                found.append({"code": code, "column": column, "lo": min(possible),
                              "hi": max(possible), "band": band[code]})  # fmt: skip
    return found


def houses_outputs(store, day) -> dict:
    """The public RT and RW CSVs of ``day`` under PPKM Mikro (both versions' zones), made the
    way the map page makes them, and the exact tables for scoring."""
    from zoning.model.schemes import builtin_schemes
    from zoning.render import export, presentation
    from zoning.views import service

    schemes = builtin_schemes()
    out: dict = {"zones": {}}
    truth = []
    for level in ("rt", "rw"):
        for name in PPKM:
            scheme = schemes[name]
            shown = presentation.shown_zones(store, scheme, level, day, "en", public=True)
            table = export.zones_table(presentation.with_labels(shown, scheme, "en"), scheme, day)
            table = read_csv(export.to_csv_bytes(table))
            out["zones"].setdefault(name, {}).update(zip(table["code"], table["zone"], strict=True))
            out[level] = table
        truth.append(service.zones_on(store, scheme, level, day))
    out["truth"] = pd.concat(truth)
    return out
