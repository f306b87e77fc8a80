"""Analyze one note: normalize, correct, extract params and signals, look them up in the library."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hub.rules.analysis.context_params import context_extractors, join_nominals
from hub.rules.analysis.fuzzy import Correction
from hub.rules.analysis.grammar import Grammar
from hub.rules.analysis.lexicon import Lexicon
from hub.rules.analysis.library import Library
from hub.rules.analysis.lookups import lookup_params
from hub.rules.analysis.model import Analysis, Lookup, Notice, Param, Signal
from hub.rules.analysis.normalize import MAX_CHARS, normalize_text
from hub.rules.analysis.params import find_params
from hub.rules.analysis.reading import bound_of, competitor_scopes, negated_items, replacements
from hub.rules.analysis.signals import find_signals


def _correction_notice(correction: Correction, how: str = "按读音纠正为") -> Notice:
    text = f"已将“{correction.source}”{how}“{correction.target}”"
    return Notice("correction", text, correction.span, source=correction.source, target=correction.target)


def _input_notices(text: Any) -> list[Notice]:
    if not isinstance(text, str):
        return [Notice("input", f"文本应为字符串，收到 {type(text).__name__}")]
    if not text.strip():
        return [Notice("input", "文本为空")]
    return []


def analyze(text: Any, lexicon: Lexicon, library: Library | None = None) -> Analysis:
    """Derive normalized text, params, signals, lookups and warnings from raw recognizer text."""
    notices = _input_notices(text)
    if notices and not isinstance(text, str):
        return Analysis(normalized="", warnings=tuple(notices))
    grammar = lexicon.grammar
    normalized, truncated = normalize_text(text, grammar.spelled_re)
    if truncated:
        notices.append(Notice("input", f"文本过长，只分析了前{MAX_CHARS}个字符"))
    if not normalized and not notices:
        notices.append(Notice("input", "文本中没有可分析的文字"))
    normalized, corrections = lexicon.fuzzy.correct(normalized)
    notices += [_correction_notice(c) for c in corrections]
    materials = lexicon.grade_finder.find(normalized)
    notices += [_correction_notice(c, "识别为牌号") for _, c in materials if c is not None]
    found: list[Param] = [p for p, _ in materials]
    first, last = context_extractors(grammar)
    found += find_params(normalized, [p.span for p in found], first, last)
    params, signals = read_meaning(normalized, grammar, join_nominals(found, normalized), lexicon.signals)
    lookups: tuple[Lookup, ...] = ()
    if library is not None:
        links, feasibility = lookup_params(params, library, lexicon.unhardenable)
        lookups = tuple(links)
        notices += feasibility
    return Analysis(normalized, tuple(params), tuple(signals), lookups, tuple(notices))


def read_meaning(
    text: str, grammar: Grammar, found: list[Param], phrases: dict[str, tuple[str, ...]]
) -> tuple[list[Param], list[Signal]]:
    """Mark what was declined, withdrawn or limited, and drop the signals that are a competitor's."""
    mentions, scopes = competitor_scopes(text, grammar)
    signals = [
        s
        for s in find_signals(text, phrases)
        if not (s.name in grammar.competitor_takes and any(a <= s.span[0] < b for a, b in scopes))
        and not any(m.span[0] <= s.span[0] and s.span[1] <= m.span[1] for m in mentions)
    ]
    signals = sorted(signals + mentions, key=lambda s: s.span)
    params = sorted(found, key=lambda p: p.span)
    spans = [p.span for p in params] + [s.span for s in signals]
    facts = frozenset(len(params) + i for i, s in enumerate(signals) if s.name == "competitor")  # said, not asked
    negated = negated_items(text, grammar, spans, values=len(params), skip=facts)
    params = [replace(p, negated=True) if i in negated else p for i, p in enumerate(params)]
    signals = [replace(s, negated=True) if len(params) + i in negated else s for i, s in enumerate(signals)]
    params = replacements(text, grammar, params)
    bounded = []
    for i, param in enumerate(params):
        bound = bound_of(text, grammar, param, params[i - 1].span[1] if i else 0)
        bounded.append(replace(param, bound=bound) if bound else param)
    if not any(s.name == "budget" for s in signals):
        signals += [Signal("budget", p.text, p.span) for p in bounded if _budget_limit(p, scopes)]
    return bounded, sorted(signals, key=lambda s: s.span)


def _budget_limit(param: Param, competitor: list[tuple[int, int]]) -> bool:
    """A live money limit of our customer's ("十万以内") says a budget even without the word 预算."""
    ours = not any(a <= param.span[0] < b for a, b in competitor)
    return param.kind == "money" and param.bound == "max" and not param.negated and ours
