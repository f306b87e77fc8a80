"""Opportunities: GET /api/opportunities (paged), POST /api/opportunities/{id}/status (reps, managers, the CRM)."""

from __future__ import annotations

import sqlite3
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, Field

from hub.api.deps import RowId, get_db
from hub.auth.principal import Principal
from hub.auth.roles import opportunity_actors, rep_badge_of
from hub.auth.scope import check_opportunity_access, opportunity_visitors
from hub.store.audit import record_change
from hub.store.opportunities import (
    STATUSES,
    TransitionRefused,
    change_status,
    decode_cursor,
    encode_cursor,
    get_opportunity,
    list_opportunities,
)
from hub.store.tx import transaction
from hub.store.visitors import resolve_visitor

router = APIRouter()


class StatusChange(BaseModel):
    status: Literal["confirmed", "ignored", "contacted", "won", "lost"]
    comment: str = Field("", max_length=2000, description="why, e.g. 已电话联系，下周寄样")


def public(opportunity: dict[str, Any]) -> dict[str, Any]:
    """The pinned fields of an opportunity (plus its title and site)."""
    keys = ("id", "visitor", "rep", "status", "rule", "created_at", "updated_at", "evidence", "title", "site")
    return {k: opportunity[k] for k in keys}


@router.get("/api/opportunities")
def opportunities(
    db: sqlite3.Connection = Depends(get_db),
    status: str | None = Query(None, pattern="^(" + "|".join(STATUSES) + ")$"),
    rep: str | None = Query(None, max_length=64, description="rep badge id"),
    visitor: str | None = Query(None, max_length=64, description="visitor id or badge id"),
    limit: int = Query(100, ge=1, le=1000),
    cursor: str | None = Query(None, max_length=200, description="the previous page's next"),
    caller: Principal = Depends(opportunity_actors),
) -> dict[str, Any]:
    """Opportunities newest first, {items, next}; a rep sees those of their own visitors."""
    try:
        after = None if cursor is None else decode_cursor(cursor)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    scope = opportunity_visitors(db, caller)
    asked = None
    if visitor is not None:
        resolved = resolve_visitor(db, visitor)  # a visitor id or one of their badges (also from before registering)
        asked = {visitor, resolved["id"], *resolved["badges"]}
    own = rep_badge_of(caller) if scope is not None else None  # a rep also sees what their own notes raised
    items, last = list_opportunities(db, status, rep, scope, after, limit, own_rep=own, asked=asked)
    return {"items": [public(o) for o in items], "next": None if last is None else encode_cursor(last)}


@router.post("/api/opportunities/{opportunity_id}/status")
def set_status(
    opportunity_id: RowId,
    body: StatusChange,
    db: sqlite3.Connection = Depends(get_db),
    caller: Principal = Depends(opportunity_actors),
) -> dict[str, Any]:
    """Move an opportunity on (pending → confirmed|ignored|contacted → won|lost); 409 for a change the flow refuses.

    Every change is audited with who and before → after; a handled opportunity stops its follow-up escalation.
    """
    with transaction(db):
        current = get_opportunity(db, opportunity_id)
        if current is None:
            raise HTTPException(404, f"no opportunity {opportunity_id}")
        check_opportunity_access(db, caller, current)
        try:
            updated = change_status(db, opportunity_id, body.status, caller.name, caller.role, body.comment)
        except TransitionRefused as exc:
            raise HTTPException(409, str(exc)) from None
        record_change(db, caller.name, caller.role, "opportunity.status", str(opportunity_id),
                      {"before": current["status"], "after": body.status, "comment": body.comment})  # fmt: skip
    return public(updated)
