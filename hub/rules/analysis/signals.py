"""Find sales signal phrases (quote, lead_time, sample, …) in normalized text."""

from __future__ import annotations

import re
from functools import lru_cache

from hub.rules.analysis.model import Signal
from hub.rules.analysis.phrases import compile_named


@lru_cache(maxsize=16)
def _compile(groups: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[re.Pattern[str], list[str]]:
    return compile_named(dict(groups))


def find_signals(text: str, signals: dict[str, tuple[str, ...]]) -> list[Signal]:
    """Return every signal phrase occurrence, longest phrase first, without overlaps."""
    pattern, names = _compile(tuple(sorted(signals.items())))
    return [Signal(names[(m.lastindex or 1) - 1], m.group(0), m.span()) for m in pattern.finditer(text)]
