"""Turn raw Vosk output into one clean string: drop noise, join split tokens, spell grades and units canonically."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from hub.rules.analysis.numerals import convert_numerals

MAX_CHARS = 2000
_KEEP_SYMBOLS = frozenset("°℃±~×#%.-")
_WS = re.compile(r"\s+")
_LATIN = re.compile(r"[A-Za-z]+")
_ELEMENT_CHARS = {"铬": "Cr", "钼": "Mo", "锰": "Mn", "钛": "Ti", "镍": "Ni", "钒": "V", "钨": "W", "硅": "Si"}
_ELEMENT_RUN = re.compile(
    r"(?:(?<=[\dA-Za-z])|铬(?=\d))[铬钼锰钛镍钒钨硅\d]*[铬钼锰钛镍钒钨硅](?:钼?铝)?[\d铬钼锰钛镍钒钨硅]*"
)
_SYMBOLS = ("cr", "mo", "mn", "ti", "ni", "si", "al", "cu", "nb", "v", "w", "b")
_SPECIAL_CASE = {
    "hrc": "HRC",
    "hrb": "HRB",
    "hra": "HRA",
    "hb": "HB",
    "hbw": "HBW",
    "hv": "HV",
    "ra": "Ra",
    "mpa": "MPa",
    "bar": "bar",
    "mm": "mm",
    "um": "μm",
    "kg": "kg",
    "kgf": "kgf",
    "cm": "cm",
    "sus": "SUS",
    "gcr": "GCr",
    "skd": "SKD",
    "scm": "SCM",
    "nak": "NAK",
    "qt": "QT",
    "ht": "HT",
    "h": "H",
    "q": "Q",
    "t": "T",
    "s": "S",
    "m": "M",
    "c": "C",
    "d": "D",
    "p": "P",
}


def clean(text: str) -> str:
    """Drop control characters, emoji and other symbols; fold full-width letters and digits to ASCII."""
    out = []
    for ch in text:
        code = ord(ch)
        if 0xFF10 <= code <= 0xFF5A and ch.isalnum():
            ch = chr(code - 0xFEE0)
        category = unicodedata.category(ch)
        if ch.isspace():
            out.append(" ")
        elif (category[0] in "CS" and ch not in _KEEP_SYMBOLS) or category == "Mn":
            continue
        else:
            out.append(ch)
    return "".join(out)


def join_tokens(text: str) -> str:
    """Remove the spaces the recognizer puts between words and between spelled letters ("h r c" → "hrc")."""
    return _WS.sub("", text)


def _element_symbols(match: re.Match[str]) -> str:
    run = match.group(0)
    if not any(ch.isdigit() for ch in run) and not match.start():
        return run
    return "".join(_ELEMENT_CHARS.get(ch, "Al" if ch == "铝" else ch) for ch in run)


def spell_elements(text: str) -> str:
    """Write element names read aloud inside grades as symbols ("42铬钼" → "42CrMo", "铬12钼钒" → "Cr12MoV")."""
    return _ELEMENT_RUN.sub(_element_symbols, text)


def _split_symbols(letters: str) -> list[str] | None:
    if not letters:
        return []
    for symbol in _SYMBOLS:
        if letters.startswith(symbol):
            rest = _split_symbols(letters[len(symbol) :])
            if rest is not None:
                return [symbol.capitalize(), *rest]
    return None


def _case(match: re.Match[str]) -> str:
    word = match.group(0).lower()
    if word in _SPECIAL_CASE:
        return _SPECIAL_CASE[word]
    symbols = _split_symbols(word)
    if symbols:
        return "".join(symbols)
    if word.startswith("gcr"):
        return "GCr" + word[3:].upper()
    return word.upper()


def canonical_case(text: str) -> str:
    """Spell Latin runs the way engineers write them: HRC, Ra, MPa, CrMo, SUS."""
    return _LATIN.sub(_case, text)


def spell_units(text: str, spelled: Iterable[tuple[re.Pattern[str], str]]) -> str:
    """Write units whose letters were heard as sounds the way they are meant ("h二c" → "HRC")."""
    for pattern, unit in spelled:
        text = pattern.sub(unit, text)
    return text


def normalize_text(text: str, spelled: Iterable[tuple[re.Pattern[str], str]] = ()) -> tuple[str, bool]:
    """Return the normalized text and whether the input had to be truncated."""
    cleaned = clean(text)
    truncated = len(cleaned) > MAX_CHARS
    joined = spell_units(join_tokens(cleaned[:MAX_CHARS]), spelled)
    return canonical_case(spell_elements(convert_numerals(joined))), truncated
