"""Fixtures for note analysis: the shipped seed context and the transcript table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from hub.rules.analysis import AnalysisContext, load_default_context

CASES_FILE = Path(__file__).with_name("cases.yaml")


def load_cases() -> list[dict[str, Any]]:
    """Return the transcript table."""
    return yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))


_EXTRAS = ("bound", "negated", "tolerance")


def param_shapes(result: dict[str, Any]) -> list[list[Any]]:
    """[kind, scale|unit, value] per param, plus a mapping of bound/negated/tolerance when any is set."""
    out = []
    for p in result["params"]:
        shape = [p["kind"], p.get("scale") or p.get("unit"), p["value"]]
        extras = {k: p[k] for k in _EXTRAS if (k in p and p[k] is not True) or (k == "negated" and k in p)}
        if extras:
            shape.append(extras)
        out.append(shape)
    return out


def expected_params(case: dict[str, Any]) -> list[list[Any]]:
    return [list(p) for p in case.get("params", [])]


def signal_shapes(result: dict[str, Any]) -> list[str]:
    """Signal names in order, "!name" for a declined one."""
    return [("!" if s.get("negated") else "") + s["name"] for s in result["signals"]]


def feasibility_count(result: dict[str, Any]) -> int:
    return sum(1 for w in result["warnings"] if w["kind"] == "feasibility")


@pytest.fixture(scope="session")
def context() -> AnalysisContext:
    return load_default_context()
