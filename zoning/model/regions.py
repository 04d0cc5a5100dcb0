"""Regions and their hierarchy: province > regency > district > village > rw > rt."""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable
from importlib import resources

import numpy as np
import pandas as pd

from zoning.core.text import quote
from zoning.model.codes import ancestor_at_depth, depth, is_within, parent_code, try_normalise

#: Levels from the top; the English ids are used in code, files and URLs.
LEVELS: tuple[str, ...] = ("province", "regency", "district", "village", "rw", "rt")

#: The level's labels in the interface (Bahasa Indonesia first).
LEVEL_LABELS: dict[str, dict[str, str]] = {
    "id": {
        "province": "Provinsi",
        "regency": "Kabupaten/Kota",
        "district": "Kecamatan",
        "village": "Desa/Kelurahan",
        "rw": "RW",
        "rt": "RT",
    },
    "en": {
        "province": "Province",
        "regency": "Regency/City",
        "district": "District",
        "village": "Village",
        "rw": "RW (neighbourhood)",
        "rt": "RT (block)",
    },
}

REGION_COLUMNS = ("code", "name", "level", "parent", "population")


class LevelError(ValueError):
    """An unknown level name."""


def check_level(level: str) -> str:
    """Return ``level`` if it is known, else raise :class:`LevelError` naming the choices."""
    if level not in LEVELS:
        raise LevelError(f"unknown level {level!r}; choose one of: " + ", ".join(LEVELS))
    return level


def level_depth(level: str) -> int:
    """Depth of a level: 1 for province ... 6 for rt."""
    return LEVELS.index(check_level(level)) + 1


def level_of_code(code: str) -> str:
    """The level a normalised code belongs to, from its number of parts."""
    return LEVELS[code.count(".")]


def child_level(level: str) -> str | None:
    """The level just below ``level`` (``None`` for rt)."""
    i = LEVELS.index(check_level(level))
    return LEVELS[i + 1] if i + 1 < len(LEVELS) else None


def parent_level(level: str) -> str | None:
    """The level just above ``level`` (``None`` for province)."""
    i = LEVELS.index(check_level(level))
    return LEVELS[i - 1] if i > 0 else None


def view_one_level_up(level: str, within: str | None) -> tuple[str, str | None, str | None]:
    """The map's view one level above regions of ``level`` shown inside ``within``.

    Returns ``(level, within, region)``: the parent level; shown inside the grandparent,
    with the parent selected, when ``within`` is the parent (villages of a district go back
    to the districts of its regency, that district selected); else inside ``within`` as
    before. At the top level the view is unchanged but no longer limited to ``within``.
    """
    up = parent_level(level)
    if up is None:
        return level, None, None
    if within is None:
        return up, None, None
    depth = LEVELS.index(up) + 1
    if within.count(".") + 1 < depth:  # within a region above the parent level
        return up, within, None
    parent = ancestor_at_depth(within, depth)
    return up, parent_code(parent), parent


_PREFIXES = {
    "kab.": "kabupaten",
    "kab": "kabupaten",
    "kabupaten": "kabupaten",
    "kota": "kota",
    "kec.": "kecamatan",
    "kec": "kecamatan",
    "kecamatan": "kecamatan",
    "kel.": "kelurahan",
    "kel": "kelurahan",
    "kelurahan": "kelurahan",
    "desa": "desa",
    "ds.": "desa",
}
#: The kind of region written after its name: ``SEMARANG (KAB)``, ``Semarang (Kota)``,
#: ``Semarang, Kab.`` (statistics tables and scraped provincial sites write them so).
_KIND_AFTER = re.compile(
    r"^(?P<name>.+?)[\s,]*(?:\(\s*(?P<kind>kab|kabupaten|kota|kec|kecamatan|kel|kelurahan|desa|ds)"
    r"\s*\.?\s*\)|,\s*(?P<after>kab|kabupaten|kota)\s*\.?)\s*$"
)


