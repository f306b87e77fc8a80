"""Phrase lists that say how a note is read: clause joins, negation, limits, competitors, money, scale context."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from hub.rules.analysis.phrases import PhraseError, compile_named, compile_phrases, first_chars, phrase_regex

_PUNCTUATION = "，。；、,.;!?！？：:"
_NUMERALS = "零〇一幺二两三四五六七八九十百千万"


class GrammarError(ValueError):
    """Grammar data is malformed; the message names the path of the bad entry."""


@dataclass(frozen=True)
class Negation:
    """Cues that decline what follows them (before), what precedes them (after), or only the next word (bare)."""

    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    after_values: tuple[str, ...] = ()
    bare: tuple[str, ...] = ()
    exceptions: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ()
    objects: tuple[str, ...] = ()
    reach: int = 8
    reach_ahead: int = 4
    bare_reach: int = 1


@dataclass(frozen=True, eq=False)
class Grammar:
    """Everything beyond single words, as phrase lists the plant can extend."""

    joins: tuple[str, ...] = ()
    particles: tuple[str, ...] = ()
    negation: Negation = field(default_factory=Negation)
    bounds: dict[str, tuple[str, ...]] = field(default_factory=dict)
    competitor: tuple[str, ...] = ()
    competitor_takes: tuple[str, ...] = ()
    switching: tuple[str, ...] = ()
    competitor_reach: int = 8
    ours: tuple[str, ...] = ()
    money_cues: tuple[str, ...] = ()
    money_units: tuple[str, ...] = ()
    hardening: tuple[str, ...] = ()
    angles: tuple[str, ...] = ()
    letter_sounds: dict[str, tuple[str, ...]] = field(default_factory=dict)
    spelled_units: tuple[str, ...] = ()
    replace: tuple[str, ...] = ()
    contexts: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def context_re(self, name: str) -> re.Pattern[str]:
        """Words after which a bare number has a known kind: brinell (调质), heat (回火), dimensions (直径)."""
        return compile_phrases(self.contexts.get(name, ()))

    @cached_property
    def join_re(self) -> re.Pattern[str]:
        return compile_phrases(self.joins)

    @cached_property
    def cue_re(self) -> tuple[re.Pattern[str], list[str]]:
        """Negation cues in one alternation, longest first; names by group number: `a` after, `b` before,
        `v` after a value, `n` bare (a cue in both the before and after lists is looked up in each)."""
        neg = self.negation
        return compile_named({"a": neg.after, "b": neg.before, "v": neg.after_values, "n": neg.bare})

    @cached_property
    def cue_starts(self) -> frozenset[str] | None:
        """Characters a negation cue can start with (a quick test before the full alternation)."""
        neg = self.negation
        return first_chars((*neg.after, *neg.before, *neg.after_values, *neg.bare))

    @cached_property
    def echo_re(self) -> re.Pattern[str]:
        """What may follow a cue that declines something said before it: "再寄", "报", "了" (nothing new)."""
        verbs = compile_phrases(self.negation.verbs).pattern
        return re.compile(rf"[再先就都也还]?(?:{verbs})?[了啦吧啊呢嘛]?")

    @cached_property
    def object_re(self) -> re.Pattern[str]:
        return compile_phrases(self.negation.objects)

    @cached_property
    def verb_re(self) -> re.Pattern[str]:
        return compile_phrases(self.negation.verbs)

    @cached_property
    def exception_re(self) -> re.Pattern[str]:
        return compile_phrases(self.negation.exceptions)

    @cached_property
    def ab_question_re(self) -> re.Pattern[str]:
        """ "能不能", "要不要", "有没有", "需不需要": a question, never a negation."""
        return re.compile(r"(.)[不没]\1.?")

    @cached_property
    def before_re(self) -> re.Pattern[str]:
        return compile_phrases(self.negation.before)

    @cached_property
    def after_re(self) -> re.Pattern[str]:
        return compile_phrases(self.negation.after)

    @cached_property
    def bound_before(self) -> tuple[re.Pattern[str], list[str]]:
        """Limit cues said before the value; names are "max"/"min" by group number."""
        return compile_named({"max": self.bounds.get("max_before", ()), "min": self.bounds.get("min_before", ())})

    @cached_property
    def bound_after(self) -> tuple[re.Pattern[str], list[str]]:
        """Limit cues said after the value ("以内", "以上")."""
        return compile_named({"max": self.bounds.get("max_after", ()), "min": self.bounds.get("min_after", ())})

    @cached_property
    def competitor_re(self) -> re.Pattern[str]:
        return compile_phrases(self.competitor)

    @cached_property
    def switching_re(self) -> re.Pattern[str]:
        return compile_phrases(self.switching)

    @cached_property
    def ours_re(self) -> re.Pattern[str]:
        return compile_phrases(self.ours)

    @cached_property
    def money_cue_re(self) -> re.Pattern[str]:
        return compile_phrases(self.money_cues)

    @cached_property
    def hardening_re(self) -> re.Pattern[str]:
        return compile_phrases(self.hardening)

    @cached_property
    def angle_re(self) -> re.Pattern[str]:
        return compile_phrases(self.angles)

    @cached_property
    def replace_re(self) -> re.Pattern[str]:
        return compile_phrases(self.replace)

    @cached_property
    def spelled_re(self) -> tuple[tuple[re.Pattern[str], str], ...]:
        """Spelled units with letters heard as sounds: "h二c" → HRC, "二c" → RC (one letter at least is real).

        A unit whose first letter is heard as a sound never starts right after a numeral ("四十二c" is 42C…).
        """
        out = []
        for unit in sorted(self.spelled_units, key=len, reverse=True):
            sounds = [self.letter_sounds.get(ch.lower(), ()) for ch in unit]
            if len(unit) < 2 or not any(sounds):
                continue
            options = [f"[{ch.lower()}{ch.upper()}{''.join(heard)}]" for ch, heard in zip(unit, sounds, strict=True)]
            real = "".join(ch.lower() + ch.upper() for ch in unit)
            first = f"(?:[{unit[0].lower()}{unit[0].upper()}]|(?<![\\d{_NUMERALS}])[{''.join(sounds[0])}])"
            if not sounds[0]:
                first = options[0]
            regex = rf"(?<![A-Za-z])(?=[^\W\d_]{{0,{len(unit) - 1}}}[{real}])" + first + "".join(options[1:])
            regex += "(?![A-Za-z])"  # "二cr13" is 2Cr13, not RC + r
            out.append((re.compile(regex), unit))
        return tuple(out)

    def boundaries(self, text: str, particles: bool = False) -> list[int]:
        """Clause starts in text (0 first): after punctuation, before joins, after particles if asked."""
        cuts = {0}
        cuts.update(i + 1 for i, ch in enumerate(text) if ch in _PUNCTUATION and not _in_number(text, i))
        cuts.update(m.start() for m in self.join_re.finditer(text))
        if particles:
            cuts.update(i + 1 for i, ch in enumerate(text) if ch in self.particles)
        return sorted(cuts)

    @classmethod
    def from_data(cls, data: Any) -> Grammar:
        """Validate the grammar YAML document; raise GrammarError naming the bad path."""
        if not isinstance(data, dict):
            raise GrammarError("grammar: expected a mapping")
        neg = _mapping(data, "negation")
        bounds = _mapping(data, "bounds")
        comp = _mapping(data, "competitor")
        money = _mapping(data, "money")
        sounds = _mapping(data, "letter_sounds")
        contexts = _mapping(data, "contexts")
        grammar = cls(
            joins=_strings(data, "joins"),
            particles=_strings(data, "particles"),
            negation=Negation(
                before=_strings(neg, "before", "negation"),
                after=_strings(neg, "after", "negation"),
                after_values=_strings(neg, "after_values", "negation"),
                bare=_strings(neg, "bare", "negation"),
                exceptions=_strings(neg, "except", "negation"),
                verbs=_strings(neg, "verbs", "negation"),
                objects=_strings(neg, "objects", "negation"),
                reach=_int(neg, "reach", 8, "negation"),
                reach_ahead=_int(neg, "reach_ahead", 4, "negation"),
                bare_reach=_int(neg, "bare_reach", 1, "negation"),
            ),
            bounds={k: _strings(bounds, k, "bounds") for k in ("max_before", "max_after", "min_before", "min_after")},
            competitor=_strings(comp, "phrases", "competitor"),
            competitor_takes=_strings(comp, "takes", "competitor"),
            switching=_strings(comp, "switching", "competitor"),
            competitor_reach=_int(comp, "reach", 8, "competitor"),
            ours=_strings(comp, "ours", "competitor"),
            money_cues=_strings(money, "cues", "money"),
            money_units=_strings(money, "units", "money"),
            hardening=_strings(data, "hardening"),
            angles=_strings(data, "angles"),
            letter_sounds={str(k): _strings(sounds, k, "letter_sounds") for k in sounds},
            spelled_units=_strings(data, "spelled_units"),
            replace=_strings(data, "replace"),
            contexts={k: _strings(contexts, k, "contexts") for k in contexts},
        )
        for path, phrases in _all_phrases(grammar):
            for phrase in phrases:
                try:
                    phrase_regex(phrase)
                except PhraseError as exc:
                    raise GrammarError(f"{path}: {exc}") from None
        return grammar


def _all_phrases(grammar: Grammar) -> list[tuple[str, tuple[str, ...]]]:
    neg = grammar.negation
    return [
        ("joins", grammar.joins),
        ("negation.before", neg.before),
        ("negation.after", neg.after),
        ("negation.after_values", neg.after_values),
        ("negation.except", neg.exceptions),
        ("competitor.phrases", grammar.competitor),
        ("competitor.switching", grammar.switching),
        ("money.cues", grammar.money_cues),
        *((f"bounds.{k}", v) for k, v in grammar.bounds.items()),
    ]


def _in_number(text: str, i: int) -> bool:
    """A "." or "," between digits is part of a number (0.4, 1,000), not punctuation."""
    return 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit()


def _mapping(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise GrammarError(f"{key}: expected a mapping")
    return value


def _strings(data: dict[str, Any], key: str, parent: str = "") -> tuple[str, ...]:
    path = f"{parent}.{key}" if parent else str(key)
    items = data.get(key) or []
    if not isinstance(items, list):
        raise GrammarError(f"{path}: expected a list")
    for i, item in enumerate(items):
        if not isinstance(item, str | int) or not str(item).strip():
            raise GrammarError(f"{path}[{i}]: expected a non-empty string")
    return tuple(str(item).strip() for item in items)


def _int(data: dict[str, Any], key: str, default: int, parent: str) -> int:
    value = data.get(key, default)
    if not isinstance(value, int) or value < 0:
        raise GrammarError(f"{parent}.{key}: expected a non-negative integer")
    return value
