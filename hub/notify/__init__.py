"""Notifications and CRM push: a durable outbox delivered to WeCom, DingTalk and a signed CRM webhook.

Rules call `enqueue(conn, channel, template, context, idempotency_key)` inside the ingest transaction; the
NotifyWorker started with the hub delivers it.
"""

from hub.notify.channels import crm_signature, dingtalk_sign
from hub.notify.config import CHANNEL_KINDS, Channel, ChannelSettings, TemplateSettings, load_channels
from hub.notify.templates import DEFAULT_TEMPLATES, Message, TemplateSet
from hub.notify.worker import NotifyWorker
from hub.store.notify_outbox import enqueue

__all__ = [
    "CHANNEL_KINDS",
    "DEFAULT_TEMPLATES",
    "Channel",
    "ChannelSettings",
    "Message",
    "NotifyWorker",
    "TemplateSet",
    "TemplateSettings",
    "crm_signature",
    "dingtalk_sign",
    "enqueue",
    "load_channels",
]
