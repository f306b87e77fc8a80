"""Params read from context: hardness after 淬火/调质, money after 预算, angles that are no temperature, nominals."""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache

from hub.rules.analysis.grammar import Grammar
from hub.rules.analysis.model import Param
from hub.rules.analysis.params import LENGTH_UNITS, NOT_A_UNIT, NUM, SEP, Extractor, _alt, _number

_HARD_FILL = "[到至要达做在是为得后以了的硬度表面心部淬火回整体都需能可再]{0,6}"
_MONEY_MULT = {"万": 10000.0, "千": 1000.0}


def _context_hardness(match: re.Match[str], text: str) -> Param | None:
    value = _number(match)
    low, high = (value, value) if not isinstance(value, tuple) else value
    span = (match.start("lo"), match.end())
    if low >= 15 and high <= 70:
        return Param("hardness", value, text[span[0] : span[1]], span, scale="HRC")
    if low >= 100 and high <= 700 and not match.group("deg"):
        return Param("hardness", value, text[span[0] : span[1]], span, scale="HB")
    return None


def _angle(match: re.Match[str], text: str) -> Param | None:
    return Param("", 0.0, match.group(0), match.span())


def _money(match: re.Match[str], text: str) -> Param | None:
    unit = match.group("unit") or ""
    factor = next((f for m, f in _MONEY_MULT.items() if unit.startswith(m)), 1.0)
    value = _number(match, factor)
    low = value[0] if isinstance(value, tuple) else value
    if low <= 0:
        return None
    if not unit and not match.group("cue"):
        return None
    start = match.start("lo")
    return Param("money", value, text[start : match.end()], (start, match.end()), unit="CNY")


@lru_cache(maxsize=8)
def _patterns(grammar: Grammar) -> tuple[tuple[Extractor, ...], tuple[Extractor, ...]]:
    number = rf"(?<![\d.])(?P<lo>{NUM})(?:{SEP}(?P<hi>{NUM}))?"
    no_range = rf"(?!(?:{SEP})\d)"
    hardening = re.compile(
        rf"(?:{grammar.hardening_re.pattern}){_HARD_FILL}{number}(?P<deg>度)?(?!\d){no_range}{NOT_A_UNIT}"
    )
    angle = re.compile(rf"(?:{grammar.angle_re.pattern}).{{0,4}}?(?<![\d.]){NUM}度")
    units = _alt(tuple(grammar.money_units)) or r"(?!x)x"
    cue = rf"(?P<cue>(?:{grammar.money_cue_re.pattern})[^，。；,;\d]{{0,8}}?)"
    money = re.compile(
        rf"{cue}?(?<![\d.])(?P<lo>{NUM})(?:(?:{units})?{SEP}(?P<hi>{NUM}))?"
        rf"(?:(?P<unit>{units})|(?!\d){no_range}{NOT_A_UNIT})"
    )
    return ((angle, _angle), (hardening, _context_hardness)), ((money, _money),)


def context_extractors(grammar: Grammar) -> tuple[tuple[Extractor, ...], tuple[Extractor, ...]]:
    """Extractors to run before the fixed ones (angles, hardness from context) and after them (money)."""
    return _patterns(grammar)


_NOMINAL = re.compile(rf"(?<![\d.])(?P<num>{NUM})(?P<unit>{_alt(LENGTH_UNITS)})?的?(?:公差)?$")


def join_nominals(params: list[Param], text: str) -> list[Param]:
    """Keep a tolerance with the nominal value said just before it ("内孔30正负0.01" → 30 mm ± 0.01)."""
    out = sorted(params, key=lambda p: p.span)
    for i, tol in enumerate(out):
        if tol.tolerance is not True or not isinstance(tol.value, tuple):
            continue
        before = out[i - 1] if i else None
        if before is not None and before.kind == "length" and before.span[1] == tol.span[0] and not before.tolerance:
            nominal, start = before.value, before.span[0]
        else:
            match = _NOMINAL.search(text, max(0, tol.span[0] - 12), tol.span[0])
            if match is None or (before is not None and before.span[1] > match.start()):
                continue
            factor = LENGTH_UNITS.get(match.group("unit") or "毫米", 1.0)
            nominal, start, before = round(float(match.group("num")) * factor, 4), match.start(), None
        span = (start, tol.span[1])
        joined = replace(tol, value=nominal, text=text[span[0] : span[1]], span=span, tolerance=tol.value)
        out[i] = joined
        if before is not None:
            out[i - 1] = replace(before, kind="")
    return [p for p in out if p.kind]
