"""Notification channels from the hub settings: name → {kind: wecom|dingtalk|crm, url, secret}."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from tourtrace.config_model import Settings

CHANNEL_KINDS = ("wecom", "dingtalk", "crm")
IDEMPOTENT_KINDS = ("crm",)  # receivers that honour Idempotency-Key, so a resend after a crash is harmless


class ChannelSettings(Settings):
    """hub.yaml `notify.<name>`: where and how to deliver."""

    kind: Literal["wecom", "dingtalk", "crm"]
    url: str
    secret: str = Field("", validate_default=True)

    @model_validator(mode="before")
    @classmethod
    def _mapping(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            raise PydanticCustomError("channel", "expected mapping with kind, url, secret")
        return data

    @field_validator("url", mode="before")
    @classmethod
    def _http_url(cls, url: Any) -> Any:
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise PydanticCustomError("url", "expected http(s)://HOST/…, got {url}", {"url": repr(url)})
        return url

    @field_validator("secret")
    @classmethod
    def _crm_needs_secret(cls, secret: str, info: ValidationInfo) -> str:
        if info.data.get("kind") == "crm" and not secret:
            raise PydanticCustomError("secret", "required for a crm webhook (signs X-TourTrace-Signature)")
        return secret


class TemplateSettings(Settings):
    """hub.yaml `notify_templates.<name>`: Jinja2 title and text."""

    title: str = ""
    text: str

    @model_validator(mode="before")
    @classmethod
    def _mapping_with_text(cls, data: Any) -> Any:
        if not isinstance(data, Mapping) or not isinstance(data.get("text"), str):
            raise PydanticCustomError("template", "expected mapping with title and text (Jinja2 templates)")
        return data


@dataclass(frozen=True)
class Channel:
    """One delivery target."""

    name: str
    kind: str
    url: str
    secret: str = ""


def load_channels(channels: Mapping[str, ChannelSettings]) -> dict[str, Channel]:
    """Build channels from validated settings."""
    return {name: Channel(name, spec.kind, spec.url, spec.secret) for name, spec in channels.items()}


def parse_hhmm(text: str) -> tuple[int, int] | None:
    """Return (hour, minute) of an HH:MM time, None when it is not one."""
    hour, sep, minute = text.partition(":")
    if not sep or not hour.isdigit() or not minute.isdigit() or len(minute) != 2:
        return None
    h, m = int(hour), int(minute)
    return (h, m) if 0 <= h < 24 and 0 <= m < 60 else None


def _digest_time(at: str) -> str:
    if parse_hhmm(at) is None:
        raise PydanticCustomError("digest_time", "expected HH:MM (site time, e.g. 18:00), got {at}", {"at": repr(at)})
    return at


DigestTime = Annotated[str, AfterValidator(_digest_time)]
