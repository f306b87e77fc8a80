"""Turn a rendered message into the HTTP request each receiver expects, and judge its reply."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus

import httpx

from hub.notify.config import Channel
from hub.notify.templates import Message


@dataclass(frozen=True)
class Outgoing:
    """One HTTP POST to make."""

    url: str
    headers: dict[str, str]
    body: bytes


class DeliveryError(Exception):
    """A delivery attempt failed; retryable says whether trying again may help."""

    def __init__(self, message: str, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """Return DingTalk's robot signature: base64(HMAC-SHA256(secret, "timestamp\\nsecret")), URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode())


def crm_signature(secret: str, body: bytes) -> str:
    """Return the X-TourTrace-Signature header value: sha256=<hex HMAC-SHA256 of the body>."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _json(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def build_request(channel: Channel, message: Message, row: dict[str, Any], now_ms: int | None = None) -> Outgoing:
    """Build the POST for a channel kind: WeCom/DingTalk markdown robots or the signed CRM webhook."""
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if channel.kind == "wecom":
        body = _json({"msgtype": "markdown", "markdown": {"content": message.text}})
        return Outgoing(channel.url, headers, body)
    if channel.kind == "dingtalk":
        body = _json({"msgtype": "markdown", "markdown": {"title": message.title, "text": message.text}})
        url = channel.url
        if channel.secret:
            stamp = now_ms if now_ms is not None else int(time.time() * 1000)
            url += ("&" if "?" in url else "?") + f"timestamp={stamp}&sign={dingtalk_sign(channel.secret, stamp)}"
        return Outgoing(url, headers, body)
    body = _json(
        {
            "event_id": row["idempotency_key"],
            "template": row["template"],
            "title": message.title,
            "text": message.text,
            "context": row["context"],
            "created_at": row["created_at"],
            "opportunity_id": row["context"].get("opportunity_id") if isinstance(row["context"], dict) else None,
        }
    )
    headers["Idempotency-Key"] = quote(row["idempotency_key"], safe="|:@-._~")  # HTTP headers are ASCII: 报价商机|…
    headers["X-TourTrace-Signature"] = crm_signature(channel.secret, body)
    return Outgoing(channel.url, headers, body)


def post(client: httpx.Client, outgoing: Outgoing, kind: str) -> None:
    """Send a request; raise DeliveryError unless the receiver accepted it."""
    try:
        response = client.post(outgoing.url, content=outgoing.body, headers=outgoing.headers)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from None
    if response.status_code >= 300:
        retryable = response.status_code >= 500 or response.status_code in (408, 429)
        raise DeliveryError(f"HTTP {response.status_code}: {response.text[:200]}", retryable)
    if kind in ("wecom", "dingtalk"):
        try:
            reply = response.json()
        except ValueError:
            raise DeliveryError(f"robot replied with non-JSON: {response.text[:200]}") from None
        code = reply.get("errcode", 0) if isinstance(reply, dict) else 0
        if code != 0:
            raise DeliveryError(f"robot errcode {code}: {reply.get('errmsg', '')}")
