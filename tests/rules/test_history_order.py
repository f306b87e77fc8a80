"""The newest stored taps and notes are the newest instants, whatever UTC offset each station stamps."""

from __future__ import annotations

from dataclasses import replace

from hub.store.rule_facts import tap_and_note_bodies
from protocol import to_epoch
from tests.api.tourdata import note, tap
from tests.rules.conftest import Hub


def test_the_last_n_are_the_latest_instants_across_station_offsets(hub: Hub) -> None:
    base = to_epoch("2026-11-30T00:00:00Z")
    shanghai = replace(tap("gate-a", "injection", "V-1", 1, base), ts="2026-11-30T09:00:00.000+08:00")  # 01:00Z
    london = [
        replace(tap("gate-b", "welding", "V-2", 1, base), ts="2026-11-30T00:30:00.000+00:00"),
        replace(tap("gate-b", "welding", "V-2", 2, base), ts="2026-11-30T02:00:00.000+00:00"),
        replace(note("gate-b", "R-1", ("V-2",), "报价", 3, base), ts="2026-11-30T03:00:00.000+00:00"),
    ]
    hub.submit(shanghai, *london)
    newest = [body["id"] for body in tap_and_note_bodies(hub.conn, last=2)]
    assert newest == [london[1].id, london[2].id]  # 09:00+08:00 sorts highest as text, but it is 01:00Z
    three = [body["id"] for body in tap_and_note_bodies(hub.conn, last=3)]
    assert three == [shanghai.id, london[1].id, london[2].id]
    every = [body["id"] for body in tap_and_note_bodies(hub.conn)]
    assert every == [london[0].id, shanghai.id, london[1].id, london[2].id]
