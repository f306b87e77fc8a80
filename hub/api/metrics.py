"""Prometheus metrics read from the database at scrape time, so counters survive hub restarts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from hub.service import IngestState
from hub.store.db import connect
from hub.store.events import count_dead_letters, count_events
from hub.store.stations import stations_online
from protocol import EVENT_KINDS

router = APIRouter()


class HubCollector(Collector):
    """Collects the pinned tourtrace_* metrics."""

    def __init__(self, db_path: str, notify_depth: Callable[[], int], ingest: Callable[[], IngestState | None]) -> None:
        self.db_path = db_path
        self.notify_depth = notify_depth
        self.ingest = ingest  # None for an app without ingest

    def collect(self) -> Iterator[Any]:
        conn = connect(self.db_path)
        try:
            counts = count_events(conn)
            dead = count_dead_letters(conn)
            online = stations_online(conn)
        finally:
            conn.close()
        stored = CounterMetricFamily("tourtrace_events_stored", "Events stored, by kind", labels=["kind"])
        for kind in EVENT_KINDS:
            stored.add_metric([kind], counts.get(kind, 0))
        yield stored
        yield CounterMetricFamily("tourtrace_dead_letters", "Messages rejected into dead_letters", value=dead)
        yield GaugeMetricFamily("tourtrace_stations_online", "Stations whose last status is online", value=online)
        state = self.ingest()
        yield GaugeMetricFamily("tourtrace_ingest_lag_seconds", "Station time to hub commit of the newest stored event",
                                value=state.lag_s if state else 0.0)  # fmt: skip
        yield GaugeMetricFamily(
            "tourtrace_notify_queue_depth", "Notifications waiting for delivery", value=self.notify_depth()
        )
        if state is not None:  # a hub with ingest running (not an API-only app)
            yield GaugeMetricFamily("tourtrace_broker_connected", "1 while the hub's MQTT session is up",
                                    value=int(state.connected))  # fmt: skip
            yield CounterMetricFamily("tourtrace_ingest_retries", "Batches that could not be stored and were retried",
                                      value=state.retries)  # fmt: skip
            yield CounterMetricFamily("tourtrace_receiver_restarts", "Restarts of the hub's MQTT receiver process",
                                      value=state.receiver_restarts)  # fmt: skip


def build_registry(
    db_path: str, notify_depth: Callable[[], int], ingest: Callable[[], IngestState | None]
) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(HubCollector(db_path, notify_depth, ingest))
    return registry


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Prometheus text exposition."""
    return Response(generate_latest(request.app.state.metrics), media_type="text/plain; version=0.0.4")
