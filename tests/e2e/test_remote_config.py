"""Config pushed by the hub (retained, with rev) is applied live by the station; a bad one is refused."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from edge.agent.runner import Agent
from edge.nfc_reader.badge import Badge, encode_badge_message
from edge.nfc_reader.emulator import TagEmulator
from firmware_config.local_broker import LocalBroker
from tests.e2e.conftest import TOKEN, RunningHub
from tests.waiting import wait_until

AUTH = {"Authorization": f"Bearer {TOKEN}"}
CONFIG = {"zone": "assembly", "debounce_s": 0.5, "tap_mode": "enter_only", "dwell_timeout_s": 900,
          "note": {"max_s": 30, "silence_ms": 1200, "vocabulary": ["热处理", "淬火"]}}  # fmt: skip


def test_pushed_config_is_applied_live_and_reported(
    hub: RunningHub, station: Callable[..., tuple[Agent, TagEmulator]], site_id: str
) -> None:
    agent, reader = station("injection")
    url = f"{hub.url}/api/stations/{site_id}/gate-injection/config"
    response = httpx.put(url, json=CONFIG, headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.json()["rev"] == 1

    wait_until(lambda: agent.health.config_rev == 1, what="the pushed config applied")
    assert agent.config.zone == "assembly" and agent.config.tap_mode == "enter_only"
    assert agent.config.note.vocabulary == ("热处理", "淬火")
    assert agent.reader.debouncer.debounce_s == 0.5
    assert json.loads((agent.pushed.path).read_text())["rev"] == 1

    reader.present("0101AABBCCDD0042", encode_badge_message(Badge("V-0042", "visitor", None)), 0.3)
    visits = hub.wait_for("/api/visits", lambda v: len(v["items"]) == 1, visitor="V-0042")["items"]
    assert visits[0]["zone"] == "assembly"
    stations = hub.wait_for("/api/stations", lambda s: s and s[0]["config_rev"] == 1)
    assert stations[0]["config_rev"] == 1
    assert httpx.get(url, headers=AUTH).json()["config"]["dwell_timeout_s"] == 900


def test_invalid_config_is_refused_by_the_api_and_by_the_station(
    hub: RunningHub, station: Callable[..., tuple[Agent, TagEmulator]], site_id: str, broker: LocalBroker
) -> None:
    agent, _ = station("injection")
    url = f"{hub.url}/api/stations/{site_id}/gate-injection/config"
    bad = httpx.put(url, json={**CONFIG, "tap_mode": "sometimes"}, headers=AUTH)
    assert bad.status_code == 422 and "tap_mode: expected one of toggle|enter_only" in bad.text
    assert httpx.put(url, json=CONFIG).status_code == 401
    before = httpx.get(url, headers=AUTH).json()  # the defaults in effect until a config is pushed
    assert before["pushed"] is False and before["rev"] == 0 and before["config"]["tap_mode"] == "toggle"

    assert httpx.put(url, json=CONFIG, headers=AUTH).status_code == 200
    wait_until(lambda: agent.health.config_rev == 1, what="the pushed config applied")
    rogue = mqtt.Client(CallbackAPIVersion.VERSION2)
    rogue.connect("127.0.0.1", broker.port)
    rogue.loop_start()
    rogue.publish(f"tourtrace/v1/{site_id}/gate-injection/config", b'{"v":1,"kind":"config"}', qos=1).wait_for_publish()
    rogue.loop_stop()
    rogue.disconnect()
    wait_until(lambda: agent.health.error.startswith("rejected pushed config"), what="the rogue config rejected")
    assert agent.health.config_rev == 1 and agent.config.zone == "assembly"


def test_a_pushed_config_the_station_cannot_save_is_neither_applied_nor_reported(
    hub: RunningHub, station: Callable[..., tuple[Agent, TagEmulator]], site_id: str
) -> None:
    """Saved first, then applied, then reported: a rev the station would lose on a power cut is never claimed."""
    agent, _ = station("injection")
    agent.pushed.path.mkdir(parents=True)  # the rename over it fails like a full or read-only card would
    url = f"{hub.url}/api/stations/{site_id}/gate-injection/config"
    assert httpx.put(url, json=CONFIG, headers=AUTH).status_code == 200
    wait_until(lambda: agent.health.error.startswith("cannot save pushed config rev 1"), what="the save error reported")
    assert agent.health.config_rev == 0 and agent.config.zone == "injection"
    stations = hub.wait_for("/api/stations", lambda s: bool(s) and "cannot save" in s[0]["status"].get("error", ""))
    assert stations[0]["config_rev"] != 1
