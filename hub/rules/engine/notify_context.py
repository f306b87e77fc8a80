"""What a rule's notification says, in words a sales person reads (报价, not quote), never an empty field."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from hub.rules.analysis.context import default_library
from hub.rules.engine.model import Action
from hub.rules.stored_library import load_library

SIGNAL_LABELS = {"quote": "报价", "lead_time": "交期", "sample": "样品", "competitor": "竞品", "budget": "预算"}


def signal_label(name: str) -> str:
    """Return the word a sales person uses for a signal (报价 for quote); an unknown name as it is."""
    return SIGNAL_LABELS.get(name, name)


def _zone_names(conn: sqlite3.Connection) -> dict[str, str]:
    """Return zone id -> name from the stored library, else the seed's (as note analysis does)."""
    library = load_library(conn) or default_library()
    return dict(library.zones)


def _because(evidence: Mapping[str, Any], zones: dict[str, str], rule: str) -> str:
    """Say why the rule fired: the dwell, the parameters or the signals it matched, else the rule's name."""
    reasons = [f"在{zones.get(d['zone'], d['zone'])}停留{max(1, round((d.get('dwell_s') or 0) / 60))}分钟"
               for d in evidence.get("dwell", [])[-1:]]  # fmt: skip
    params = [str(p.get("text")) for p in evidence.get("params", []) if p.get("text")]
    if params:
        reasons.append("提到" + "、".join(dict.fromkeys(params)))
    signals = [signal_label(s) for s in evidence.get("signals", [])]
    if signals:
        reasons.append("谈到" + "、".join(signals))
    count = evidence.get("count")
    if count:
        what = {"new_leads": "新线索", "notes": "备注", "opportunities": "商机"}.get(count["of"], count["of"])
        reasons.append(f"{count['over_hours']:g}小时内{what}{count['value']}条（上限{count['more_than']}条）")
    return "；".join(reasons) or f"规则「{rule}」"


def _number(value: Any) -> Any:
    """Return 2 for 2.0 (hours read as people write them)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def message_words(conn: sqlite3.Connection, action: Action) -> dict[str, Any]:
    """Return what a notify/escalate message says besides who: signals, note, tags, evidence, warning, hours."""
    evidence = action.evidence
    warnings = [str(w.get("text")) for w in evidence.get("warnings", []) if w.get("text")]
    return {
        "signals": [signal_label(s) for s in evidence.get("said") or evidence.get("signals", [])],
        "note": evidence.get("normalized") or evidence.get("quote") or "",
        "tag": "、".join(evidence.get("tags", [])),
        "evidence": _because(evidence, _zone_names(conn), action.rule),
        "warning": "；".join(warnings),
        "hours": _number(evidence.get("hours")),
    }
