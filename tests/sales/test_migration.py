"""The opportunities migration derives pending opportunities from the opportunity outcomes of an older database."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from hub.store.db import connect
from hub.store.opportunities import list_opportunities
from hub.store.schema import MIGRATIONS, _v12_opportunities_sales_loop, migrate
from tests.old_schema import steps_as_released


def _outcome(conn: sqlite3.Connection, key: str, badge: str, event: str, evidence: dict) -> None:
    conn.execute(
        "INSERT INTO rule_outcomes(key, rule, kind, value, site, badge, rep, event_id, evidence, created_at)"
        " VALUES (?, '报价商机', 'opportunity', '报价请求', 'demo', ?, 'R-007', ?, ?, '2026-11-30T08:00:00+08:00')",
        (key, badge, event, json.dumps(evidence, ensure_ascii=False)),
    )


def test_existing_opportunity_outcomes_become_pending_opportunities(tmp_path: Path) -> None:
    conn = steps_as_released(connect(tmp_path / "old.sqlite3"), MIGRATIONS.index(_v12_opportunities_sales_loop))
    conn.execute(
        "INSERT INTO badges(badge_id, role, visitor, name, company, rep, created_at, updated_at)"
        " VALUES ('V-0001', 'visitor', 'P-1', '张伟', '华东阀门', 'R-009', 'x', 'x')"
    )
    _outcome(conn, "k1", "V-0001", "E1", {"quote": "麻烦报价"})
    _outcome(conn, "k2", "V-0001", "E2", {"quote": "再报一次"})  # the same visitor and rule: one open opportunity
    _outcome(conn, "k3", "V-0002", "E3", {"quote": "报价", "held_by": "线索熔断"})  # a held lead: none
    _outcome(conn, "k4", "V-0004", "E4", {"quote": "要报价"})

    migrate(conn)
    made = list_opportunities(conn)[0]
    assert [(o["visitor"], o["badge"], o["rep"], o["status"], o["evidence"]["quote"]) for o in made] == [
        ("V-0004", "V-0004", "R-007", "pending", "要报价"),
        ("P-1", "V-0001", "R-007", "pending", "麻烦报价"),
    ]
