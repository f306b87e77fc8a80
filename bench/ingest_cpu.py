"""CPU the hub's ingest writer spends per stored message: a fixed queued backlog replayed through the real store.

Wall-clock rates on a shared machine vary several-fold; the CPU time of the storing thread per message does not.
The writer is built as the hub builds it (notes and rules derivers, signature check off) on a fresh database, and
the same taps bench/ingest.py queues (N badges, many taps each), validated beforehand as the hub's receiver process
does, are stored in batches of the writer's largest.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import envelopes, workdir
from hub.ingest.client import InMessage
from hub.ingest.packing import pack
from hub.ingest.validate import classify
from hub.ingest.writer import IngestWriter
from hub.rules.engine.engine import RulesEngine
from hub.rules.notes_pipeline import NoteAnalyzer
from hub.store.events import DeadLetter
from tourtrace.heap import settle


def writer_for(db: Path) -> IngestWriter:
    """An ingest writer with the hub's derivers, acknowledging nothing."""
    writer = IngestWriter(str(db), ack=lambda _messages: None)
    writer.derivers.append(NoteAnalyzer().derive)
    writer.derivers.append(RulesEngine.for_hub(None, str(db)).derive)
    return writer


def checked(message: InMessage) -> InMessage:
    """The message as the receiver process hands it over: validated there (hub/ingest/receiver.py)."""
    item = classify(message.topic, message.payload, "")
    assert item is not None and not isinstance(item, DeadLetter), item
    return message._replace(checked=pack(item))


def measure(count: int, badges: int, batch: int, profile: bool) -> float:
    """Store `count` taps in batches of `batch`; return the storing CPU seconds per message."""
    writer = writer_for(workdir("ingest-cpu") / "hub.sqlite3")
    queued = envelopes("cpu", count, badges=badges)
    messages = [checked(InMessage(topic, payload, n, 1, 0)) for n, (topic, payload) in enumerate(queued)]
    settle()  # as `tourtrace hub run` does once the app is built
    profiler = cProfile.Profile() if profile else None
    started = time.thread_time()
    if profiler:
        profiler.enable()
    for start in range(0, count, batch):
        writer.store(messages[start : start + batch])
    if profiler:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
    spent = time.thread_time() - started
    writer.close()
    return spent / count


def main() -> None:
    """Print the writer's CPU microseconds per stored message."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000, help="taps to store (default 20,000)")
    parser.add_argument("--badges", type=int, default=500, help="badges the taps spread over (default 500)")
    parser.add_argument(
        "--batch", type=int, default=10_000, help="messages per committed batch (default 10,000, the writer's largest)"
    )
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the storing")
    args = parser.parse_args()
    per_message = measure(args.messages, args.badges, args.batch, args.profile)
    print(f"ingest cpu: {per_message * 1e6:,.1f} us CPU per stored message ({args.messages:,} taps, {args.badges}"
          f" badges, batches of {args.batch:,})")  # fmt: skip


if __name__ == "__main__":
    main()
