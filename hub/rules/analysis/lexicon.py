"""The domain lexicon: fuzzy terms, signal phrases and material grades, validated from plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from hub.rules.analysis.fuzzy import Confusions, FuzzyIndex
from hub.rules.analysis.grammar import Grammar, GrammarError
from hub.rules.analysis.materials import Grade, GradeFinder
from hub.rules.analysis.phrases import PhraseError, expand, is_pattern, phrase_regex


class LexiconError(ValueError):
    """Lexicon data is malformed; the message names the path of the bad entry."""


@dataclass(frozen=True, eq=False)
class Lexicon:
    """Everything note analysis knows about the domain's words."""

    terms: tuple[str, ...] = ()
    signals: dict[str, tuple[str, ...]] = field(default_factory=dict)
    grades: tuple[Grade, ...] = ()
    variants: dict[str, str] = field(default_factory=dict)
    protect: tuple[str, ...] = ()
    confusions: Confusions = field(default_factory=Confusions)
    grammar: Grammar = field(default_factory=Grammar)

    @cached_property
    def fuzzy(self) -> FuzzyIndex:
        """Index of lexicon terms and plain signal phrases for pinyin correction."""
        phrases = [p for group in self.signals.values() for p in group if not is_pattern(p)]
        spelled = [w for group in self.signals.values() for p in group if is_pattern(p) for w in expand(p)]
        protect = frozenset((*self.protect, *spelled))  # a pattern's words are kept as said, never targets
        return FuzzyIndex((*self.terms, *phrases), self.confusions, self.variants, protect)

    @cached_property
    def grade_finder(self) -> GradeFinder:
        """Alias tables for material grades."""
        return GradeFinder(self.grades)

    @cached_property
    def unhardenable(self) -> frozenset[str]:
        """Grades that quenching cannot harden (austenitic stainless, aluminium, low-carbon steel)."""
        return frozenset(g.grade for g in self.grades if not g.hardenable)

    @classmethod
    def from_data(
        cls, lexicon: dict[str, Any], signals: dict[str, Any], grades: list[Any], grammar: Any = None
    ) -> Lexicon:
        """Build a lexicon from the YAML documents (lexicon, signals, grades and optionally grammar)."""
        if not isinstance(lexicon, dict):
            raise LexiconError("lexicon: expected a mapping")
        conf = lexicon.get("confusions") or {}
        confusions = Confusions(
            initials=_pairs(conf.get("initials", Confusions.initials), "confusions.initials"),
            finals=_pairs(conf.get("finals", Confusions.finals), "confusions.finals"),
            f_h=bool(conf.get("f_h", True)),
        )
        variants = lexicon.get("variants") or {}
        if not isinstance(variants, dict):
            raise LexiconError("lexicon.variants: expected a mapping")
        return cls(
            terms=_strings(lexicon.get("terms") or [], "lexicon.terms"),
            signals=_signals(signals),
            grades=tuple(_grade(g, f"grades[{i}]") for i, g in enumerate(grades or [])),
            variants={str(k): str(v) for k, v in variants.items()},
            protect=_strings(lexicon.get("protect") or [], "lexicon.protect"),
            confusions=confusions,
            grammar=_grammar(grammar),
        )


def _grammar(data: Any) -> Grammar:
    if data is None:
        return Grammar()
    try:
        return Grammar.from_data(data)
    except GrammarError as exc:
        raise LexiconError(f"grammar.{exc}") from None


def _strings(items: Any, path: str) -> tuple[str, ...]:
    if not isinstance(items, list):
        raise LexiconError(f"{path}: expected a list")
    for i, item in enumerate(items):
        if not isinstance(item, str | int) or not str(item).strip():
            raise LexiconError(f"{path}[{i}]: expected a non-empty string")
    return tuple(str(item).strip() for item in items)


def _pairs(items: Any, path: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(items, list | tuple):
        raise LexiconError(f"{path}: expected a list of [from, to] pairs")
    pairs = []
    for i, item in enumerate(items):
        if not isinstance(item, list | tuple) or len(item) != 2:
            raise LexiconError(f"{path}[{i}]: expected [from, to]")
        pairs.append((str(item[0]), str(item[1])))
    return tuple(sorted(pairs, key=lambda p: -len(p[0])))


def _signals(data: Any) -> dict[str, tuple[str, ...]]:
    if not isinstance(data, dict):
        raise LexiconError("signals: expected a mapping of name → phrases")
    out = {str(name): _strings(phrases, f"signals.{name}") for name, phrases in data.items()}
    for name, phrases in out.items():
        for i, phrase in enumerate(phrases):
            try:
                phrase_regex(phrase)
            except PhraseError as exc:
                raise LexiconError(f"signals.{name}[{i}]: {exc}") from None
    return out


def _grade(data: Any, path: str) -> Grade:
    if not isinstance(data, dict) or not data.get("grade"):
        raise LexiconError(f"{path}.grade: required")
    numeric = data.get("numeric") or {}
    if not isinstance(numeric, dict):
        raise LexiconError(f"{path}.numeric: expected a mapping")
    return Grade(
        grade=str(data["grade"]),
        aliases=_strings(data.get("aliases") or [], f"{path}.aliases"),
        digits=str(numeric["digits"]) if numeric.get("digits") else None,
        suffixes=_strings(numeric.get("suffixes") or [], f"{path}.numeric.suffixes"),
        hardenable=bool(data.get("hardenable", True)),
    )
