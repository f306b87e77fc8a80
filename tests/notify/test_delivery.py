"""Delivery to a local stand-in for WeCom, DingTalk and the CRM: signatures, retries, no duplicates."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time

import httpx
import pytest

from hub.notify import Channel, NotifyWorker, TemplateSet, enqueue
from hub.store.db import connect
from hub.store.notify_outbox import claim_due, list_outbox
from tests.notify.conftest import Receiver
from tests.waiting import wait_until

CONTEXT = {"visitor": "V-0001", "visitor_name": "张伟", "company": "华东阀门", "rep": "R-007",
           "signals": ["报价", "交期"], "note": "热处理到HRC45，麻烦报价"}  # fmt: skip


def make_worker(db_path: str, receiver: Receiver, **kw: float) -> NotifyWorker:
    channels = {
        "sales": Channel("sales", "wecom", receiver.url("/cgi-bin/webhook/send?key=abc")),
        "ding": Channel("ding", "dingtalk", receiver.url("/robot/send?access_token=t0k"), "SEC-ding-secret"),
        "crm": Channel("crm", "crm", receiver.url("/crm/events"), "crm-shared-secret"),
    }
    return NotifyWorker(db_path, channels, TemplateSet(), base_backoff_s=kw.get("backoff", 0.05), poll_s=0.05)


def queue(db_path: str, channel: str, key: str, template: str = "opportunity") -> bool:
    conn = connect(db_path)
    try:
        return enqueue(conn, channel, template, CONTEXT, key)
    finally:
        conn.close()


def run_until_idle(worker: NotifyWorker, db_path: str) -> None:
    conn = connect(db_path)
    try:
        with httpx.Client(timeout=5) as client:
            worker.run_once(conn, client)
    finally:
        conn.close()


def test_dingtalk_signature_and_markdown(db_path: str, receiver: Receiver) -> None:
    queue(db_path, "ding", "01JDF8P0000000000000000001")
    before = int(time.time() * 1000)
    run_until_idle(make_worker(db_path, receiver), db_path)
    (request,) = receiver.wait_for(1)
    assert request.path == "/robot/send" and request.query["access_token"] == "t0k"
    stamp = int(request.query["timestamp"])
    assert before <= stamp <= int(time.time() * 1000)
    expected = base64.b64encode(hmac.new(b"SEC-ding-secret", f"{stamp}\nSEC-ding-secret".encode(),
                                         hashlib.sha256).digest()).decode()  # fmt: skip
    assert request.query["sign"] == expected  # parse_qs undoes the URL encoding
    body = request.json()
    assert body["msgtype"] == "markdown" and body["markdown"]["title"] == "新商机：张伟"
    assert "华东阀门" in body["markdown"]["text"] and "报价、交期" in body["markdown"]["text"]


def test_wecom_markdown(db_path: str, receiver: Receiver) -> None:
    queue(db_path, "sales", "k1", "escalation")
    run_until_idle(make_worker(db_path, receiver), db_path)
    (request,) = receiver.wait_for(1)
    assert request.query == {"key": "abc"}
    content = request.json()["markdown"]["content"]
    assert request.json()["msgtype"] == "markdown" and "报价后未跟进" in content and "张伟" in content


def test_crm_signed_with_idempotency_key(db_path: str, receiver: Receiver) -> None:
    queue(db_path, "crm", "01JDF8P0000000000000000009")
    run_until_idle(make_worker(db_path, receiver), db_path)
    (request,) = receiver.wait_for(1)
    signature = "sha256=" + hmac.new(b"crm-shared-secret", request.body, hashlib.sha256).hexdigest()
    assert request.headers["x-tourtrace-signature"] == signature
    assert request.headers["idempotency-key"] == "01JDF8P0000000000000000009"
    body = request.json()
    assert body["event_id"] == "01JDF8P0000000000000000009" and body["context"]["visitor"] == "V-0001"
    assert body["template"] == "opportunity" and body["opportunity_id"] is None  # queued without an opportunity


def test_retries_with_backoff_after_500(db_path: str, receiver: Receiver) -> None:
    receiver.replies = [(500, {"error": "down"}), (502, {"error": "still down"})]
    queue(db_path, "crm", "evt-retry")
    stop = threading.Event()
    worker = make_worker(db_path, receiver)
    worker.start(stop)
    try:
        requests = receiver.wait_for(3)
        wait_until(lambda: list_outbox(connect(db_path))[0]["status"] == "sent", 5, "the retried row sent")
    finally:
        stop.set()
    row = list_outbox(connect(db_path))[0]
    assert row["status"] == "sent" and row["attempts"] == 3 and row["last_error"] == ""
    assert {r.headers["idempotency-key"] for r in requests} == {"evt-retry"}
    assert len(receiver.requests) == 3
    assert worker.backoff(1) == pytest.approx(0.05) and worker.backoff(3) == pytest.approx(0.2)


def test_robot_errcode_and_permanent_failures_are_visible(db_path: str, receiver: Receiver) -> None:
    receiver.replies = [(200, {"errcode": 310000, "errmsg": "sign not match"})]
    queue(db_path, "ding", "k-err")
    queue(db_path, "nowhere", "k-unknown")
    queue(db_path, "sales", "k-400")
    receiver.replies.append((400, {"errcode": 93000, "errmsg": "invalid webhook url"}))
    run_until_idle(make_worker(db_path, receiver), db_path)
    rows = {r["idempotency_key"]: r for r in list_outbox(connect(db_path))}
    assert rows["k-err"]["status"] == "pending" and "310000" in rows["k-err"]["last_error"]
    assert rows["k-unknown"]["status"] == "failed" and "not configured" in rows["k-unknown"]["last_error"]
    assert rows["k-400"]["status"] == "failed" and "HTTP 400" in rows["k-400"]["last_error"]


def test_nothing_sent_twice_across_restarts(db_path: str, receiver: Receiver) -> None:
    assert queue(db_path, "sales", "evt-1") is True
    assert queue(db_path, "sales", "evt-1") is False  # same key: one row
    run_until_idle(make_worker(db_path, receiver), db_path)
    receiver.wait_for(1)
    for _ in range(2):  # two more "hub starts"
        stop = threading.Event()
        make_worker(db_path, receiver).start(stop).join(0.3)
        stop.set()
    assert queue(db_path, "sales", "evt-1") is False
    run_until_idle(make_worker(db_path, receiver), db_path)
    assert len(receiver.requests) == 1


def test_interrupted_delivery_after_crash(db_path: str, receiver: Receiver) -> None:
    """A row left 'sending' by a crash: the CRM (idempotent) gets it again, a chat robot does not."""
    queue(db_path, "sales", "evt-robot")
    queue(db_path, "crm", "evt-crm")
    conn = connect(db_path)
    assert len(claim_due(conn, time.time())) == 2  # claimed, then the hub "died" before posting
    stop = threading.Event()
    thread = make_worker(db_path, receiver).start(stop)
    try:
        (request,) = receiver.wait_for(1)
        wait_until(lambda: all(r["status"] != "sending" for r in list_outbox(conn)), 5, "both rows settled")
    finally:
        stop.set()
        thread.join(2)
    assert request.path == "/crm/events" and request.headers["idempotency-key"] == "evt-crm"
    assert len(receiver.requests) == 1
    rows = {r["idempotency_key"]: r for r in list_outbox(conn)}
    assert rows["evt-crm"]["status"] == "sent"
    assert rows["evt-robot"]["status"] == "failed" and "not resent" in rows["evt-robot"]["last_error"]


def test_enqueue_joins_the_callers_transaction(db_path: str) -> None:
    conn = connect(db_path)
    conn.execute("BEGIN IMMEDIATE")
    assert enqueue(conn, "sales", "tag", {"tag": "注塑工艺兴趣"}, "evt-rolled-back")
    conn.execute("ROLLBACK")
    assert list_outbox(conn) == []


def test_configured_template_overrides_default() -> None:
    templates = TemplateSet({"opportunity": {"title": "商机 {{ visitor }}", "text": "客户{{ company }}想要报价"}})
    message = templates.render("opportunity", CONTEXT)
    assert (message.title, message.text) == ("商机 V-0001", "客户华东阀门想要报价")
    fallback = templates.render("unknown_rule_action", {"x": 1})
    assert "unknown_rule_action" in fallback.title and "x：1" in fallback.text
    with pytest.raises(ValueError, match="broken"):
        TemplateSet({"broken": {"text": "{{ oops"}}).render("broken", {})
    assert json.dumps(CONTEXT, ensure_ascii=False)
