"""Params read from context: hardness after 淬火/调质, money after 预算, angles that are no temperature, nominals."""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache

from hub.rules.analysis.grammar import Grammar
from hub.rules.analysis.model import Param
from hub.rules.analysis.params import LENGTH_UNITS, NOT_A_UNIT, NUM, SEP, Extractor, _alt, _number

_FILL = "[到至要达做在是为得后以之了的硬度表面心部淬火回整体都需能可再大概约一般左右温在为搞弄个]{0,6}"
_MONEY_MULT = {"万": 10000.0, "千": 1000.0}
_CLAUSE_END = "，。；,;!?！？"
_OTHER_QUANTITY = "度硬温压径孔长厚深号码"
_LATIN = re.compile(r"[A-Za-z]+")


def _span(match: re.Match[str], text: str) -> tuple[tuple[int, int], str]:
    span = (match.start("lo"), match.end())
    return span, text[span[0] : span[1]]


def _context_hardness(match: re.Match[str], text: str) -> Param | None:
    """A bare number after 淬火/热处理: HRC up to 70 (度 or not)."""
    value = _number(match)
    low, high = (value, value) if not isinstance(value, tuple) else value
    span, said = _span(match, text)
    return Param("hardness", value, said, span, scale="HRC") if low >= 15 and high <= 70 else None


def _brinell(match: re.Match[str], text: str) -> Param | None:
    """A bare number from 100 after 调质 is a Brinell hardness."""
    value = _number(match)
    low, high = (value, value) if not isinstance(value, tuple) else value
    span, said = _span(match, text)
    return Param("hardness", value, said, span, scale="HB") if low >= 100 and high <= 700 else None


def _heat(match: re.Match[str], text: str) -> Param | None:
    """A bare number from 100 after 淬火/回火/加热 is the furnace temperature (淬火840, 回火560)."""
    value = _number(match)
    low, high = (value, value) if not isinstance(value, tuple) else value
    span, said = _span(match, text)
    return Param("temperature", value, said, span, unit="°C") if low >= 100 and high <= 1300 else None


def _topic_hardness(match: re.Match[str], text: str) -> Param | None:
    """A number closing a clause about 硬度: HRC up to 70; a small 度 there is hardness points, never °C."""
    found = _context_hardness(match, text)
    if found is None and match.group("deg"):
        return Param("", 0.0, match.group(0), (match.start("lo"), match.end()))  # 硬度差3度
    return found


def _topic_temperature(match: re.Match[str], text: str) -> Param | None:
    """A number closing a clause about 温度 (温度不用那么高820就行)."""
    span, said = _span(match, text)
    return Param("temperature", _number(match), said, span, unit="°C")


def _dimension(match: re.Match[str], text: str) -> Param | None:
    """A bare number after 直径/内孔/长度 is millimetres."""
    span, said = _span(match, text)
    return Param("length", _number(match), said, span, unit="mm")


def _angle(match: re.Match[str], text: str) -> Param | None:
    return Param("", 0.0, match.group(0), match.span())


class _Money:
    """Money: a number before 块/元/万块, or a bare one after 预算/价格/单价 in the same clause."""

    def __init__(self, cues: re.Pattern[str]) -> None:
        self.cues = cues

    def __call__(self, match: re.Match[str], text: str) -> Param | None:
        unit = match.group("unit") or ""
        factor = next((f for m, f in _MONEY_MULT.items() if unit.startswith(m)), 1.0)
        value = _number(match, factor)
        if (value[0] if isinstance(value, tuple) else value) <= 0:
            return None
        start = match.start()
        if not unit and not self._cued(text, start) and not _round_sum(value, text[match.end() : match.end() + 2]):
            return None
        return Param("money", value, text[start : match.end()], (start, match.end()), unit="CNY")

    def _cued(self, text: str, start: int) -> bool:
        """A money cue earlier in the clause, with no other quantity's word in between ("报价…硬度45" is no price)."""
        head = text[max(0, start - 24) : start]
        cut = max(head.rfind(ch) for ch in _CLAUSE_END + _OTHER_QUANTITY)
        cut = max(cut, max((m.end() - 1 for m in _LATIN.finditer(head)), default=-1))
        return self.cues.search(head[cut + 1 :]) is not None


