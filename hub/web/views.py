"""Shape stored data for the dashboard pages: board, profile (with dwell bars), notes, fleet lights."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from hub.rules.evidence import evidence_text
from hub.store.badges import badges_of_visitors, visitor_card, visitor_of_badge
from hub.store.notes import list_notes, list_tags
from hub.store.visitors import resolve_visitor
from hub.store.visits import dwell_per_zone, list_visits, open_visits, recent_closed_visits
from hub.store.zones import zone_names
from protocol import to_epoch

RECENT_S = 7 * 86400  # the board's "recently left": the last eight visits of the past week
ZONE_COLOURS = ("#2f7ed8", "#e4572e", "#17a398", "#f3a712", "#8e6c8a", "#4c6085", "#a1c181", "#c44536")


def zone_colour(zone: str, names: dict[str, str]) -> str:
    order = sorted(names)
    index = order.index(zone) if zone in order else sum(map(ord, zone))
    return ZONE_COLOURS[index % len(ZONE_COLOURS)]


def _with_visitor(conn: sqlite3.Connection, visits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    owners = visitor_of_badge(conn, {v["badge"] for v in visits})
    cards: dict[str, dict[str, Any]] = {}
    result = []
    for visit in visits:
        visitor = owners.get(visit["badge"], visit["badge"])
        if visitor not in cards:
            cards[visitor] = visitor_card(conn, visitor)
        result.append({**visit, "visitor": visitor, **cards[visitor]})
    return result


def board_since(now: float, today_since: float | None) -> float:
    """Return the start of the board's windows: its "recently left" week and, on a rep's board, today."""
    return min(now - RECENT_S, now if today_since is None else today_since)


def board(
    conn: sqlite3.Connection,
    badges: set[str] | None,
    today_since: float | None = None,
    tapped: set[str] | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """Return who is in which zone now (open visits) and who left most recently, with names.

    With today_since (a rep's board), also each visitor seen since then, for the "my visitors today" list. Given
    tapped (those of badges tapped since board_since(now, today_since)), the recent and today's visits are read for
    those badges only.
    """
    now = time.time() if now is None else now
    names = zone_names(conn)
    now_visits = [v for v in open_visits(conn) if badges is None or v["badge"] in badges]
    zones: dict[str, list[dict[str, Any]]] = {zone: [] for zone in names}
    for visit in _with_visitor(conn, now_visits):
        zones.setdefault(visit["zone"], []).append({**visit, "start_epoch": to_epoch(visit["start"])})
    recent_badges = badges if tapped is None else tapped
    recent = _with_visitor(conn, recent_closed_visits(conn, recent_badges, 8, now - RECENT_S))
    today = None if today_since is None else visitors_today(conn, recent_badges, names, today_since)
    return {"zones": [{"id": z, "name": names.get(z, z), "colour": zone_colour(z, names), "visitors": people}
                      for z, people in zones.items()], "recent": recent, "now": time.time(),
            "today": today}  # fmt: skip


def visitors_today(conn: sqlite3.Connection, badges: set[str] | None, names: dict[str, str],
                   since: float) -> list[dict[str, Any]]:  # fmt: skip
    """Return each visitor with a visit since `since` once, at their latest visit: on tour now first."""
    visits = list_visits(conn, None if badges is None else sorted(badges), since_epoch=since, limit=10000)
    latest: dict[str, dict[str, Any]] = {}
    for visit in _with_visitor(conn, visits):  # oldest first, so the last one kept is the latest
        zone = visit["zone"]
        latest[visit["visitor"]] = {
            **visit,
            "visit": visit,
            "zone_name": names.get(zone, zone),
            "colour": zone_colour(zone, names),
            "start_epoch": to_epoch(visit["start"]),
        }
    return sorted(latest.values(), key=lambda e: (not e["open"], -e["start_epoch"]))


def dwell_bars(totals: dict[str, float], names: dict[str, str]) -> list[dict[str, Any]]:
    """Return one bar per zone, longest first, with width as a share of the longest."""
    longest = max(totals.values(), default=0.0) or 1.0
    return [
        {"zone": zone, "name": names.get(zone, zone), "seconds": seconds, "minutes": round(seconds / 60, 1),
         "share": seconds / longest, "colour": zone_colour(zone, names)}
        for zone, seconds in sorted(totals.items(), key=lambda item: -item[1])
    ]  # fmt: skip


def timeline(visits: list[dict[str, Any]], names: dict[str, str], now: float, gap_s: float = 1800) -> list[Any]:
    """Split visits into tours (a gap over gap_s starts a new one); place each visit on its tour's 0..1 axis."""
    spans = sorted(((to_epoch(v["start"]), to_epoch(v["end"]) if v["end"] else now, v) for v in visits),
                   key=lambda item: item[0])  # fmt: skip
    tours: list[list[tuple[float, float, dict[str, Any]]]] = []
    for span in spans:
        if tours and span[0] - max(e for _, e, _ in tours[-1]) <= gap_s:
            tours[-1].append(span)
        else:
            tours.append([span])
    result = []
    for tour in tours:
        first, last = tour[0][0], max(e for _, e, _ in tour)
        width = max(last - first, 1.0)
        result.append({"start": tour[0][2]["start"], "end": tour[-1][2]["end"] or "", "segments": [
            {"x": (s - first) / width, "w": max((e - s) / width, 0.004), "zone": v["zone"],
             "name": names.get(v["zone"], v["zone"]), "colour": zone_colour(v["zone"], names), "visit": v}
            for s, e, v in tour]})  # fmt: skip
    return result


def highlight(text: str, params: list[Any]) -> list[dict[str, Any]]:
    """Split normalized text into plain pieces and marked parameter pieces (by each param's span)."""
    marks = sorted(
        (p for p in params if isinstance(p, dict) and isinstance(p.get("span"), list) and len(p["span"]) == 2),
        key=lambda p: p["span"][0],
    )
    pieces: list[dict[str, Any]] = []
    at = 0
    for param in marks:
        start, end = int(param["span"][0]), int(param["span"][1])
        if start < at or end > len(text) or start >= end:
            continue
        if start > at:
            pieces.append({"text": text[at:start], "param": None})
        pieces.append({"text": text[start:end], "param": param})
        at = end
    if at < len(text):
        pieces.append({"text": text[at:], "param": None})
    return pieces


def decorate_note(note: dict[str, Any]) -> dict[str, Any]:
    """Add highlighted pieces and readable lookups to a note."""
    text = note["normalized"] or note["text"]
    params = note["params"] if note["normalized"] else []
    lookups = [x for x in note["lookups"] if isinstance(x, dict)]
    return {**note, "pieces": highlight(text, params), "lookup_items": lookups,
            "warning_items": [w if isinstance(w, dict) else {"kind": "", "text": str(w)} for w in note["warnings"]],
            "signal_items": [_signal_label(s) for s in note["signals"]]}  # fmt: skip


def _signal_label(signal: Any) -> str:
    """A signal's name; a declined one says so ("quote ✗")."""
    if not isinstance(signal, dict):
        return str(signal)
    name = str(signal.get("name") or signal.get("text") or "")
    return f"{name} ✗" if signal.get("negated") else name


def profile(conn: sqlite3.Connection, visitor_id: str) -> dict[str, Any] | None:
    """Return everything the profile page shows, None when the visitor was never seen nor registered."""
    visitor = resolve_visitor(conn, visitor_id)
    badges = badges_of_visitors(conn, {visitor["id"]}) | set(visitor["badges"])
    visits = list_visits(conn, badges=sorted(badges), limit=100000)
    notes = list_notes(conn, sorted(badges), limit=500)
    if not visits and not visitor["registered"] and not notes:
        return None
    names = zone_names(conn)
    tags = list_tags(conn, badges)
    now = time.time()
    return {
        **visitor,
        **visitor_card(conn, visitor["id"]),
        "visits": visits,
        "bars": dwell_bars(dwell_per_zone(visits), names),
        "timeline": timeline(visits, names, now),
        "colours": {zone: zone_colour(zone, names) for zone in {v["zone"] for v in visits}},
        "tags": [{**t, "evidence_text": evidence_text(t["evidence"], names)} for t in tags],
        "notes": [decorate_note(n) for n in notes],
        "zone_names": names,
    }


def fleet_light(station: dict[str, Any], now: float) -> tuple[str, list[str]]:
    """Return red|yellow|green for a station and the reasons it is not green."""
    if not station["online"]:
        return "red", [f"state {station['state']}"]
    reasons = []
    if station["clock_synced"] is False:
        reasons.append("clock not synced")
    if station["reader"] not in (None, "present", "ok"):
        reasons.append(f"reader {station['reader']}")
    if (station["outbox_depth"] or 0) > 100:
        reasons.append(f"outbox {station['outbox_depth']}")
    if station.get("missing_seq"):
        reasons.append(f"{station['missing_seq']} events missing (seq gaps)")
    try:
        if now - to_epoch(station["last_seen"]) > 300:
            reasons.append("silent > 5 min")
    except (TypeError, ValueError):
        reasons.append("last seen unknown")
    return ("yellow" if reasons else "green"), reasons
