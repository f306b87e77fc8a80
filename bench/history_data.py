"""Generate a plant's history through the store's own insert code: N visitors, each a tour of four zones.

Each visitor has a registered badge (visitor id ≠ badge id), eight taps (in and out of four zones), one rep note
with its analysis; a third earn an interest tag. Tours spread evenly over the given days up to now; the last few
visitors are still in a zone (an open visit), as on a live board.
"""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

from hub.rules.visits import rebuild_badge, station_rules
from hub.store.badges import Badge, upsert_badge
from hub.store.db import open_database
from hub.store.events import BatchResult, DeadLetter, insert_dead_letters, insert_event, record_event_counts
from hub.store.notes import add_tag, insert_note, save_analysis
from hub.store.stations import record_status
from hub.store.visitors import record_badge_activity
from protocol import BadgeNdef, Envelope, NoteData, StatusData, TapData, new_ulid
from protocol.timefmt import epoch_to_rfc3339

SITE = "demo"
ZONES = ("injection", "heat-treat", "machining", "assembly")
BOOT = "6f1c2a4e-3b8d-4e55-9a61-0c1d2e3f4a5b"
TEXT = "这个阀体得热处理到HRC45才行，麻烦报价"
ANALYSIS = {"normalized": TEXT, "params": [{"kind": "hardness", "scale": "HRC", "value": 45, "text": "HRC45",
            "span": [9, 14]}], "signals": [{"name": "quote", "text": "报价", "span": [18, 20]}], "lookups": [],
            "warnings": [{"kind": "feasibility", "text": "库存材料最高 HRC42"}]}  # fmt: skip
COMPANIES = ("华东阀门", "苏北精密", "苏州精工", "宁波模具", "无锡轴承", "常州齿轮")


def _envelope(kind: str, station: str, seq: int, at: float, data: object) -> Envelope:
    return Envelope(id=new_ulid(int(at * 1000)), kind=kind, site=SITE, station=station, seq=seq,
                    ts=epoch_to_rfc3339(at), boot=BOOT, mono_ms=int(at * 1000) % 10**9, clock_synced=True,
                    data=data)  # type: ignore[arg-type]  # fmt: skip


def _tap(zone: str, badge: str, seq: int, at: float) -> Envelope:
    data = TapData(uid="04A1B2C3D4E5F6", tag_type="Type3Tag", zone=zone,
                   ndef=BadgeNdef(badge_id=badge, role="visitor", sig=None), reader="udp:127.0.0.1:1")  # fmt: skip
    return _envelope("tap", f"gate-{zone}", seq, at, data)


def _note(zone: str, rep: str, badge: str, seq: int, at: float) -> Envelope:
    data = NoteData(trigger="rep_badge", rep_badge=rep, visitor_badges=(badge,), duration_ms=4200,
                    sample_rate=16000, lang="zh", model="bench", text=TEXT, words=(), audio=None)  # fmt: skip
    return _envelope("note", f"gate-{zone}", seq, at, data)


def _tour(number: int, start: float, seq: int, still_touring: bool) -> list[Envelope]:
    badge = f"B-{number:06d}"
    events = []
    at = start
    for zone in ZONES:
        events.append(_tap(zone, badge, seq, at))
        at += 120 + number % 240
        events.append(_tap(zone, badge, seq + 1, at))
        at += 30
        seq += 2
    events.insert(4, _note("heat-treat", f"R-{number % 20:03d}", badge, seq, start + 400))
    return events[:-1] if still_touring else events


def generate(path: Path, visitors: int, days: float, now: float | None = None) -> float:
    """Write the history into a new database at path; return the seconds it took."""
    began = time.perf_counter()
    now = time.time() if now is None else now
    conn = open_database(path)
    rules = station_rules(conn, SITE, "toggle", 3600)
    span = days * 86400 - 3600
    conn.execute("BEGIN IMMEDIATE")
    for rep in range(20):
        upsert_badge(conn, Badge(f"R-{rep:03d}", "rep", name=f"销售{rep}"))
    for zone in ZONES:
        status = StatusData(state="online", version="0.1.0", uptime_s=60, reader="present", mic="present",
                            outbox_depth=0, oldest_unsent_s=0, disk_free_mb=1000, cpu_temp_c=45.0, clock_synced=True,
                            config_rev=1)  # fmt: skip
        record_status(conn, _envelope("status", f"gate-{zone}", 0, now - 10, status), epoch_to_rfc3339(now))
    for number in range(visitors):
        start = now - 3600 - span + span * number / max(visitors - 1, 1)
        upsert_badge(conn, Badge(f"B-{number:06d}", "visitor", f"V-{number:06d}", f"访客{number}",
                                 COMPANIES[number % len(COMPANIES)], f"R-{number % 20:03d}"))  # fmt: skip
        result = BatchResult()
        received = epoch_to_rfc3339(start)
        for event in _tour(number, start, 1 + 9 * number, still_touring=number >= visitors - 3):
            insert_event(conn, event, received, result)
            if isinstance(event.data, NoteData):
                insert_note(conn, event, "heat-treat")
                save_analysis(conn, event.id, ANALYSIS, "bench")
        for (site, badge), since in result.new_taps.items():
            rebuild_badge(conn, site, badge, rules, now, since)
        record_badge_activity(conn, result)
        record_event_counts(conn, result)
        if number % 3 == 0:
            evidence = {"rule": "注塑停留", "dwell": [{"zone": "injection", "dwell_s": 120.0 + number % 240}]}
            given = datetime.fromtimestamp(start + 300, UTC).isoformat(timespec="seconds")
            add_tag(conn, SITE, f"B-{number:06d}", "注塑工艺兴趣", "注塑停留", evidence, given)
        if number % 10 == 0:
            letter = DeadLetter(f"tourtrace/v1/{SITE}/gate-injection/tap", "bad json", b"{", received)
            insert_dead_letters(conn, [letter], result)
        if number % 2000 == 1999:
            conn.execute("COMMIT")
            conn.execute("BEGIN IMMEDIATE")
    conn.execute("COMMIT")
    conn.close()
    return time.perf_counter() - began


def count_events(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM events").fetchone()[0])
