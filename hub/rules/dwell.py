"""Visit intervals from one badge's taps (DESIGN.md "Dwell"): pure, so visits can be rebuilt at any time."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from protocol.timefmt import epoch_to_rfc3339


@dataclass(frozen=True)
class TapPoint:
    """One stored tap of a badge."""

    event_id: str
    badge: str
    zone: str
    station: str
    ts: str
    ts_epoch: float
    boot: str
    mono_ms: int
    sig_ok: bool | None = None


@dataclass(frozen=True)
class Visit:
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
    return Visit(
        badge=opening.badge,
        zone=opening.zone,
        station=opening.station,
        start_event=opening.event_id,
        start=opening.ts,
        start_epoch=opening.ts_epoch,
        end_event=end_event,
        end=end,
        dwell_s=dwell_s,
        timed_out=timed_out,
        sig_ok=opening.sig_ok,
    )


def _closed(opening: TapPoint, closing: TapPoint) -> Visit:
    return _visit(opening, closing.event_id, closing.ts, round(max(0.0, elapsed_s(opening, closing)), 3), False)


def _timed_out(opening: TapPoint, timeout_s: int) -> Visit:
    return _visit(opening, None, epoch_to_rfc3339(opening.ts_epoch + timeout_s), float(timeout_s), True)


def _open(opening: TapPoint) -> Visit:
    return _visit(opening, None, None, None, False)


def build_visits(taps: Sequence[TapPoint], rules: StationRules, now_epoch: float) -> list[Visit]:
    """Return the visits of one badge from all its taps, in any order of arrival."""
    ordered = sorted(taps, key=lambda t: (t.ts_epoch, t.mono_ms, t.event_id))
    visits: list[Visit] = []
    current: TapPoint | None = None
    for tap in ordered:
        if current is not None:
            timeout = rules(current.station)[1]
            if tap.ts_epoch - current.ts_epoch > timeout:
                visits.append(_timed_out(current, timeout))
                current = None
        if current is None:
            current = tap
        elif tap.zone != current.zone:
            visits.append(_closed(current, tap))
            current = tap
        elif rules(tap.station)[0] == "toggle":
            visits.append(_closed(current, tap))
            current = None
    if current is not None:
        timeout = rules(current.station)[1]
        visits.append(_timed_out(current, timeout) if now_epoch - current.ts_epoch > timeout else _open(current))
    return visits
