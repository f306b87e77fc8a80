"""Correct dialect-mangled domain terms by matching toneless pinyin with merged confusion sets."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import Style, lazy_pinyin, pinyin


@dataclass(frozen=True)
class Confusions:
    """Sound pairs a dialect speaker merges: initials (zh→z), finals (ang→an) and f/h (hua↔fa)."""

    initials: tuple[tuple[str, str], ...] = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"), ("r", "l"))
    finals: tuple[tuple[str, str], ...] = (("ang", "an"), ("eng", "en"), ("ing", "in"))
    f_h: bool = True

    def canonical(self, syllable: str) -> str:
        """Map a toneless syllable to its representative under the confusion sets."""
        s = syllable
        if self.f_h and s.startswith("hu"):
            rest = s[2:]
            s = {"": "fu", "i": "fei", "n": "fen"}.get(rest, "f" + rest)
        for a, b in self.initials:
            if s.startswith(a):
                s = b + s[len(a) :]
                break
        for a, b in self.finals:
            if s.endswith(a):
                s = s[: -len(a)] + b
                break
        return s


@dataclass(frozen=True)
class Correction:
    """One replaced window of the text."""

    source: str
    target: str
    span: tuple[int, int]


def is_cjk(ch: str) -> bool:
    """Tell whether ch is a CJK unified ideograph."""
    return "\u4e00" <= ch <= "\u9fff"


@lru_cache(maxsize=8192)
def _readings(ch: str) -> tuple[str, ...]:
    return tuple(pinyin(ch, style=Style.NORMAL, heteronym=True)[0])


class FuzzyIndex:
    """Terms indexed by length and canonical first syllable, plus exact variants and protected words."""

    def __init__(
        self,
        terms: tuple[str, ...],
        confusions: Confusions,
        variants: dict[str, str],
        protect: frozenset[str],
    ) -> None:
        self.confusions = confusions
        self.terms = frozenset(terms)
        self.variants = {k: v for k, v in variants.items() if len(k) == len(v)}
        self.protect = protect
        words = "|".join(re.escape(w) for w in sorted(protect, key=len, reverse=True) if w)
        self._protect_re = re.compile(f"(?=({words}))" if words else r"(?!x)x")
        self._canon: dict[str, frozenset[str]] = {}
        self._index: dict[tuple[int, str], list[tuple[str, tuple[str, ...]]]] = {}
        for term in sorted(self.terms):
            if len(term) < 2 or not all(is_cjk(ch) for ch in term):
                continue
            key = tuple(confusions.canonical(s) for s in lazy_pinyin(term))
            if len(key) == len(term):
                self._index.setdefault((len(term), key[0]), []).append((term, key))
        lengths = {n for n, _ in self._index} | {len(v) for v in self.variants} | {len(t) for t in self.terms}
        self.lengths = tuple(sorted(lengths, reverse=True))

    def _char_keys(self, ch: str) -> frozenset[str]:
        keys = self._canon.get(ch)
        if keys is None:
            keys = frozenset(self.confusions.canonical(r) for r in _readings(ch))
            self._canon[ch] = keys
        return keys

    def _fuzzy_match(self, window: str) -> str | None:
        found: set[str] = set()
        for first in self._char_keys(window[0]):
            for term, key in self._index.get((len(window), first), ()):
                if not any(a == b for a, b in zip(term, window, strict=True)):
                    continue
                if all(k in self._char_keys(ch) for k, ch in zip(key, window, strict=True)):
                    found.add(term)
        return found.pop() if len(found) == 1 else None

    def _protected(self, text: str) -> list[bool]:
        mask = [False] * len(text)
        for match in self._protect_re.finditer(text):
            word = match.group(1)
            for i in range(match.start(), match.start() + len(word)):
                mask[i] = True
        return mask

    def correct(self, text: str) -> tuple[str, list[Correction]]:
        """Return text with mangled terms replaced and the corrections made, spans in the returned text."""
        chars = list(text)
        mask = self._protected(text)
        corrections: list[Correction] = []
        i, n = 0, len(text)
        while i < n:
            step = 1
            for length in self.lengths:
                window = text[i : i + length]
                if len(window) < length or not all(is_cjk(ch) for ch in window):
                    continue
                if window in self.terms:
                    step = length
                    break
                if any(mask[i : i + length]):
                    continue
                target = self.variants.get(window) or self._fuzzy_match(window)
                if target:
                    chars[i : i + length] = list(target)
                    corrections.append(Correction(window, target, (i, i + length)))
                    step = length
                    break
            i += step
        return "".join(chars), corrections
