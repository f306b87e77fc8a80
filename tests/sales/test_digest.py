"""The managers' daily digest: content, 4,096-byte parts, once a day across restarts, paced, never empty."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from typer.testing import CliRunner

from hub.notify import Channel, NotifyWorker, TemplateSet
from hub.notify.digest import MAX_BYTES, DigestDay, build_digest, split_parts
from hub.notify.digest_schedule import queue_due_digests
from hub.settings import HubSettings
from hub.store.badges import Badge, upsert_badge
from hub.store.db import connect
from hub.store.notify_outbox import enqueue
from protocol.timefmt import epoch_to_rfc3339
from tests.api.tourdata import note, tap
from tests.notify.conftest import Receiver
from tests.rules.conftest import Hub
from tourtrace.cli.main import app

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 30)
MORNING = datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI).timestamp()
EVENING = datetime(2026, 11, 30, 18, 0, tzinfo=SHANGHAI).timestamp()
CHANNELS = {"manager": {"kind": "wecom", "url": "http://127.0.0.1:9/cgi-bin/webhook/send?key=m"}}


def _tour(hub: Hub) -> None:
    upsert_badge(hub.conn, Badge("V-0001", "visitor", "V-0001", "张伟", "华东阀门", "R-007"))
    upsert_badge(hub.conn, Badge("R-007", "rep", None, "王强"))
    hub.submit(
        tap("gate-injection", "injection", "V-0001", 1, MORNING),
        tap("gate-injection", "injection", "V-0001", 2, MORNING + 600),
        tap("gate-machining", "machining", "V-0002", 1, MORNING + 60),
        note("gate-heat-treat", "R-007", ("V-0001",), "这个阀体得热处理到HRC50，麻烦报价", 3, MORNING + 700),
    )
    # the rules tagged the visitor as the events came in: that was on the tour's day, not on the day tests run
    hub.conn.execute("UPDATE tags SET created_at = ?", (epoch_to_rfc3339(MORNING + 700),))
    hub.conn.commit()


def _settings(db: Path, **extra: object) -> HubSettings:
    return HubSettings(db=str(db), notify=CHANNELS, public_url="https://hub.plant.example", **extra)  # type: ignore[arg-type]


def test_the_digest_tells_visitors_hot_leads_warnings_and_pending_opportunities(hub: Hub) -> None:
    _tour(hub)
    [text] = build_digest(hub.conn, DigestDay.of(DAY, "Asia/Shanghai"), "https://hub.plant.example")
    assert text.startswith("# 每日参观简报 2026-11-30\n**今日访客 2 人 · 1 家公司**")
    link = "[张伟](https://hub.plant.example/visitors/V-0001)（华东阀门）"
    assert f"- {link} 停留 10 分钟" in text
    assert f"## 热门线索\n- {link}：停留 10 分钟；标签 注塑工艺兴趣、热处理需求；信号 报价" in text
    assert "## 工艺可行性提醒\n- " + link in text and "HRC50" in text
    assert f"## 待确认商机 1\n- {link} 报价请求 · 销售 王强" in text
    assert "逾期" not in text
    assert build_digest(hub.conn, DigestDay.of(date(2026, 11, 29), "Asia/Shanghai"), "x") == [
        "# 每日参观简报 2026-11-29\n## 待确认商机 1\n- [张伟](x/visitors/V-0001)（华东阀门） 报价请求 · 销售 王强 · "
        + text.split("销售 王强 · ")[1].splitlines()[0]
    ]  # another day: only what is still pending


def test_nothing_to_tell_sends_nothing(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "hub.sqlite3")
    hub = Hub(tmp_path / "hub.sqlite3")
    try:
        assert build_digest(hub.conn, DigestDay.of(DAY, "Asia/Shanghai"), "x") == []
        assert queue_due_digests(hub.conn, settings, EVENING) == 0
        assert hub.count("SELECT COUNT(*) FROM notify_outbox") + hub.count("SELECT COUNT(*) FROM digests_sent") == 0
    finally:
        hub.writer.close()


def test_long_digests_are_split_under_the_wecom_limit() -> None:
    lines = [f"- [访客{i:03d}](https://hub.plant.example/visitors/V-{i:04d})（某某精密机械有限公司） 停留 12 分钟"
             for i in range(300)]  # fmt: skip
    parts = split_parts("每日参观简报 2026-11-30", lines)
    assert len(parts) > 3 and all(len(p.encode("utf-8")) <= MAX_BYTES for p in parts)
    assert parts[0].startswith(f"# 每日参观简报 2026-11-30（1/{len(parts)}）\n")
    assert [line for p in parts for line in p.splitlines()[1:]] == lines
    [cut] = split_parts("t", ["长" * 5000])
    assert len(cut.encode("utf-8")) <= MAX_BYTES and cut.endswith("…")


def test_queued_once_a_day_at_its_time_across_restarts_and_paced(tmp_path: Path, hub: Hub) -> None:
    _tour(hub)
    db = Path(hub.writer.db_path)
    settings = _settings(db, digest={"manager": "18:00"})
    assert queue_due_digests(hub.conn, settings, EVENING - 60) == 0  # 17:59
    assert queue_due_digests(hub.conn, settings, EVENING) == 1
    restarted = connect(db)
    try:
        assert queue_due_digests(restarted, settings, EVENING + 3600) == 0  # a restarted hub at 19:00
    finally:
        restarted.close()
    rows = hub.conn.execute("SELECT channel, template, idempotency_key, context FROM notify_outbox"
                            " WHERE template='digest'").fetchall()  # fmt: skip
    assert [(r[0], r[1], r[2]) for r in rows] == [("manager", "digest", "digest|2026-11-30|1")]
    assert json.loads(rows[0][3])["markdown"].startswith("# 每日参观简报 2026-11-30")
    assert hub.count("SELECT COUNT(*) FROM digests_sent WHERE channel='manager' AND day='2026-11-30'") == 1


def test_a_robot_gets_at_most_twenty_messages_a_minute(db_path: str, receiver: Receiver) -> None:
    worker = NotifyWorker(db_path, {"manager": Channel("manager", "wecom", receiver.url("/send?key=m"))},
                          TemplateSet(), poll_s=0.05)  # fmt: skip
    conn = connect(db_path)
    try:
        for index in range(22):
            enqueue(conn, "manager", "digest", {"title": "t", "markdown": f"第 {index} 条"}, f"d|{index}")
        with httpx.Client(timeout=5) as client:
            worker.run_once(conn, client)
            worker.run_once(conn, client)
        assert len(receiver.wait_for(20)) == 20
        waiting = conn.execute("SELECT COUNT(*), MIN(next_attempt_epoch), MAX(attempts) FROM notify_outbox"
                               " WHERE status='pending'").fetchone()  # fmt: skip
        first = worker.sent_at["manager"][0]
        assert (waiting[0], waiting[2]) == (2, 0) and abs(waiting[1] - (first + 60)) < 0.01
    finally:
        conn.close()


def test_cli_dry_run_prints_the_parts_and_records_nothing(tmp_path: Path, hub: Hub) -> None:
    _tour(hub)
    db = tmp_path / "hub.sqlite3"
    config = tmp_path / "hub.yaml"
    config.write_text(json.dumps({"db": str(db), "notify": CHANNELS, "digest": {"manager": "17:30"},
                                  "public_url": "https://hub.plant.example"}), encoding="utf-8")  # fmt: skip
    result = CliRunner().invoke(app, ["digest", "--dry-run", "--config", str(config), "--date", "2026-11-30"])
    assert result.exit_code == 0, result.output
    assert "== manager at 17:30 (Asia/Shanghai): 1 part(s)" in result.output
    assert "# 每日参观简报 2026-11-30" in result.output and "https://hub.plant.example/visitors/V-0001" in result.output
    assert hub.count("SELECT COUNT(*) FROM digests_sent") == 0
    assert hub.count("SELECT COUNT(*) FROM notify_outbox WHERE template='digest'") == 0
    empty = CliRunner().invoke(app, ["digest", "--dry-run", "--config", str(config), "--date", "2026-01-01"])
    assert empty.exit_code == 0 and "待确认商机" in empty.output  # still pending: told again
    bad = CliRunner().invoke(app, ["digest", "--dry-run", "--config", str(config), "--date", "30.11.2026"])
    assert bad.exit_code == 2 and "--date" in bad.output

    for expected in ("manager: queued 1 part(s)", "manager: already sent for this day"):
        sent = CliRunner().invoke(app, ["digest", "--config", str(config), "--date", "2026-11-30"])
        assert sent.exit_code == 0 and expected in sent.output
    assert hub.count("SELECT COUNT(*) FROM notify_outbox WHERE template='digest'") == 1


def test_digest_settings_are_checked_with_their_path() -> None:
    import pytest

    from hub.settings import ConfigError, check_settings

    with pytest.raises(ConfigError) as bad:
        check_settings({"notify": CHANNELS, "digest": {"manager": "6pm"}, "site_timezone": "Mars/Base"}, "hub.yaml")
    assert bad.value.errors == [
        "site_timezone: unknown time zone 'Mars/Base' (e.g. Asia/Shanghai)",
        "digest.manager: expected HH:MM (site time, e.g. 18:00), got '6pm'",
    ]
    with pytest.raises(ConfigError) as unknown:
        check_settings({"notify": CHANNELS, "digest": {"boss": "18:00"}}, "hub.yaml")
    assert unknown.value.errors == ["digest.boss: no notify channel named 'boss'"]


def test_the_digest_goes_to_the_manager_channel_at_18_unless_configured(tmp_path: Path) -> None:
    import threading

    from hub.notify.digest_schedule import digest_plan, start_digests

    assert digest_plan(_settings(tmp_path / "a.sqlite3")) == {"manager": (18, 0)}
    assert digest_plan(_settings(tmp_path / "a.sqlite3", digest={"manager": "17:30"})) == {"manager": (17, 30)}
    quiet = HubSettings(db=str(tmp_path / "a.sqlite3"))
    assert digest_plan(quiet) == {} and start_digests(quiet, threading.Event(), threading.Event()) is None


def test_the_digest_reaches_the_robot_as_markdown_with_what_people_typed_made_plain(
    hub: Hub, receiver: Receiver
) -> None:
    _tour(hub)
    upsert_badge(hub.conn, Badge("V-0001", "visitor", "V-0001", "张伟](http://evil.example)", "**华东**", "R-007"))
    hub.conn.commit()
    settings = _settings(Path(hub.writer.db_path), digest={"manager": "18:00"})
    assert queue_due_digests(hub.conn, settings, EVENING) == 1
    worker = NotifyWorker(hub.writer.db_path, {"manager": Channel("manager", "wecom", receiver.url("/send?key=m"))},
                          TemplateSet())  # fmt: skip
    with httpx.Client(timeout=5) as client:
        worker.run_once(hub.conn, client)
    (request,) = receiver.wait_for(1)
    content = request.json()["markdown"]["content"]
    assert content.startswith("# 每日参观简报 2026-11-30\n**今日访客 2 人")  # headings and lines kept
    assert "- [张伟］（http：//evil.example）](https://hub.plant.example/visitors/V-0001)（＊＊华东＊＊）" in content
    assert "](http://evil.example)" not in content
