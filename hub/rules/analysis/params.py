"""Extract numeric process parameters (hardness, temperature, length, roughness, pressure, duration)."""

from __future__ import annotations

import re
from collections.abc import Callable

from hub.rules.analysis.model import Param, Span

NUM = r"\d+(?:\.\d+)?"
SEP = r"(?:到|至|~|～|—|-)"
_LIMITS = "不超过|不得超过|不能超过|不要超过|别超过|不高于|不低于|不大于|不小于|不少于|" + (
    "最多|最少|最高|最低|顶多|低于|高于|超过|不高|不严"
)
_FILL_CHARS = "要求达到做在是为得须需能有大概差不多控制至少最好一般起码值的了都就还只以上下左右搞弄整话呢啊嘛:："
FILLER = rf"(?:{_LIMITS}|[{_FILL_CHARS}]){{0,6}}"
SCALES = r"HRC|HRB|HRA|HBW|HB|HV"
_SCALE_ALIAS = {"RC": "HRC", "HC": "HRC", "HR": "HRC", "HBW": "HB"}
_HARDNESS_NAMES = {"洛氏硬度": "HRC", "洛氏": "HRC", "布氏硬度": "HB", "布氏": "HB", "维氏硬度": "HV", "维氏": "HV"}
_HARDNESS_LIMITS = {"HRC": (10, 75), "HRB": (20, 110), "HRA": (50, 95), "HB": (50, 700), "HV": (50, 1500)}
LENGTH_UNITS = {
    "毫米": 1.0,
    "mm": 1.0,
    "个丝": 0.01,
    "丝": 0.01,
    "微米": 0.001,
    "μm": 0.001,
    "公分": 10.0,
    "厘米": 10.0,
    "cm": 10.0,
    "米": 1000.0,
}
PRESSURE_UNITS = {
    "MPa": 1.0,
    "兆帕": 1.0,
    "bar": 0.1,
    "个兆": 1.0,
    "兆": 1.0,
    "巴": 0.1,
    "个公斤": 0.0980665,
    "公斤力": 0.0980665,
    "公斤": 0.0980665,
    "kgf": 0.0980665,
    "kg": 0.0980665,
    "个大气压": 0.101325,
    "大气压": 0.101325,
    "个压": 0.0980665,
}
_PRESSURE_SURE = ("MPa", "兆帕", "bar")
HOUR_UNITS = {"个小时": 1.0, "小时": 1.0, "个钟头": 1.0, "钟头": 1.0, "个钟": 1.0, "分钟": 1 / 60, "h": 1.0}
HOUR_UNITS |= {"秒钟": 1 / 3600, "秒": 1 / 3600, "H": 1.0}
HOUR_UNITS |= {"个多" + u.removeprefix("个"): f for u, f in HOUR_UNITS.items() if u.startswith("个")}


def _alt(units: dict[str, float] | tuple[str, ...]) -> str:
    return "|".join(re.escape(u) for u in sorted(units, key=len, reverse=True))


def _values(unit: str = "", prefix: str = "") -> str:
    repeat_unit = f"(?:{unit})?" if unit else ""
    repeat_prefix = f"(?:{prefix})?" if prefix else ""
    return rf"(?<![\d.])(?P<lo>{NUM})(?:{repeat_unit}{SEP}{repeat_prefix}(?P<hi>{NUM}))?(?!\d)"


_HARD_SCALE_FIRST = re.compile(rf"(?<![A-Za-z])(?P<scale>{SCALES}|RC|HC|HR)(?:硬度)?{FILLER}{_values('', SCALES)}度?")
_HARD_SCALE_AFTER = re.compile(rf"{_values(SCALES)}(?P<scale>{SCALES})(?![A-Za-z])")
_HARD_NAMED = re.compile(
    rf"(?P<name>{_alt(tuple(_HARDNESS_NAMES))}|硬度){FILLER}(?:(?P<scale>{SCALES}))?{_values('度', SCALES)}度?"
)
_ROUGHNESS = re.compile(rf"(?:(?<![A-Za-z])Ra|粗糙度|光洁度){FILLER}(?:Ra)?{_values()}(?:微米|μm|um)?")
_TOLERANCE = re.compile(
    rf"(?P<ctx>公差|正负|±|加减){FILLER}(?P<pm>正负|±|加减)?{_values(_alt(LENGTH_UNITS))}(?P<unit>{_alt(LENGTH_UNITS)})?"
)
_PRESSURE = re.compile(rf"{_values(_alt(PRESSURE_UNITS))}个?(?P<unit>{_alt(PRESSURE_UNITS)})(?![A-Za-z])")
_DURATION = re.compile(rf"{_values(_alt(HOUR_UNITS))}(?P<unit>{_alt(HOUR_UNITS)})(?![A-Za-z])")
_TEMP_UNIT = "摄氏度|度|°C|℃|°"
_BELOW_ZERO = r"(?P<neg>零下|(?<!正)负|(?<![\d.])-)?"
_TEMPERATURE = re.compile(rf"{_BELOW_ZERO}{_values(_TEMP_UNIT)}(?:{_TEMP_UNIT})(?![角])")
_TEMPERATURE_NAMED = re.compile(rf"温度{FILLER}{_BELOW_ZERO}{_values(_TEMP_UNIT)}(?:{_TEMP_UNIT})?")
_FORM = "平面度|圆度|同轴度|垂直度|平行度|直线度|圆柱度|位置度|对称度|圆跳动|跳动|平整度"
_FORM_TOLERANCE = re.compile(rf"(?:{_FORM}){FILLER}{_values(_alt(LENGTH_UNITS))}个?(?P<unit>{_alt(LENGTH_UNITS)})?")
_LENGTH = re.compile(rf"{_values(_alt(LENGTH_UNITS))}个?(?P<unit>{_alt(LENGTH_UNITS)})(?![A-Za-z])")
# What may follow a bare number read from context (hardness after 淬火, money after 预算): no other unit.
NOT_A_UNIT = (
    r"(?![\d.]|[A-Za-z%°℃]|个|毫|厘|微|米|丝|小时|分钟|钟|公|兆|巴|度|摄|天|周|月|年|号|点|件|台|套|根|吨|次|倍|成|人|家|块|元|万"
    r"|千|批|批次|秒|条|只|把|片|张|吨|#)"
)


