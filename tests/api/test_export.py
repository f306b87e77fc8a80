"""Export: XLSX with sheets visits, tags, notes; CSV per sheet; reps get only their visitors; cells are safe."""

from __future__ import annotations

import csv
import io
import time
from contextlib import closing
from pathlib import Path

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from hub.store.db import open_database
from hub.store.notes import add_tag
from hub.store.tx import transaction
from protocol.timefmt import epoch_to_rfc3339
from tests.api.tourdata import ADMIN_TOKEN, bearer, store_events, tap


def _book(client: TestClient, token: str, **params: str) -> dict[str, list[tuple[object, ...]]]:
    response = client.get("/api/export.xlsx", params=params, headers=bearer(token))
    assert response.status_code == 200, response.text
    book = load_workbook(io.BytesIO(response.content))
    return {name: list(book[name].iter_rows(values_only=True)) for name in book.sheetnames}


def test_xlsx_has_three_sheets_in_the_dashboards_words(client: TestClient, tokens: dict[str, str]) -> None:
    book = _book(client, tokens["manager"])
    assert list(book) == ["visits", "tags", "notes", "opportunities"]
    visits = book["visits"]
    assert visits[0][:5] == ("访客编号", "姓名", "公司", "工牌", "车间")
    rows = {(r[0], r[4]) for r in visits[1:]}
    assert rows == {("V-0001", "注塑车间"), ("V-0001", "热处理车间"), ("V-0002", "机加工车间")}
    injection = next(r for r in visits[1:] if r[4] == "注塑车间")
    assert injection[1:3] == ("张伟", "华东阀门") and abs(float(injection[8]) - 180) < 0.01  # type: ignore[arg-type]
    notes = book["notes"]
    assert len(notes) == 3 and any("HRC45" in str(r[5]) for r in notes[1:])
    assert any(r[4] == "张伟（V-0001）" for r in notes[1:])
    english = _book(client, tokens["manager"], lang="en")
    assert english["visits"][0][:5] == ("visitor", "name", "company", "badge", "zone")


def test_export_names_the_visitor_not_the_badge(client: TestClient, hub_db: Path) -> None:
    admin = bearer(ADMIN_TOKEN)
    body = {"badge_id": "B-17", "role": "visitor", "visitor": "ACME-1", "name": "王建国", "company": "苏州精工"}
    assert client.post("/api/badges", json=body, headers=admin).status_code == 200
    now = time.time()
    store_events(hub_db, [tap("gate-injection", "injection", "B-17", 40, now - 300),
                          tap("gate-heat-treat", "heat-treat", "B-17", 41, now - 60)])  # fmt: skip
    evidence = {"rule": "注塑停留", "dwell": [{"zone": "injection", "dwell_s": 240.0}], "event_ids": ["x"]}
    with closing(open_database(hub_db)) as conn, transaction(conn):
        add_tag(conn, "demo", "B-17", "注塑工艺兴趣", "注塑停留", evidence)
    book = _book(client, ADMIN_TOKEN)
    tag = next(r for r in book["tags"][1:] if r[3] == "注塑工艺兴趣")
    assert tag[:4] == ("ACME-1", "王建国", "苏州精工", "注塑工艺兴趣")
    assert "在注塑车间停留 4.0 分钟" in str(tag[4]) and "injection" not in str(tag[4])
    visit = next(r for r in book["visits"][1:] if r[3] == "B-17")
    assert visit[:5] == ("ACME-1", "王建国", "苏州精工", "B-17", "注塑车间")
    profile = client.get("/api/visitors/ACME-1/profile", headers=admin).json()
    assert [t["visitor"] for t in profile["tags"]] == ["ACME-1"] and profile["tags"][0]["name"] == "王建国"


