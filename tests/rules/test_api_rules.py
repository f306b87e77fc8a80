"""The rules API: validate with line/column, GET/PUT with roles, dry-run over stored history, health and hot reload."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi.testclient import TestClient

from hub.app import create_app
from hub.ingest.client import InMessage
from hub.ingest.writer import IngestWriter
from hub.rules.engine import default_rules_path
from hub.rules.notes_pipeline import NoteAnalyzer
from hub.settings import HubSettings
from hub.store.db import open_database
from tests.api.tourdata import ADMIN_TOKEN, bearer, register_people, sample_tour

GOOD = (
    "rules:\n  - name: machining\n    when: {event: tap, dwell: {zone: machining, min_minutes: 1}}\n"
    "    then: [{tag: 机加工兴趣}]\n"
)
BROKEN = (
    "rules:\n  - name: machining\n    when: {event: tap, dwell: {zone: machining, min_minutes: soon}}\n    then: []\n"
)


def client_for(tmp_path: Path, rules_file: Path | None = None) -> TestClient:
    db = tmp_path / "hub.sqlite3"
    open_database(db).close()
    path = None if rules_file is None else str(rules_file)
    settings = HubSettings(db=str(db), admin_token=ADMIN_TOKEN, rules_file=path)
    return TestClient(create_app(settings, with_ingest=False))


def store_history(db: Path) -> None:
    """Store the sample tour with notes analysed but no rules applied."""
    writer = IngestWriter(str(db), ack=lambda _m: None)
    writer.derivers.append(NoteAnalyzer().derive)
    try:
        writer.store([InMessage(str(e.topic), e.encode(), i, 1) for i, e in enumerate(sample_tour())])
    finally:
        writer.close()


def touch_later(path: Path, text: str) -> None:
    """Rewrite a file with an mtime that surely differs from the previous write."""
    previous = path.stat().st_mtime if path.exists() else 0.0
    path.write_text(text, encoding="utf-8")
    os.utime(path, (previous + 5, previous + 5))


def test_validate_reports_line_and_column(tmp_path: Path) -> None:
    client = client_for(tmp_path)
    admin = bearer(ADMIN_TOKEN)
    ok = client.post("/api/rules/validate", json={"text": GOOD}, headers=admin).json()
    assert ok == {"ok": True, "errors": []}
    bad = client.post("/api/rules/validate", json={"text": BROKEN}, headers=admin).json()
    assert bad["ok"] is False
    assert {"file": "<request>", "line": 3, "column": 62,
            "message": "rule 'machining'.when.dwell.min_minutes: expected a number"} in bad["errors"]  # fmt: skip
    assert {"file": "<request>", "line": 4, "column": 11,
            "message": "rule 'machining'.then: expected at least one action"} in bad["errors"]  # fmt: skip
    assert client.post("/api/rules/validate", json={"text": GOOD}).status_code == 401


def test_get_and_put_rules_with_roles_and_invalid_rules_keep_the_old_ones(tmp_path: Path) -> None:
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(default_rules_path().read_text(encoding="utf-8"), encoding="utf-8")
    client = client_for(tmp_path, rules_file)
    tokens = register_people(client)
    state = client.get("/api/rules", headers=bearer(tokens["rep"])).json()
    assert state["file"] == str(rules_file) and "注塑工艺兴趣" in state["text"] and state["error"] is None
    assert client.put("/api/rules", json={"text": GOOD}, headers=bearer(tokens["rep"])).status_code == 403
    rejected = client.put("/api/rules", json={"text": BROKEN}, headers=bearer(tokens["manager"]))
    assert rejected.status_code == 422 and rejected.json()["errors"][0]["line"] == 3
    assert "注塑工艺兴趣" in client.get("/api/rules", headers=bearer(ADMIN_TOKEN)).json()["text"]
    accepted = client.put("/api/rules", json={"text": GOOD}, headers=bearer(tokens["manager"]))
    assert accepted.status_code == 200 and accepted.json()["persisted"] is True
    assert accepted.json()["rules"] == ["machining"]
    audit = client.get("/api/audit", params={"action": "rules."}, headers=bearer(ADMIN_TOKEN)).json()
    assert [(a["role"], a["action"], a["target"], a["detail"]) for a in audit] == [
        ("manager", "rules.replace", str(rules_file), {"rules": ["machining"], "persisted": True})
    ]  # the refused attempts above are not recorded as changes
    assert rules_file.read_text(encoding="utf-8") == GOOD


def test_dry_run_reports_without_writing(tmp_path: Path) -> None:
    client = client_for(tmp_path)
    tokens = register_people(client)
    store_history(tmp_path / "hub.sqlite3")
    conn = open_database(tmp_path / "hub.sqlite3")
    before = [conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("tags", "rule_outcomes")]
    result = client.post("/api/rules/dry-run", json={}, headers=bearer(tokens["manager"])).json()
    done = {(a["kind"], a["value"], a["badge"]) for a in result["actions"]}
    assert ("tag", "注塑工艺兴趣", "V-0001") in done and ("tag", "热处理需求", "V-0001") in done
    assert ("opportunity", "报价请求", "V-0001") in done and ("timer", "quote", None) in done
    assert result["events"] == 5 and all(a["new"] for a in result["actions"] if a["kind"] != "timer")
    assert [conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("tags", "rule_outcomes")] == before
    trial = client.post("/api/rules/dry-run", json={"text": GOOD}, headers=bearer(ADMIN_TOKEN)).json()
    assert trial["actions"] == [] and trial["rules"] == ["machining"]  # V-0002 is still inside machining
    invalid = client.post("/api/rules/dry-run", json={"text": BROKEN}, headers=bearer(ADMIN_TOKEN))
    assert invalid.status_code == 422
    assert client.post("/api/rules/dry-run", json={}, headers=bearer(tokens["rep"])).status_code == 403
    conn.close()


def test_hot_reload_and_a_broken_file_in_health(tmp_path: Path) -> None:
    rules_file = tmp_path / "rules.yaml"
    touch_later(rules_file, GOOD)
    client = client_for(tmp_path, rules_file)
    admin = bearer(ADMIN_TOKEN)
    health = client.get("/api/health", headers=admin).json()
    assert health["rules"]["ok"] is True and health["rules"]["file"] == str(rules_file)
    touch_later(rules_file, GOOD.replace("机加工兴趣", "机加工关注"))
    assert client.get("/api/health", headers=admin).json()["rules"]["ok"] is True
    assert "机加工关注" in client.get("/api/rules", headers=admin).json()["text"]
    touch_later(rules_file, BROKEN)
    health = client.get("/api/health", headers=admin).json()
    assert health["status"] == "degraded" and health["rules"]["ok"] is False
    assert health["rules"]["error"].startswith(f"{rules_file}:3:62: ")
    assert "keeping the rules active since" in health["rules"]["error"]
    state = client.get("/api/rules", headers=admin).json()
    assert "机加工关注" in state["text"] and state["error"][0]["line"] == 3


def test_rules_saved_on_a_hub_without_a_rules_file_are_kept_beside_the_database(tmp_path: Path) -> None:
    client = client_for(tmp_path)
    assert client.get("/api/rules", headers=bearer(ADMIN_TOKEN)).json()["file"] == str(default_rules_path())
    accepted = client.put("/api/rules", json={"text": GOOD}, headers=bearer(ADMIN_TOKEN)).json()
    saved = tmp_path / "tourtrace-rules.yaml"
    assert accepted["persisted"] is True and accepted["file"] == str(saved)
    assert saved.read_text(encoding="utf-8") == GOOD
    assert "注塑工艺兴趣" in default_rules_path().read_text(encoding="utf-8")  # the packaged defaults stay as shipped
    restarted = client_for(tmp_path)  # the hub started again on the same database
    state = restarted.get("/api/rules", headers=bearer(ADMIN_TOKEN)).json()
    assert state["rules"] == ["machining"] and state["file"] == str(saved)


def test_rules_that_cannot_be_saved_are_refused_and_the_old_ones_stay(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("", encoding="utf-8")
    client = client_for(tmp_path, blocker / "rules.yaml")
    before = client.get("/api/rules", headers=bearer(ADMIN_TOKEN)).json()
    refused = client.put("/api/rules", json={"text": GOOD}, headers=bearer(ADMIN_TOKEN))
    assert refused.status_code == 503
    assert refused.json()["detail"].startswith(f"cannot save the rules to {blocker / 'rules.yaml'}: ")
    assert client.get("/api/rules", headers=bearer(ADMIN_TOKEN)).json()["rules"] == before["rules"]
