"""Process-parameter library and stock: data model and plain-data conversion (lookups are in lookups.py)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

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