def test_formulas_and_control_characters_are_written_as_text(client: TestClient, hub_db: Path) -> None:
    admin = bearer(ADMIN_TOKEN)
    body = {"badge_id": "B-EVIL", "role": "visitor", "visitor": "EVIL-1", "name": '=HYPERLINK("http://x","y")',
            "company": "@SUM(1+1)"}  # fmt: skip
    assert client.post("/api/badges", json=body, headers=admin).status_code == 200
    store_events(hub_db, [tap("gate-injection", "injection", "B-EVIL", 50, time.time() - 30)])
    with closing(open_database(hub_db)) as conn, transaction(conn):  # as a hub stored it before edges cleaned input
        add_tag(conn, "demo", "B-EVIL", "-\x01ctl\x1b", "r", {"quote": "+1 cmd|' /C calc'!A0"})
    response = client.get("/api/export.xlsx", headers=admin)
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    cells = {c.value: c.data_type for name in ("visits", "tags") for row in book[name].iter_rows() for c in row}
    assert cells['\'=HYPERLINK("http://x","y")'] == "s" and cells["'@SUM(1+1)"] == "s"
    assert "'-\ufffdctl\ufffd" in cells and not any(str(v).startswith(("=", "@", "+", "-")) for v in cells)
    text = client.get("/api/export.csv", headers=admin).text
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    evil = next(r for r in rows if r[0] == "EVIL-1")
    assert evil[1:3] == ['\'=HYPERLINK("http://x","y")', "'@SUM(1+1)"]
    tags = client.get("/api/export.csv", params={"sheet": "tags"}, headers=admin)
    assert tags.status_code == 200 and "'-\ufffdctl\ufffd" in tags.text


def test_export_takes_a_time_range(client: TestClient, tokens: dict[str, str]) -> None:
    everything = _book(client, tokens["manager"])["visits"][1:]
    starts = sorted(str(r[6]) for r in everything)
    later = _book(client, tokens["manager"], since=starts[1])["visits"][1:]
    assert sorted(str(r[6]) for r in later) == starts[1:]
    before = _book(client, tokens["manager"], until=starts[1])["visits"][1:]
    assert [str(r[6]) for r in before] == starts[:1]
    bad = client.get("/api/export.xlsx", params={"since": "yesterday"}, headers=bearer(tokens["manager"]))
    assert bad.status_code == 422 and "since" in bad.text
    future = epoch_to_rfc3339(time.time() + 3600)
    assert _book(client, tokens["manager"], since=future)["notes"] == [
        ("备注编号", "时间", "站点", "销售", "访客", "识别原文", "规范文本", "参数", "信号", "提醒")
    ]


def test_csv_and_rep_scope(client: TestClient, tokens: dict[str, str]) -> None:
    response = client.get("/api/export.csv?sheet=notes", headers=bearer(tokens["rep"]))
    assert response.status_code == 200 and response.text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[0][0] == "备注编号" and len(rows) == 2 and rows[1][3] == "R-007"
    visits = list(csv.reader(io.StringIO(client.get("/api/export.csv", headers=bearer(tokens["rep"])).text)))
    assert {r[0].lstrip("\ufeff") for r in visits[1:]} == {"V-0001"}
    manager = list(csv.reader(io.StringIO(client.get("/api/export.csv", headers=bearer(tokens["manager"])).text)))
    assert len(manager) == 4
    bad = client.get("/api/export.csv?sheet=secrets", headers=bearer(tokens["manager"]))
    assert bad.status_code == 422 and "visits|tags|notes" in bad.json()["detail"]


def test_export_job_reports_progress_then_serves_the_workbook(client: TestClient, tokens: dict[str, str]) -> None:
    manager, rep = bearer(tokens["manager"]), bearer(tokens["rep"])
    started = client.post("/api/exports", headers=manager)
    assert started.status_code == 202, started.text
    job = started.json()
    assert job["state"] == "running" and job["total"] == 3 + 0 + 2  # three visits, no tags, two notes
    assert client.get(f"/api/exports/{job['id']}", headers=rep).status_code == 404  # not the rep's export
    deadline = time.monotonic() + 20
    while job["state"] == "running" and time.monotonic() < deadline:
        job = client.get(f"/api/exports/{job['id']}", headers=manager).json()
    assert job["state"] == "done" and job["rows"] == job["total"] == 5
    workbook = client.get(f"/api/exports/{job['id']}/file", headers=manager)
    assert workbook.status_code == 200
    book = load_workbook(io.BytesIO(workbook.content))
    assert len(list(book["visits"].iter_rows())) == 4
    mine = client.post("/api/exports", params={"since": "2000-01-01T00:00:00Z"}, headers=rep).json()
    assert mine["total"] == 2 + 1  # the rep's visitor: two visits and one note
    assert client.get("/api/exports/nope/file", headers=rep).status_code == 404