def name_key(name: str) -> str:
    """A comparable form of a region name.

    Case, spacing and punctuation are ignored and abbreviations spelled out, so that
    ``Kab. Semarang``, ``KABUPATEN SEMARANG`` and ``SEMARANG (KAB)`` match; ``Kota Semarang``
    stays different.
    """
    text = str(name).lower()
    after = _KIND_AFTER.match(text.strip())
    if after:  # "semarang (kab)" -> "kab semarang"
        text = f"{after['kind'] or after['after']} {after['name']}"
    words = re.sub(r"[^\w.]+", " ", text).split()
    head, dot, rest = words[0].partition(".") if words else ("", "", "")
    if dot and rest and head + "." in _PREFIXES:  # "Kab.Semarang": the prefix written on
        words[:1] = [head + ".", rest]
    if words and words[0] in _PREFIXES:
        words[0] = _PREFIXES[words[0]]
    return " ".join(w.strip(".") for w in words if w.strip("."))


def _without_prefix(key: str) -> str:
    head, _, rest = key.partition(" ")
    return rest if head in _PREFIXES.values() and rest else key


#: Unknown names a resolver looks for near misses of (each costs a pass over the names).
_SUGGESTED = 200
#: How alike a near miss must be (difflib's ratio): ``Semarng`` is 0.93 of ``Semarang``.
_NEAR = 0.8


class RegionResolver:
    """Finds the stored region a cell names, by code in any written form or by name.

    A name matches a region when it is the region's name written another way (case,
    spacing, an abbreviated or trailing prefix: ``Kab Semarang``, ``SEMARANG (KAB)``), or the
    name without its prefix when only one region is called that. Anything else is no match:
    a near miss (``Kab. Semarng``) gets suggestions, never a region.

    Parameters
    ----------
    regions : DataFrame
        Known regions with ``code``, ``name`` and ``level``.
    level : str, optional
        Only regions of this level are candidates for names.
    """

    def __init__(self, regions: pd.DataFrame, level: str | None = None):
        self.codes = set(regions["code"])
        frame = regions if level is None else regions[regions["level"] == level]
        keyed: dict[str, list[str]] = {}
        bare: dict[str, list[str]] = {}
        self.names = dict(zip(regions["code"], regions["name"].astype(str), strict=True))
        for code, name in zip(frame["code"], frame["name"], strict=True):
            key = name_key(name)
            keyed.setdefault(key, []).append(code)
            bare.setdefault(_without_prefix(key), []).append(code)
        self.by_name = keyed
        self.by_bare = bare
        self._suggested = 0

    def resolve(self, value: object, within: str | None = None) -> tuple[str | None, str | None]:
        """``(code, None)`` for a known region, else ``(None, what is wrong)``.

        ``within`` (a region's code) limits names to the regions inside it, so that a
        village's name is looked for in its district or regency only; a code outside it is
        wrong.
        """
        text = "" if value is None else str(value).strip()
        if not text or text.lower() == "nan":
            return None, "the region is empty"
        code = try_normalise(text)
        if code is not None:
            if code not in self.codes:
                return None, (
                    f"unknown region code {text!r}; import the region first (regions import)"
                )
            if within is not None and not is_within(code, within):
                return None, f"the region {code} is not in {within}"
            return code, None
        key = name_key(text)
        # "Brebes" is Kabupaten Brebes, but "Semarang" is both a kabupaten and a kota
        matches = self._inside(self.by_name.get(key), within) or self._inside(
            self.by_bare.get(key), within
        )
        if len(matches) == 1:
            return matches[0], None
        if len(matches) > 1:
            listed = ", ".join(matches)
            return None, f"the name {quote(text)} fits several regions ({listed}); use the code"
        hint = self.suggest(key, within)
        more = f"; did you mean {', '.join(hint)}?" if hint else ""
        where = f" in {self.names.get(within, within)} ({within})" if within else ""
        return None, f"unknown region {quote(text)}{where}{more}"

    @staticmethod
    def _inside(codes: list[str] | None, within: str | None) -> list[str]:
        if not codes:
            return []
        return codes if within is None else [c for c in codes if is_within(c, within)]

    def suggest(self, key: str, within: str | None = None, n: int = 3) -> list[str]:
        """Up to ``n`` regions whose names contain ``key`` or nearly match it, as
        ``Name (code)``: for a message, never taken as the region."""
        if not key:
            return []
        found = [c for k, cs in self.by_name.items() if key in k for c in cs]
        found = self._inside(found, within)
        if len(found) < n and self._suggested < _SUGGESTED:
            self._suggested += 1
            keys = {**{_without_prefix(k): cs for k, cs in self.by_name.items()}, **self.by_name}
            near = difflib.get_close_matches(key, list(keys), n=2 * n, cutoff=_NEAR)
            near += difflib.get_close_matches(_without_prefix(key), list(keys), n=n, cutoff=_NEAR)
            found += [c for k in near for c in self._inside(keys[k], within)]
        out = list(dict.fromkeys(found))[:n]
        return [f"{self.names[c]} ({c})" for c in out]


