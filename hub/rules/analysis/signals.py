"""Find sales signal phrases (quote, lead_time, sample, …) in normalized text."""

from __future__ import annotations

import re
from functools import lru_cache

from hub.rules.analysis.model import Signal


@lru_cache(maxsize=16)
def _compile(groups: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[re.Pattern[str], dict[str, str]]:
    owner: dict[str, str] = {}
    for name, phrases in groups:
        for phrase in phrases:
            owner.setdefault(phrase, name)
    alternation = "|".join(re.escape(p) for p in sorted(owner, key=len, reverse=True))
    return re.compile(alternation or r"(?!x)x"), owner


def find_signals(text: str, signals: dict[str, tuple[str, ...]]) -> list[Signal]:
    """Return every signal phrase occurrence, longest phrase first, without overlaps."""
    pattern, owner = _compile(tuple(sorted(signals.items())))
    return [Signal(owner[m.group(0)], m.group(0), m.span()) for m in pattern.finditer(text)]
