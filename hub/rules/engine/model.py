"""The rule language's data: rules with conditions and action specs, event facts, evaluation context, actions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

EVENT_KINDS = ("tap", "note")
ACTION_KINDS = ("tag", "opportunity", "notify", "escalate", "lookup", "hold")
COUNT_OF = ("new_leads", "notes", "opportunities")
COUNT_PER = ("rep", "site")


@dataclass(frozen=True)
class Dwell:
    """A closed visit of the tapped badge in a zone lasted at least min_minutes."""

    zone: str
    min_minutes: float


@dataclass(frozen=True)
class ParamCond:
    """The note has a parameter of this kind (and scale/unit) whose value lies in [low, high]."""

    kind: str
    scale: str | None = None
    unit: str | None = None
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class NoFollowup:
    """No later note by the same rep for the same visitor within_hours after a note with signal `after`."""

    after: str
    within_hours: float


@dataclass(frozen=True)
class Count:
    """More than more_than items `of` per rep (or site) over the last over_hours."""

    of: str
    per: str
    over_hours: float
    more_than: int

    @property
    def key(self) -> str:
        return f"{self.of}/{self.per}/{self.over_hours:g}"


@dataclass(frozen=True)
class When:
    """All conditions of a rule; absent ones always hold."""

    events: tuple[str, ...] = EVENT_KINDS
    dwell: Dwell | None = None
    params: tuple[ParamCond, ...] = ()
    signals: tuple[str, ...] = ()  # any of them
    visitor: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # attribute -> accepted values
    no_followup: NoFollowup | None = None
    count: Count | None = None


@dataclass(frozen=True)
class ActionSpec:
    """One then/else entry, e.g. tag: 注塑工艺兴趣 or notify: sales."""

    kind: str
    value: str
    template: str | None = None


@dataclass(frozen=True)
class Rule:
    name: str
    when: When
    then: tuple[ActionSpec, ...]
    otherwise: tuple[ActionSpec, ...] = ()
    line: int = 0
    description: str = ""


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    source: str = ""


@dataclass(frozen=True)
class RuleError:
    """A validation problem at a place in a rules file (1-based line and column)."""

    file: str
    line: int
    column: int
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "column": self.column, "message": self.message}


@dataclass(frozen=True)
class EventFacts:
    """What is known about one stored tap or note when rules look at it."""

    event_id: str
    kind: str
    site: str
    station: str
    ts: str
    ts_epoch: float
    badges: tuple[str, ...]  # the tapped badge, or the note's visitor badges
    rep: str | None = None
    zone: str | None = None
    text: str = ""
    normalized: str = ""
    params: tuple[Mapping[str, Any], ...] = ()
    signals: tuple[str, ...] = ()
    lookups: tuple[Mapping[str, Any], ...] = ()
    warnings: tuple[Mapping[str, Any], ...] = ()
    visits: tuple[Mapping[str, Any], ...] = ()  # closed visits of the tapped badge
    visitors: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # badge -> {name, company}
    counts: Mapping[str, int] = field(default_factory=dict)  # Count.key -> value


@dataclass(frozen=True)
class Context:
    """How evaluation is asked: at the event, or when a rule's follow-up timer fell due."""

    now: float
    timer_rule: str | None = None
    followed_up: bool = False


@dataclass(frozen=True)
class Action:
    """One thing a rule decided; `key` makes applying it idempotent."""

    rule: str
    kind: str
    value: str
    key: str
    site: str
    event_id: str
    badge: str | None = None
    rep: str | None = None
    template: str | None = None
    due_epoch: float | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule, "kind": self.kind, "value": self.value, "key": self.key, "site": self.site,
            "event_id": self.event_id, "badge": self.badge, "rep": self.rep, "template": self.template,
            "due_epoch": self.due_epoch, "evidence": dict(self.evidence),
        }  # fmt: skip
