"""A rep's board starts with their visitors today; a manager's board does not."""

from __future__ import annotations

import re
import time
from pathlib import Path

from fastapi.testclient import TestClient

from hub.store.db import connect
from hub.store.zones import zone_names
from hub.web.views import visitors_today
from tests.api.tourdata import make_client, midday_zone, register_people
from tests.web.test_pages import login


def test_visitors_today_on_tour_first_and_only_since_the_cut_off(hub_db: Path) -> None:
    conn = connect(hub_db)  # the sample tour began 10 minutes ago: V-0001 injection then heat-treat, V-0002 machining
    try:
        names = zone_names(conn)
        everyone = visitors_today(conn, {"V-0001", "V-0002"}, names, time.time() - 3600)
        later = visitors_today(conn, {"V-0001", "V-0002"}, names, time.time() - 600 + 100)
    finally:
        conn.close()
    assert [(v["visitor"], v["zone_name"], v["open"]) for v in everyone] == [
        ("V-0001", "热处理车间", True),  # on tour, the latest to enter a zone first
        ("V-0002", "机加工车间", True),
    ]
    assert [(v["visitor"], v["zone"]) for v in later] == [("V-0001", "heat-treat")]  # V-0002 came in before


def test_only_a_reps_board_lists_visitors_today(hub_db: Path) -> None:
    with make_client(hub_db, midday_zone()) as client:
        _only_a_reps_board_lists_visitors_today(client, register_people(client))


def _only_a_reps_board_lists_visitors_today(client: TestClient, tokens: dict[str, str]) -> None:
    login(client, tokens["rep"])
    board = client.get("/board?fragment=1").text
    mine = re.search(r'<section class="today" id="my-today">(.*?)</section>', board, re.S)
    assert mine and "张伟" in mine.group(1) and "李娜" not in mine.group(1)
    assert board.index('id="my-today"') < board.index('id="pending-today"') < board.index('class="zones"')
    login(client, tokens["manager"])
    assert 'id="my-today"' not in client.get("/board").text