# --- regions known before any file: provinces, placeholders --------------------------------


@functools.cache
def _provinces() -> tuple[tuple[str, str], ...]:
    source = resources.files("zoning").joinpath("data").joinpath("provinces.csv")
    with source.open("r", encoding="utf-8") as handle:
        table = pd.read_csv(handle, dtype=str, comment="#")
    return tuple(zip(table["code"].str.strip(), table["name"].str.strip(), strict=True))


def builtin_provinces() -> pd.DataFrame:
    """The 38 provinces of Indonesia (Kemendagri codes and names, ``zoning/data/provinces.csv``)
    as regions: ``code, name, level, parent, population`` (no population)."""
    rows = [(c, n, "province", None, float("nan")) for c, n in _provinces()]
    return pd.DataFrame(rows, columns=list(REGION_COLUMNS))


def is_placeholder(code: str, name: object) -> bool:
    """Whether a stored region is a placeholder: a region known only because something below
    it was imported, named by its code until a file of its level names it."""
    return str(name) == code


def missing_ancestors(codes: Iterable[str], known: Iterable[str]) -> tuple[pd.DataFrame, list[str]]:
    """The regions above ``codes`` that ``known`` lacks, made from the codes alone.

    A province comes from the built-in table (:func:`builtin_provinces`); a regency,
    district, village or RW is a placeholder (its name is its code, no population), which a
    later file of its level replaces. Returns the regions (``code, name, level, parent,
    population``, from the top) and the province codes that are not one of the 38 (nothing
    is made under them).
    """
    have = set(known)
    provinces = dict(_provinces())
    rows: dict[str, tuple] = {}
    unknown: set[str] = set()
    for code in set(codes):
        for d in range(1, depth(code)):
            above = ancestor_at_depth(code, d)
            if above in have or above in rows:
                continue
            if d == 1:
                if above not in provinces:
                    unknown.add(above)
                    break
                rows[above] = (above, provinces[above], "province", None, float("nan"))
            else:
                rows[above] = (above, above, LEVELS[d - 1], parent_code(above), float("nan"))
    frame = pd.DataFrame(
        sorted(rows.values(), key=lambda r: (depth(r[0]), r[0])), columns=list(REGION_COLUMNS)
    )
    return frame, sorted(unknown)


def local_regions(codes: Iterable[str], known: Iterable[str]) -> pd.DataFrame:
    """The RWs and RTs that ``codes`` (RT or RW codes, ``33.74.01.1001.003.002``) name and
    ``known`` lacks, as regions named the way offices write them (``RW 003``,
    ``RT 002/RW 003``), without population or boundary. An RT is fully named by its village
    and its RW and RT numbers, so a line list can make it."""
    have = set(known)
    rows: dict[str, tuple] = {}
    for code in set(codes):
        if depth(code) < 5:
            continue
        rw = ancestor_at_depth(code, 5)
        rw_no = rw.rsplit(".", 1)[1]
        if rw not in have:
            rows[rw] = (rw, f"RW {rw_no}", "rw", parent_code(rw), float("nan"))
        if depth(code) == 6 and code not in have:
            rt_no = code.rsplit(".", 1)[1]
            rows[code] = (code, f"RT {rt_no}/RW {rw_no}", "rt", rw, float("nan"))
    return pd.DataFrame(
        sorted(rows.values(), key=lambda r: (depth(r[0]), r[0])), columns=list(REGION_COLUMNS)
    )


