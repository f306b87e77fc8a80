"""Rules fixtures: a hub database fed through the real ingest writer with notes analysis and the rules engine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.ingest.client import InMessage
from hub.ingest.writer import IngestWriter
from hub.rules.engine import RulesEngine
from hub.rules.notes_pipeline import NoteAnalyzer
from protocol import Envelope


class Hub:
    """An ingest writer with the same derivers as HubRuntime (notes first, then rules)."""

    def __init__(self, db: Path, rules_file: Path | None = None) -> None:
        self.writer = IngestWriter(str(db), ack=lambda _m: None)
        self.rules = RulesEngine(rules_file)
        self.writer.derivers.append(NoteAnalyzer().derive)
        self.writer.derivers.append(self.rules.derive)
        self.conn = self.writer.conn

    def submit(self, *events: Envelope) -> None:
        """Store each event in its own batch, as the broker would deliver them over time."""
        for index, event in enumerate(events):
            self.writer.store([InMessage(str(event.topic), event.encode(), index, 1)])

    def count(self, sql: str) -> int:
        return int(self.conn.execute(sql).fetchone()[0])


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    made = Hub(tmp_path / "hub.sqlite3")
    try:
        yield made
    finally:
        made.writer.close()
