"""What a caller may see of sales data (visitors, their badges, notes, notifications): the one reader of it for
the REST API, the pages and the export alike.

Visibility comes from the badge registry only: a rep sees the visitors registered to their rep badge (and the
notes they dictated themselves). What a note says (which badges it lists, who dictated it) never widens anyone's
view. Admins and managers see everything; IT sees the fleet, not sales data.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from fastapi import HTTPException

from hub.auth.principal import Principal
from hub.auth.roles import rep_badge_of
from hub.store.badges import badges_of_visitors, badges_tapped_since, visitors_of_rep

SEE_ALL = ("admin", "manager")
SALES_ROLES = (*SEE_ALL, "rep")


def sees_sales_data(principal: Principal) -> bool:
    """Whether a role may read any visitor, note or notification content at all."""
    return principal.role in SALES_ROLES


def visible_visitors(conn: sqlite3.Connection, principal: Principal) -> set[str] | None:
    """Return the visitor ids a caller may see, or None for everyone (admin, manager); empty for other roles."""
    if principal.role in SEE_ALL:
        return None
    badge = rep_badge_of(principal)
    return visitors_of_rep(conn, badge) if principal.role == "rep" and badge else set()


def visitor_list_scope(conn: sqlite3.Connection, principal: Principal) -> tuple[set[str] | None, str | None]:
    """Return what a caller's visitors list may hold as (visitors, rep badge): a rep's list is the visitors registered
    to their rep badge, read from that rep's own index (visitors None); otherwise as visible_visitors says."""
    badge = rep_badge_of(principal)
    if principal.role == "rep" and badge:
        return None, badge
    return visible_visitors(conn, principal), None


def note_list_scope(conn: sqlite3.Connection, principal: Principal) -> tuple[set[str] | None, str | None]:
    """Return what a caller's notes list may hold as (visitor badges, rep badge): a rep's list is the notes about
    their visitors' badges and those they dictated, read from that rep's own index (note_readers, which the schema
    keeps by this module's rules: visible_badges and visible_note); otherwise visible_badges (None for all)."""
    badge = rep_badge_of(principal)
    if principal.role == "rep" and badge:
        return None, badge
    return visible_badges(conn, principal), None


def opportunity_visitors(conn: sqlite3.Connection, principal: Principal) -> set[str] | None:
    """Return the visitors whose opportunities a caller may read and move, or None for all: a CRM integration
    token moves every opportunity (it is where they are followed up); a rep only their own visitors'."""
    return None if principal.role == "crm" else visible_visitors(conn, principal)


def check_opportunity_access(conn: sqlite3.Connection, principal: Principal, opportunity: dict[str, Any]) -> None:
    """Raise 403 when a rep acts on an opportunity that is neither theirs nor one of their visitors'."""
    allowed = opportunity_visitors(conn, principal)
    if allowed is None or opportunity["visitor"] in allowed:
        return
    if opportunity["rep"] is not None and opportunity["rep"] == rep_badge_of(principal):
        return
    raise HTTPException(403, f"opportunity {opportunity['id']} is not one of your visitors'")


def visible_badges(conn: sqlite3.Connection, principal: Principal) -> set[str] | None:
    """Return the visitor badges (and visitor ids) whose data the caller may see, or None for all."""
    visitors = visible_visitors(conn, principal)
    return None if visitors is None else badges_of_visitors(conn, visitors)


def tapped_since(
    conn: sqlite3.Connection, principal: Principal, allowed: set[str] | None, since: float
) -> set[str] | None:
    """Return those of a caller's visible badges (allowed, as visible_badges gave them) that may have a visit since
    `since`, or None for all: for a rep, the badges tapped since then, read from the rep's range of rep_activity,
    so what a rep's board reads follows the rep's recent tours, not every badge of their scope."""
    badge = rep_badge_of(principal)
    if allowed is None or principal.role != "rep" or not badge:
        return allowed
    return badges_tapped_since(conn, badge, since) & allowed


def check_visitor_access(conn: sqlite3.Connection, principal: Principal, visitor_id: str, resolved: str) -> None:
    """Raise 403 when a caller asks for a visitor who is not theirs. What counts is the visitor the id resolves to
    (whose profile would be shown): an id that is one of the caller's visitor ids but also a badge registered to
    someone else (a reissued badge) resolves to that someone."""
    allowed = visible_visitors(conn, principal)
    if allowed is not None and resolved not in allowed:
        raise HTTPException(403, f"visitor {visitor_id!r} is not one of your visitors")


def restrict(badges: list[str] | None, allowed: set[str] | None) -> list[str] | None:
    """Intersect a badge filter with what the caller may see."""
    if allowed is None:
        return badges
    return sorted(allowed if badges is None else set(badges) & allowed)


def check_badges(badges: list[str], allowed: set[str] | None, what: str) -> None:
    """Raise 403 unless the caller may see at least one of these badges."""
    if allowed is not None and not set(badges) & allowed:
        raise HTTPException(403, f"{what} is not one of your visitors")


def visible_note(note: dict[str, Any], allowed: set[str] | None, principal: Principal) -> bool:
    """A rep sees notes about their visitors and notes they dictated."""
    if allowed is None:
        return True
    own = rep_badge_of(principal)
    return bool(set(note["visitor_badges"]) & allowed) or (own is not None and note["rep_badge"] == own)


def dead_letter_for(item: dict[str, Any], principal: Principal) -> dict[str, Any]:
    """Return a dead letter as a caller may see it: what might be a note (its topic, or any "text" in it) keeps its
    payload from roles that do not read sales data; IT still sees the topic, the reason and the size."""
    if sees_sales_data(principal):
        return item
    payload = str(item.get("payload") or "")
    if str(item.get("topic", "")).endswith("/note") or '"text"' in payload:
        return {**item, "payload": f"(hidden: a note's content, {item.get('payload_size', len(payload))} bytes)"}
    return item
