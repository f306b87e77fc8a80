"""The CRM round trip: a quote → the signed CRM webhook with the opportunity id → the CRM calls back → contacted.

Also what the round trip showed: a message that cannot be built is recorded as failed, not left 'sending'.
"""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import quote

import httpx

from hub.notify import Channel, NotifyWorker, TemplateSet
from hub.store.db import connect
from tests.api.tourdata import ADMIN_TOKEN, bearer, make_client, note
from tests.notify.conftest import Receiver
from tests.notify.test_delivery import run_until_idle
from tests.rules.conftest import Hub

RULES = """
rules:
  - name: 报价商机
    when: {signal: quote}
    then: [opportunity: 报价请求, notify: crm]
  - name: 报价未跟进
    when: {no_followup: {after: quote, within_hours: 2}}
    then: [escalate: manager]
"""


def test_the_crm_hears_of_the_opportunity_and_closes_the_loop(tmp_path: Path, receiver: Receiver) -> None:
    db = tmp_path / "hub.sqlite3"
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES, encoding="utf-8")
    hub = Hub(db, rules)
    t0 = time.time() - 600
    try:
        hub.submit(note("gate-1", "R-007", ("V-0001",), "麻烦 给 个 报价", 1, t0))
    finally:
        hub.writer.close()
    worker = NotifyWorker(str(db), {"crm": Channel("crm", "crm", receiver.url("/crm/events"), "crm-secret")},
                          TemplateSet())  # fmt: skip
    run_until_idle(worker, str(db))
    (posted,) = receiver.wait_for(1)
    opportunity = posted.json()["opportunity_id"]
    assert isinstance(opportunity, int) and posted.json()["context"]["visitor"] == "V-0001"
    key = posted.json()["event_id"]
    assert key.startswith("报价商机|notify|crm|") and posted.headers["idempotency-key"] == quote(key, safe="|:@-._~")

    with make_client(db) as client:
        made = client.post("/api/tokens", json={"name": "CRM", "role": "crm"}, headers=bearer(ADMIN_TOKEN))
        crm = bearer(made.json()["token"])
        answer = client.post(f"/api/opportunities/{opportunity}/status", json={"status": "contacted"}, headers=crm)
        assert answer.status_code == 200 and answer.json()["status"] == "contacted"
    after = Hub(db, rules)
    try:
        assert after.rules.sweep(after.conn, now=t0 + 7300) == 0  # the CRM handled it: no escalation
        assert after.count("SELECT COUNT(*) FROM rule_timers WHERE status='cancelled'") == 1
    finally:
        after.writer.close()


def test_a_message_that_cannot_be_built_is_recorded_and_the_batch_goes_on(db_path: str, receiver: Receiver) -> None:
    from hub.store.notify_outbox import enqueue, list_outbox

    channels = {"sales": Channel("sales", "wecom", receiver.url("/send?key=s")),
                "broken": Channel("broken", "wecom", "http://exa mple.invalid/\x00")}  # fmt: skip
    worker = NotifyWorker(db_path, channels, TemplateSet())
    conn = connect(db_path)
    try:
        enqueue(conn, "broken", "opportunity", {"visitor": "V-0001"}, "k1")
        enqueue(conn, "sales", "opportunity", {"visitor": "V-0002"}, "k2")
        with httpx.Client(timeout=5) as client:
            assert worker.run_once(conn, client) == 2
        states = {row["channel"]: (row["status"], row["last_error"]) for row in list_outbox(conn)}
    finally:
        conn.close()
    assert states["sales"] == ("sent", "")
    assert states["broken"][0] == "failed" and states["broken"][1].startswith("cannot send:")
    assert len(receiver.wait_for(1)) == 1
