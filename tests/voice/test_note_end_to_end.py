"""A rep badge tap at a station records a WAV note, Vosk transcribes it, and the hub serves it at /api/notes/{id}."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

from edge.agent.runner import Agent
from edge.nfc_reader.badge import Badge, encode_badge_message
from edge.nfc_reader.emulator import TagEmulator
from tests.e2e.conftest import RunningHub, hub, site_key, station  # noqa: F401  (fixtures)
from tests.voice.conftest import GRAMMAR, SpeechMaker
from tests.waiting import wait_until


def test_rep_tap_records_a_note_that_reaches_the_hub(
    hub: RunningHub,  # noqa: F811
    station: Callable[..., tuple[Agent, TagEmulator]],  # noqa: F811
    speech: SpeechMaker,
    ko_model_dir: Path,
) -> None:
    wav = speech("물 좀 주세요", before_s=0.3, after_s=1.5)
    agent, reader = station(
        "heat-treat",
        audio=f"wav:{wav}",
        model=str(ko_model_dir),
        note={"lang": "ko", "grammar": True, "vocabulary": list(GRAMMAR), "silence_ms": 600, "max_s": 10},
    )
    visitor = encode_badge_message(Badge("V-0100", "visitor", None))
    rep = encode_badge_message(Badge("R-007", "rep", None))
    reader.present("0101AABBCCDD0100", visitor, 0.3)
    wait_until(
        lambda: "V-0100" in agent.voice.presence.present(), 10, "V-0100 in the zone"
    )  # the visitor is in the zone
    reader.present("0101AABBCCDD0007", rep, 0.3)

    notes = hub.wait_for("/api/notes", lambda n: len(n["items"]) == 1, timeout_s=20)["items"]
    assert len(notes) == 1, notes
    note = hub.get(f"/api/notes/{notes[0]['id']}")
    assert note["text"] == "물 좀 주세요"
    assert note["rep_badge"] == "R-007"
    assert note["visitor_badges"] == ["V-0100"]
    assert note["zone"] == "heat-treat"
    assert agent.health.mic == "ok"
    event = hub.get("/api/visitors/V-0100/profile")
    assert [n["id"] for n in event["notes"]] == [note["id"]]


def test_note_button_starts_a_note_for_the_last_rep(
    hub: RunningHub,  # noqa: F811
    station: Callable[..., tuple[Agent, TagEmulator]],  # noqa: F811
    speech: SpeechMaker,
    ko_model_dir: Path,
) -> None:
    from gpiozero import Device
    from gpiozero.pins.mock import MockFactory

    Device.pin_factory = MockFactory()
    try:
        wav = speech("고양이", before_s=0.3, after_s=1.5)
        agent, reader = station(
            "machining",
            audio=f"wav:{wav}",
            model=str(ko_model_dir),
            note={"lang": "ko", "grammar": True, "vocabulary": list(GRAMMAR), "silence_ms": 600, "button_pin": 17},
        )
        reader.present("0101AABBCCDD0200", encode_badge_message(Badge("V-0200", "visitor", None)), 0.3)
        wait_until(lambda: "V-0200" in agent.voice.presence.present(), 10, "V-0200 in the zone")
        agent.voice.last_rep = "R-009"
        Device.pin_factory.pin(17).drive_low()  # press
        Device.pin_factory.pin(17).drive_high()
        notes = hub.wait_for("/api/notes", lambda n: len(n["items"]) == 1, timeout_s=20)["items"]
        assert [(n["text"], n["rep_badge"], n["visitor_badges"]) for n in notes] == [("고양이", "R-009", ["V-0200"])]
        assert hub.get("/api/notes/" + notes[0]["id"])["zone"] == "machining"
        with sqlite3.connect(hub.settings.db) as conn:
            (body,) = conn.execute("SELECT body FROM events WHERE id = ?", (notes[0]["id"],)).fetchone()
        assert json.loads(body)["data"]["trigger"] == "button"
    finally:
        Device.pin_factory.close()
        Device.pin_factory = None
