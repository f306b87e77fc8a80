"""Pure rule evaluation: facts about one event (and a context) in, the actions the rules decide out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.rules.engine.model import Action, ActionSpec, Context, EventFacts, ParamCond, Rule, RuleSet, When

EARLIEST_PLAUSIBLE_EPOCH = 1_577_836_800.0  # 2020-01-01: a station clock before this was never set
MAX_CLOCK_AHEAD_S = 86_400.0


def timer_start(ts_epoch: float, now: float) -> float:
    """Return when a follow-up timer starts: the event's time, or the hub's when the station clock is implausible
    (a note stamped 0001-01-01 must not start a timer that is already due)."""
    if EARLIEST_PLAUSIBLE_EPOCH <= ts_epoch <= now + MAX_CLOCK_AHEAD_S:
        return ts_epoch
    return now


def _bounds(value: Any) -> tuple[float, float] | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value), float(value)
    if isinstance(value, list | tuple) and len(value) == 2 and all(isinstance(v, int | float) for v in value):
        return float(min(value)), float(max(value))
    return None


def param_matches(cond: ParamCond, param: Mapping[str, Any]) -> bool:
    """Return whether a note parameter has the kind, scale and unit asked for and overlaps [min, max]."""
    if param.get("kind") != cond.kind:
        return False
    if cond.scale is not None and str(param.get("scale") or "").upper() != cond.scale.upper():
        return False
    if cond.unit is not None and param.get("unit") != cond.unit:
        return False
    if cond.low is None and cond.high is None:
        return True
    bounds = _bounds(param.get("value"))
    if bounds is None:
        return False
    low, high = bounds
    return (cond.low is None or high >= cond.low) and (cond.high is None or low <= cond.high)


def _visitors_matching(accepted: Mapping[str, tuple[str, ...]], facts: EventFacts) -> list[str]:
    """Return the event's badges whose registered visitor has every accepted attribute value."""
    return [
        badge
        for badge in facts.badges
        if all(facts.visitors.get(badge, {}).get(attr, "") in values for attr, values in accepted.items())
    ]


def _tour_dwell(when: When, facts: EventFacts) -> tuple[list[str], list[dict[str, Any]]]:
    """Return the note's badges whose whole tour so far stayed long enough in the dwell zone, with their totals."""
    assert when.dwell is not None
    zone, seconds = when.dwell.zone, when.dwell.min_minutes * 60
    totals: dict[str, float] = {}
    for visit in facts.visits:
        if visit.get("zone") == zone:
            badge = str(visit.get("badge"))
            totals[badge] = totals.get(badge, 0.0) + float(visit.get("dwell_s") or 0)
    matched = [b for b in facts.badges if totals.get(b, 0.0) >= seconds]
    return matched, [{"badge": b, "zone": zone, "dwell_s": totals[b]} for b in matched]


def check_conditions(when: When, facts: EventFacts) -> tuple[bool, dict[str, Any]]:
    """Return whether every condition holds for the event, with the evidence of those that matched.

    Conditions about each visitor of a note (their tour's dwell, who they are) leave the visitors that meet them
    in evidence["badges"]; the rule holds when at least one does.
    """
    ok = facts.kind in when.events
    evidence: dict[str, Any] = {"event_ids": [facts.event_id]}
    per_badge: list[str] | None = None
    if when.dwell is not None and facts.kind == "note":
        per_badge, evidence["dwell"] = _tour_dwell(when, facts)
    elif when.dwell is not None:
        zone, seconds = when.dwell.zone, when.dwell.min_minutes * 60
        visits = [v for v in facts.visits if v.get("zone") == zone and (v.get("dwell_s") or 0) >= seconds]
        ok = ok and bool(visits)
        evidence["dwell"] = [
            {"zone": v["zone"], "dwell_s": v["dwell_s"], "start_event": v.get("start_event"),
             "end_event": v.get("end_event")} for v in visits
        ]  # fmt: skip
        for visit in visits:
            for key in ("start_event", "end_event"):
                if visit.get(key) and visit[key] not in evidence["event_ids"]:
                    evidence["event_ids"].append(visit[key])
    for cond in when.params:
        matched = [dict(p) for p in facts.params if param_matches(cond, p)]
        ok = ok and bool(matched)
        evidence.setdefault("params", []).extend(matched)
    if when.signals:
        found = [s for s in when.signals if s in facts.signals]
        ok = ok and bool(found)
        evidence["signals"] = found
    if when.visitor:
        who = _visitors_matching(when.visitor, facts)
        per_badge = who if per_badge is None else [b for b in per_badge if b in who]
    if per_badge is not None:
        evidence["badges"] = per_badge
        ok = ok and bool(per_badge)
    if when.count is not None:
        value = facts.counts.get(when.count.key, 0)
        ok = ok and value > when.count.more_than
        evidence["count"] = {"of": when.count.of, "per": when.count.per, "over_hours": when.count.over_hours,
                             "value": value, "more_than": when.count.more_than}  # fmt: skip
    if facts.kind == "note":
        evidence["quote"] = facts.text
        evidence["normalized"] = facts.normalized
    return ok, evidence