#: How a search result matched, best first (:func:`search_regions`).
MATCH_KINDS = ("code", "name", "start", "word", "part")


def search_regions(regions: pd.DataFrame, query: object, limit: int = 10) -> pd.DataFrame:
    """The regions a person means by ``query``: a code in any written form, or a name.

    A code (``33.74.01``, ``337401``) finds that region; a name (``Miroto``, ``kab
    semarang``) finds the regions whose name is it (with or without its prefix such as
    ``Kabupaten``), then those whose name starts with it, has a word starting with it, or
    holds it, case, spacing and punctuation ignored (:func:`name_key`).

    Parameters
    ----------
    regions : DataFrame
        Columns ``code``, ``name``, ``level``, ``parent``.
    query : str
        What the person typed.
    limit : int
        The most results returned.

    Returns
    -------
    DataFrame
        ``code, name, level, match, parents`` (``match`` one of :data:`MATCH_KINDS`;
        ``parents`` the names of its ancestors from the nearest up, without the top region:
        what tells apart regions of the same name), best matches first, then the higher
        levels, then by name and code; and ``DataFrame.attrs["total"]``, how many matched.
    """
    columns = ["code", "name", "level", "match", "parents"]
    text = "" if query is None else str(query).strip()
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    empty.attrs["total"] = 0
    if not text or regions.empty:
        return empty
    codes = regions["code"].astype(str)
    code = try_normalise(text) if re.fullmatch(r"[\d.\s]+", text) else None
    if code is not None:
        rank = pd.Series(np.where(codes == code, 0, -1), index=regions.index)
    else:
        key = name_key(text)
        if not key:
            return empty
        names = regions["name"].map(name_key)
        bare = names.map(_without_prefix)
        plain = _without_prefix(key)  # "Kel. Miroto" is Miroto, with or without its prefix
        whole = (bare == key) | (bare == plain)
        starts = names.str.startswith(key) | bare.str.startswith(plain)
        word = names.str.contains(rf"(?:^| ){re.escape(plain)}", regex=True)
        part = names.str.contains(plain, regex=False)
        # the name as typed, prefix and all, before the same name without it
        kinds = [names == key, whole, starts, word, part]
        rank = pd.Series(np.select(kinds, [1, 1.5, 2, 3, 4], -1), index=regions.index)
    found = regions[rank >= 0].assign(
        match=[MATCH_KINDS[int(r)] for r in rank[rank >= 0]],
        _rank=rank[rank >= 0],
        _depth=regions.loc[rank >= 0, "level"].map(LEVELS.index),
    )
    found = found.sort_values(["_rank", "_depth", "name", "code"], kind="stable")
    total = len(found)
    found = found.head(limit)
    name_of = dict(zip(codes, regions["name"], strict=True))
    parents = []
    for value in found["code"]:
        chain = []
        up = parent_code(value)
        while up is not None and "." in up:  # the top region (the province) goes unsaid
            chain.append(name_of.get(up, up))
            up = parent_code(up)
        parents.append(chain)
    out = found.assign(parents=parents)[columns].reset_index(drop=True)
    out.attrs["total"] = total
    return out


def region_view(code: str) -> dict[str, str]:
    """The map's view that shows region ``code`` among its neighbours, selected.

    A regency (or the province) is shown among all of its level; a district among the
    districts of its regency, a village among the villages of its district, an RW or RT
    among those of its village. Returns the URL's ``level``, ``region`` and, but for the
    top two levels, ``within``.
    """
    level = level_of_code(code)
    view = {"level": level, "region": code}
    depth = LEVELS.index(level) + 1
    if depth > 2:
        view["within"] = ancestor_at_depth(code, min(depth - 1, 4))
    return view
