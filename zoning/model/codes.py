"""Region codes: the one place that normalises Kemendagri codes.

Kemendagri codes are hierarchical: ``33`` (province) > ``33.74`` (regency or city) >
``33.74.01`` (district) > ``33.74.01.1001`` (village). RW and RT have no national code; this
project extends the village code with three-digit segments: ``33.74.01.1001.003`` (RW 3) and
``33.74.01.1001.003.002`` (RT 2 of RW 3).

The same code arrives written as ``33.74``, ``3374``, ``3374.0`` (a spreadsheet's float) or
``" 33.74 "``; :func:`normalise_code` turns all of them into the dotted form.
"""

from __future__ import annotations

import math
import re

#: Width of each dotted segment, from the province down to the RT.
SEGMENT_WIDTHS = (2, 2, 2, 4, 3, 3)
#: Number of digits of an undotted code at each depth (2, 4, 6, 10, 13, 16).
DIGIT_LENGTHS = tuple(sum(SEGMENT_WIDTHS[: i + 1]) for i in range(len(SEGMENT_WIDTHS)))
#: Number of characters of a dotted code at each depth (2, 5, 8, 13, 17, 21).
CODE_LENGTHS = tuple(n + i for i, n in enumerate(DIGIT_LENGTHS))
#: Length of a village code (``33.74.01.1001``): the village of an RW or RT is its prefix.
VILLAGE_CODE_LENGTH = CODE_LENGTHS[3]
#: Length of an RT code (``33.74.01.1001.003.002``).
RT_CODE_LENGTH = CODE_LENGTHS[5]

_FLOAT_TAIL = re.compile(r"^([0-9]+)\.0+$")
_DOTTED = re.compile(r"^[0-9]+(\.[0-9]+)*$")  # ASCII digits only


class CodeError(ValueError):
    """A value that cannot be read as a region code."""


def normalise_code(value: object) -> str:
    """Return the dotted canonical form of a region code.

    Parameters
    ----------
    value : str, int or float
        ``3374``, ``"33.74"``, ``3374.0``, ``"3374.0"``, ``"33 74"`` ...

    Returns
    -------
    str
        ``"33.74"``.

    Raises
    ------
    CodeError
        If the value is empty or is not a code (letters, wrong number of digits).
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        raise CodeError("empty region code")
    if isinstance(value, bool):
        raise CodeError(f"not a region code: {value!r}")
    if isinstance(value, float):
        if not value.is_integer():
            raise CodeError(f"not a region code: {value!r}")
        value = int(value)
    text = str(value).strip().replace(" ", "").replace("-", ".")
    if not text:
        raise CodeError("empty region code")
    tail = _FLOAT_TAIL.match(text)
    if tail and len(tail.group(1)) in DIGIT_LENGTHS:
        text = tail.group(1)
    if not _DOTTED.match(text):
        raise CodeError(f"not a region code: {str(value)!r} (expected digits such as 33.74.01)")
    if "." in text:
        parts = text.split(".")
        if len(parts) > len(SEGMENT_WIDTHS):
            raise CodeError(f"region code {text!r} has too many parts")
        out = []
        for part, width in zip(parts, SEGMENT_WIDTHS, strict=False):
            if len(part) > width:
                raise CodeError(
                    f"region code {text!r}: part {part!r} is longer than {width} digits"
                )
            out.append(part.zfill(width))
        return ".".join(out)
    if len(text) not in DIGIT_LENGTHS:
        raise CodeError(
            f"region code {text!r} has {len(text)} digits; expected one of "
            + ", ".join(str(n) for n in DIGIT_LENGTHS)
        )
    out, pos = [], 0
    for width in SEGMENT_WIDTHS:
        if pos >= len(text):
            break
        out.append(text[pos : pos + width])
        pos += width
    return ".".join(out)


def try_normalise(value: object) -> str | None:
    """Like :func:`normalise_code` but return ``None`` instead of raising."""
    try:
        return normalise_code(value)
    except CodeError:
        return None


def depth(code: str) -> int:
    """Depth of a normalised code: 1 for a province ... 6 for an RT."""
    return code.count(".") + 1


def parent_code(code: str) -> str | None:
    """The code of the region that contains ``code`` (``None`` for a province)."""
    head, sep, _ = code.rpartition(".")
    return head if sep else None


def is_within(code: str, ancestor: str) -> bool:
    """True if ``code`` is ``ancestor`` or lies inside it."""
    return code == ancestor or code.startswith(ancestor + ".")


def ancestor_at_depth(code: str, level_depth: int) -> str:
    """The ancestor of ``code`` at the given depth (1 = province)."""
    return ".".join(code.split(".")[:level_depth])


# --- BPS codes -------------------------------------------------------------------------------
#
# Statistics Indonesia (BPS) numbers regions its own way below the regency: a district has three
# digits (``3301020``) where Kemendagri has two (``33.01.02``), a village three (``3301020006``)
# where Kemendagri has four (``33.01.02.2006``). Provinces and regencies share their codes. The
# two numberings are not arithmetic images of each other (districts split and were renumbered,
# Kemendagri village numbers start with 1 for a kelurahan and 2 for a desa): a BPS code reaches
# a Kemendagri one only through a crosswalk (``zoning.intake.crosswalk``).

#: Width of each segment of a BPS code, from the province down to the village.
BPS_SEGMENT_WIDTHS = (2, 2, 3, 3)
#: Number of digits of an undotted BPS code at each depth (2, 4, 7, 10).
BPS_DIGIT_LENGTHS = tuple(sum(BPS_SEGMENT_WIDTHS[: i + 1]) for i in range(len(BPS_SEGMENT_WIDTHS)))


def bps_code(value: object) -> str | None:
    """A BPS district or village code in dotted form (``33.01.020`` or ``33.01.020.006``),
    or ``None`` when ``value`` cannot be one.

    Accepts ``3301020``, ``3301020006``, ``33.01.020.006`` and a spreadsheet's ``3301020006.0``.
    Province and regency codes are the same in both numberings and are not BPS codes here.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        if math.isnan(value) or not value.is_integer():
            return None
        value = int(value)
    text = str(value).strip().replace(" ", "").replace("-", ".")
    tail = _FLOAT_TAIL.match(text)
    if tail and len(tail.group(1)) in BPS_DIGIT_LENGTHS[2:]:
        text = tail.group(1)
    if not _DOTTED.match(text):
        return None
    if "." in text:
        parts = text.split(".")
        if not 3 <= len(parts) <= 4 or any(
            len(p) != w for p, w in zip(parts, BPS_SEGMENT_WIDTHS, strict=False)
        ):
            return None
        return ".".join(parts)
    if len(text) not in BPS_DIGIT_LENGTHS[2:]:
        return None
    out, pos = [], 0
    for width in BPS_SEGMENT_WIDTHS[: BPS_DIGIT_LENGTHS.index(len(text)) + 1]:
        out.append(text[pos : pos + width])
        pos += width
    return ".".join(out)


def only_bps(value: object) -> bool:
    """Whether ``value`` can be a BPS code but not a Kemendagri one.

    Seven digits (``3301020``) or a dotted three-digit district (``33.01.020``) are BPS; ten
    digits whose last four cannot be a Kemendagri village number (those start with 1, 2 or 3,
    as in ``33.74.01.1001``) are BPS (``3301020006`` read as Kemendagri would be village
    ``0006``). Ten digits such as ``3301021006`` can be either: the file decides.
    """
    code = bps_code(value)
    if code is None:
        return False
    kemendagri = try_normalise(value)
    return kemendagri is None or (depth(kemendagri) == 4 and kemendagri[-4] not in "123")
