"""Regions and their hierarchy: province > regency > district > village > rw > rt."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from zoning.core.text import quote
from zoning.model.codes import ancestor_at_depth, parent_code, try_normalise

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


def name_key(name: str) -> str:
    """A comparable form of a region name.

    Case, spacing and punctuation are ignored and abbreviations spelled out, so that
    ``Kab. Semarang`` and ``KABUPATEN SEMARANG`` match; ``Kota Semarang`` stays different.
    """
    words = re.sub(r"[^\w.]+", " ", str(name).lower()).split()
    head, dot, rest = words[0].partition(".") if words else ("", "", "")
    if dot and rest and head + "." in _PREFIXES:  # "Kab.Semarang": the prefix written on
        words[:1] = [head + ".", rest]
    if words and words[0] in _PREFIXES:
        words[0] = _PREFIXES[words[0]]
    return " ".join(w.strip(".") for w in words if w.strip("."))


def _without_prefix(key: str) -> str:
    head, _, rest = key.partition(" ")
    return rest if head in _PREFIXES.values() and rest else key


class RegionResolver:
    """Finds the stored region a cell names, by code in any written form or by name.

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
        for code, name in zip(frame["code"], frame["name"], strict=True):
            key = name_key(name)
            keyed.setdefault(key, []).append(code)
            bare.setdefault(_without_prefix(key), []).append(code)
        self.by_name = keyed
        self.by_bare = bare

    def resolve(self, value: object) -> tuple[str | None, str | None]:
        """``(code, None)`` for a known region, else ``(None, what is wrong)``."""
        text = "" if value is None else str(value).strip()
        if not text or text.lower() == "nan":
            return None, "the region is empty"
        code = try_normalise(text)
        if code is not None:
            if code in self.codes:
                return code, None
            return None, f"unknown region code {text!r}; import the region first (regions import)"
        key = name_key(text)
        # "Brebes" is Kabupaten Brebes, but "Semarang" is both a kabupaten and a kota
        matches = self.by_name.get(key) or self.by_bare.get(key, [])
        if len(matches) == 1:
            return matches[0], None
        if len(matches) > 1:
            listed = ", ".join(matches)
            return None, f"the name {quote(text)} fits several regions ({listed}); use the code"
        hint = [c for k, cs in self.by_name.items() if key and key in k for c in cs][:3]
        more = f"; did you mean {', '.join(hint)}?" if hint else ""
        return None, f"unknown region {quote(text)}{more}"


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
