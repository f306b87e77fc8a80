"""Channel settings are validated with paths; the outbox shows in /api/notify and runs inside the hub."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from firmware_config.local_broker import LocalBroker
from hub.app import create_app
from hub.notify import enqueue
from hub.notify.config import ChannelSettings
from hub.settings import HubSettings, load_settings
from hub.store.db import connect
from tests.api.tourdata import ADMIN_TOKEN, bearer
from tests.notify.conftest import Receiver
from tests.waiting import wait_until
from tourtrace.config_model import ConfigError


def test_settings_errors_have_paths(tmp_path: Path) -> None:
    config = tmp_path / "hub.yaml"
    config.write_text(
        "notify:\n  sales: {kind: slack, url: 'ftp://x'}\n  crm: {kind: crm, url: 'https://crm.example/hook'}\n"
        "  ding: {kind: dingtalk, url: 'https://oapi.dingtalk.com/robot/send?access_token=x', colour: red}\n"
        "notify_templates:\n  opportunity: 'not a mapping'\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as error:
        load_settings(config, {})
    assert error.value.errors == [
        "notify.sales.kind: expected one of wecom|dingtalk|crm, got 'slack'",
        "notify.sales.url: expected http(s)://HOST/…, got 'ftp://x'",
        "notify.crm.secret: required for a crm webhook (signs X-TourTrace-Signature)",
        "notify.ding.colour: unknown setting",
        "notify_templates.opportunity: expected mapping with title and text (Jinja2 templates)",
    ]


def _counts(client: TestClient) -> tuple[int, int]:
    counts = client.get("/api/notify", headers=bearer(ADMIN_TOKEN)).json()["counts"]
    return counts["sent"], counts["failed"]


def test_hub_delivers_and_lists(tmp_path: Path, broker: LocalBroker, receiver: Receiver) -> None:
    """The running hub starts the worker: a queued notification arrives and shows as sent in /api/notify."""
    db = str(tmp_path / "hub.sqlite3")
    crm = ChannelSettings(kind="crm", url=receiver.url("/crm"), secret="s")
    settings = HubSettings(db=db, broker=broker.url, admin_token=ADMIN_TOKEN, client_id="hub-notify-test",
                           notify={"crm": crm})  # fmt: skip
    with TestClient(create_app(settings)) as client:
        conn = connect(db)
        enqueue(conn, "crm", "opportunity", {"visitor": "V-0001"}, "evt-hub-1")
        enqueue(conn, "missing", "opportunity", {"visitor": "V-0001"}, "evt-hub-2")
        (request,) = receiver.wait_for(1)
        assert request.headers["idempotency-key"] == "evt-hub-1"
        wait_until(lambda: _counts(client) == (1, 1), 5, "one row sent and one failed")
        listed = client.get("/api/notify", headers=bearer(ADMIN_TOKEN)).json()
        assert listed["counts"]["sent"] == 1 and listed["counts"]["failed"] == 1
        failed = client.get("/api/notify?status=failed", headers=bearer(ADMIN_TOKEN)).json()["items"]
        assert failed[0]["idempotency_key"] == "evt-hub-2" and "not configured" in failed[0]["last_error"]
        assert "tourtrace_notify_queue_depth 0.0" in client.get("/metrics").text
        retried = client.post(f"/api/notify/{failed[0]['id']}/retry", headers=bearer(ADMIN_TOKEN))
        assert retried.status_code == 200
        assert client.post(f"/api/notify/{failed[0]['id']}/retry", headers=bearer(ADMIN_TOKEN)).status_code == 404
        assert client.get("/api/notify?status=lost", headers=bearer(ADMIN_TOKEN)).status_code == 422
