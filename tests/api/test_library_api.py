"""The process library over the API: read, export, replace (managers), and lookups follow the new library."""

from __future__ import annotations

import yaml
from fastapi.testclient import TestClient

from tests.api.tourdata import ADMIN_TOKEN, bearer


def test_read_export_and_replace_the_library(client: TestClient, tokens: dict[str, str]) -> None:
    admin = bearer(ADMIN_TOKEN)
    seed = client.get("/api/library", headers=bearer(tokens["rep"])).json()
    assert seed["stored"] is False and any(card["id"] == "HT-001" for card in seed["cards"])
    exported = client.get("/api/library/export", headers=admin)
    assert exported.status_code == 200 and "HT-001" in exported.text
    xlsx = client.get("/api/library/export", params={"format": "xlsx"}, headers=admin)
    assert xlsx.content[:2] == b"PK"

    data = yaml.safe_load(exported.text)
    for item in data["stock"]:
        if item.get("max_hardness") is not None:
            item["max_hardness"] = 48
    text = yaml.safe_dump(data, allow_unicode=True)
    assert client.put("/api/library", json={"text": text}, headers=bearer(tokens["rep"])).status_code == 403
    replaced = client.put("/api/library", json={"text": text}, headers=bearer(tokens["manager"]))
    assert replaced.status_code == 200, replaced.text
    assert client.get("/api/library", headers=admin).json()["stored"] is True

    analysis = client.post("/api/analyze", json={"text": "这个阀体得热处理到HRC45才行"}, headers=admin).json()
    assert not [w for w in analysis["warnings"] if w["kind"] == "feasibility"], analysis["warnings"]
    audit = client.get("/api/audit", params={"action": "library."}, headers=admin).json()
    assert audit and audit[0]["actor"] == "manager-user"


def test_invalid_library_is_refused_and_the_old_one_stays(client: TestClient, tokens: dict[str, str]) -> None:
    manager = bearer(tokens["manager"])
    bad = client.put("/api/library", json={"text": "cards: [unclosed"}, headers=manager)
    assert bad.status_code == 422 and "invalid YAML" in bad.text
    assert client.get("/api/library", headers=manager).json()["stored"] is False
