"""Parse and validate a rules file from YAML nodes, so every error carries its file, line and column."""

from __future__ import annotations

import math
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from hub.rules.engine.model import (
    ACTION_KINDS,
    COUNT_OF,
    COUNT_PER,
    EVENT_KINDS,
    ActionSpec,
    Count,
    Dwell,
    NoFollowup,
    ParamCond,
    Rule,
    RuleError,
    RuleSet,
    When,
)

ALIASES = {"当": "when", "就": "then", "否则": "else", "规则": "rules", "名称": "name"}
RULE_KEYS = ("name", "when", "then", "else", "description")
WHEN_KEYS = ("event", "dwell", "param", "signal", "visitor", "no_followup", "count")
VISITOR_ATTRS = ("company", "name", "rep", "registered")


class RulesInvalid(ValueError):
    """A rules text with errors; `errors` lists each with its place."""

    def __init__(self, errors: list[RuleError]) -> None:
        super().__init__("; ".join(f"{e.file}:{e.line}:{e.column}: {e.message}" for e in errors))
        self.errors = errors


class _Checker:
    def __init__(self, file: str, loader: yaml.SafeLoader) -> None:
        self.file = file
        self.loader = loader
        self.errors: list[RuleError] = []

    def error(self, node: Node, message: str) -> None:
        self.errors.append(RuleError(self.file, node.start_mark.line + 1, node.start_mark.column + 1, message))

    def value(self, node: Node) -> Any:
        try:
            return self.loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError):  # ValueError: e.g. an integer of more than 4,300 digits
            return None

    def mapping(self, node: Node, where: str, allowed: tuple[str, ...]) -> dict[str, tuple[Node, Node]] | None:
        """Return key -> (key node, value node) with aliases resolved; report unknown and repeated keys."""
        if not isinstance(node, MappingNode):
            self.error(node, f"{where}: expected a mapping")
            return None
        found: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            raw = key_node.value if isinstance(key_node, ScalarNode) else None
            key = ALIASES.get(str(raw), str(raw))
            if key not in allowed:
                self.error(key_node, f"{where}: unknown key {raw!r} (expected one of {', '.join(allowed)})")
            elif key in found:
                self.error(key_node, f"{where}: {key!r} given twice")
            else:
                found[key] = (key_node, value_node)
        return found

    def text(self, node: Node, where: str) -> str | None:
        value = self.value(node) if isinstance(node, ScalarNode) else None
        if not isinstance(value, str) or not value.strip():
            self.error(node, f"{where}: expected non-empty text")
            return None
        return value.strip()

    def number(self, node: Node, where: str, positive: bool = False) -> float | None:
        value = self.value(node) if isinstance(node, ScalarNode) else None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error(node, f"{where}: expected a number")
            return None
        if not math.isfinite(value) or abs(value) > 1e15:
            self.error(node, f"{where}: expected a finite number (at most 1e15), got {node.value}")
            return None
        if positive and value <= 0:
            self.error(node, f"{where}: must be > 0")
            return None
        return float(value)

    def texts(self, node: Node, where: str) -> tuple[str, ...]:
        items = node.value if isinstance(node, SequenceNode) else [node]
        found = tuple(t for t in (self.text(item, where) for item in items) if t)
        if isinstance(node, SequenceNode) and not items:
            self.error(node, f"{where}: expected at least one value")
        return found


def _rule_set_node(check: _Checker, root: Node) -> list[Node]:
    if isinstance(root, SequenceNode):
        return list(root.value)
    keys = check.mapping(root, "top level", ("rules",))
    if keys is None or "rules" not in keys:
        if keys is not None:
            check.error(root, "top level: expected 'rules:' (or 规则) with a list of rules")
        return []
    rules = keys["rules"][1]
    if not isinstance(rules, SequenceNode):
        check.error(rules, "rules: expected a list of rules")
        return []
    return list(rules.value)


