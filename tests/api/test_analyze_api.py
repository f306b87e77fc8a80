"""POST /api/analyze and `tourtrace analyze` run one pipeline and print the same JSON, declined items marked."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.api.tourdata import ADMIN_TOKEN, bearer
from tourtrace.cli.main import app

NOTE = "四 十 c r 不行 换成 四十二 c r m o 硬度 别 超过 h r c 三十 八 报价 先 缓缓 预算 十万 以内 隔壁 那家 在 打样"


def test_api_and_cli_print_the_same_analysis(client: TestClient) -> None:
    over_api = client.post("/api/analyze", json={"text": NOTE}, headers=bearer(ADMIN_TOKEN))
    assert over_api.status_code == 200
    printed = CliRunner().invoke(app, ["analyze", NOTE])
    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.stdout) == over_api.json()

    body = over_api.json()
    params = [(p["kind"], p["value"], p.get("bound"), p.get("negated", False)) for p in body["params"]]
    assert params == [
        ("material", "40Cr", None, True),
        ("material", "42CrMo", None, False),
        ("hardness", 38, "max", False),
        ("money", 100000, "max", False),
    ]
    signals = [(s["name"], s.get("negated", False)) for s in body["signals"]]
    assert signals == [("quote", True), ("budget", False), ("competitor", False)]
    assert all(x["param"] != 0 for x in body["lookups"])  # the declined 40Cr is looked up for nothing
    assert [w for w in body["warnings"] if w["kind"] == "feasibility"] == []
