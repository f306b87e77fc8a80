"""Wire notification delivery into the running hub."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING

from hub.notify.config import load_channels
from hub.notify.digest_schedule import dashboard_url, start_digests
from hub.notify.templates import TemplateSet
from hub.notify.worker import NotifyWorker
from hub.settings import HubSettings
from hub.store.db import connect
from hub.store.notify_outbox import queue_depth

if TYPE_CHECKING:
    from hub.service import HubRuntime


def notify_hook(settings: HubSettings) -> Callable[[HubRuntime], None]:
    """Return a runtime hook that starts the delivery worker and wakes it after every ingest commit."""

    def attach(runtime: HubRuntime) -> None:
        worker = NotifyWorker(
            settings.db,
            load_channels(settings.notify),
            TemplateSet({k: v.model_dump() for k, v in settings.notify_templates.items()}),
            base_url=dashboard_url(settings),
        )
        runtime.writer.after_commit.append(lambda _result: worker.wake.set())
        worker.start(runtime.stop_event)
        start_digests(settings, runtime.stop_event, worker.wake)

    return attach


def notify_queue_depth(db_path: str) -> int:
    """Return the notifications waiting for delivery (0 before the outbox exists)."""
    conn = connect(db_path)
    try:
        return queue_depth(conn)
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()
