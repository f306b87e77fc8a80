"""Convert spoken Chinese numerals in recognizer text to Arabic digits, leaving idioms and ordinary words alone."""

from __future__ import annotations

import re

DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "幺": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
UNITS = {"十": 10, "百": 100, "千": 1000}
_DIGIT_CLASS = "零〇一幺二两三四五六七八九"
_RUN = re.compile(rf"[{_DIGIT_CLASS}十百千万]+(?:点[{_DIGIT_CLASS}]+)?")

IDIOMS = (
    "一一",
    "万一",
    "千万",
    "一下",
    "一些",
    "一样",
    "一定",
    "一起",
    "一般",
    "一直",
    "一边",
    "一点儿",
    "一会",
    "一度",
    "统一",
    "唯一",
    "一五一十",
    "三三两两",
    "七七八八",
    "乱七八糟",
    "七上八下",
    "七嘴八舌",
    "十全十美",
    "五花八门",
    "四面八方",
    "一半",
    "十分(?!钟)",
    "一旦",
    "一切",
    "一共",
    "万万",
    "九九",
    "百分百",
    "不三不四",
    "一来",
    "零下",
    "零件",
    "零部件",
    "零头",
    "零售",
    "零星",
    "零散",
    "零碎",
)

# Words after a lone numeral that make it a quantity worth converting ("两个小时", "一号车间", "正负两丝").
_SINGLE_UNITS = (
    "个半",
    "个小时",
    "个钟头",
    "个钟",
    "个多",
    "个丝",
    "个公斤",
    "个兆",
    "个压",
    "个大气压",
    "个月",
    "小时",
    "钟头",
    "分钟",
    "摄氏度",
    "度",
    "丝",
    "毫米",
    "厘米",
    "公分",
    "微米",
    "米",
    "公斤",
    "兆帕",
    "兆",
    "巴",
    "大气压",
    "号",
    "#",
    "天",
    "周",
    "倍",
    "件",
    "台",
    "套",
    "吨",
    "块",
    "万",
    "千",
    "元",
    "到",
    "至",
    "~",
    "秒",
)
# Words after a pair of consecutive digits ("三四个小时") that make it an approximate range.
_RANGE_UNITS = tuple(u for u in _SINGLE_UNITS if u not in ("号", "#", "到", "至", "~"))
_MATERIAL_AFTER = ("号", "#", "钢", "不锈钢", "铝", "模具钢", "材")


_ELEMENTS = frozenset("铬钼锰钛镍钒钨硅")


def _is_latin_or_digit(ch: str) -> bool:
    return (ch.isascii() and ch.isalnum()) or ch in _ELEMENTS


def _digits_only(part: str) -> str:
    return "".join(str(DIGITS[ch]) for ch in part)


def _positional(part: str) -> int | None:
    """Value of a numeral with 十/百/千/万, accepting spoken elision (三百五 = 350, 一万二 = 12000)."""
    total = section = pending = 0
    last_unit = 0
    zero_seen = False
    prev_digit = False
    for ch in part:
        if ch in DIGITS:
            if prev_digit and DIGITS[ch] != 0 and not zero_seen:
                return None
            zero_seen = DIGITS[ch] == 0
            pending = DIGITS[ch]
            prev_digit = True
            continue
        prev_digit = False
        if ch == "万":
            if total:
                return None
            total = (section + pending) * 10000
            section = pending = 0
            last_unit = 10000
            zero_seen = False
            continue
        unit = UNITS[ch]
        if last_unit and unit >= last_unit and last_unit != 10000:
            return None
        if pending == 0 and unit == 10 and not zero_seen:
            pending = 1
        section += pending * unit
        pending = 0
        last_unit = unit
        zero_seen = False
    if pending and last_unit >= 100 and not zero_seen and part[-1] in DIGITS and part[-2] not in DIGITS:
        section += pending * last_unit // 10
    else:
        section += pending
    return total + section


def _value(run: str) -> str | None:
    """Arabic form of one numeral run, or None when it does not read as a number."""
    whole, _, frac = run.partition("点")
    if not whole:
        return None
    if any(ch in UNITS or ch == "万" for ch in whole):
        number = _positional(whole)
        if number is None:
            return None
        text = str(number)
    else:
        text = _digits_only(whole)
    return f"{text}.{_digits_only(frac)}" if frac else text


def _approx_range(run: str, after: str) -> str | None:
    """Read "三四个" / "四五十度" / "四十五六" as ranges: consecutive digits with a unit or a multiplier."""
    tens = re.fullmatch(rf"([{_DIGIT_CLASS}]?)十([{_DIGIT_CLASS}])([{_DIGIT_CLASS}])", run)
    if tens and DIGITS[tens.group(3)] == DIGITS[tens.group(2)] + 1 > 1:  # "四十五六" = 45~46
        base = 10 * (DIGITS[tens.group(1)] if tens.group(1) else 1)
        return f"{base + DIGITS[tens.group(2)]}~{base + DIGITS[tens.group(3)]}"
    if len(run) not in (2, 3, 4) or run[0] not in DIGITS or run[1] not in DIGITS:
        return None
    low, high = DIGITS[run[0]], DIGITS[run[1]]
    if low == 0 or high != low + 1:
        return None
    if len(run) > 2:  # "四五十度", "两三百万"
        mults = [{"十": 10, "百": 100, "千": 1000, "万": 10000}.get(ch) for ch in run[2:]]
        if None in mults or (len(mults) == 2 and mults[1] != 10000):
            return None
        mult = mults[0] * (mults[1] if len(mults) == 2 else 1)  # type: ignore[operator]
        return f"{low * mult}~{high * mult}"
    if after.startswith(_MATERIAL_AFTER) or (after[:1] and _is_latin_or_digit(after[0])):
        return None
    return f"{low}~{high}" if after.startswith(_RANGE_UNITS) else None


