"""Gaps in a station's seq are visible at the hub (GET /api/stations `missing_seq`) and close when events arrive."""

from __future__ import annotations

import time
from pathlib import Path

from hub.ingest.client import InMessage
from hub.ingest.writer import IngestWriter
from hub.store.stations import list_stations
from protocol import Envelope
from tests.api.tourdata import tap


def _store(writer: IngestWriter, *events: Envelope) -> None:
    writer.store([InMessage(str(e.topic), e.encode(), i, 1) for i, e in enumerate(events)])


def test_missing_seq_counts_gaps_and_ignores_duplicates(tmp_path: Path) -> None:
    writer = IngestWriter(str(tmp_path / "hub.sqlite3"), ack=lambda _m: None)
    t0 = time.time()
    try:
        taps = {seq: tap("gate-a", "injection", f"V-{seq}", seq, t0 + seq) for seq in (1, 2, 3, 4, 6)}
        _store(writer, taps[1], taps[2], taps[4])
        assert [(s["station"], s["missing_seq"]) for s in list_stations(writer.conn)] == [("gate-a", 1)]
        _store(writer, taps[3], taps[2])  # the missing one arrives, plus a redelivered duplicate
        assert list_stations(writer.conn)[0]["missing_seq"] == 0
        _store(writer, taps[6])
        assert list_stations(writer.conn)[0]["missing_seq"] == 1
    finally:
        writer.close()
