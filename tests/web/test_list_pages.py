"""The visitors, notes and dead-letter pages: a page at a time with a next link; visitors searchable."""

from __future__ import annotations

import re
import time
from contextlib import closing
from pathlib import Path

from fastapi.testclient import TestClient

from hub.store.db import open_database
from hub.store.notes import add_tag
from hub.store.tx import transaction
from tests.api.tourdata import ADMIN_TOKEN, bearer, note, store_events, tap
from tests.web.test_pages import login


def test_visitors_page_shows_name_company_rep_tags_and_last_visit(client: TestClient, tokens: dict[str, str],
                                                                  hub_db: Path) -> None:  # fmt: skip
    body = {"badge_id": "B-17", "role": "visitor", "visitor": "ACME-1", "name": "王建国", "company": "苏州精工",
            "rep": "R-007"}  # fmt: skip
    assert client.post("/api/badges", json=body, headers=bearer(ADMIN_TOKEN)).status_code == 200
    store_events(hub_db, [tap("gate-injection", "injection", "B-17", 300, time.time() - 10)])
    with closing(open_database(hub_db)) as conn, transaction(conn):
        add_tag(conn, "demo", "B-17", "注塑工艺兴趣", "r", {})
    login(client, tokens["manager"])
    page = client.get("/visitors").text
    row = re.search(r'<tr data-visitor="ACME-1">.*?</tr>', page, re.S)
    assert row, page
    for text in ("王建国", "苏州精工", "R-007", "注塑工艺兴趣", 'href="/visitors/ACME-1"'):
        assert text in row.group(0), text
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", row.group(0))
    found = client.get("/visitors", params={"q": "注塑工艺"}).text
    assert re.findall(r'data-visitor="([^"]+)"', found) == ["ACME-1"]
    assert "李娜" not in found


def test_lists_page_with_a_next_link(client: TestClient, tokens: dict[str, str], hub_db: Path) -> None:
    t0 = time.time() - 20000
    events = [tap("gate-injection", "injection", f"G-{i:03d}", 100 + i, t0 + 60 * i) for i in range(130)]
    events += [note("gate-injection", "R-007", (f"G-{i:03d}",), f"备注{i}", 300 + i, t0 + 60 * i + 5)
               for i in range(105)]  # fmt: skip
    store_events(hub_db, events)
    login(client, tokens["admin"])
    seen: list[str] = []
    url = "/visitors"
    while url:
        page = client.get(url).text
        seen += re.findall(r'<tr data-visitor="([^"]+)"', page)
        more = re.search(r'<a class="next" href="([^"]+)"', page)
        url = "/visitors" + more.group(1).replace("&amp;", "&") if more else ""
    assert len(seen) == len(set(seen)) == 132  # 130 new badges, V-0001 and V-0002
    first = client.get("/notes").text
    assert first.count('class="note card"') == 100 and 'class="next"' in first
    more = re.search(r'<a class="next" href="([^"]+)"', first)
    assert more
    rest = client.get("/notes" + more.group(1).replace("&amp;", "&")).text
    assert rest.count('class="note card"') == 7 and 'class="next"' not in rest
