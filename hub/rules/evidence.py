"""Say a rule outcome's evidence in one readable line, for pages and exports."""

from __future__ import annotations

from typing import Any

_SKIP = ("event_ids", "normalized", "lookups", "start_event", "end_event", "span", "param")


def _label(item: Any) -> str:
    if isinstance(item, dict):
        return str(item.get("text") or item.get("title") or item.get("name") or "")
    return str(item)


def evidence_text(evidence: Any, zones: dict[str, str] | None = None) -> str:
    """Say a tag's evidence in one readable line: rule, dwell, params, the rep's words, warnings (ids left out)."""
    if evidence is None:
        return ""
    if isinstance(evidence, str):
        return evidence
    if isinstance(evidence, list):
        return "；".join(filter(None, (evidence_text(item, zones) for item in evidence)))
    if not isinstance(evidence, dict):
        return str(evidence)
    if "text" in evidence and len(evidence) <= 3:
        return str(evidence["text"])
    parts = []
    for key, value in evidence.items():
        if key in _SKIP or value in (None, "", [], {}):
            continue
        if key == "rule":
            parts.append(f"规则“{value}”")
        elif key == "dwell" and isinstance(value, dict | list):
            for item in value if isinstance(value, list) else [value]:
                zone = str(item.get("zone", "")) if isinstance(item, dict) else ""
                minutes = round(float(item.get("dwell_s") or 0) / 60, 1) if isinstance(item, dict) else 0
                parts.append(f"在{(zones or {}).get(zone, zone)}停留 {minutes} 分钟")
        elif key in ("params", "warnings", "signals") and isinstance(value, list):
            parts.append("、".join(_label(v) for v in value))
        elif key == "quote":
            parts.append(f"原话“{value}”")
        else:
            parts.append(f"{key}: {evidence_text(value, zones)}")
    return "；".join(parts)
