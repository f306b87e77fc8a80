"""Process-parameter library and stock: data model, plain-data conversion, and pure lookups for note params."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from hub.rules.analysis.hardness import convert_hardness
from hub.rules.analysis.model import Lookup, Notice, Param, format_number

SPEC_KINDS = ("hardness", "temperature", "duration", "pressure", "roughness", "tolerance", "length")


class LibraryError(ValueError):
    """Library data is malformed; the message names the path of the bad entry."""


@dataclass(frozen=True)
class Spec:
    """One capability of a card: hardness HRC 30–52, quench temperature 840–860 °C, tolerance ±0.005 mm."""

    kind: str
    low: float
    high: float
    scale: str | None = None
    unit: str | None = None
    label: str = ""


@dataclass(frozen=True)
class ProcessCard:
    """A process card: what a process does to which material, with its achievable ranges."""

    id: str
    process: str
    title: str
    material: str | None = None
    zone: str | None = None
    specs: tuple[Spec, ...] = ()
    steps: tuple[str, ...] = ()
    notes: str = ""


@dataclass(frozen=True)
class MaterialInfo:
    """A material the plant works with."""

    grade: str
    name: str = ""
    category: str = ""


@dataclass(frozen=True)
class StockItem:
    """Material on hand and the highest hardness it reaches through the plant's heat treatment."""

    id: str
    material: str
    form: str = ""
    qty: float = 0
    unit: str = ""
    max_hardness_scale: str | None = None
    max_hardness: float | None = None
    location: str = ""