_IDIOM = re.compile("|".join(sorted(IDIOMS, key=len, reverse=True)))


def _protected_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _IDIOM.finditer(text)]


def _replacement(text: str, start: int, end: int) -> str | None:
    run = text[start:end]
    before = text[start - 1] if start else ""
    after = text[end : end + 5]
    approx = _approx_range(run, after)
    if approx:
        return approx
    near_code = _is_latin_or_digit(before) or (after[:1] != "" and _is_latin_or_digit(after[0]))
    if len(run) == 1:
        unit_after = after.startswith(_SINGLE_UNITS) or (after[:1] == "个" and after[1:].startswith(_SINGLE_UNITS))
        if near_code or unit_after or before in ("负", "到", "至", "~", "点", "下"):
            return _value(run)
        return None
    value = _value(run)
    if value is None and len(run) > 2 and run[-1] in "一两" and after[:1] in _MEASURES:
        head = _value(run[:-1])  # "一百二一件": 120 a piece
        return None if head is None else head + run[-1]
    return value


_MEASURES = frozenset("件个套根台只吨张条把批支块")


_NUMERAL = f"[{_DIGIT_CLASS}十百千]+"
# "一米八" = 1.8 m, "两米五" = 2.5 m (a digit after 米 with no unit of its own).
_METRE_TAIL = re.compile(rf"({_NUMERAL})米([一二三四五六七八九])(?![{_DIGIT_CLASS}十百千万点个米毫厘公分寸])")
# "10万" = 100000 (digits the recognizer or a typist wrote, with a spoken scale).
_ARABIC_SCALED = re.compile(rf"(?<![\d.])(\d+(?:\.\d+)?)(万|千)(?![{_DIGIT_CLASS}十百千万])")
# "四到五万" = 40000~50000: the scale said once belongs to both ends.
_SCALE = {"百": 100, "千": 1000, "万": 10000}
_SMALL = f"[{_DIGIT_CLASS}十]{{1,3}}"
_SHARED_SCALE = re.compile(rf"(?<![{_DIGIT_CLASS}十百千万\d])({_SMALL})(到|至)({_SMALL})([百千万])")
_PERCENT = re.compile(rf"百分之({_NUMERAL}(?:点[{_DIGIT_CLASS}]+)?)")


def _spoken_composites(text: str) -> str:
    """Rewrite forms the digit runs cannot carry: "一米八" → "1.8米", "百分之十" → "10%", "10万" → "100000"."""

    def metre(m: re.Match[str]) -> str:
        whole = _value(m.group(1))
        return m.group(0) if whole is None else f"{whole}.{DIGITS[m.group(2)]}米"

    def percent(m: re.Match[str]) -> str:
        number = _value(m.group(1))
        return m.group(0) if number is None else f"{number}%"

    def scaled(m: re.Match[str]) -> str:
        value = float(m.group(1)) * {"万": 10000, "千": 1000}[m.group(2)]
        return str(int(value)) if value.is_integer() else str(value)

    def shared_scale(m: re.Match[str]) -> str:
        low, scale = _value(m.group(1)), m.group(4)
        if low is None or not (int(low) < 10 or (scale == "万" and int(low) < 100)):  # "八十到一百" is 80~100
            return m.group(0)
        return f"{int(low) * _SCALE[scale]}{m.group(2)}{m.group(3)}{scale}"

    text = _SHARED_SCALE.sub(shared_scale, text)
    return _ARABIC_SCALED.sub(scaled, _PERCENT.sub(percent, _METRE_TAIL.sub(metre, text)))


def convert_numerals(text: str) -> str:
    """Replace Chinese numeral runs with digits ("四十五" → "45", "零点零二" → "0.02", "两个半小时" → "2.5个小时")."""
    text = _spoken_composites(text)
    protected = _protected_spans(text)
    out: list[str] = []
    last = 0
    for match in _RUN.finditer(text):
        start, end = match.span()
        if any(s < end and start < e for s, e in protected):
            continue
        replacement = _replacement(text, start, end)
        if replacement is None:
            continue
        out.append(text[last:start])
        out.append(replacement)
        last = end
    out.append(text[last:])
    return _half_hours("".join(out))


_HALF_AFTER = re.compile(r"(?<![\d.])(\d+)个半")
_HALF_UNIT = re.compile(r"(?<![\d.])(\d+)(米|公分|厘米|毫米|公斤|兆帕|丝)半")
_HALF_ALONE = re.compile(r"(?<![\d个])半个?(小时|钟头|钟)")


def _half_hours(text: str) -> str:
    text = _HALF_AFTER.sub(lambda m: f"{m.group(1)}.5个", text)
    text = _HALF_UNIT.sub(lambda m: f"{m.group(1)}.5{m.group(2)}", text)
    return _HALF_ALONE.sub(lambda m: f"0.5{'个' if m.group(1) == '钟' else ''}{m.group(1)}", text)
