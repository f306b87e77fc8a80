"""Visit intervals from one badge's taps (DESIGN.md "Dwell"): pure, so visits can be rebuilt at any time."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import NamedTuple

from protocol.timefmt import epoch_to_rfc3339


class TapPoint(NamedTuple):
    """One stored tap of a badge (a named tuple: every batch builds one per tap it reads back)."""

    event_id: str
    badge: str
    zone: str
    station: str
    ts: str
    ts_epoch: float
    boot: str
    mono_ms: int
    sig_ok: bool | None = None


class Visit(NamedTuple):
    """A stay of a badge in a zone; `end` is None while the visit is open."""

    badge: str
    zone: str
    station: str
    start_event: str
    start: str
    start_epoch: float
    end_event: str | None
    end: str | None
    dwell_s: float | None
    timed_out: bool
    sig_ok: bool | None


StationRules = Callable[[str], tuple[str, int]]  # station -> (tap_mode, dwell_timeout_s)


def elapsed_s(first: TapPoint, second: TapPoint) -> float:
    """Seconds between two taps: monotonic clock within one boot, wall clock otherwise."""
    if first.boot == second.boot:
        return (second.mono_ms - first.mono_ms) / 1000.0
    return second.ts_epoch - first.ts_epoch


def _visit(opening: TapPoint, end_event: str | None, end: str | None, dwell_s: float | None, timed_out: bool) -> Visit:
    return Visit(opening.badge, opening.zone, opening.station, opening.event_id, opening.ts, opening.ts_epoch,
                 end_event, end, dwell_s, timed_out, opening.sig_ok)  # fmt: skip


def _closed(opening: TapPoint, closing: TapPoint) -> Visit:
    return _visit(opening, closing.event_id, closing.ts, round(max(0.0, elapsed_s(opening, closing)), 3), False)


def _timed_out(opening: TapPoint, timeout_s: int) -> Visit:
    return _visit(opening, None, epoch_to_rfc3339(opening.ts_epoch + timeout_s), float(timeout_s), True)


def _open(opening: TapPoint) -> Visit:
    return _visit(opening, None, None, None, False)


_ARRIVAL_ORDER = attrgetter("ts_epoch", "mono_ms", "event_id")


def build_visits(taps: Sequence[TapPoint], rules: StationRules, now_epoch: float) -> list[Visit]:
    """Return the visits of one badge from all its taps, in any order of arrival."""
    visits: list[Visit] = []
    current: TapPoint | None = None
    timeout = 0  # the dwell timeout of the current visit's station
    for tap in sorted(taps, key=_ARRIVAL_ORDER):
        if current is not None and tap.ts_epoch - current.ts_epoch > timeout:
            visits.append(_timed_out(current, timeout))
            current = None
        if current is None:
            current, timeout = tap, rules(tap.station)[1]
        elif tap.zone != current.zone:
            visits.append(_closed(current, tap))
            current, timeout = tap, rules(tap.station)[1]
        elif rules(tap.station)[0] == "toggle":
            visits.append(_closed(current, tap))
            current = None
    if current is not None:
        visits.append(_timed_out(current, timeout) if now_epoch - current.ts_epoch > timeout else _open(current))
    return visits
