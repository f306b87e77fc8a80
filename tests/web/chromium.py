"""Headless Debian chromium for the browser tests (Playwright with its executablePath, as the brief asks)."""

from __future__ import annotations

import shutil
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium")
NEEDS_CHROMIUM = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)"
)
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def launch(playwright: Any) -> Any:
    """Return a headless chromium browser started from `playwright.chromium`."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
