"""What a caller may see of visitors: reps only their own, managers and admins everything."""

from __future__ import annotations

import sqlite3
from typing import Any

from fastapi import HTTPException

from hub.auth.principal import Principal
from hub.auth.roles import visible_visitors
from hub.store.badges import visitor_of_badge


def visible_badges(conn: sqlite3.Connection, principal: Principal) -> set[str] | None:
    """Return the badges whose data the caller may see, or None for all."""
    visitors = visible_visitors(conn, principal)
    if visitors is None:
        return None
    owners = visitor_of_badge(conn)
    return {badge for badge, visitor in owners.items() if visitor in visitors} | visitors


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
    return bool(set(note["visitor_badges"]) & allowed) or note["rep_badge"] == getattr(principal, "rep_badge", None)
