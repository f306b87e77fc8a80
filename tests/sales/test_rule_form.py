"""The rules builder's API: rules read as forms, one form rule written back in place, errors reported, not raised."""

from __future__ import annotations

from fastapi.testclient import TestClient

from hub.rules.engine import parse_rules
from hub.rules.engine.engine import default_rules_path
from tests.api.tourdata import bearer

GATE = {"name": "销售资格", "dwell_zone": "heat-treat", "dwell_minutes": "5", "signal": "quote", "registered": True,
        "then": [{"kind": "tag", "value": "销售池"}, {"kind": "opportunity", "value": "合格商机"}],
        "else": [{"kind": "tag", "value": "培育池"}]}  # fmt: skip


def test_rules_read_as_forms(client: TestClient, tokens: dict[str, str]) -> None:
    manager = bearer(tokens["manager"])
    forms = {r["name"]: r["form"] for r in client.post("/api/rules/form", json={}, headers=manager).json()["rules"]}
    assert forms["线索熔断"] is None and forms["硬度要求"] is None  # count and lookup: YAML only
    assert forms["注塑停留"]["dwell_zone"] == "injection" and forms["注塑停留"]["dwell_minutes"] == 2
    assert forms["报价未跟进"]["followup_hours"] == 2 and forms["报价未跟进"]["then"] == [
        {"kind": "escalate", "value": "manager"}
    ]
    assert client.post("/api/rules/form", json={}, headers=bearer(tokens["rep"])).status_code == 403
    broken = client.post("/api/rules/form", json={"text": "rules: ["}, headers=manager)
    assert broken.status_code == 422 and "invalid YAML" in broken.json()["errors"][0]["message"]


def test_a_form_rule_is_written_in_place_keeping_the_rest(client: TestClient, tokens: dict[str, str]) -> None:
    manager = bearer(tokens["manager"])
    text = default_rules_path().read_text(encoding="utf-8")
    added = client.post("/api/rules/form/write", json={"text": text, "rule": GATE}, headers=manager).json()
    assert added["ok"] and added["text"].startswith(text.rstrip("\n"))
    assert "  - name: 销售资格\n    when:\n      dwell: {zone: heat-treat, min_minutes: 5}\n" in added["text"]
    changed = {**GATE, "dwell_minutes": 8}
    again = client.post("/api/rules/form/write", json={"text": added["text"], "rule": changed}, headers=manager)
    rules = parse_rules(again.json()["text"]).rules
    assert [r.name for r in rules].count("销售资格") == 1 and len(rules) == 6
    gate = next(r for r in rules if r.name == "销售资格")
    assert gate.when.dwell is not None and gate.when.dwell.min_minutes == 8
    assert "# TourTrace default rules." in again.json()["text"]  # comments stay

    no_action = {**GATE, "then": []}
    refused = client.post("/api/rules/form/write", json={"text": text, "rule": no_action}, headers=manager)
    assert refused.status_code == 422 and "add at least one action" in refused.json()["errors"][0]["message"]
    unknown = {**GATE, "dwell_zone": "", "signal": "", "registered": False, "param_kind": "hardness",
               "param_min": 50, "param_max": 40}  # fmt: skip
    judged = client.post("/api/rules/form/write", json={"text": text, "rule": unknown}, headers=manager).json()
    assert not judged["ok"] and "max 40 is below min 50" in judged["errors"][0]["message"]
    bad_number = client.post("/api/rules/form/write", json={"text": text, "rule": {**GATE, "dwell_minutes": "五"}},
                             headers=manager)  # fmt: skip
    assert bad_number.status_code == 422 and bad_number.json()["errors"][0]["message"].startswith("form:")
