"""Result types of note analysis: parameters, signals, lookups, warnings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Value = float | tuple[float, float] | str
Span = tuple[int, int]


def plain_number(x: float) -> int | float:
    """Return x as an int when it is integral, else rounded to 4 decimals (JSON-friendly)."""
    return int(x) if float(x).is_integer() else round(x, 4)


def format_number(x: float) -> str:
    """Format a number without a trailing ".0"."""
    return str(plain_number(x))


@dataclass(frozen=True)
class Param:
    """One process parameter found in a note."""

    kind: str
    value: Value
    text: str
    span: Span
    scale: str | None = None
    unit: str | None = None
    tolerance: bool | tuple[float, float] = False
    bound: str | None = None
    negated: bool = False

    def bounds(self) -> tuple[float, float] | None:
        """Return (low, high) of a numeric value, None for a material grade."""
        if isinstance(self.value, str):
            return None
        if isinstance(self.value, tuple):
            return self.value
        return (self.value, self.value)

    def label(self) -> str:
        """Say the value the way a rep reads it: "HRC45", "850°C", "Ra0.8", "±0.02mm"."""
        if isinstance(self.value, str):
            return self.value
        if isinstance(self.value, tuple):
            number = f"{format_number(self.value[0])}~{format_number(self.value[1])}"
            if self.tolerance and self.value[0] == -self.value[1]:
                number = f"±{format_number(self.value[1])}"
        else:
            number = format_number(self.value)
        if isinstance(self.tolerance, tuple):
            low, high = self.tolerance
            number += f"±{format_number(high)}" if low == -high else f"({format_number(low)}~{format_number(high)})"
        if self.scale:
            return f"{self.scale}{number}"
        if self.unit == "Ra μm":
            return f"Ra{number}"
        if self.unit == "CNY":
            return f"{number}元"
        return f"{number}{self.unit or ''}"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        if self.scale:
            out["scale"] = self.scale
        if self.unit:
            out["unit"] = self.unit
        if isinstance(self.value, tuple):
            out["value"] = [plain_number(self.value[0]), plain_number(self.value[1])]
        elif isinstance(self.value, str):
            out["value"] = self.value
        else:
            out["value"] = plain_number(self.value)
        if isinstance(self.tolerance, tuple):
            out["tolerance"] = [plain_number(self.tolerance[0]), plain_number(self.tolerance[1])]
        elif self.tolerance:
            out["tolerance"] = True
        if self.bound:
            out["bound"] = self.bound
        out["text"] = self.text
        out["span"] = list(self.span)
        if self.negated:
            out["negated"] = True
        return out


@dataclass(frozen=True)
class Signal:
    """A sales signal keyword (quote, lead_time, sample, …) found in a note."""

    name: str
    text: str
    span: Span
    negated: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "text": self.text, "span": list(self.span)}
        if self.negated:
            out["negated"] = True
        return out


@dataclass(frozen=True)
class Lookup:
    """A process card that matches one parameter (by index into `params`)."""

    param: int
    card_id: str
    title: str
    process: str
    match: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "param": self.param,
            "card_id": self.card_id,
            "title": self.title,
            "process": self.process,
            "match": self.match,
        }


@dataclass(frozen=True)
class Notice:
    """A warning: kind is feasibility, correction or input; text is what the dashboard shows."""

    kind: str
    text: str
    span: Span | None = None
    param: int | None = None
    source: str | None = None
    target: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "text": self.text}
        if self.span is not None:
            out["span"] = list(self.span)
        if self.param is not None:
            out["param"] = self.param
        if self.source is not None:
            out["from"] = self.source
            out["to"] = self.target
        return out


@dataclass(frozen=True)
class Analysis:
    """Everything derived from one note's raw text."""

    normalized: str
    params: tuple[Param, ...] = ()
    signals: tuple[Signal, ...] = ()
    lookups: tuple[Lookup, ...] = ()
    warnings: tuple[Notice, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "normalized": self.normalized,
            "params": [p.to_dict() for p in self.params],
            "signals": [s.to_dict() for s in self.signals],
            "lookups": [x.to_dict() for x in self.lookups],
            "warnings": [w.to_dict() for w in self.warnings],
        }
