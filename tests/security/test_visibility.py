"""What a rep may see comes from the badge registry only (issue 19.5, 17): notes written through a real broker
into a running hub never widen anyone's view; and a station holding the site key never lets an unsigned or copied
badge name anyone present or dictating (19.5c, 21.3)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from edge.agent.runner import Agent
from edge.nfc_reader.badge import Badge, encode_badge_message, sign
from edge.nfc_reader.emulator import TagEmulator
from protocol import Topic
from tests.e2e.conftest import RunningHub
from tests.reliability.harness import wait_until
from tests.security.conftest import Target, register, tap_body, token_for
from tests.waiting import wait_reader_present

SITE = "sec-scope"


def _note(rep: str, visitors: list[str], text: str) -> dict[str, Any]:
    body = tap_body(SITE, kind="note")
    body["data"] = {"trigger": "rep_badge", "rep_badge": rep, "visitor_badges": visitors, "duration_ms": 900,
                    "sample_rate": 16000, "lang": "zh", "model": "m", "text": text, "words": [],
                    "audio": None}  # fmt: skip
    return body


def test_a_note_never_widens_what_its_author_may_read(target: Target) -> None:
    register(target, badge_id="R-007", role="rep")
    register(target, badge_id="R-008", role="rep")
    register(target, badge_id="V-7", role="visitor", name="甲", rep="R-007")
    register(target, badge_id="V-8", role="visitor", name="乙", rep="R-008")
    _, rep7 = token_for(target, "rep", "R-007")
    _, rep8 = token_for(target, "rep", "R-008")
    secret = _note("R-008", ["V-8"], "乙方底价机密九十万")
    sneaky = _note("R-007", ["V-7", "V-8", "R-008"], "顺便记一下乙和同事")  # lists another rep's visitor and the rep
    for body in (secret, sneaky):
        target.publish(str(Topic(SITE, "gate-a", "note")), json.dumps(body, ensure_ascii=False).encode())
    assert wait_until(lambda: target.stored(secret["id"]) and target.stored(sneaky["id"]), 20)

    assert target.call("GET", "/api/visitors/V-8/profile", token=rep7).status_code == 403
    assert target.call("GET", "/api/visitors/R-008/profile", token=rep7).status_code == 403
    notes = target.call("GET", "/api/notes", token=rep7)
    assert [n["id"] for n in notes.json()["items"]] == [sneaky["id"]] and "机密" not in notes.text
    assert target.call("GET", f"/api/notes/{secret['id']}", token=rep7).status_code == 403
    assert {v["id"] for v in target.call("GET", "/api/visitors", token=rep7).json()["items"]} <= {"V-7"}
    assert secret["id"] in {n["id"] for n in target.call("GET", "/api/notes", token=rep8).json()["items"]}

    browser = httpx.Client(base_url=target.url, timeout=30)
    browser.post("/login", data={"token": rep7})
    for page in ("/notes", "/board", "/visitors", "/visitors/V-8"):
        assert "机密" not in browser.get(page).text
    assert browser.get("/visitors/V-8").status_code == 403
    assert "顺便记一下" in browser.get("/notes").text  # what the rep dictated stays theirs to read


def test_a_station_never_lets_an_unsigned_or_copied_badge_name_anyone(
    hub: RunningHub, station: Callable[..., tuple[Agent, TagEmulator]], site_key: tuple[bytes, Path]
) -> None:
    key = site_key[0]
    agent, reader = station("injection", site_key_file=str(site_key[1]), debounce_s=0.2)
    wait_reader_present(agent)
    copied_rep = Badge("R-007", "rep", sign(key, "R-007", "rep", "0101AABBCCDD0007"))
    reader.present("0101AABBCCDD0999", encode_badge_message(copied_rep), 0.3)  # signed for another tag
    reader.present("0101AABBCCDD0888", encode_badge_message(Badge("V-0042", "visitor", None)), 0.3)  # phone-written
    real = Badge("V-0001", "visitor", sign(key, "V-0001", "visitor", "0101AABBCCDD0001"))
    reader.present("0101AABBCCDD0001", encode_badge_message(real), 0.3)
    assert wait_until(lambda: len(agent.feedback.played) == 3, 10)
    assert [pattern.name for pattern in agent.feedback.played] == ["error", "error", "ok"]
    assert agent.voice.last_rep is None  # the copied rep badge started no note
    assert agent.voice.presence.present() == ("V-0001",)  # the unsigned one is not present for notes
    profile = hub.wait_for("/api/visitors/R-007/profile", lambda p: p["badge_findings"], timeout_s=10)
    assert profile["badge_findings"] == {"signature does not match": 1}


def test_a_visitor_id_that_is_another_visitors_badge_opens_nothing_of_theirs(target: Target) -> None:
    """A walk-in registered under their badge id keeps that id after the badge is reissued to someone else: the
    id must not give the first visitor's rep the new holder's notes."""
    register(target, badge_id="R-017", role="rep")
    register(target, badge_id="R-018", role="rep")
    register(target, badge_id="B-10", role="visitor", visitor="B-44", name="丙", rep="R-017")
    register(target, badge_id="B-44", role="visitor", visitor="W-44", name="丁", rep="R-018")  # the reissued badge
    _, rep17 = token_for(target, "rep", "R-017")
    _, rep18 = token_for(target, "rep", "R-018")
    secret = _note("R-018", ["B-44"], "丁方底价机密八十万")
    target.publish(str(Topic(SITE, "gate-a", "note")), json.dumps(secret, ensure_ascii=False).encode())
    assert wait_until(lambda: target.stored(secret["id"]), 20)

    assert secret["id"] in {n["id"] for n in target.call("GET", "/api/notes", token=rep18).json()["items"]}
    notes = target.call("GET", "/api/notes", token=rep17)
    assert notes.status_code == 200 and "机密" not in notes.text
    assert target.call("GET", f"/api/notes/{secret['id']}", token=rep17).status_code == 403
    profile = target.call("GET", "/api/visitors/B-10/profile", token=rep17)  # R-017's own visitor, id B-44
    assert profile.status_code == 200 and profile.json()["id"] == "B-44" and "机密" not in profile.text
    assert "机密" not in target.call("GET", "/api/visitors/B-44/profile", token=rep17).text
    browser = httpx.Client(base_url=target.url, timeout=30)
    browser.post("/login", data={"token": rep17})
    for page in ("/notes", "/board", "/visitors/B-10", "/visitors/B-44"):
        assert "机密" not in browser.get(page).text, page
