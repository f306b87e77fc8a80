"""The rules builder's form ↔ the rules YAML: read the rules a form can show, write one rule back into the text.

A form rule is flat: {name, description, event, dwell_zone, dwell_minutes, param_kind, param_min, param_max, signal,
visitor_company, registered, followup_hours, then: [{kind, value}], else: [{kind, value}]}. Writing replaces the
rule of that name in place (or appends it), so the rest of the file, comments included, stays as it was.
"""

from __future__ import annotations

from typing import Any

import yaml

from hub.rules.engine.model import Rule, RuleSet, When
from hub.rules.engine.parse import parse_rules

FORM_ACTIONS = ("tag", "opportunity", "notify", "escalate")


def _form_action(kind: str, value: str) -> dict[str, str]:
    return {"kind": kind, "value": value}


def rule_to_form(rule: Rule) -> dict[str, Any] | None:
    """Return the form of a rule, None when the form cannot show it all (edit that one as YAML)."""
    when: When = rule.when
    actions = rule.then + rule.otherwise
    if when.count is not None or len(when.params) > 1 or len(when.signals) > 1 or len(when.visitor) > 2:
        return None
    if any(a.kind not in FORM_ACTIONS or a.template for a in actions) or set(when.visitor) - {"company", "registered"}:
        return None
    if len(when.visitor.get("company", ())) > 1 or len(when.events) > 1:
        return None
    param = when.params[0] if when.params else None
    if param is not None and (param.scale or param.unit):
        return None
    if when.no_followup is not None and when.signals and when.no_followup.after not in when.signals:
        return None
    return {
        "name": rule.name,
        "description": rule.description,
        "event": when.events[0],
        "dwell_zone": when.dwell.zone if when.dwell else "",
        "dwell_minutes": when.dwell.min_minutes if when.dwell else None,
        "param_kind": param.kind if param else "",
        "param_min": param.low if param else None,
        "param_max": param.high if param else None,
        "signal": when.signals[0] if when.signals else (when.no_followup.after if when.no_followup else ""),
        "visitor_company": when.visitor.get("company", ("",))[0],
        "registered": when.visitor.get("registered") == ("yes",),
        "followup_hours": when.no_followup.within_hours if when.no_followup else None,
        "then": [_form_action(a.kind, a.value) for a in rule.then],
        "else": [_form_action(a.kind, a.value) for a in rule.otherwise],
    }


def rules_to_forms(rule_set: RuleSet) -> list[dict[str, Any]]:
    """Return every rule with its form (None when it is YAML-only)."""
    return [{"name": rule.name, "form": rule_to_form(rule)} for rule in rule_set.rules]


def _number(value: Any) -> float | int | None:
    if value in (None, ""):
        return None
    number = float(value)
    return int(number) if number == int(number) else number


def form_to_rule(form: dict[str, Any]) -> dict[str, Any]:
    """Return the YAML structure of a form rule (parse_rules judges it; bad numbers raise ValueError)."""
    when: dict[str, Any] = {}
    hours = _number(form.get("followup_hours"))
    if form.get("event"):
        when["event"] = form["event"]
    if form.get("dwell_zone"):
        when["dwell"] = {"zone": form["dwell_zone"], "min_minutes": _number(form.get("dwell_minutes"))}
    if form.get("param_kind"):
        param: dict[str, Any] = {"kind": form["param_kind"]}
        for key in ("min", "max"):
            if _number(form.get(f"param_{key}")) is not None:
                param[key] = _number(form.get(f"param_{key}"))
        when["param"] = param
    if form.get("signal") and hours is None:
        when["signal"] = form["signal"]
    visitor: dict[str, Any] = {}
    if form.get("visitor_company"):
        visitor["company"] = form["visitor_company"]
    if form.get("registered"):
        visitor["registered"] = True
    if visitor:
        when["visitor"] = visitor
    if hours is not None:
        when["no_followup"] = {"after": form.get("signal") or "quote", "within_hours": hours}
    rule: dict[str, Any] = {"name": str(form.get("name") or "").strip()}
    if str(form.get("description") or "").strip():
        rule["description"] = str(form["description"]).strip()
    rule["when"] = when
    if not rule["name"]:
        raise ValueError("name: give the rule a name")
    for branch in ("then", "else"):
        actions = [{a["kind"]: a["value"]} for a in form.get(branch) or [] if a.get("kind") and a.get("value")]
        if branch == "then" and not actions:
            raise ValueError("then (就): add at least one action, e.g. tag or opportunity")
        if actions:
            rule[branch] = actions
    return rule


def _flow(value: Any) -> str:
    text = yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, sort_keys=False, width=1000).strip()
    return text.removesuffix("...").strip()


def _line(key: str, value: Any) -> str:
    return f"{_flow(key)}: {_flow(value)}"


def _rule_text(rule: dict[str, Any], indent: str) -> list[str]:
    """Return a rule as YAML lines in the file's own style (one line per condition and per action)."""
    lines = [f"{indent}- {_line('name', rule['name'])}"]
    if "description" in rule:
        lines.append(f"{indent}  {_line('description', rule['description'])}")
    lines.append(f"{indent}  when:")
    lines += [f"{indent}    {_line(key, value)}" for key, value in rule["when"].items()]
    for branch in ("then", "else"):
        if branch in rule:
            lines.append(f"{indent}  {branch}:")
            lines += [f"{indent}    - {_line(*next(iter(action.items())))}" for action in rule[branch]]
    return lines


def write_rule(text: str, form: dict[str, Any]) -> str:
    """Return the rules text with the form's rule replacing the rule of that name, or appended."""
    rule = form_to_rule(form)
    if not text.strip():
        return "\n".join(["rules:", *_rule_text(rule, "  ")]) + "\n"
    rule_set = parse_rules(text)  # RulesInvalid: fix the YAML first
    lines = text.splitlines()
    starts = sorted(r.line for r in rule_set.rules)
    target = next((r for r in rule_set.rules if r.name == rule["name"]), None)
    first = lines[starts[0] - 1] if starts else "  - "
    indent = first[: len(first) - len(first.lstrip())]
    if target is None:
        return "\n".join([*lines, "", *_rule_text(rule, indent)]) + "\n"
    later = [s for s in starts if s > target.line]
    end = later[0] - 1 if later else len(lines)
    while end > target.line and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1  # keep the blank lines and comments that lead into the next rule
    return "\n".join([*lines[: target.line - 1], *_rule_text(rule, indent), *lines[end:]]) + "\n"
