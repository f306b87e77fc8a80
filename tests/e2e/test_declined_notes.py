"""A declined request published over MQTT to a running hub drives nothing; an asked one opens an opportunity."""

from __future__ import annotations

import sqlite3
import time

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from firmware_config.local_broker import LocalBroker
from protocol import Envelope, NoteData
from tests.api.tourdata import envelope
from tests.e2e.conftest import TOKEN, RunningHub

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _note(site: str, seq: int, text: str, at: float) -> Envelope:
    data = NoteData(trigger="rep_badge", rep_badge="R-007", visitor_badges=("V-0001",), duration_ms=3000,
                    sample_rate=16000, lang="zh", model="vosk-model-small-cn", text=text, words=(),
                    audio=None)  # fmt: skip
    return envelope("note", "gate-heat-treat", seq, at, data, site=site)


def _publish(broker: LocalBroker, *events: Envelope) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2)
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    for event in events:
        client.publish(str(event.topic), event.encode(), qos=1).wait_for_publish(10)
    client.loop_stop()
    client.disconnect()


def _outcomes(hub: RunningHub) -> list[dict]:
    response = httpx.get(f"{hub.url}/api/rules/outcomes", headers=AUTH)
    response.raise_for_status()
    return list(response.json())


def _wait(predicate, timeout_s: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_declined_quote_makes_no_opportunity_push_or_timer_and_an_asked_one_does(
    hub: RunningHub, broker: LocalBroker, site_id: str
) -> None:
    now = time.time()
    declined = _note(site_id, 1, "不 需要 报价", now - 60)
    withdrawn = _note(site_id, 2, "报价 就 先 不用 了 把 图纸 发 过来", now - 50)
    asked = _note(site_id, 3, "麻烦 给 个 报价", now - 40)
    _publish(broker, declined, withdrawn, asked)  # in order: once `asked` is acted on, the others were read

    assert _wait(lambda: any(o["kind"] == "opportunity" for o in _outcomes(hub)))
    made = [(o["kind"], o["event_id"]) for o in _outcomes(hub)]
    assert made == [("opportunity", asked.id), ("notify", asked.id)]

    stored = httpx.get(f"{hub.url}/api/notes/{declined.id}", headers=AUTH).json()
    assert [(s["name"], s.get("negated")) for s in stored["signals"]] == [("quote", True)]
    conn = sqlite3.connect(hub.settings.db)
    try:
        timers = conn.execute("SELECT event_id FROM rule_timers").fetchall()
        pushes = conn.execute("SELECT context FROM notify_outbox").fetchall()
    finally:
        conn.close()
    assert timers == [(asked.id,)]  # the 2-hour escalation waits only on the asked quote
    assert len(pushes) == 1 and asked.id in pushes[0][0]