def _number(match: re.Match[str], factor: float = 1.0) -> float | tuple[float, float]:
    low = float(match.group("lo")) * factor
    if match.group("hi") is None:
        return round(low, 4)
    high = float(match.group("hi")) * factor
    return (round(min(low, high), 4), round(max(low, high), 4))


class _Claims:
    """Spans already used by a parameter, so one number never yields two."""

    def __init__(self, spans: list[Span]) -> None:
        self.spans = list(spans)

    def take(self, span: Span) -> bool:
        if any(s < span[1] and span[0] < e for s, e in self.spans):
            return False
        self.spans.append(span)
        return True


Builder = Callable[[re.Match[str], str], Param | None]


def _hardness(match: re.Match[str], text: str) -> Param | None:
    groups = match.groupdict()
    scale = groups.get("scale") or _HARDNESS_NAMES.get(groups.get("name") or "")
    value = _number(match)
    high = value[1] if isinstance(value, tuple) else value
    if not scale:
        scale = "HRC" if high <= 70 else "HB"
    scale = _SCALE_ALIAS.get(scale, scale)
    low_limit, high_limit = _HARDNESS_LIMITS[scale]
    low = value[0] if isinstance(value, tuple) else value
    if low < low_limit or high > high_limit:
        return None
    return Param("hardness", value, match.group(0), match.span(), scale=scale)


def _roughness(match: re.Match[str], text: str) -> Param | None:
    value = _number(match)
    high = value[1] if isinstance(value, tuple) else value
    return Param("roughness", value, match.group(0), match.span(), unit="Ra μm") if 0 < high <= 100 else None


def _tolerance(match: re.Match[str], text: str) -> Param | None:
    value = _number(match, LENGTH_UNITS.get(match.group("unit") or "毫米", 1.0))
    symmetric = match.group("ctx") != "公差" or match.group("pm") is not None
    if symmetric and not isinstance(value, tuple):
        value = (-value, value)
    return Param("length", value, match.group(0), match.span(), unit="mm", tolerance=True)


def _pressure(match: re.Match[str], text: str) -> Param | None:
    unit = match.group("unit")
    if unit not in _PRESSURE_SURE:
        start, end = match.span()
        if "压" not in text[max(0, start - 10) : start] and not text.startswith("压", end):
            return None
        if "重" in text[max(0, start - 6) : start]:  # "单重不超过20公斤" is a weight
            return None
    return Param("pressure", _number(match, PRESSURE_UNITS[unit]), match.group(0), match.span(), unit="MPa")


def _duration(match: re.Match[str], text: str) -> Param | None:
    factor = HOUR_UNITS[match.group("unit")]
    return Param("duration", _number(match, factor), match.group(0), match.span(), unit="h")


def _temperature(match: re.Match[str], text: str) -> Param | None:
    value = _number(match)
    if match.group("neg"):
        value = -value if not isinstance(value, tuple) else (-value[0], value[1])
        value = value if not isinstance(value, tuple) else (min(value), max(value))
    return Param("temperature", value, match.group(0), match.span(), unit="°C")


def _length(match: re.Match[str], text: str) -> Param | None:
    factor = LENGTH_UNITS[match.group("unit") or "毫米"]
    return Param("length", _number(match, factor), match.group(0), match.span(), unit="mm")


_EXTRACTORS: tuple[tuple[re.Pattern[str], Builder], ...] = (
    (_HARD_SCALE_FIRST, _hardness),
    (_HARD_SCALE_AFTER, _hardness),
    (_HARD_NAMED, _hardness),
    (_ROUGHNESS, _roughness),
    (_TOLERANCE, _tolerance),
    (_PRESSURE, _pressure),
    (_DURATION, _duration),
    (_TEMPERATURE_NAMED, _temperature),
    (_TEMPERATURE, _temperature),
    (_FORM_TOLERANCE, _length),
    (_LENGTH, _length),
)


Extractor = tuple[re.Pattern[str], Builder]


def find_params(
    text: str, taken: list[Span], first: tuple[Extractor, ...] = (), last: tuple[Extractor, ...] = ()
) -> list[Param]:
    """Return numeric parameters in text, skipping spans already taken (material grades).

    `first` runs before the fixed extractors (context that changes a reading), `last` after them (fallbacks).
    A builder that returns a param of kind "" claims its span without reporting it (an angle is no temperature).
    """
    claims = _Claims(taken)
    found = []
    for pattern, build in (*first, *_EXTRACTORS, *last):
        for match in pattern.finditer(text):
            param = build(match, text)
            if param is not None and claims.take(param.span) and param.kind:
                found.append(param)
    return found