def acts_on_bare_tap(rule: Rule) -> bool:
    """Tell whether a rule can decide anything for a tap whose badge has no closed visit a dwell rule could match.

    Such a tap has no visits, params or signals and counts of 0, so a rule without an else branch acts on it only
    when none of its conditions needs those (a follow-up rule only when it waits after taps).
    """
    when = rule.when
    if "tap" not in when.events:
        return False
    can_hold = (when.dwell is None and not when.params and not when.signals
                and (when.count is None or when.count.more_than < 0))  # fmt: skip
    if when.no_followup is not None:
        return can_hold and when.no_followup.after == "tap"
    return can_hold or (bool(rule.otherwise) and when.dwell is None)  # a dwell rule's else needs a closed visit


def _subject(rule: Rule, facts: EventFacts, evidence: dict[str, Any]) -> str:
    """What an action is keyed on: the event; for a dwell rule the newest matching visit (every later tap of the
    badge sees that visit again and must not act on it twice); for a counting rule the rep (or site) and window."""
    if rule.when.dwell is not None and facts.kind == "tap" and evidence.get("dwell"):
        return f"visit:{evidence['dwell'][-1]['start_event']}"
    count = rule.when.count
    if count is None:
        return facts.event_id
    who = facts.rep if count.per == "rep" and facts.rep else facts.site
    return f"{who}@{int(facts.ts_epoch // (count.over_hours * 3600))}"


def _default_template(spec: ActionSpec, branch: tuple[ActionSpec, ...]) -> str:
    if spec.template:
        return spec.template
    if spec.kind == "escalate":
        return "escalation"
    kinds = {s.kind for s in branch}
    return "opportunity" if "opportunity" in kinds else "tag" if "tag" in kinds else "rule"


def build_actions(
    rule: Rule, branch: tuple[ActionSpec, ...], facts: EventFacts, evidence: dict[str, Any]
) -> list[Action]:
    """Turn a rule's chosen branch into keyed actions for the event's badges."""
    if any(spec.kind == "lookup" for spec in branch) and facts.kind == "note":
        evidence = {**evidence, "lookups": [dict(x) for x in facts.lookups],
                    "warnings": [dict(x) for x in facts.warnings]}  # fmt: skip
    subject = _subject(rule, facts, evidence)
    badges = tuple(evidence.get("badges") or facts.badges)

    def make(
        spec: ActionSpec,
        key: str,
        badge: str | None = None,
        template: str | None = None,
        told: dict[str, Any] | None = None,
    ) -> Action:
        return Action(rule=rule.name, kind=spec.kind, value=spec.value, key=key, site=facts.site,
                      event_id=facts.event_id, badge=badge, rep=facts.rep, template=template,
                      evidence=evidence if told is None else told)  # fmt: skip

    actions: list[Action] = []
    for spec in branch:
        if spec.kind in ("tag", "untag"):
            actions += [make(spec, f"{rule.name}|{spec.kind}|{spec.value}|{facts.site}|{b}", b) for b in badges]
        elif spec.kind == "opportunity":
            targets: tuple[str | None, ...] = badges or (None,)
            actions += [make(spec, f"{rule.name}|opportunity|{subject}|{b}", b) for b in targets]
        elif spec.kind in ("notify", "escalate"):  # one message per visitor named; a count is about the rep
            template = _default_template(spec, branch)
            key = f"{rule.name}|{spec.kind}|{spec.value}|{subject}"
            told = {**evidence, "tags": [s.value for s in branch if s.kind == "tag"], "said": list(facts.signals)}
            about: tuple[str | None, ...] = (None,) if rule.when.count is not None or not badges else badges
            actions += [make(spec, f"{key}|{b}" if b else key, b, template, told) for b in about]
        else:
            actions.append(make(spec, f"{rule.name}|{spec.kind}|{subject}"))
    return actions