def _when(check: _Checker, node: Node, where: str) -> When | None:
    keys = check.mapping(node, where, WHEN_KEYS)
    if keys is None:
        return None
    if not keys:
        check.error(node, f"{where}: give at least one condition")
    events: tuple[str, ...] = ()
    if "event" in keys:
        events = check.texts(keys["event"][1], f"{where}.event")
        for kind in events:
            if kind not in EVENT_KINDS:
                check.error(keys["event"][1], f"{where}.event: expected tap or note, got {kind!r}")
    dwell = None
    if "dwell" in keys:
        sub = check.mapping(keys["dwell"][1], f"{where}.dwell", ("zone", "min_minutes"))
        if sub is not None:
            zone = check.text(sub["zone"][1], f"{where}.dwell.zone") if "zone" in sub else None
            minutes = (
                check.number(sub["min_minutes"][1], f"{where}.dwell.min_minutes") if "min_minutes" in sub else None
            )
            if "zone" not in sub or "min_minutes" not in sub:
                check.error(keys["dwell"][1], f"{where}.dwell: needs zone and min_minutes")
            elif zone is not None and minutes is not None:
                dwell = Dwell(zone, minutes)
    params = _params(check, keys["param"][1], f"{where}.param") if "param" in keys else ()
    signals = check.texts(keys["signal"][1], f"{where}.signal") if "signal" in keys else ()
    visitor: dict[str, tuple[str, ...]] = {}
    if "visitor" in keys:
        sub = check.mapping(keys["visitor"][1], f"{where}.visitor", VISITOR_ATTRS) or {}
        visitor = {
            attr: _visitor_values(check, attr, value, f"{where}.visitor.{attr}") for attr, (_k, value) in sub.items()
        }
    no_followup = _no_followup(check, keys["no_followup"][1], f"{where}.no_followup") if "no_followup" in keys else None
    count = _count(check, keys["count"][1], f"{where}.count") if "count" in keys else None
    needs_note = params or signals or "no_followup" in keys or "count" in keys
    implied = ("note",) if needs_note else ("tap",) if dwell else EVENT_KINDS
    if not events:
        events = implied
    elif needs_note and "note" not in events:
        check.error(keys["event"][1], f"{where}: param, signal, no_followup and count need event: note")
    return When(events, dwell, params, signals, visitor, no_followup, count)


def _visitor_values(check: _Checker, attr: str, node: Node, where: str) -> tuple[str, ...]:
    """Accepted values of a visitor attribute; `registered` is true or false (registered with a company)."""
    if attr != "registered":
        return check.texts(node, where)
    value = check.value(node) if isinstance(node, ScalarNode) else None
    if not isinstance(value, bool):
        check.error(node, f"{where}: expected true or false")
        return ()
    return ("yes",) if value else ("no",)


def _params(check: _Checker, node: Node, where: str) -> tuple[ParamCond, ...]:
    sub = check.mapping(node, where, ("kind", "scale", "unit", "min", "max"))
    if sub is None:
        return ()
    if "kind" not in sub:
        check.error(node, f"{where}: needs kind (e.g. hardness)")
        return ()
    kind = check.text(sub["kind"][1], f"{where}.kind")
    scale = check.text(sub["scale"][1], f"{where}.scale") if "scale" in sub else None
    unit = check.text(sub["unit"][1], f"{where}.unit") if "unit" in sub else None
    low = check.number(sub["min"][1], f"{where}.min") if "min" in sub else None
    high = check.number(sub["max"][1], f"{where}.max") if "max" in sub else None
    if low is not None and high is not None and low > high:
        check.error(sub["max"][1], f"{where}: max {high:g} is below min {low:g}")
    return (ParamCond(kind, scale, unit, low, high),) if kind else ()


def _no_followup(check: _Checker, node: Node, where: str) -> NoFollowup | None:
    sub = check.mapping(node, where, ("after", "within_hours"))
    if sub is None:
        return None
    if "after" not in sub or "within_hours" not in sub:
        check.error(node, f"{where}: needs after (a signal, e.g. quote) and within_hours")
        return None
    after = check.text(sub["after"][1], f"{where}.after")
    hours = check.number(sub["within_hours"][1], f"{where}.within_hours", positive=True)
    return NoFollowup(after, hours) if after and hours else None


def _count(check: _Checker, node: Node, where: str) -> Count | None:
    sub = check.mapping(node, where, ("of", "per", "over_hours", "more_than"))
    if sub is None:
        return None
    missing = [k for k in ("of", "over_hours", "more_than") if k not in sub]
    if missing:
        check.error(node, f"{where}: needs {', '.join(missing)}")
        return None
    of = check.text(sub["of"][1], f"{where}.of")
    if of is not None and of not in COUNT_OF:
        check.error(sub["of"][1], f"{where}.of: expected one of {', '.join(COUNT_OF)}, got {of!r}")
    per = check.text(sub["per"][1], f"{where}.per") if "per" in sub else "rep"
    if per is not None and per not in COUNT_PER:
        check.error(sub["per"][1], f"{where}.per: expected one of {', '.join(COUNT_PER)}, got {per!r}")
    hours = check.number(sub["over_hours"][1], f"{where}.over_hours", positive=True)
    limit = check.number(sub["more_than"][1], f"{where}.more_than")
    if limit is not None and (limit < 0 or limit != int(limit)):
        check.error(sub["more_than"][1], f"{where}.more_than: expected a whole number ≥ 0")
        return None
    if of in COUNT_OF and per in COUNT_PER and hours and limit is not None:
        return Count(of, per, hours, int(limit))
    return None


