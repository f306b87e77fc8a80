"""Pure lookups of note params in the library: matching process cards and feasibility warnings."""

from __future__ import annotations

from collections.abc import Sequence

from hub.rules.analysis.hardness import convert_hardness
from hub.rules.analysis.library import SPEC_KINDS, Library, ProcessCard, Spec
from hub.rules.analysis.model import Lookup, Notice, Param, format_number


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


_ANNEALED = {"HRC": 20.0, "HB": 200.0, "HBW": 200.0, "HV": 210.0}  # above these a part must be hardened


def _needs_hardening(param: Param) -> bool:
    """Whether the hardness asked for is beyond what an annealed, unhardenable grade already has."""
    low = (param.bounds() or (0.0, 0.0))[0]
    return param.bound != "max" and low > _ANNEALED.get(param.scale or "", float("inf"))


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
            if _needs_hardening(param):  # else the grade has it as delivered: no heat treatment to look up
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
