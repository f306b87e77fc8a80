"""Note analysis cost per note against baselines measured in the same run, and the table's exactness by category.

Baselines: decoding the note's JSON envelope (what ingest does to every message anyway), a bare regex
keyword scan over the raw text (what keyword spotting costs), and the hub's ingest writer storing the same
notes into SQLite without the note analysis (so the last ratio is what analysis adds to ingesting a note).
The transcripts are tests/analysis/cases.yaml.

    .venv/bin/python bench/analysis.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.ingest.client import InMessage
from hub.ingest.writer import IngestWriter
from hub.rules.analysis import analyze, load_default_context
from hub.rules.notes_pipeline import NoteAnalyzer
from tests.analysis.conftest import (
    expected_params,
    feasibility_count,
    load_cases,
    param_shapes,
    signal_shapes,
)
from tests.api.tourdata import note


def per_call_us(fn: Callable[[str], object], items: list[str], rounds: int) -> float:
    """Best of `rounds` passes over items, in microseconds per item."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for item in items:
            fn(item)
        best = min(best, time.perf_counter() - started)
    return best / len(items) * 1e6


def ingest_ms(texts: list[str], analyse: bool, batch: int = 100) -> float:
    """Milliseconds to store the notes through the real ingest writer (a fresh SQLite file), analysed or not."""
    with tempfile.TemporaryDirectory() as tmp:
        writer = IngestWriter(str(Path(tmp) / "hub.sqlite3"), ack=lambda _m: None)
        if analyse:
            writer.derivers.append(NoteAnalyzer().derive)
        notes = [note("gate-1", "R-007", ("V-0001",), t, i + 1, 1_700_000_000.0 + i) for i, t in enumerate(texts)]
        messages = [InMessage(str(n.topic), n.encode(), i, 1) for i, n in enumerate(notes)]
        started = time.perf_counter()
        for start in range(0, len(messages), batch):
            writer.store(messages[start : start + batch])
        elapsed = time.perf_counter() - started
        writer.close()
    return elapsed * 1000


def exactness(cases: list[dict]) -> list[tuple[str, int, int, int]]:
    """Per category: cases, params exact (with bound, negated, tolerance and warning count), signals exact."""
    context = load_default_context()
    totals: Counter[str] = Counter()
    params_ok: Counter[str] = Counter()
    signals_ok: Counter[str] = Counter()
    for case in cases:
        kind = case.get("kind", "classic")
        result = analyze(case["text"], context.lexicon, context.library).to_dict()
        totals[kind] += 1
        warnings_ok = "warnings" not in case or feasibility_count(result) == case["warnings"]
        params_ok[kind] += param_shapes(result) == expected_params(case) and warnings_ok
        signals_ok[kind] += signal_shapes(result) == case.get("signals", [])
    return [(k, totals[k], params_ok[k], signals_ok[k]) for k in sorted(totals)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    cases = load_cases()
    texts = [c["text"] for c in cases]
    context = load_default_context()
    bodies = [note("gate-1", "R-007", ("V-0001",), t, i + 1, 1_700_000_000.0).encode() for i, t in enumerate(texts)]
    keywords = re.compile("|".join(p for group in context.lexicon.signals.values() for p in group if "{" not in p))
    analyze(texts[0], context.lexicon, context.library)  # compile patterns and warm caches outside the timing

    analysis = per_call_us(lambda t: analyze(t, context.lexicon, context.library), texts, args.rounds)
    decode = per_call_us(lambda b: json.loads(b), bodies, args.rounds)  # type: ignore[arg-type]
    scan = per_call_us(lambda t: keywords.findall(t), texts, args.rounds)
    print(f"| per note ({len(texts)} transcripts, best of {args.rounds}) | µs | ratio |")
    print("|---|---|---|")
    print(f"| analysis (normalize, params, meaning, lookups) | {analysis:.1f} | 1.00× |")
    print(f"| baseline: json decode of the note envelope | {decode:.1f} | {analysis / decode:.1f}× |")
    print(f"| baseline: bare regex keyword scan | {scan:.1f} | {analysis / scan:.1f}× |")
    print(f"\nanalysis throughput: {1e6 / analysis:,.0f} notes/s on one core")
    ingest_ms(texts[:50], analyse=True)  # warm the writer's and the analyzer's caches
    bare = min(ingest_ms(texts, analyse=False) for _ in range(3))
    full = min(ingest_ms(texts, analyse=True) for _ in range(3))
    print(f"\n| ingest of {len(texts)} notes, batches of 100 | ms | ratio |")
    print("|---|---|---|")
    print(f"| hub ingest writer, note events stored without the notes pipeline (baseline) | {bare:.0f} | 1.00× |")
    print(f"| hub ingest writer with the notes pipeline (note row + analysis) | {full:.0f} | {full / bare:.2f}× |")
    print("\n| category | cases | params exact | signals exact |")
    print("|---|---|---|---|")
    for kind, total, params_ok, signals_ok in exactness(cases):
        print(f"| {kind} | {total} | {params_ok / total:.1%} | {signals_ok / total:.1%} |")


if __name__ == "__main__":
    main()
