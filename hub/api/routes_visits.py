"""Visits, visitors and visitor profiles."""

from __future__ import annotations

import sqlite3
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query

from hub.api.deps import cursor_errors, get_db
from hub.auth.principal import Principal
from hub.auth.roles import visitor_readers
from hub.auth.scope import check_badges, restrict, visible_badges, visitor_list_scope
from hub.store.events import sig_finding_counts
from hub.store.notes import list_notes, list_tags
from hub.store.paging import DEFAULT_LIMIT
from hub.store.visitors import list_visitors, resolve_visitor
from hub.store.visits import dwell_per_zone, list_visits, page_visits
from protocol import to_epoch

router = APIRouter()


def _since(since: str | None) -> float | None:
    if since is None:
        return None
    try:
        return to_epoch(since)
    except ValueError:
        raise HTTPException(422, f"since: expected RFC 3339 time with offset, got {since!r}") from None


@router.get("/api/visits")
def visits(
    db: sqlite3.Connection = Depends(get_db),
    visitor: str | None = Query(None, description="visitor id or badge id"),
    zone: str | None = None,
    since: str | None = Query(None, description="RFC 3339; visits starting at or after"),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=10000),
    cursor: str | None = Query(None, max_length=200, description="the previous page's next"),
    caller: Principal = Depends(visitor_readers),
) -> dict[str, Any]:
    """A page {items, next} of visit intervals, oldest first: badge, zone, station, start, end (null while open),
    dwell_s, timed_out."""
    badges = None if visitor is None else resolve_visitor(db, visitor)["badges"]
    badges = restrict(badges, visible_badges(db, caller))
    with cursor_errors():
        return page_visits(db, badges=badges, zone=zone, since_epoch=_since(since), limit=limit, cursor=cursor)


@router.get("/api/visitors")
def visitors(
    db: sqlite3.Connection = Depends(get_db),
    q: str | None = Query(None, max_length=200, description="search name, company, id or interest tag"),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=1000),
    cursor: str | None = Query(None, max_length=200, description="the previous page's next"),
    caller: Principal = Depends(visitor_readers),
) -> dict[str, Any]:
    """A page {items, next} of visitors seen on tours or registered, last seen first: id, badges, name, company,
    rep, tags, first_seen, last_seen, taps."""
    with cursor_errors():
        allowed, rep = visitor_list_scope(db, caller)
        return list_visitors(db, allowed, (q or "").strip(), limit, cursor, rep)


@router.get("/api/visitors/{visitor_id}/profile")
def profile(
    visitor_id: str, db: sqlite3.Connection = Depends(get_db), caller: Principal = Depends(visitor_readers)
) -> dict[str, Any]:
    """A visitor's visits and dwell per zone; accepts a visitor id or a badge id."""
    visitor = resolve_visitor(db, visitor_id)
    check_badges(visitor["badges"], visible_badges(db, caller), f"visitor {visitor_id!r}")
    items = list_visits(db, badges=visitor["badges"], limit=10000)
    findings = sig_finding_counts(db, visitor["badges"])  # a copied badge builds no visit but is shown here
    if not (items or findings or visitor["registered"] or list_notes(db, badges=visitor["badges"], limit=1)):
        raise HTTPException(404, f"no visitor or badge {visitor_id!r} has been seen")
    return {**visitor, "visits": items, "dwell_per_zone": dwell_per_zone(items),
            "tags": list_tags(db, visitor["badges"]), "notes": list_notes(db, badges=visitor["badges"]),
            "unsigned_taps": sum(1 for v in items if v["sig_ok"] is False),
            "badge_findings": findings}  # fmt: skip
