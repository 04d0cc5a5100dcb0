"""Regions and their hierarchy: province > regency > district > village > rw > rt."""

from __future__ import annotations

import pandas as pd

from zoning.codes import ancestor_at_depth, normalise_code

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


def ancestors_at(codes: pd.Series, level: str) -> pd.Series:
    """Map each normalised code to its ancestor at ``level`` (itself if at that level).

    Codes above ``level`` map to themselves truncated, which callers filter out.
    """
    d = level_depth(level)
    return codes.map(lambda c: ancestor_at_depth(c, d))


def normalise_codes(values: pd.Series) -> pd.Series:
    """Normalise a column of codes; raises on the first bad one (see :mod:`zoning.codes`)."""
    return values.map(normalise_code)


def children_of(regions: pd.DataFrame, code: str) -> pd.DataFrame:
    """The direct children of ``code`` in a regions frame."""
    return regions[regions["parent"] == code]
