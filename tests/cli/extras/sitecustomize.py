"""Refuse to import the top-level modules named in TOURTRACE_BLOCKED_MODULES (as if not installed).

Put on PYTHONPATH of a `tourtrace` subprocess to run it as an install with one extra only would.
"""

from __future__ import annotations

import importlib.abc
import os
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

BLOCKED = frozenset(filter(None, os.environ.get("TOURTRACE_BLOCKED_MODULES", "").split(",")))


class ExtraNotInstalled(importlib.abc.MetaPathFinder):
    """Raise ModuleNotFoundError for a blocked top-level module, exactly as a missing distribution would."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {fullname!r} (blocked: not in this extra)", name=fullname)
        return None


if BLOCKED:
    sys.meta_path.insert(0, ExtraNotInstalled())
