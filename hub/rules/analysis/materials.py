"""Find material grades in normalized text, including "45号钢", "304不锈钢" and grades with one letter lost."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

from hub.rules.analysis.fuzzy import Correction
from hub.rules.analysis.model import Param


@dataclass(frozen=True)
class Grade:
    """A material grade with the spellings that name it, and whether quenching can harden it."""

    grade: str
    aliases: tuple[str, ...] = ()
    digits: str | None = None
    suffixes: tuple[str, ...] = ()
    hardenable: bool = True


_TOKEN = re.compile(r"[A-Za-z0-9#\-]+")
_JOINT = re.compile(r"[A-Za-z](?=\d)")
_TRAILING = ("不锈钢", "模具钢", "合金钢", "铝合金", "钢材", "钢", "材质")
# A bare code of three digits or more ("316") is a grade where a material is being chosen or dropped.
_BARE_BEFORE = ("换成", "改成", "改用", "换用", "不用", "不要", "用", "换")
_BARE_AFTER: tuple[str, ...] = ("不行", "不用", "不要", "不考虑", "不合适", "算了", "就算了", "改成", "换成", "改用")
_BARE_AFTER += ("的料", "材料", "的材质")


def _key(text: str) -> str:
    return text.upper().replace("-", "").replace(" ", "")


def _letters(key: str) -> str:
    return re.sub(r"[^A-Z]", "", key)


def _digits(key: str) -> str:
    return re.sub(r"[^0-9]", "", key)


def _edit_distance_one(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


class GradeFinder:
    """Alias table for exact matches plus (digits, letters) pairs for one-letter-off matches."""

    def __init__(self, grades: Iterable[Grade]) -> None:
        self.exact: dict[str, str] = {}
        self.numeric: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        self.shapes: list[tuple[str, str, str]] = []
        for grade in grades:
            for alias in (grade.grade, *grade.aliases):
                key = _key(alias)
                if key.isdigit():
                    continue
                self.exact.setdefault(key, grade.grade)
                if len(_letters(key)) >= 3:
                    self.shapes.append((_digits(key), _letters(key), grade.grade))
            if grade.digits:
                suffixes = tuple(sorted(grade.suffixes, key=len, reverse=True))
                self.numeric.setdefault(grade.digits, []).append((grade.grade, suffixes))

    def _near(self, key: str) -> str | None:
        digits, letters = _digits(key), _letters(key)
        if len(letters) < 3 or not digits:
            return None
        found = {g for d, lt, g in self.shapes if d == digits and _edit_distance_one(lt, letters)}
        return found.pop() if len(found) == 1 else None

    def _numeric(self, key: str, text: str, start: int, end: int) -> tuple[str | None, int]:
        """A grade said by its digits: with a suffix ("304不锈钢"), or bare where a material is being chosen."""
        for candidate, suffixes in self.numeric.get(key, ()):
            suffix = next((s for s in suffixes if text.startswith(s, end)), None)
            if suffix is not None:
                return candidate, end + len(suffix)
        chosen = text[:start].endswith(_BARE_BEFORE) or text.startswith(_BARE_AFTER, end)
        chosen = chosen or self._paired(text, start, end)
        if len(key) >= 3 and self.numeric.get(key) and chosen:
            return self.numeric[key][0][0], end
        return None, end

    def _paired(self, text: str, start: int, end: int) -> bool:
        """A bare code joined to another one ("304和316"): both are grades."""
        after = re.match(r"[和跟或、](\d{3,})(?!\d)", text[end:])
        before = re.search(r"(?<!\d)(\d{3,})[和跟或、]$", text[:start])
        return any(m is not None and m.group(1) in self.numeric for m in (after, before))

    def _tokens(self, text: str) -> list[tuple[int, int]]:
        """Code-like runs; a run that names no grade is split where letters meet digits ("42CrMo40Cr")."""
        spans = []
        for match in _TOKEN.finditer(text):
            if _key(match.group(0)) in self.exact:
                spans.append(match.span())
                continue
            cuts = [match.start(), *(match.start() + m.end() for m in _JOINT.finditer(match.group(0))), match.end()]
            spans += [(a, b) for a, b in pairwise(cuts) if a < b]
        return spans

    def find(self, text: str) -> list[tuple[Param, Correction | None]]:
        """Return one material param per grade mention, with a correction when letters were missing."""
        found: list[tuple[Param, Correction | None]] = []
        for start, end in self._tokens(text):
            token = text[start:end]
            key = _key(token)
            grade = self.exact.get(key)
            correction = None
            if grade is None and key.isdigit():
                grade, end = self._numeric(key, text, start, end)
            elif grade is None:
                grade = self._near(key)
                if grade is not None:
                    correction = Correction(token, grade, (start, end))
            if grade is None:
                continue
            if correction is None and not key.isdigit():
                end += len(next((s for s in _TRAILING if text.startswith(s, end)), ""))
            param = Param(kind="material", value=grade, text=text[start:end], span=(start, end))
            found.append((param, correction))
        return found
