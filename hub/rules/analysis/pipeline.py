"""Analyze one note: normalize, correct, extract params and signals, look them up in the library."""

from __future__ import annotations

from typing import Any

from hub.rules.analysis.fuzzy import Correction
from hub.rules.analysis.lexicon import Lexicon
from hub.rules.analysis.library import Library, lookup_params
from hub.rules.analysis.model import Analysis, Lookup, Notice, Param
from hub.rules.analysis.normalize import MAX_CHARS, normalize_text
from hub.rules.analysis.params import find_params
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
    normalized, truncated = normalize_text(text)
    if truncated:
        notices.append(Notice("input", f"文本过长，只分析了前{MAX_CHARS}个字符"))
    if not normalized and not notices:
        notices.append(Notice("input", "文本中没有可分析的文字"))
    normalized, corrections = lexicon.fuzzy.correct(normalized)
    notices += [_correction_notice(c) for c in corrections]
    materials = lexicon.grade_finder.find(normalized)
    notices += [_correction_notice(c, "识别为牌号") for _, c in materials if c is not None]
    found: list[Param] = [p for p, _ in materials]
    found += find_params(normalized, [p.span for p in found])
    params = tuple(sorted(found, key=lambda p: p.span))
    signals = tuple(find_signals(normalized, lexicon.signals))
    lookups: tuple[Lookup, ...] = ()
    if library is not None:
        links, feasibility = lookup_params(params, library)
        lookups = tuple(links)
        notices += feasibility
    return Analysis(normalized, params, signals, lookups, tuple(notices))