def _round_sum(value: float | tuple[float, float], after: str) -> bool:
    """ "十万以内", "三万左右": a round sum of ten thousand or more said as a limit or estimate is money."""
    low = value[0] if isinstance(value, tuple) else value
    return low >= 10000 and low % 1000 == 0 and after in ("以内", "之内", "左右", "上下", "以下", "封顶")


def _topic(words: re.Pattern[str], number: str) -> re.Pattern[str]:
    gap = r"[^\d，。；,;!?！？A-Za-z]{0,10}?"
    done = r"(?=就行|就可以|就够|即可|左右|上下|以上|以下|以内|$|[，。；,;吧啊呀呢嘛哈])"
    return re.compile(rf"(?:{words.pattern}){gap}{number}(?P<deg>度)?{done}")


def _after(words: re.Pattern[str], number: str, tail: str) -> re.Pattern[str]:
    return re.compile(rf"(?:{words.pattern}){_FILL}{number}{tail}")


@lru_cache(maxsize=8)
def _patterns(grammar: Grammar) -> tuple[tuple[Extractor, ...], tuple[Extractor, ...]]:
    number = rf"(?<![\d.])(?P<lo>{NUM})(?:{SEP}(?P<hi>{NUM}))?"
    bare = rf"(?!\d)(?!(?:{SEP})\d){NOT_A_UNIT}"
    angle = re.compile(rf"(?:{grammar.angle_re.pattern}).{{0,4}}?(?<![\d.]){NUM}度")
    units = _alt(tuple(grammar.money_units)) or r"(?!x)x"
    money = re.compile(rf"(?<![\d.])(?P<lo>{NUM})(?:(?:{units})?{SEP}(?P<hi>{NUM}))?(?:(?P<unit>{units})|{bare})")
    first: tuple[Extractor, ...] = (
        (angle, _angle),
        (_after(grammar.hardening_re, number, rf"(?:度)?{bare}"), _context_hardness),
        (_after(grammar.context_re("brinell"), number, bare), _brinell),
        (_after(grammar.context_re("heat"), number, bare), _heat),
        (_topic(grammar.context_re("hardness"), number), _topic_hardness),
        (_topic(grammar.context_re("temperature"), number), _topic_temperature),
    )
    last: tuple[Extractor, ...] = (
        (_after(grammar.context_re("dimensions"), number, bare), _dimension),
        (money, _Money(grammar.money_cue_re)),
    )
    return first, last


def context_extractors(grammar: Grammar) -> tuple[tuple[Extractor, ...], tuple[Extractor, ...]]:
    """Extractors to run before the fixed ones (angles, scales from context) and after them (sizes, money)."""
    return _patterns(grammar)


_NOMINAL = re.compile(rf"(?<![\d.])(?P<num>{NUM})(?P<unit>{_alt(LENGTH_UNITS)})?的?(?:公差)?$")


def _unitless(param: Param) -> bool:
    return not any(unit in param.text for unit in LENGTH_UNITS)


def join_nominals(params: list[Param], text: str) -> list[Param]:
    """Keep a tolerance with the nominal value said just before it ("内孔30正负0.01" → 30 mm ± 0.01)."""
    out = sorted(params, key=lambda p: p.span)
    for i, tol in enumerate(out):
        if tol.tolerance is not True or not isinstance(tol.value, tuple):
            continue
        before = out[i - 1] if i else None
        adjacent = before is not None and before.span[1] == tol.span[0] and not before.tolerance
        if adjacent and before is not None and before.kind in ("hardness", "temperature") and _unitless(tol):
            out[i - 1] = replace(before, kind="")  # "HRC55正负2": ±2 on the hardness scale
            span = (before.span[0], tol.span[1])
            out[i] = replace(before, text=text[span[0] : span[1]], span=span, tolerance=tol.value)
            continue
        if adjacent and before is not None and before.kind == "length":
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
