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


@pytest.fixture(scope="session")
def context() -> AnalysisContext:
    return load_default_context()
