"""Queue the daily digest once a day per channel at its time (site time), paced for the robots."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from contextlib import closing
from datetime import date, datetime
from zoneinfo import ZoneInfo

from hub.notify.config import parse_hhmm
from hub.notify.digest import DigestDay, build_digest
from hub.settings import HubSettings
from hub.store.db import connect
from hub.store.digests import digest_sent, record_digest
from hub.store.notify_outbox import enqueue
from hub.store.tx import transaction

log = logging.getLogger(__name__)
PACE_S = 3.1  # parts of one digest go out at most 20 a minute (a WeCom robot's limit)
DEFAULT_TIME = "18:00"


def digest_plan(settings: HubSettings) -> dict[str, tuple[int, int]]:
    """Return channel → (hour, minute): the configured digest, else the `manager` channel at 18:00 if it exists."""
    plan = dict(settings.digest) or ({"manager": DEFAULT_TIME} if "manager" in settings.notify else {})
    return {channel: hhmm for channel, at in plan.items() if (hhmm := parse_hhmm(at)) is not None}


def dashboard_url(settings: HubSettings) -> str:
    """Where profile links in messages point: public_url, else the hub's own HTTP address."""
    return settings.public_url or f"http://{settings.http}"


def queue_digest(conn: sqlite3.Connection, settings: HubSettings, channel: str, day: date, now: float) -> int:
    """Queue one day's digest for a channel unless it went out before or is empty; return the parts queued."""
    key = day.isoformat()
    if digest_sent(conn, channel, key):
        return 0
    parts = build_digest(conn, DigestDay.of(day, settings.site_timezone), dashboard_url(settings))
    if not parts:
        return 0
    with transaction(conn):
        if not record_digest(conn, channel, key, len(parts)):
            return 0
        for index, text in enumerate(parts):
            context = {"title": f"每日参观简报 {key}", "markdown": text, "day": key, "part": index + 1,
                       "parts": len(parts)}  # fmt: skip
            enqueue(conn, channel, "digest", context, f"digest|{key}|{index + 1}", not_before=now + index * PACE_S)
    log.info("queued the %s digest for %s in %d part(s)", key, channel, len(parts))
    return len(parts)


def queue_due_digests(conn: sqlite3.Connection, settings: HubSettings, now: float) -> int:
    """Queue today's digest for every channel whose time has come; return the parts queued."""
    local = datetime.fromtimestamp(now, ZoneInfo(settings.site_timezone))
    queued = 0
    for channel, at in digest_plan(settings).items():
        if (local.hour, local.minute) >= at:
            queued += queue_digest(conn, settings, channel, local.date(), now)
    return queued


def run_digests(settings: HubSettings, stop: threading.Event, wake: threading.Event, interval_s: float = 30.0) -> None:
    """Check every interval_s until stop is set; wake the delivery worker when parts were queued."""
    while not stop.wait(interval_s):
        try:
            with closing(connect(settings.db)) as conn:
                if queue_due_digests(conn, settings, time.time()):
                    wake.set()
        except Exception:
            log.exception("daily digest failed; trying again in %.0f s", interval_s)


def start_digests(settings: HubSettings, stop: threading.Event, wake: threading.Event) -> threading.Thread | None:
    """Start the digest thread when some channel gets a digest."""
    if not digest_plan(settings):
        return None
    thread = threading.Thread(target=run_digests, args=(settings, stop, wake), name="digest", daemon=True)
    thread.start()
    return thread
