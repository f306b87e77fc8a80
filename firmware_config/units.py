"""Find the shipped systemd units: systemd/ in a source checkout, <venv>/share/tourtrace/systemd when installed."""

from __future__ import annotations

import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent / "systemd"
INSTALLED = Path(sys.prefix) / "share" / "tourtrace" / "systemd"  # pyproject's data-files put them here


class UnitMissing(FileNotFoundError):
    """A shipped unit file is in neither place."""


def unit_text(name: str) -> str:
    """Return a shipped unit (e.g. "tourtrace-edge.service" or "mosquitto.service.d/tourtrace.conf")."""
    for folder in (CHECKOUT, INSTALLED):
        if (folder / name).is_file():
            return (folder / name).read_text(encoding="utf-8")
    raise UnitMissing(f"{name} is in neither {CHECKOUT} nor {INSTALLED}: reinstall tourtrace")
