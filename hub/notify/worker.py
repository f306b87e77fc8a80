"""Delivery worker: a thread that sends due outbox rows, retrying with exponential backoff."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Mapping
from contextlib import closing
from typing import Any
from urllib.parse import quote

import httpx

from hub.notify.channels import DeliveryError, build_request, post
from hub.notify.config import IDEMPOTENT_KINDS, Channel
from hub.notify.templates import Message, TemplateSet
from hub.store.db import connect, open_database
from hub.store.notify_outbox import claim_due, defer, mark_failed, mark_sent, recover_interrupted

log = logging.getLogger(__name__)
ROBOT_PER_MINUTE = 20  # WeCom (and DingTalk) robots accept 20 messages a minute; more are refused


class NotifyWorker:
    """Sends notifications from the outbox; a row is claimed (status sending) before its POST and marked after."""

    def __init__(
        self,
        db_path: str,
        channels: Mapping[str, Channel],
        templates: TemplateSet,
        base_backoff_s: float = 5.0,
        max_backoff_s: float = 3600.0,
        max_attempts: int = 10,
        poll_s: float = 1.0,
        timeout_s: float = 10.0,
        base_url: str = "",
    ) -> None:
        self.db_path = db_path
        self.channels = dict(channels)
        self.templates = templates
        self.base_backoff_s = base_backoff_s
        self.max_backoff_s = max_backoff_s
        self.max_attempts = max_attempts
        self.poll_s = poll_s
        self.timeout_s = timeout_s
        self.base_url = base_url.rstrip("/")
        self.wake = threading.Event()
        self.sent_at: dict[str, deque[float]] = {}
        self._thread: threading.Thread | None = None

    def backoff(self, attempts: int) -> float:
        """Return the wait before attempt number attempts+1: base·2^(attempts-1), capped."""
        return float(min(self.max_backoff_s, self.base_backoff_s * 2 ** max(0, attempts - 1)))

    def deliver(self, client: httpx.Client, row: dict[str, Any]) -> None:
        """Render and send one row; raise DeliveryError when it did not go through."""
        channel = self.channels.get(row["channel"])
        if channel is None:
            raise DeliveryError(f"channel {row['channel']!r} is not configured (settings: notify)", retryable=False)
        try:
            message = self.render(row)
        except ValueError as exc:
            raise DeliveryError(str(exc), retryable=False) from None
        post(client, build_request(channel, message, row), channel.kind)

    def render(self, row: dict[str, Any]) -> Message:
        """Render an outbox row as it is sent, with the link to the visitor's profile; raise ValueError."""
        context = dict(row["context"])
        if self.base_url and context.get("visitor") and not context.get("url"):
            context["url"] = f"{self.base_url}/visitors/{quote(str(context['visitor']), safe='')}"
        return self.templates.render(row["template"], context)

    def paced(self, channel_name: str, now: float) -> float | None:
        """Return when a robot channel may send again if it sent ROBOT_PER_MINUTE messages in the last minute."""
        channel = self.channels.get(channel_name)
        if channel is None or channel.kind not in ("wecom", "dingtalk"):
            return None
        sent = self.sent_at.setdefault(channel_name, deque())
        while sent and sent[0] <= now - 60:
            sent.popleft()
        if len(sent) >= ROBOT_PER_MINUTE:
            return sent[0] + 60
        sent.append(now)
        return None

    def run_once(self, conn: Any, client: httpx.Client) -> int:
        """Send every due row once; return how many were attempted."""
        rows = claim_due(conn, time.time())
        for row in rows:
            wait_until = self.paced(row["channel"], time.time())
            if wait_until is not None:
                defer(conn, row["id"], wait_until)
                continue
            try:
                self.deliver(client, row)
            except DeliveryError as exc:
                attempts = row["attempts"] + 1
                final = not exc.retryable or attempts >= self.max_attempts
                retry_at = None if final else time.time() + self.backoff(attempts)
                mark_failed(conn, row["id"], str(exc), retry_at)
                log.warning("notification %s to %s failed (attempt %d): %s", row["id"], row["channel"], attempts, exc)
            except Exception as exc:  # a message that cannot even be built: recorded, and the batch goes on
                mark_failed(conn, row["id"], f"cannot send: {type(exc).__name__}: {exc}", None)
                log.exception("notification %s to %s cannot be sent", row["id"], row["channel"])
            else:
                mark_sent(conn, row["id"])
        return len(rows)

    def run(self, stop: threading.Event) -> None:
        """Recover rows interrupted by a restart, then deliver until stop is set."""
        resend = {name for name, ch in self.channels.items() if ch.kind in IDEMPOTENT_KINDS}
        with closing(open_database(self.db_path)) as conn:
            recover_interrupted(conn, resend)
        with httpx.Client(timeout=self.timeout_s) as client:
            while not stop.is_set():
                try:
                    with closing(connect(self.db_path)) as conn:  # short-lived: see IngestWriter._reopen
                        busy = self.run_once(conn, client)
                except Exception:
                    log.exception("notification delivery loop failed")
                    busy = 0
                if not busy:
                    self.wake.wait(self.poll_s)
                    self.wake.clear()

    def start(self, stop: threading.Event) -> threading.Thread:
        """Run in a daemon thread until stop is set."""
        self._thread = threading.Thread(target=self.run, args=(stop,), name="notify", daemon=True)
        self._thread.start()
        return self._thread
