"""Phrase lists from YAML as regular expressions: "{a|b}" alternatives ("{|一}" optional), "…" a short gap."""

from __future__ import annotations

import re
from collections.abc import Iterable

GAP = ".{0,4}?"
_GROUP = re.compile(r"\{([^{}]*)\}")


class PhraseError(ValueError):
    """A phrase cannot be compiled; the message names it."""


def is_pattern(phrase: str) -> bool:
    """Tell whether a phrase uses the pattern syntax (and so is not a plain word)."""
    return "{" in phrase or "…" in phrase


def phrase_regex(phrase: str) -> str:
    """Return the regular expression of one phrase."""
    out: list[str] = []
    pos = 0
    for match in _GROUP.finditer(phrase):
        out.append(_literal(phrase[pos : match.start()]))
        options = sorted(match.group(1).split("|"), key=len, reverse=True)
        out.append("(?:" + "|".join(re.escape(o) for o in options) + ")")
        pos = match.end()
    out.append(_literal(phrase[pos:]))
    regex = "".join(out)
    if "{" in phrase[pos:] or "}" in phrase[pos:] or not regex:
        raise PhraseError(f"unbalanced braces in {phrase!r}")
    return regex


def expand(phrase: str, limit: int = 128) -> list[str]:
    """Every plain word a phrase stands for (none when it has a gap or stands for more than `limit`)."""
    if "…" in phrase:
        return []
    words = [""]
    pos = 0
    for match in _GROUP.finditer(phrase):
        head = phrase[pos : match.start()]
        words = [w + head + o for w in words for o in match.group(1).split("|")]
        if len(words) > limit:
            return []
        pos = match.end()
    return [w + phrase[pos:] for w in words if w + phrase[pos:]]


def first_chars(phrases: Iterable[str]) -> frozenset[str] | None:
    """Characters every match of these phrases starts with; None when one may start with anything."""
    chars: set[str] = set()
    for phrase in phrases:
        group = _GROUP.match(phrase)
        options = group.group(1).split("|") if group else [phrase]
        if any(not o or o.startswith("…") for o in options):
            return None
        chars.update(o[0] for o in options)
    return frozenset(chars)


def _literal(text: str) -> str:
    return GAP.join(re.escape(part) for part in text.split("…"))


def _weight(phrase: str) -> int:
    return len(_GROUP.sub(lambda m: max(m.group(1).split("|"), key=len), phrase).replace("…", ""))


def compile_phrases(phrases: Iterable[str]) -> re.Pattern[str]:
    """One alternation over phrases, longest first; a pattern that never matches for no phrases."""
    ordered = sorted(dict.fromkeys(phrases), key=_weight, reverse=True)
    if not ordered:
        return re.compile(r"(?!x)x")
    return re.compile("|".join(f"(?:{phrase_regex(p)})" for p in ordered))


def compile_named(groups: dict[str, tuple[str, ...]]) -> tuple[re.Pattern[str], list[str]]:
    """One alternation over named phrase groups; the returned names follow the pattern's group numbers."""
    items = sorted(((p, name) for name, ps in groups.items() for p in ps), key=lambda x: _weight(x[0]), reverse=True)
    names: list[str] = []
    parts: list[str] = []
    seen: set[str] = set()
    for phrase, name in items:
        if phrase in seen:
            continue
        seen.add(phrase)
        names.append(name)
        parts.append(f"({phrase_regex(phrase)})")
    return re.compile("|".join(parts) or r"(?!x)x"), names