@dataclass(frozen=True)
class Library:
    """The plant's process cards, materials and stock."""

    site: str = ""
    zones: dict[str, str] = field(default_factory=dict)
    materials: tuple[MaterialInfo, ...] = ()
    cards: tuple[ProcessCard, ...] = ()
    stock: tuple[StockItem, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return plain data, the same shape `from_dict` reads and the YAML file holds."""
        return {
            "site": self.site,
            "zones": dict(self.zones),
            "materials": [asdict(m) for m in self.materials],
            "cards": [
                {**asdict(c), "specs": [_spec_dict(s) for s in c.specs], "steps": list(c.steps)} for c in self.cards
            ],
            "stock": [asdict(s) for s in self.stock],
        }

    def revision(self) -> str:
        """Return a short content hash, stored with analyses to tell which library produced them."""
        blob = json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:12]

    @classmethod
    def from_dict(cls, data: Any) -> Library:
        """Validate plain data; raise LibraryError naming the bad path."""
        if not isinstance(data, dict):
            raise LibraryError("library: expected a mapping")
        zones = data.get("zones") or {}
        if not isinstance(zones, dict):
            raise LibraryError("zones: expected a mapping of id → name")
        return cls(
            site=str(data.get("site") or ""),
            zones={str(k): str(v) for k, v in zones.items()},
            materials=tuple(_material(m, f"materials[{i}]") for i, m in enumerate(_list(data, "materials"))),
            cards=tuple(_card(c, f"cards[{i}]") for i, c in enumerate(_list(data, "cards"))),
            stock=tuple(_stock(s, f"stock[{i}]") for i, s in enumerate(_list(data, "stock"))),
        )


def _card_dict(card: ProcessCard) -> dict[str, Any]:
    return {**asdict(card), "specs": [_spec_dict(s) for s in card.specs], "steps": list(card.steps)}


def _spec_dict(spec: Spec) -> dict[str, Any]:
    return {k: v for k, v in asdict(spec).items() if v not in (None, "")}


def _list(data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key) or []
    if not isinstance(value, list):
        raise LibraryError(f"{key}: expected a list")
    return value


def _required(data: Any, key: str, path: str) -> str:
    if not isinstance(data, dict):
        raise LibraryError(f"{path}: expected a mapping")
    value = data.get(key)
    if value is None or str(value).strip() == "":
        raise LibraryError(f"{path}.{key}: required")
    return str(value)


def _float(value: Any, path: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise LibraryError(f"{path}: expected a number, got {value!r}") from None


def _material(data: Any, path: str) -> MaterialInfo:
    grade = _required(data, "grade", path)
    return MaterialInfo(grade=grade, name=str(data.get("name") or ""), category=str(data.get("category") or ""))


def _spec(data: Any, path: str) -> Spec:
    kind = _required(data, "kind", path)
    if kind not in SPEC_KINDS:
        raise LibraryError(f"{path}.kind: must be one of {', '.join(SPEC_KINDS)}")
    low = _float(data.get("low", data.get("min")), f"{path}.low")
    high = _float(data.get("high", data.get("max", low)), f"{path}.high")
    if kind == "hardness" and not data.get("scale"):
        raise LibraryError(f"{path}.scale: required for hardness")
    return Spec(kind, low, high, data.get("scale"), data.get("unit"), str(data.get("label") or ""))


def _card(data: Any, path: str) -> ProcessCard:
    specs = data.get("specs") or [] if isinstance(data, dict) else []
    return ProcessCard(
        id=_required(data, "id", path),
        process=_required(data, "process", path),
        title=_required(data, "title", path),
        material=data.get("material"),
        zone=data.get("zone"),
        specs=tuple(_spec(s, f"{path}.specs[{i}]") for i, s in enumerate(specs)),
        steps=tuple(str(s) for s in data.get("steps") or []),
        notes=str(data.get("notes") or ""),
    )


def _stock(data: Any, path: str) -> StockItem:
    scale = data.get("max_hardness_scale") if isinstance(data, dict) else None
    value = data.get("max_hardness") if isinstance(data, dict) else None
    return StockItem(
        id=_required(data, "id", path),
        material=_required(data, "material", path),
        form=str(data.get("form") or ""),
        qty=_float(data.get("qty", 0), f"{path}.qty"),
        unit=str(data.get("unit") or ""),
        max_hardness_scale=str(scale) if scale else None,
        max_hardness=_float(value, f"{path}.max_hardness") if value is not None else None,
        location=str(data.get("location") or ""),
    )


def _covers(spec: Spec, low: float, high: float, bound: str | None = None) -> bool:
    """A spec meets a value when it spans it; a limit only needs the spec to reach the allowed side."""
    if bound == "max":
        return spec.low <= high
    if bound == "min":
        return spec.high >= low
    return spec.low <= low and high <= spec.high


def _specs(library: Library, kind: str, scale: str | None = None) -> list[tuple[ProcessCard, Spec]]:
    return [(c, s) for c in library.cards for s in c.specs if s.kind == kind and (scale is None or s.scale == scale)]


def _link(index: int, card: ProcessCard, match: str) -> Lookup:
    return Lookup(param=index, card_id=card.id, title=card.title, process=card.process, match=match)


def _unique(lookups: list[Lookup]) -> list[Lookup]:
    seen: set[tuple[int, str]] = set()
    out = []
    for item in lookups:
        if (item.param, item.card_id) not in seen:
            seen.add((item.param, item.card_id))
            out.append(item)
    return out


def _stock_reach(library: Library, scale: str, grades: list[str]) -> tuple[str, float] | None:
    """Best hardness on `scale` reached by stock (only the named grades when the note names any)."""
    reach: list[tuple[str, float]] = []
    for item in library.stock:
        if item.qty <= 0 or item.max_hardness is None or not item.max_hardness_scale:
            continue
        if grades and item.material not in grades:
            continue
        value = convert_hardness(item.max_hardness, item.max_hardness_scale, scale)
        if value is not None:
            reach.append((item.material, value))
    if not reach:
        return None
    best = max(value for _, value in reach)
    where = "/".join(dict.fromkeys(m for m, v in reach if v == best)) if grades else "材质"
    return where, best


def _hardness_specs(library: Library, param: Param, grades: list[str]) -> list[tuple[ProcessCard, Spec, float, float]]:
    """Hardness specs for the named grades (all cards when none has one), bounds converted to each spec's scale."""
    low, high = param.bounds() or (0.0, 0.0)
    specs = _specs(library, "hardness")
    if grades and any(c.material in grades for c, _ in specs):
        specs = [(c, s) for c, s in specs if c.material is None or c.material in grades]
    out = []
    for card, spec in specs:
        lo = convert_hardness(low, param.scale or "", spec.scale or "")
        hi = convert_hardness(high, param.scale or "", spec.scale or "")
        if lo is not None and hi is not None:
            out.append((card, spec, lo, hi))
    return out


def _hardness(index: int, param: Param, library: Library, grades: list[str]) -> tuple[list[Lookup], list[Notice]]:
    specs = _hardness_specs(library, param, grades)
    links = [_link(index, c, "in_range") for c, s, lo, hi in specs if _covers(s, lo, hi, param.bound)]
    notices: list[Notice] = []
    if specs and not links:
        same_scale = [x for x in specs if x[1].scale == param.scale]
        if same_scale:
            nearest = min(same_scale, key=lambda x: min(abs(x[1].low - x[2]), abs(x[1].high - x[3])))
            links.append(_link(index, nearest[0], "nearest"))
        text = f"客户提及{param.label()}，但工艺库中没有覆盖该硬度的工艺卡，建议工艺评审"
        notices.append(Notice("feasibility", text, param.span, index))
    reach = _stock_reach(library, param.scale or "HRC", grades)
    low = (param.bounds() or (0.0, 0.0))[0]
    if reach is not None and reach[1] < low and param.bound != "max":
        where, best = reach
        text = f"客户提及{param.label()}，但当前库存{where}最高适配{param.scale}{format_number(best)}，建议准备替代方案"
        notices.append(Notice("feasibility", text, param.span, index))
    return links, notices


def _unhardenable(index: int, param: Param, grades: list[str]) -> Notice:
    names = "/".join(grades)
    text = f"客户提及{names}做到{param.label()}，但{names}不能通过淬火硬化，建议改用可淬硬材质或工艺评审"
    return Notice("feasibility", text, param.span, index)


def _capability(
    index: int, param: Param, library: Library, kind: str, what: str, unit: str = ""
) -> tuple[list[Lookup], list[Notice]]:
    """Roughness and tolerance: a card qualifies when its finest achievable value is at least as fine."""
    bounds = param.tolerance if isinstance(param.tolerance, tuple) else param.bounds() or (0.0, 0.0)
    needed = max(abs(bounds[0]), abs(bounds[1])) if kind == "tolerance" else bounds[0]
    specs = _specs(library, kind)
    links = [_link(index, c, "in_range") for c, s in specs if s.low <= needed]
    if specs and not links:
        best = min(s.low for _, s in specs)
        label = f"±{format_number(needed)}mm" if kind == "tolerance" else param.label()
        text = f"客户提及{label}，但工艺库最高只能做到{what}{format_number(best)}{unit}，建议外协或准备替代方案"
        return [], [Notice("feasibility", text, param.span, index)]
    return links, []


def _in_range(index: int, param: Param, library: Library) -> list[Lookup]:
    low, high = param.bounds() or (0.0, 0.0)
    return [_link(index, c, "in_range") for c, s in _specs(library, param.kind) if _covers(s, low, high, param.bound)]


def lookup_params(
    params: Sequence[Param], library: Library, unhardenable: frozenset[str] = frozenset()
) -> tuple[list[Lookup], list[Notice]]:
    """Link every live param to matching process cards and warn where the library or stock cannot meet it.

    Declined or withdrawn params (negated) are looked up for nothing and warn of nothing.
    """
    grades = [str(p.value) for p in params if p.kind == "material" and not p.negated]
    soft = [g for g in grades if g in unhardenable]
    lookups: list[Lookup] = []
    notices: list[Notice] = []
    for index, param in enumerate(params):
        if param.negated:
            continue
        if param.kind == "material":
            lookups += [_link(index, c, "material") for c in library.cards if c.material == param.value]
            if not any(s.material == param.value and s.qty > 0 for s in library.stock):
                text = f"客户提及{param.value}，但当前库存没有该材质，建议确认采购周期"
                notices.append(Notice("feasibility", text, param.span, index))
        elif param.kind == "hardness" and soft and len(soft) == len(grades):
            notices.append(_unhardenable(index, param, soft))
        elif param.kind == "hardness":
            links, more = _hardness(index, param, library, [g for g in grades if g not in unhardenable])
            lookups += links
            notices += more
        elif param.kind == "roughness":
            links, more = _capability(index, param, library, "roughness", "Ra")
            lookups += links
            notices += more
        elif param.kind == "length" and param.tolerance:
            links, more = _capability(index, param, library, "tolerance", "±", "mm")
            lookups += links + (_in_range(index, param, library) if isinstance(param.tolerance, tuple) else [])
            notices += more
        elif param.kind in SPEC_KINDS:
            lookups += _in_range(index, param, library)
    return _unique(lookups), notices
