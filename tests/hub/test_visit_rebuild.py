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
from hub.rules.visits import rebuild_badge, station_rules
from hub.store.tx import transaction
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


def _tap(site: str, badge: str, station: str, at: float, boot: str, mono_ms: int) -> Envelope:
    data = TapData(uid="04A1B2C3D4E5F6", tag_type="Type2Tag", zone=ZONES[station],
                   ndef=BadgeNdef(badge_id=badge, role="visitor", sig=None), reader="udp:127.0.0.1:1")  # fmt: skip
    return Envelope(id=new_ulid(), kind="tap", site=site, station=station, seq=mono_ms, ts=epoch_to_rfc3339(at),
                    boot=boot, mono_ms=mono_ms, clock_synced=True, data=data)  # fmt: skip


def _all_visits(writer: IngestWriter) -> list[tuple[object, ...]]:
    rows = writer.conn.execute(
        'SELECT site, badge, zone, station, start_event, end_event, start, start_epoch, "end", dwell_s, timed_out,'
        " sig_ok FROM visits ORDER BY site, badge, start_epoch, start_event"
    )
    return [tuple(row) for row in rows]


def test_a_batch_older_than_stored_taps_with_a_duplicate_builds_the_visits_of_a_full_rebuild(tmp_path: Path) -> None:
    writer = IngestWriter(str(tmp_path / "hub.sqlite3"), ack=lambda _m: None, default_dwell_timeout_s=1800)
    taps_seen: list[int] = []
    writer.derivers.append(
        lambda conn, _result: taps_seen.append(conn.execute("SELECT COUNT(*) FROM taps").fetchone()[0])
    )
    try:
        with transaction(writer.conn):
            writer.conn.executemany(
                "INSERT INTO station_settings(site, station, tap_mode, dwell_timeout_s) VALUES ('demo',?,?,?)",
                [(station, mode, timeout) for station, (mode, timeout) in SETTINGS.items()],
            )
        stored = [
            _tap("demo", "V-1", "gate-a", T0 + 100, "boot-1", 100_000),
            _tap("demo", "V-1", "gate-a", T0 + 200, "boot-1", 200_000),
            _tap("demo", "V-1", "gate-b", T0 + 300, "boot-1", 300_000),
            _tap("demo", "V-1", "gate-a", T0 + 1000, "boot-2", 5_000),
            _tap("demo", "V-2", "gate-c", T0 + 400, "boot-1", 400_000),
            _tap("plant-2", "V-1", "gate-d", T0 + 500, "boot-9", 1_000),
        ]
        batch = [
            _tap("demo", "V-1", "gate-c", T0 + 50, "boot-1", 50_000),  # older than every stored tap of the badge
            stored[1],  # a duplicate: no second taps row, no second visit
            _tap("demo", "V-1", "gate-b", T0 + 300, "boot-1", 300_000),  # the same time (and mono_ms) as a stored one
            _tap("demo", "V-1", "gate-d", T0 + 250, "boot-1", 250_000),
            _tap("demo", "V-1", "gate-a", T0 + 1000.5, "boot-3", 200),  # after a reboot
            _tap("demo", "V-2", "gate-c", T0 + 350, "boot-1", 350_000),
            _tap("plant-2", "V-1", "gate-d", T0 + 450, "boot-9", 900),
        ]
        writer.store([InMessage(str(e.topic), e.encode(), i + 1, 1) for i, e in enumerate(stored)])
        result = writer.store([InMessage(str(e.topic), e.encode(), i + 1, 1) for i, e in enumerate(batch)])
        assert (result.duplicates, result.stored) == (1, {"tap": 6})
        assert taps_seen == [6, 12]  # derivers see every tap of the batch in the taps table
        incremental = _all_visits(writer)
        with transaction(writer.conn):
            writer.conn.execute("DELETE FROM visits")
            for site, badge in (("demo", "V-1"), ("demo", "V-2"), ("plant-2", "V-1")):
                rebuild_badge(writer.conn, site, badge, station_rules(writer.conn, site, "toggle", 1800), T0 + 10**7)
        assert incremental == _all_visits(writer)
        assert [(v[0], v[1], v[3], v[7], v[9], v[10]) for v in incremental] == [
            ("demo", "V-1", "gate-c", T0 + 50, 50, 0),
            ("demo", "V-1", "gate-a", T0 + 200, 50, 0),
            ("demo", "V-1", "gate-d", T0 + 250, 50, 0),
            ("demo", "V-1", "gate-b", T0 + 300, 300, 1),
            ("demo", "V-1", "gate-a", T0 + 1000, 0.5, 0),  # closed across a reboot: wall clock
            ("demo", "V-2", "gate-c", T0 + 350, 50, 0),
            ("plant-2", "V-1", "gate-d", T0 + 450, 0.1, 0),  # one boot: mono_ms
        ]
    finally:
        writer.close()
