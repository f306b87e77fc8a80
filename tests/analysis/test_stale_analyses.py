"""A hub started on a database whose analyses an older revision made recomputes them in the background.

The database is a real SQLite file filled through the hub's ingest writer; its analyses are then turned into what
the previous analysis code stored (no `negated`, no 核个价 quote, no hardness in "h 二 c 五十") under an old
revision, with the tag that old analysis gave. The real hub (real Mosquitto) must bring every analysis to its
revision, make the tags follow, and open no opportunity, timer or notification.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from fastapi.testclient import TestClient

from firmware_config.local_broker import LocalBroker
from hub.app import create_app
from hub.rules.analysis import default_library
from hub.rules.engine.engine import RulesEngine
from hub.rules.notes_pipeline import NoteAnalyzer, StaleAnalyses
from hub.settings import HubSettings
from hub.store.audit import list_audit
from hub.store.db import connect
from hub.store.notes import add_tag
from hub.store.opportunities import (
    change_status,
    has_open_opportunity,
    history,
    open_opportunity,
    opportunity_of_event,
)
from hub.store.tx import transaction
from tests.api.tourdata import ADMIN_TOKEN, bearer, note, store_events

DECLINED_HARDNESS = "硬度 h r c 五十 不用 了"
ASKED_PRICE = "麻烦 帮 我们 核 个 价"
HEARD_HRC = "热处理 h 二 c 五十"
DECLINED_QUOTE = "不 需要 报价"
SAME_HARDNESS = "这个 阀 体 得 热 处理 到 h r c 四十五 才 行"
FILLERS = 110  # with the five above, three batches of 50


def _old_result(result: dict[str, Any], text: str) -> dict[str, Any]:
    """What the previous analysis code stored for a text: no `negated`, and what it did not understand."""
    old = json.loads(json.dumps(result))
    for item in old["params"] + old["signals"]:
        item.pop("negated", None)
    if text == HEARD_HRC:
        old["params"] = []
    if text == ASKED_PRICE:
        old["signals"] = []
    return old


def _age_analyses(db: Path) -> dict[str, str]:
    """Rewrite every stored analysis as an older revision made it; return note id → text."""
    conn = connect(db)
    try:
        texts = {}
        for note_id, body, result in conn.execute(
            "SELECT e.id, e.body, a.result FROM events e JOIN note_analyses a ON a.note_id = e.id"
        ).fetchall():
            text = json.loads(body)["data"]["text"]
            texts[note_id] = text
            old = json.dumps(_old_result(json.loads(result), text), ensure_ascii=False, sort_keys=True)
            conn.execute("UPDATE note_analyses SET result = ?, revision = 'a1.0ld0ld00.000000000000' WHERE note_id = ?",
                         (old, note_id))  # fmt: skip
        by_text = {text: note_id for note_id, text in texts.items()}
        evidence = {"rule": "硬度要求", "event_ids": [by_text[DECLINED_HARDNESS]], "quote": DECLINED_HARDNESS}
        add_tag(conn, "demo", "V-0001", "热处理需求", "硬度要求", evidence)  # what the old analysis tagged
        add_tag(conn, "demo", "V-0005", "热处理需求", "硬度要求", {**evidence, "event_ids": [by_text[SAME_HARDNESS]]})
        return texts
    finally:
        conn.close()


def _wait(condition: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _count(conn: sqlite3.Connection, table: str) -> int:
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)).fetchone()
    return 0 if exists is None else int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_hub_start_recomputes_old_analyses_tags_follow_and_nothing_is_pushed(
    tmp_path: Path, broker: LocalBroker
) -> None:
    db = tmp_path / "hub.sqlite3"
    t0 = time.time() - 3600
    spoken = [(DECLINED_HARDNESS, "V-0001"), (ASKED_PRICE, "V-0002"), (HEARD_HRC, "V-0003"),
              (DECLINED_QUOTE, "V-0004"), (SAME_HARDNESS, "V-0005")]  # fmt: skip
    spoken += [("看了 机加工 车间", f"V-1{i:03d}") for i in range(FILLERS)]
    store_events(db, [note("gate-heat-treat", "R-007", (badge,), text, i + 1, t0 + i)
                      for i, (text, badge) in enumerate(spoken)])  # fmt: skip
    texts = _age_analyses(db)
    assert len(texts) == len(spoken)

    settings = HubSettings(db=str(db), broker=broker.url, admin_token=ADMIN_TOKEN, client_id="hub-stale-test")
    with TestClient(create_app(settings)) as client:

        def finished() -> dict[str, Any] | None:
            state = client.get("/api/health").json()["analysis"]
            return state if state["stale"] == 0 and not state["recomputing"] else None

        state = _wait(finished, "the background recompute")
        assert state["ok"] and state["recomputed"] == len(spoken) and state["changed"] == 4, state
        some = next(iter(texts))
        assert client.get(f"/api/notes/{some}", headers=bearer(ADMIN_TOKEN)).status_code == 200
        conn = connect(db)
        try:
            revision = client.app.state.runtime.notes.revision(conn)  # type: ignore[attr-defined]
            revisions = {r[0] for r in conn.execute("SELECT revision FROM note_analyses")}
            assert revisions == {revision} and revision.startswith("a2.")
            results = {texts[r[0]]: json.loads(r[1]) for r in conn.execute("SELECT note_id, result FROM note_analyses")}
            assert results[DECLINED_HARDNESS]["params"][0]["negated"] is True
            assert results[DECLINED_QUOTE]["signals"][0]["negated"] is True
            assert [s["name"] for s in results[ASKED_PRICE]["signals"]] == ["quote"]
            assert results[HEARD_HRC]["params"][0]["text"] == "HRC50"
            tags = {(r[0], r[1]) for r in conn.execute("SELECT badge, tag FROM tags")}
            assert tags == {("V-0003", "热处理需求"), ("V-0005", "热处理需求")}
            for table in ("notify_outbox", "rule_outcomes", "rule_timers"):
                assert _count(conn, table) == 0, table
        finally:
            conn.close()


def test_a_current_database_has_nothing_to_recompute(tmp_path: Path, broker: LocalBroker) -> None:
    db = tmp_path / "hub.sqlite3"
    store_events(db, [note("gate-heat-treat", "R-007", ("V-0001",), SAME_HARDNESS, 1, time.time() - 60)])
    settings = HubSettings(db=str(db), broker=broker.url, admin_token=ADMIN_TOKEN, client_id="hub-current-test")
    with TestClient(create_app(settings)) as client:
        state = _wait(lambda: (s := client.get("/api/health").json()["analysis"])["stale"] == 0 and s, "the count")
        assert state["recomputed"] == 0 and state["changed"] == 0 and not state["recomputing"]


def test_a_library_edit_recomputes_stored_analyses_in_the_background(tmp_path: Path, broker: LocalBroker) -> None:
    db = tmp_path / "hub.sqlite3"
    spoken = note("gate-heat-treat", "R-007", ("V-0001",), SAME_HARDNESS, 1, time.time() - 60)
    store_events(db, [spoken])
    settings = HubSettings(db=str(db), broker=broker.url, admin_token=ADMIN_TOKEN, client_id="hub-library-test")
    with TestClient(create_app(settings)) as client:
        shown = client.get(f"/api/notes/{spoken.id}", headers=bearer(ADMIN_TOKEN)).json()
        assert [w["kind"] for w in shown["warnings"]] == ["feasibility"]  # the best stock reaches HRC42
        library = default_library().to_dict()
        library["stock"].append({"id": "ST-900", "material": "40Cr", "qty": 5, "max_hardness_scale": "HRC",
                                 "max_hardness": 48})  # fmt: skip
        text = yaml.safe_dump(library, allow_unicode=True)
        assert client.put("/api/library", json={"text": text}, headers=bearer(ADMIN_TOKEN)).status_code == 200

        def warnings_now() -> list[Any] | None:
            found = client.get(f"/api/notes/{spoken.id}", headers=bearer(ADMIN_TOKEN)).json()["warnings"]
            state = client.get("/api/health").json()["analysis"]
            return found if not found and state["stale"] == 0 and not state["recomputing"] else None

        _wait(lambda: warnings_now() == [], "the warning to go")
        assert client.get("/api/health").json()["analysis"]["changed"] == 1


def test_a_failed_run_is_shown_and_retried(tmp_path: Path) -> None:
    blocker = tmp_path / "hub"
    blocker.write_text("not a folder", encoding="utf-8")
    db = blocker / "hub.sqlite3"
    stale = StaleAnalyses(NoteAnalyzer(), None)
    stale.retry_s = 0.05
    stop = threading.Event()
    try:
        stale.start(str(db), stop)
        failed = _wait(lambda: (s := stale.state())["error"] and s, "the failure to show")
        assert failed["ok"] is False
        ready = tmp_path / "ready"
        store_events(ready / db.name, [note("gate-heat-treat", "R-007", ("V-0001",), SAME_HARDNESS, 1, time.time())])
        conn = connect(ready / db.name)
        conn.execute("UPDATE note_analyses SET revision = 'a1.old'")
        conn.close()
        blocker.unlink()
        ready.rename(blocker)  # the database appears whole, already stale
        done = _wait(lambda: (s := stale.state())["ok"] and s["stale"] == 0 and s, "the retry")
        assert done["recomputed"] == 1 and done["error"] == ""
    finally:
        stop.set()
        stale.join(timeout=10)


def test_an_opportunity_the_note_no_longer_asks_for_is_withdrawn_and_says_why(tmp_path: Path) -> None:
    """An older analysis opened a quote opportunity for 不需要报价 (it did not know negation). Analysed again, the
    note declines: its pending opportunity is withdrawn by `analysis` with the note's words; one a rep confirmed
    stays confirmed, and a real request keeps its own."""
    db = tmp_path / "hub.sqlite3"
    t0 = time.time() - 3600
    spoken = [note("gate-heat-treat", "R-007", ("V-0004",), DECLINED_QUOTE, 1, t0),
              note("gate-heat-treat", "R-007", ("V-0006",), DECLINED_QUOTE, 2, t0 + 1),
              note("gate-heat-treat", "R-007", ("V-0002",), "麻烦 报价", 3, t0 + 2)]  # fmt: skip
    store_events(db, spoken)
    conn = connect(db)
    try:
        with transaction(conn):
            for envelope in spoken:
                badge = envelope.data.visitor_badges[0]  # type: ignore[union-attr]
                result = json.loads(conn.execute("SELECT result FROM note_analyses WHERE note_id = ?",
                                                 (envelope.id,)).fetchone()[0])  # fmt: skip
                old = json.dumps(_old_result(result, ""), ensure_ascii=False, sort_keys=True)
                conn.execute("UPDATE note_analyses SET result = ?, revision = 'a1.old' WHERE note_id = ?",
                             (old, envelope.id))  # fmt: skip
                if not has_open_opportunity(conn, "demo", badge, "报价商机"):  # what the old analysis opened
                    open_opportunity(conn, "demo", badge, badge, "R-007", "报价商机", "报价请求", envelope.id, {})
            confirmed = opportunity_of_event(conn, spoken[1].id, "V-0006")
            assert confirmed is not None
            change_status(conn, confirmed, "confirmed", "R-007-user", "rep")
        opened = {row[0]: row[1] for row in conn.execute("SELECT visitor, id FROM opportunities")}
        assert set(opened) == {"V-0004", "V-0006", "V-0002"}
    finally:
        conn.close()

    stale = StaleAnalyses(NoteAnalyzer(), RulesEngine.for_hub(None, str(db)))
    assert stale.run(str(db)) and stale.state()["stale"] == 0

    conn = connect(db)
    try:
        status = {row[0]: row[1] for row in conn.execute("SELECT visitor, status FROM opportunities")}
        assert status == {"V-0004": "ignored", "V-0006": "confirmed", "V-0002": "pending"}
        why = history(conn, [opened["V-0004"]])[opened["V-0004"]]
        assert [(h["actor"], h["before"], h["after"]) for h in why] == [("analysis", "pending", "ignored")]
        assert DECLINED_QUOTE in why[0]["comment"]
        audit = list_audit(conn, action="opportunity.status")
        assert [(a["actor"], a["target"], a["detail"]["after"]) for a in audit] == [
            ("analysis", str(opened["V-0004"]), "ignored")]  # fmt: skip
        assert _count(conn, "notify_outbox") == 0 and len(opened) == _count(conn, "opportunities")
    finally:
        conn.close()
