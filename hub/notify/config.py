"""Notification channels from the hub settings: name → {kind: wecom|dingtalk|crm, url, secret}."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

CHANNEL_KINDS = ("wecom", "dingtalk", "crm")
IDEMPOTENT_KINDS = ("crm",)  # receivers that honour Idempotency-Key, so a resend after a crash is harmless


@dataclass(frozen=True)
class Channel:
    """One delivery target."""

    name: str
    kind: str
    url: str
    secret: str = ""


def check_notify(channels: Mapping[str, Any], templates: Mapping[str, Any]) -> list[str]:
    """Return every problem in the notify and notify_templates settings, each with its path."""
    errors = []
    for name, spec in channels.items():
        path = f"notify.{name}"
        if not isinstance(spec, Mapping):
            errors.append(f"{path}: expected mapping with kind, url, secret")
            continue
        for key in spec:
            if key not in ("kind", "url", "secret"):
                errors.append(f"{path}.{key}: unknown setting")
        kind = spec.get("kind")
        if kind not in CHANNEL_KINDS:
            errors.append(f"{path}.kind: expected one of {'|'.join(CHANNEL_KINDS)}, got {kind!r}")
        url = spec.get("url")
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            errors.append(f"{path}.url: expected http(s)://HOST/…, got {url!r}")
        secret = spec.get("secret", "")
        if not isinstance(secret, str):
            errors.append(f"{path}.secret: expected str, got {type(secret).__name__}")
        elif kind == "crm" and not secret:
            errors.append(f"{path}.secret: required for a crm webhook (signs X-TourTrace-Signature)")
    for name, spec in templates.items():
        path = f"notify_templates.{name}"
        if not isinstance(spec, Mapping) or not isinstance(spec.get("text"), str):
            errors.append(f"{path}: expected mapping with title and text (Jinja2 templates)")
        elif not isinstance(spec.get("title", ""), str):
            errors.append(f"{path}.title: expected str")
    return errors


def load_channels(channels: Mapping[str, Any]) -> dict[str, Channel]:
    """Build channels from settings already checked by check_notify."""
    return {
        name: Channel(name, str(spec["kind"]), str(spec["url"]), str(spec.get("secret") or ""))
        for name, spec in channels.items()
    }
