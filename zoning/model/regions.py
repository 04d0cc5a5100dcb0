"""Regions and their hierarchy: province > regency > district > village > rw > rt."""

from __future__ import annotations

import re

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
