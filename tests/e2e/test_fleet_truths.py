"""Fleet truths: a retired (revoked) station is not online; a rep badge where voice notes are off says so."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from edge.agent.runner import Agent
from edge.nfc_reader.badge import Badge, encode_badge_message
from edge.nfc_reader.emulator import TagEmulator
from tests.e2e.conftest import TOKEN, RunningHub


def _post(hub: RunningHub, path: str, body: dict[str, object]) -> httpx.Response:
    return httpx.post(f"{hub.url}{path}", json=body, headers={"Authorization": f"Bearer {TOKEN}"})


def test_retired_station_is_not_online_and_can_come_back(
    hub: RunningHub, station: Callable[..., tuple[Agent, TagEmulator]], site_id: str
) -> None:
    station("injection")
    online = hub.wait_for("/api/stations", lambda s: len(s) == 1 and s[0]["online"])
    assert online[0]["online"] is True and online[0]["retired_at"] is None

    response = _post(hub, f"/api/stations/{site_id}/gate-injection/retire", {"retired": True})
    assert response.status_code == 200, response.text
    assert (response.json()["state"], response.json()["online"]) == ("retired", False)
    listed = hub.get("/api/stations")
    assert (listed[0]["state"], listed[0]["online"]) == ("retired", False) and listed[0]["retired_at"]
    assert "tourtrace_stations_online 0.0" in httpx.get(f"{hub.url}/metrics").text
    time.sleep(2.5)  # a status published after the retirement (interval 2 s) does not bring it back online
    assert hub.get("/api/stations")[0]["state"] == "retired"

    restored = _post(hub, f"/api/stations/{site_id}/gate-injection/retire", {"retired": False}).json()
    assert restored["online"] is True and restored["retired_at"] is None
    assert _post(hub, f"/api/stations/{site_id}/nope/retire", {}).status_code == 404
    actions = [entry["action"] for entry in hub.get("/api/audit", action="station.")]
    assert actions == ["station.restore", "station.retire"]


def test_rep_badge_at_a_station_without_audio_says_voice_notes_are_off(
    hub: RunningHub, station: Callable[..., tuple[Agent, TagEmulator]], site_id: str
) -> None:
    _, reader = station("assembly")
    hub.wait_for("/api/stations", lambda s: len(s) == 1 and s[0]["reader"] == "present")
    reader.present("0101AABBCCDD0777", encode_badge_message(Badge("REP-7", "rep", None)), 0.3)
    listed = hub.wait_for("/api/stations", lambda s: "voice notes are off" in s[0]["status"].get("error", ""))
    assert listed[0]["status"]["error"] == (
        "rep badge REP-7: voice notes are off at this station (no audio: in station.yaml); the tap is recorded, no note"
    )