def evaluate(rule_set: RuleSet, facts: EventFacts, context: Context) -> list[Action]:
    """Return the actions every rule decides for one event (or for one rule's due follow-up timer)."""
    actions: list[Action] = []
    for rule in rule_set.rules:
        if context.timer_rule is not None:
            if rule.name != context.timer_rule:
                continue
            ok, evidence = check_conditions(rule.when, facts)
            evidence["followed_up"] = context.followed_up
            if rule.when.no_followup is not None:
                evidence["hours"] = rule.when.no_followup.within_hours
            branch = rule.then if ok and not context.followed_up else rule.otherwise
            actions += build_actions(rule, branch, facts, evidence)
            continue
        if facts.kind not in rule.when.events:
            continue
        ok, evidence = check_conditions(rule.when, facts)
        waiting = rule.when.no_followup
        if waiting is not None:
            if ok and (waiting.after in facts.signals or waiting.after == facts.kind):
                actions.append(Action(rule=rule.name, kind="timer", value=waiting.after,
                                      key=f"{rule.name}|timer|{facts.event_id}", site=facts.site,
                                      event_id=facts.event_id, rep=facts.rep,
                                      due_epoch=timer_start(facts.ts_epoch, context.now) + waiting.within_hours * 3600,
                                      evidence=evidence))  # fmt: skip
            continue
        if rule.when.dwell is not None and facts.kind == "tap":  # a note judges each visitor's tour instead
            actions += _dwell_decision(rule, facts, ok, evidence)
            continue
        actions += build_actions(rule, rule.then if ok else rule.otherwise, facts, evidence)
        if ok and rule.otherwise and "badges" in evidence:
            rest = [b for b in facts.badges if b not in evidence["badges"]]
            if rest:  # the note's other visitors do not meet the per-visitor conditions: they take the else branch
                actions += build_actions(rule, rule.otherwise, facts, {**evidence, "badges": rest, "dwell": []})
    return actions


def _dwell_decision(rule: Rule, facts: EventFacts, ok: bool, evidence: dict[str, Any]) -> list[Action]:
    """Decide a dwell rule once per closed visit in its zone: then for a long enough stay, else for the newest
    visit when no stay was; a tap before any closed visit there decides nothing. The then branch takes back the
    else branch's tags, so a visitor never holds both (a later short visit cannot bring them back: ok holds)."""
    assert rule.when.dwell is not None
    if ok:
        actions = build_actions(rule, rule.then, facts, evidence)
        taken_back = [ActionSpec("untag", spec.value) for spec in rule.otherwise if spec.kind == "tag"]
        return actions + build_actions(rule, tuple(taken_back), facts, evidence) if taken_back else actions
    in_zone = [v for v in facts.visits if v.get("zone") == rule.when.dwell.zone]
    if not in_zone or not rule.otherwise:
        return []
    newest = in_zone[-1]
    judged = {
        **evidence,
        "dwell": [
            {
                "zone": newest["zone"],
                "dwell_s": newest["dwell_s"],
                "start_event": newest.get("start_event"),
                "end_event": newest.get("end_event"),
            }
        ],
    }
    return build_actions(rule, rule.otherwise, facts, judged)
