"""Run the transcript table: every Vosk-shaped note yields exactly the expected params and signals."""

from __future__ import annotations

import time
from typing import Any

import pytest

from hub.rules.analysis import analyze
from tests.analysis.conftest import (
    expected_params,
    feasibility_count,
    load_cases,
    param_shapes,
    signal_shapes,
)

CASES = load_cases()


def test_table_is_large_enough() -> None:
    assert len(CASES) >= 200
    kinds = {c.get("kind", "classic") for c in CASES}
    assert kinds >= {"negation", "bound", "numerals", "context", "tolerance", "phrasing", "competitor", "budget"}


@pytest.mark.parametrize("case", CASES, ids=[f"{i:03d}-{c['text'][:16]}" for i, c in enumerate(CASES)])
def test_case(case: dict[str, Any], context) -> None:
    result = analyze(case["text"], context.lexicon, context.library).to_dict()
    assert param_shapes(result) == expected_params(case)
    assert signal_shapes(result) == case.get("signals", [])
    if "warnings" in case:
        assert feasibility_count(result) == case["warnings"]
    if "normalized" in case:
        assert result["normalized"] == case["normalized"]
    corrections = [[w["from"], w["to"]] for w in result["warnings"] if w["kind"] == "correction"]
    assert corrections == case.get("corrections", [])
    for item in result["params"] + result["signals"]:
        start, end = item["span"]
        assert result["normalized"][start:end] == item["text"]


def test_table_throughput(context) -> None:
    texts = [c["text"] for c in CASES]
    started = time.perf_counter()
    rounds = 5
    for _ in range(rounds):
        for text in texts:
            analyze(text, context.lexicon, context.library)
    rate = rounds * len(texts) / (time.perf_counter() - started)
    print(f"analysis throughput: {rate:.0f} analyses/s over {len(texts)} cases")
    assert rate > 200
