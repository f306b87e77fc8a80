"""Visits built at ingest (incrementally, batch by batch, taps out of order) are pinned and equal a full rebuild."""

from __future__ import annotations

import hashlib
import json
import os
import random
from pathlib import Path

import pytest

from hub.ingest.client import InMessage
from hub.ingest.writer import IngestWriter
from hub.rules.dwell import TapPoint, build_visits
from hub.store.tx import transaction
from hub.store.visits import rebuild_badge, station_rules
from protocol import BadgeNdef, Envelope, TapData, new_ulid
from protocol.timefmt import epoch_to_rfc3339

PINNED = Path(__file__).resolve().parent / "visit_outcomes.json"
T0 = 1_700_000_000.0  # long past: every visit still open at the end has timed out, whenever the test runs
SETTINGS = {"gate-a": ("toggle", 600), "gate-b": ("enter_only", 300), "gate-c": ("toggle", 120)}
STATIONS = (*SETTINGS, "gate-d")  # gate-d has no settings row: the writer's defaults apply
ZONES = {"gate-a": "injection", "gate-b": "machining", "gate-c": "injection", "gate-d": "assembly"}


def _taps(rng: random.Random, count: int, ties: bool = False) -> list[TapPoint]:
    """Return a badge's taps in random order; with ties, some share a time (and even mono_ms) with the one before."""
    at, boot, mono = T0, "boot-1", 1000
    taps = []
    for index in range(count):
        step = rng.choice((0.0 if ties else 0.001, 0.4, 5, 45, 130, 400, 900))
        at += step
        mono += int(step * 1000) + rng.choice((0, 7))
        if rng.random() < 0.1:
            boot, mono = f"boot-{index}", rng.randrange(0, 5000)
        station = rng.choice(STATIONS)
        taps.append(TapPoint(event_id=f"E{index:04d}", badge="V-1", zone=ZONES[station], station=station,
                             ts=epoch_to_rfc3339(at), ts_epoch=at, boot=boot, mono_ms=mono,
                             sig_ok=rng.choice((None, True, False))))  # fmt: skip
    rng.shuffle(taps)
    return taps


def _digest(value: object) -> str:
    return hashlib.sha256(repr(value).encode()).hexdigest()[:16]


def _rules(station: str) -> tuple[str, int]:
    return SETTINGS.get(station, ("toggle", 3600))


def test_build_visits_is_pinned() -> None:
    found = {}
    for case in range(60):
        taps = _taps(random.Random(case), 1 + case % 25)
        found[f"build {case}"] = _digest(build_visits(taps, _rules, T0 + 10**6))
        found[f"build {case} open"] = _digest(build_visits(taps, _rules, max(t.ts_epoch for t in taps) + 1))
        found[f"build {case} ties"] = _digest(build_visits(_taps(random.Random(case), 1 + case % 25, True), _rules,
                                                           T0 + 10**6))  # fmt: skip
    _check_pinned(found)


def _envelope(tap: TapPoint, badge: str, seq: int) -> Envelope:
    data = TapData(uid="04A1B2C3D4E5F6", tag_type="Type2Tag", zone=tap.zone,
                   ndef=BadgeNdef(badge_id=badge, role="visitor", sig=None), reader="udp:127.0.0.1:1")  # fmt: skip
    return Envelope(id=new_ulid(), kind="tap", site="demo", station=tap.station, seq=seq, ts=tap.ts, boot=tap.boot,
                    mono_ms=tap.mono_ms, clock_synced=True, data=data)  # fmt: skip


def _visits(writer: IngestWriter, ids: dict[str, str]) -> list[tuple[object, ...]]:
    rows = writer.conn.execute(
        'SELECT site, badge, zone, station, start_event, end_event, start, start_epoch, "end", dwell_s, timed_out,'
        " sig_ok FROM visits ORDER BY badge, start_epoch, start_event"
    )
    return [(*row[:4], ids[row[4]], ids.get(row[5]), *row[6:]) for row in rows]


@pytest.mark.parametrize("ties", [False, True])
def test_incremental_visits_equal_a_full_rebuild_and_are_pinned(tmp_path: Path, ties: bool) -> None:
    writer = IngestWriter(str(tmp_path / "hub.sqlite3"), ack=lambda _m: None, default_dwell_timeout_s=1800)
    try:
        with transaction(writer.conn):
            writer.conn.executemany(
                "INSERT INTO station_settings(site, station, tap_mode, dwell_timeout_s) VALUES ('demo',?,?,?)",
                [(station, mode, timeout) for station, (mode, timeout) in SETTINGS.items()],
            )
        rng = random.Random(7)
        envelopes, ids = [], {}
        for badge in ("V-1", "V-2", "V-3", "V-4"):
            for seq, tap in enumerate(_taps(rng, 60, ties), start=1):
                envelopes.append(_envelope(tap, badge, seq))
                ids[envelopes[-1].id] = f"{badge}/{tap.event_id}"
        rng.shuffle(envelopes)
        for start in range(0, len(envelopes), 37):
            batch = envelopes[start : start + 37]
            writer.store([InMessage(str(e.topic), e.encode(), i + 1, 1) for i, e in enumerate(batch)])
        incremental = _visits(writer, ids)
        with transaction(writer.conn):
            writer.conn.execute("DELETE FROM visits")
            rules = station_rules(writer.conn, "demo", "toggle", 1800)
            for badge in ("V-1", "V-2", "V-3", "V-4"):
                rebuild_badge(writer.conn, "demo", badge, rules, T0 + 10**7)
        assert incremental == _visits(writer, ids)
        assert len(incremental) > 100
        name = "ingest ties" if ties else "ingest"
        _check_pinned({name: _digest(incremental)})
    finally:
        writer.close()


def _check_pinned(found: dict[str, str]) -> None:
    pinned = json.loads(PINNED.read_text(encoding="utf-8")) if PINNED.exists() else {}
    if os.environ.get("TOURTRACE_UPDATE_GOLDEN"):
        pinned.update(found)
        PINNED.write_text(json.dumps(pinned, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    assert {key: pinned.get(key) for key in found} == found
