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
