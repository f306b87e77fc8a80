"""The managers' daily digest: the day's visitors, hot leads, feasibility warnings, pending and overdue follow-ups.

Built as markdown lines and split into parts that fit WeCom's 4,096-byte markdown limit; nothing to say → no parts.
The hub writes the markdown; every name, company, tag, title and warning in it is made plain first.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from hub.notify.templates import plain
from hub.store.badges import list_badges, visitor_card, visitor_of_badge
from hub.store.digests import day_notes, day_tags, day_visits, overdue_opportunities
from hub.store.opportunities import list_opportunities

MAX_BYTES = 4096  # WeCom robot markdown content limit (UTF-8 bytes)
HEADER_RESERVE = 120  # the part header "# 每日参观简报 2026-11-30（2/3）" and its newline
SIGNAL_LABELS = {"quote": "报价", "lead_time": "交期", "sample": "样品", "competitor": "竞品", "budget": "预算"}


@dataclass(frozen=True)
class DigestDay:
    """One calendar day at the site: its date and its [start, end) in epoch seconds."""

    day: date
    start: float
    end: float

    @classmethod
    def of(cls, day: date, timezone: str) -> DigestDay:
        zone = ZoneInfo(timezone)
        start = datetime.combine(day, time(0), zone)
        return cls(day, start.timestamp(), (start + timedelta(days=1)).timestamp())


def _said(items: list[Any]) -> list[dict[str, Any]]:
    return [i for i in items if isinstance(i, dict) and i.get("negated") is not True]


class _People:
    """Visitor ids, names and profile links for badges; rep names."""

    def __init__(self, conn: sqlite3.Connection, base_url: str) -> None:
        self.conn = conn
        self.owners: dict[str, str] = {}  # badge -> visitor, looked up as badges come (not the whole registry)
        self.reps = {b["badge_id"]: b["name"] or b["badge_id"] for b in list_badges(conn, "rep")}
        self.base_url = base_url.rstrip("/")
        self.cards: dict[str, dict[str, Any]] = {}

    def visitor(self, badge: str) -> str:
        if badge not in self.owners:
            self.owners[badge] = visitor_of_badge(self.conn, [badge]).get(badge, badge)
        return self.owners[badge]

    def card(self, visitor: str) -> dict[str, Any]:
        if visitor not in self.cards:
            self.cards[visitor] = visitor_card(self.conn, visitor)
        return self.cards[visitor]

    def link(self, visitor: str) -> str:
        """The visitor's name linking to the profile; what the registry says is made plain (no markdown)."""
        card = self.card(visitor)
        company = f"（{plain(card['company'])}）" if card["company"] else ""
        return f"[{plain(card['name'] or visitor)}]({self.base_url}/visitors/{quote(visitor, safe='')}){company}"

    def rep(self, badge: str | None) -> str:
        return str(plain(self.reps.get(badge or "", badge or "—")))


def digest_lines(conn: sqlite3.Connection, day: DigestDay, base_url: str) -> list[str]:
    """Return the digest's markdown lines for a day; empty when there is nothing to tell."""
    people = _People(conn, base_url)
    visits, notes, tags = day_visits(conn, day.start, day.end), day_notes(conn, day.start, day.end), day_tags(
        conn, day.start, day.end)  # fmt: skip
    dwell: dict[str, float] = {}
    for visit in visits:
        who = people.visitor(visit["badge"])
        dwell[who] = dwell.get(who, 0.0) + visit["dwell_s"]
    signals: dict[str, list[str]] = {}
    warnings: list[str] = []
    for note in notes:
        visitors = [people.visitor(b) for b in note["badges"]]
        names = [SIGNAL_LABELS.get(s.get("name", ""), s.get("name", "")) for s in _said(note["signals"])]
        for who in visitors:
            dwell.setdefault(who, 0.0)
            signals.setdefault(who, [])
            signals[who] += [n for n in names if n not in signals[who]]
        for warning in _said(note["warnings"]):
            if warning.get("kind") not in ("correction", "input"):
                text = str(warning.get("text") or warning.get("message") or "")
                warnings.append(f"- {'、'.join(people.link(v) for v in visitors)}：{plain(text)}")
    tagged: dict[str, list[str]] = {}
    for tag in tags:
        who = people.visitor(tag["badge"])
        tagged.setdefault(who, [])
        if tag["tag"] not in tagged[who]:
            tagged[who].append(tag["tag"])
    pending = list_opportunities(conn, status="pending", limit=200)[0]
    overdue = overdue_opportunities(conn)
    if not dwell and not pending and not overdue:
        return []
    lines: list[str] = []
    if dwell:
        companies = {people.card(v)["company"] for v in dwell} - {""}
        lines += [f"**今日访客 {len(dwell)} 人 · {len(companies)} 家公司**"]
        lines += [f"- {people.link(v)} 停留 {seconds / 60:.0f} 分钟" for v, seconds in dwell.items()]
    hot = sorted((v for v in dwell if signals.get(v) or tagged.get(v)),
                 key=lambda v: -(len(signals.get(v, [])) + len(tagged.get(v, []))))  # fmt: skip
    if hot:
        lines += ["", "## 热门线索"]
        for v in hot:
            parts = [f"停留 {dwell[v] / 60:.0f} 分钟"]
            if tagged.get(v):
                parts.append(f"标签 {plain('、'.join(tagged[v]))}")
            if signals.get(v):
                parts.append(f"信号 {plain('、'.join(signals[v]))}")
            lines.append(f"- {people.link(v)}：{'；'.join(parts)}")
    if warnings:
        lines += ["", "## 工艺可行性提醒", *warnings]
    if pending:
        lines += ["", f"## 待确认商机 {len(pending)}"]
        lines += [f"- {people.link(o['visitor'])} {plain(o['title'])} · 销售 {people.rep(o['rep'])}"
                  f" · {o['created_at'][:16]}" for o in pending]  # fmt: skip
    if overdue:
        lines += ["", f"## 逾期未跟进 {len(overdue)}"]
        lines += [f"- {people.link(o['visitor'])} {plain(o['title'])} · 销售 {people.rep(o['rep'])}" for o in overdue]
    return lines


def split_parts(title: str, lines: list[str], limit: int = MAX_BYTES) -> list[str]:
    """Pack lines into messages of at most `limit` UTF-8 bytes, each headed by the title (and i/n when split)."""
    budget = limit - HEADER_RESERVE
    bodies: list[list[str]] = [[]]
    size = 0
    for line in lines:
        encoded = line.encode("utf-8")
        if len(encoded) > budget:  # one endless line: cut it on a character boundary
            line = encoded[: budget - 3].decode("utf-8", errors="ignore") + "…"
            encoded = line.encode("utf-8")
        if bodies[-1] and size + len(encoded) + 1 > budget:
            bodies.append([])
            size = 0
        if not bodies[-1] and not line:
            continue  # no part starts with a blank line
        bodies[-1].append(line)
        size += len(encoded) + 1
    total = len(bodies)
    heads = [f"# {title}" + (f"（{i}/{total}）" if total > 1 else "") for i in range(1, total + 1)]
    return ["\n".join([head, *body]) for head, body in zip(heads, bodies, strict=True)]


def build_digest(conn: sqlite3.Connection, day: DigestDay, base_url: str, limit: int = MAX_BYTES) -> list[str]:
    """Return the digest of a day as messages ready to send; [] when there is nothing to tell."""
    lines = digest_lines(conn, day, base_url)
    return split_parts(f"每日参观简报 {day.day.isoformat()}", lines, limit) if lines else []
