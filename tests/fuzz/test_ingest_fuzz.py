"""Generated valid and broken messages published to a running hub: every valid one stored, every broken one a
dead letter with a reason, and the hub still healthy."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firmware_config.local_broker import LocalBroker
from protocol import Envelope
from tests.fuzz.strategies import broken_messages, valid_taps
from tests.reliability.harness import HubProcess, closing_db, wait_until
from tests.reliability.mqtt_tools import publish_all

SITE = "fuzz-ingest"
_examples = itertools.count()

batches = st.lists(valid_taps(SITE).map(lambda e: ("valid", e)) | broken_messages(SITE).map(lambda b: ("broken", b)),
                   min_size=1, max_size=25)  # fmt: skip


def _dead_letters(hub: HubProcess) -> int:
    return int(hub.get("/api/dead-letters", limit=1)["total"])


def _stored(hub: HubProcess, ids: set[str]) -> set[str]:
    with closing_db(hub.db) as conn:
        marks = ",".join("?" * len(ids))
        return {row[0] for row in conn.execute(f"SELECT id FROM events WHERE id IN ({marks})", sorted(ids))}


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(batch=batches)
def test_generated_messages_end_stored_or_dead_lettered(
    fuzz_hub: tuple[LocalBroker, HubProcess], batch: list[tuple[str, object]]
) -> None:
    broker, hub = fuzz_hub
    before = _dead_letters(hub)
    messages: list[tuple[str, bytes]] = []
    valid_ids: set[str] = set()
    broken = 0
    for label, item in batch:
        if label == "valid":
            assert isinstance(item, Envelope)
            messages.append((str(item.topic), item.encode()))
            valid_ids.add(item.id)
        else:
            assert isinstance(item, tuple)
            messages.append((item[0], item[1]))
            broken += 1
    publish_all(broker.url, messages)
    assert wait_until(lambda: _dead_letters(hub) >= before + broken and _stored(hub, valid_ids | {""}) >= valid_ids,
                      20)  # fmt: skip
    assert _dead_letters(hub) == before + broken
    assert hub.health()["status"] == "ok"
