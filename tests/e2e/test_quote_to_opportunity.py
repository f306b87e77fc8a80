"""A note with a quote published over MQTT → one pending opportunity at the hub, even when delivered twice."""

from __future__ import annotations

import time

import httpx

from protocol import Envelope, NoteData
from tests.api.tourdata import envelope
from tests.e2e.conftest import RunningHub
from tests.reliability.mqtt_tools import publish_all


def _note(site: str, seq: int, text: str, at: float) -> Envelope:
    data = NoteData(trigger="rep_badge", rep_badge="R-007", visitor_badges=("V-0001",), duration_ms=3000,
                    sample_rate=16000, lang="zh", model="test", text=text, words=(), audio=None)  # fmt: skip
    return envelope("note", "gate-heat-treat", seq, at, data, site=site)


def _stored(hub: RunningHub, note_id: str, timeout_s: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            hub.get(f"/api/notes/{note_id}")
            return True
        except httpx.HTTPStatusError:
            time.sleep(0.1)
    return False


def test_a_quote_over_mqtt_raises_one_pending_opportunity(hub: RunningHub, site_id: str) -> None:
    now = time.time()
    quote = _note(site_id, 1, "这个阀体热处理到HRC45，麻烦报个价", now - 30)
    later = _note(site_id, 2, "看了热处理车间", now - 20)
    publish_all(hub.settings.broker, [(str(e.topic), e.encode()) for e in (quote, quote, later)])
    assert _stored(hub, later.id)  # one publisher at QoS 1: the quote and its redelivery came in before
    page = hub.get("/api/opportunities")
    assert page["next"] is None and len(page["items"]) == 1
    made = page["items"][0]
    assert (made["visitor"], made["rep"], made["status"], made["rule"]) == ("V-0001", "R-007", "pending", "报价商机")
    assert "报个价" in made["evidence"]["quote"] and made["evidence"]["params"][0]["text"] == "HRC45"
    assert made["evidence"]["note_id"] == quote.id
