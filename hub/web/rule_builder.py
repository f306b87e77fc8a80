"""What the rules builder offers to pick from: zones, signals, param kinds, notify channels, action kinds."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import yaml

import hub.data
from hub.web.views import zone_names

PARAM_KINDS = {"hardness": "硬度", "temperature": "温度", "length": "尺寸", "roughness": "粗糙度", "pressure": "压力",
               "material": "材料", "duration": "时长", "money": "金额"}  # fmt: skip
SIGNAL_NAMES = {"quote": "报价", "lead_time": "交期", "sample": "样品", "competitor": "竞品", "budget": "预算"}
ACTION_KINDS = {"tag": "打标签", "opportunity": "生成商机", "notify": "通知", "escalate": "升级给"}


def _signals() -> list[str]:
    seeds = yaml.safe_load((Path(hub.data.__file__).parent / "signals.yaml").read_text(encoding="utf-8")) or {}
    return sorted(set(seeds) | set(SIGNAL_NAMES), key=lambda name: (name not in SIGNAL_NAMES, name))


def builder_choices(conn: sqlite3.Connection, channels: list[str]) -> dict[str, Any]:
    """Return the pick lists of the 当/就/否则 form, each as (value, label) pairs."""
    return {
        "zones": list(zone_names(conn).items()),
        "signals": [(name, SIGNAL_NAMES.get(name, name)) for name in _signals()],
        "params": list(PARAM_KINDS.items()),
        "actions": list(ACTION_KINDS.items()),
        "channels": sorted(set(channels) | {"sales", "manager"}),
    }