def _actions(check: _Checker, node: Node, where: str) -> tuple[ActionSpec, ...]:
    items = node.value if isinstance(node, SequenceNode) else [node]
    if not items:
        check.error(node, f"{where}: expected at least one action")
    specs = []
    for index, item in enumerate(items):
        here = f"{where}[{index}]"
        sub = check.mapping(item, here, (*ACTION_KINDS, "template"))
        if sub is None:
            continue
        kinds = [k for k in sub if k in ACTION_KINDS]
        if not kinds and isinstance(item, MappingNode) and len(sub) < len(item.value):
            continue  # its unknown key was reported
        if len(kinds) != 1:
            check.error(item, f"{here}: expected exactly one of {', '.join(ACTION_KINDS)}")
            continue
        kind = kinds[0]
        value = "lookups" if kind == "lookup" else check.text(sub[kind][1], f"{here}.{kind}") or ""
        template = check.text(sub["template"][1], f"{here}.template") if "template" in sub else None
        if "template" in sub and kind not in ("notify", "escalate"):
            check.error(sub["template"][0], f"{here}: template only applies to notify and escalate")
        if value:
            specs.append(ActionSpec(kind, value, template))
    return tuple(specs)


def _rule(check: _Checker, node: Node, index: int, names: set[str]) -> Rule | None:
    where = f"rules[{index}]"
    keys = check.mapping(node, where, RULE_KEYS)
    if keys is None:
        return None
    for required in ("name", "when", "then"):
        if required not in keys:
            check.error(node, f"{where}: missing {required!r}")
    name = check.text(keys["name"][1], f"{where}.name") if "name" in keys else None
    if name is not None:
        where = f"rule {name!r}"
        if name in names:
            check.error(keys["name"][1], f"{where}: name used by another rule")
        names.add(name)
    when = _when(check, keys["when"][1], f"{where}.when") if "when" in keys else None
    then = _actions(check, keys["then"][1], f"{where}.then") if "then" in keys else ()
    otherwise = _actions(check, keys["else"][1], f"{where}.else") if "else" in keys else ()
    if name is None or when is None or not then:
        return None
    description = check.text(keys["description"][1], f"{where}.description") if "description" in keys else None
    return Rule(name, when, then, otherwise, node.start_mark.line + 1, description or "")


def parse_rules(text: str, file: str = "<text>") -> RuleSet:
    """Return the rule set in a YAML text; raise RulesInvalid listing every error with line and column."""
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as exc:  # raised while reading, before any node: e.g. a control character
        before = text[: exc.position]
        line, column = before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
        raise RulesInvalid([RuleError(file, line, column, f"invalid YAML: {exc.reason} ({exc.character!r})")]) from None
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise RulesInvalid([RuleError(file, line, column, f"invalid YAML: {exc.problem or exc}")]) from None
    except yaml.YAMLError as exc:
        raise RulesInvalid([RuleError(file, 1, 1, f"invalid YAML: {exc}")]) from None
    except RecursionError:
        raise RulesInvalid([RuleError(file, 1, 1, "invalid YAML: nested too deeply")]) from None
    finally:
        loader.dispose()
    if root is None:
        raise RulesInvalid([RuleError(file, 1, 1, "empty rules file: expected 'rules:' with a list of rules")])
    check = _Checker(file, loader)
    names: set[str] = set()
    try:
        rules = [_rule(check, node, index, names) for index, node in enumerate(_rule_set_node(check, root))]
    except RecursionError:
        raise RulesInvalid([RuleError(file, 1, 1, "invalid YAML: nested too deeply")]) from None
    if check.errors:
        raise RulesInvalid(check.errors)
    return RuleSet(tuple(r for r in rules if r is not None), file)


def validate_rules(text: str, file: str = "<text>") -> list[RuleError]:
    """Return every error in a rules text (empty when it is valid)."""
    try:
        parse_rules(text, file)
    except RulesInvalid as exc:
        return exc.errors
    return []
