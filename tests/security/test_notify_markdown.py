"""What a visitor's badge or a note says cannot inject a link or markup into a WeCom group chat (issue 19.14):
a quote note goes through a real Mosquitto into the running app, and the markdown the WeCom stand-in receives
carries the text without any link or emphasis made from it."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from firmware_config.local_broker import LocalBroker
from hub.app import create_app
from hub.notify.config import ChannelSettings
from hub.settings import HubSettings
from tests.api.tourdata import bearer
from tests.notify.conftest import Receiver
from tests.reliability.harness import wait_until
from tests.reliability.mqtt_tools import publish_all
from tests.security.conftest import encode, tap_body

TOKEN = "markdown-admin-token"


def test_note_text_and_visitor_names_make_no_markdown(
    tmp_path: Path, broker: LocalBroker, receiver: Receiver, site_id: str
) -> None:
    settings = HubSettings(db=str(tmp_path / "hub.sqlite3"), broker=broker.url, admin_token=TOKEN,
                           client_id=f"hub-{site_id}",
                           notify={"sales": ChannelSettings(kind="wecom", url=receiver.url("/wecom"))})  # fmt: skip
    with TestClient(create_app(settings)) as client:
        assert wait_until(lambda: client.get("/api/health").json()["broker"]["connected"], 20)
        badge = {"badge_id": "V-MD", "role": "visitor", "name": "[点我领奖](http://evil.example) **急**"}
        assert client.post("/api/badges", json=badge, headers=bearer(TOKEN)).status_code == 200
        note = tap_body(site_id, kind="note")
        note["data"] = {
            "trigger": "rep_badge",
            "rep_badge": "R-1",
            "visitor_badges": ["V-MD"],
            "duration_ms": 900,
            "sample_rate": 16000,
            "lang": "zh",
            "model": "m",
            "words": [],
            "audio": None,
            "text": "麻烦报价 <a href='http://evil.example'>x</a>\n# 标题 [链接](http://evil.example)",
        }
        publish_all(broker.url, [(f"tourtrace/v1/{site_id}/gate-a/note", encode(note))])
        (request,) = receiver.wait_for(1, 20)
        content = request.json()["markdown"]["content"]
        assert "点我领奖" in content and "麻烦报价" in content
        links = re.findall(r"\[([^\]]*)\]\(([^)]*)\)", content)
        assert all(text == "查看访客档案" and "evil" not in url for text, url in links), (links, content)
        for injected in ("<a ", "\n# ", "**急**", "http://evil"):
            assert injected not in content, (injected, content)
