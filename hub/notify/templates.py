"""Chinese message templates (Jinja2, sandboxed); settings may override or add templates by name."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import TemplateError
from jinja2.sandbox import SandboxedEnvironment

_VISITOR = "- 访客：**{{ visitor_name or visitor }}**{% if company %}（{{ company }}）{% endif %}\n"
_PROFILE = "{% if url %}\n[查看访客档案]({{ url }}){% endif %}"
DEFAULT_TEMPLATES: dict[str, dict[str, str]] = {
    "opportunity": {
        "title": "新商机：{{ visitor_name or visitor }}",
        "text": "### 新商机\n" + _VISITOR + "{% if rep %}- 销售：{{ rep }}\n{% endif %}"
        "{% if signals %}- 信号：{{ signals | join('、') }}\n{% endif %}"
        "{% if note %}- 备注：{{ note }}\n{% endif %}" + _PROFILE,
    },
    "escalation": {
        "title": "跟进提醒：{{ visitor_name or visitor }}",
        "text": "### 报价后未跟进\n" + _VISITOR + "{% if rep %}- 负责销售：{{ rep }}\n{% endif %}"
        "- 报价后已过 {{ hours or 2 }} 小时仍无跟进，请尽快联系客户。\n" + _PROFILE,
    },
    "tag": {
        "title": "访客标签：{{ tag or rule }}",
        "text": "### 访客标签\n" + _VISITOR + "- 标签：**{{ tag or rule }}**\n"
        "{% if evidence %}- 依据：{{ evidence }}\n{% endif %}" + _PROFILE,
    },
    "digest": {"title": "{{ title }}", "text": "{{ markdown }}"},
    "warning": {
        "title": "工艺可行性提醒：{{ visitor_name or visitor }}",
        "text": "### 工艺可行性提醒\n" + _VISITOR + "{% if rep %}- 销售：{{ rep }}\n{% endif %}"
        "- 提醒：{{ warning or evidence }}\n{% if note %}- 原话：{{ note }}\n{% endif %}" + _PROFILE,
    },
    "rule": {
        "title": "规则提醒：{{ rule }}",
        "text": "### 规则提醒：{{ rule }}\n{% if visitor %}" + _VISITOR + "{% endif %}"
        "{% if rep %}- 销售：{{ rep }}\n{% endif %}- 依据：{{ evidence }}\n"
        "{% if note %}- 原话：{{ note }}\n{% endif %}" + _PROFILE,
    },
}
_FALLBACK = {
    "title": "TourTrace 通知：{{ template }}",
    "text": "### TourTrace 通知（{{ template }}）\n"
    "{% for k, v in context.items() if v %}- {{ k }}：{{ v }}\n{% endfor %}",
}


_MARKDOWN_LOOKALIKES = str.maketrans({"[": "［", "]": "］", "(": "（", ")": "）", "<": "＜", ">": "＞", "*": "＊",
                                      "_": "＿", "`": "｀", "#": "＃", "|": "｜", "~": "～", "\\": "＼",
                                      "\n": " ", "\r": " "})  # fmt: skip
TRUSTED_KEYS = ("url", "template", "markdown")  # set by the hub itself, never by what a visitor or a note says
# (`markdown`: the daily digest, built by hub.notify.digest with every name, tag and warning in it made plain)


def plain(value: Any) -> Any:
    """Return text as it may go into a WeCom/DingTalk markdown message: what a badge, visitor or note says can
    make no link, emphasis or heading in a group chat (markdown characters become full-width look-alikes)."""
    if isinstance(value, str):
        return value.translate(_MARKDOWN_LOOKALIKES).replace("://", "：//")  # no bare link either
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    return value


@dataclass(frozen=True)
class Message:
    """A rendered notification."""

    title: str
    text: str


class TemplateSet:
    """The default templates overlaid with configured ones."""

    def __init__(self, overrides: Mapping[str, Mapping[str, str]] | None = None) -> None:
        self.env = SandboxedEnvironment(autoescape=False, keep_trailing_newline=False)
        self.templates = {**DEFAULT_TEMPLATES, **{k: dict(v) for k, v in (overrides or {}).items()}}

    def render(self, name: str, context: Mapping[str, Any]) -> Message:
        """Render a template; an unknown name lists the context so nothing is lost; errors raise ValueError."""
        spec = self.templates.get(name, _FALLBACK)
        safe = {key: value if key in TRUSTED_KEYS else plain(value) for key, value in context.items()}
        values = {**safe, "template": name, "context": safe}
        try:
            title = self.env.from_string(spec.get("title", "")).render(values).strip()
            text = self.env.from_string(spec["text"]).render(values).strip()
        except TemplateError as exc:
            raise ValueError(f"template {name!r}: {exc}") from None
        return Message(title or name, text)
