"""Garbage collection tuned for a long-running service process: what it loaded to start is never garbage."""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 20_000  # allocations between young-generation collections (Python's default: 700)


def settle() -> None:
    """Put every object allocated so far (modules, the app, its settings) out of the collector's reach, and collect
    the young generation less often.

    A hub holds hundreds of thousands of long-lived objects (FastAPI, pydantic, openpyxl), and each full collection
    walked them all while ingest allocates rows by the thousand: under a backlog that was a fifth of the writer's
    CPU (bench/ingest_cpu.py). Ingest's objects are freed by reference counting as soon as a batch is stored; the
    collector is still there for cycles, only run less often.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, 10, 10)
