"""Every dashboard page says what is wrong with the running hub (broker link, ingest, rules) until it is fixed."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from firmware_config.local_broker import LocalBroker
from hub.app import create_app
from hub.rules.engine import default_rules_path
from hub.settings import HubSettings
from tests.api.tourdata import ADMIN_TOKEN
from tests.reliability.harness import wait_until
from tests.web.test_pages import login


def _problems(page: str) -> dict[str, str]:
    found = re.findall(r'<p class="problem" data-kind="(\w+)">.*?<span class="detail">(.*?)</span>', page, re.S)
    return dict(found)


def test_banner_names_a_broken_rules_file_and_a_lost_broker_and_goes_when_fixed(
    tmp_path: Path, broker: LocalBroker, site_id: str
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - name: x\n    when: {event: tap}\n    then: []\n", encoding="utf-8")
    settings = HubSettings(db=str(tmp_path / "hub.sqlite3"), broker=broker.url, admin_token=ADMIN_TOKEN,
                           client_id=f"hub-{site_id}", rules_file=str(rules))  # fmt: skip
    app = create_app(settings)
    with TestClient(app) as client:
        runtime = app.state.runtime
        assert runtime.client.connected.wait(20)
        login(client, ADMIN_TOKEN)
        shown = _problems(client.get("/board").text)
        assert list(shown) == ["rules"] and "expected at least one action" in shown["rules"]
        assert "规则文件有误" in client.get("/fleet").text

        rules.write_text(default_rules_path().read_text(encoding="utf-8"), encoding="utf-8")
        broker.stop()
        assert wait_until(lambda: not runtime.client.connected.is_set(), 20)
        english = client.get("/fleet?lang=en").text
        assert list(_problems(english)) == ["broker"]
        assert "The hub is not connected to the broker" in english

        broker.start()
        assert wait_until(lambda: runtime.client.connected.is_set(), 40)
        assert _problems(client.get("/board").text) == {}
        assert 'class="problems"' not in client.get("/board").text
