"""Approximate hardness conversion between HRC, HB and HV for steels (ASTM E140 table, interpolated)."""

from __future__ import annotations

from bisect import bisect_left

# (HRC, HB, HV) for non-austenitic steels.
_TABLE = (
    (20.0, 226.0, 238.0),
    (25.0, 253.0, 266.0),
    (30.0, 286.0, 302.0),
    (35.0, 327.0, 345.0),
    (40.0, 371.0, 392.0),
    (45.0, 421.0, 446.0),
    (50.0, 481.0, 513.0),
    (55.0, 560.0, 595.0),
    (60.0, 654.0, 697.0),
)
_COLUMN = {"HRC": 0, "HB": 1, "HV": 2}


def convert_hardness(value: float, source: str, target: str) -> float | None:
    """Return value on the target scale, or None outside the table or for scales it does not cover."""
    if source == target:
        return value
    if source not in _COLUMN or target not in _COLUMN:
        return None
    src, dst = _COLUMN[source], _COLUMN[target]
    xs = [row[src] for row in _TABLE]
    if not xs[0] <= value <= xs[-1]:
        return None
    i = max(1, bisect_left(xs, value))
    (x0, y0), (x1, y1) = (xs[i - 1], _TABLE[i - 1][dst]), (xs[i], _TABLE[i][dst])
    return round(y0 + (y1 - y0) * (value - x0) / (x1 - x0), 1)
