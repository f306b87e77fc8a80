"""Badge registry routes: list and register visitor and rep badges."""

from __future__ import annotations

import sqlite3
from typing import Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query

from hub.api.deps import get_db
from hub.auth.principal import Principal
from hub.auth.roles import badge_readers, badge_writers, rep_badge_of
from hub.auth.scope import visible_visitors
from hub.store.audit import record_change
from hub.store.badges import BADGE_ROLES, Badge, check_badge, get_badge, list_badges, upsert_badge
from hub.store.tx import transaction

router = APIRouter()
BADGE_EXAMPLE = {"badge_id": "B-1001", "role": "visitor", "visitor": "V-0001", "name": "张伟", "company": "华东阀门",
                 "rep": "R-007"}  # fmt: skip
_FIELDS = ("badge_id", "role", "visitor", "name", "company", "rep")


def parse_badge(payload: Any) -> Badge:
    """Build a Badge from a JSON object; raise 422 listing every problem."""
    if not isinstance(payload, dict):
        raise HTTPException(422, ["body: expected a JSON object {badge_id, role, visitor, name, company, rep}"])
    errors = [f"{key}: unknown field" for key in payload if key not in _FIELDS]
    for key in ("badge_id", "role"):
        if not isinstance(payload.get(key), str):
            errors.append(f"{key}: required string")
    for key in ("visitor", "name", "company", "rep"):
        if payload.get(key) is not None and not isinstance(payload[key], str):
            errors.append(f"{key}: expected string, got {type(payload[key]).__name__}")
    if errors:
        raise HTTPException(422, errors)
    badge = Badge(
        badge_id=payload["badge_id"].strip(),
        role=payload["role"],
        visitor=(payload.get("visitor") or "").strip() or None,
        name=(payload.get("name") or "").strip(),
        company=(payload.get("company") or "").strip(),
        rep=(payload.get("rep") or "").strip() or None,
    )
    errors = check_badge(badge)
    if errors:
        raise HTTPException(422, errors)
    return badge


@router.get("/api/badges")
def badges(
    principal: Principal = Depends(badge_readers),
    db: sqlite3.Connection = Depends(get_db),
    role: str | None = Query(None, description="visitor|rep"),
) -> list[dict[str, Any]]:
    """Registered badges; a rep sees their own badge and their visitors' badges."""
    if role is not None and role not in BADGE_ROLES:
        raise HTTPException(422, f"role: expected visitor|rep, got {role!r}")
    items = list_badges(db, role)
    allowed = None if principal.role == "it" else visible_visitors(db, principal)  # IT keeps the registry
    if allowed is None:
        return items
    own = rep_badge_of(principal)
    return [b for b in items if b["badge_id"] == own or (b["role"] == "visitor" and b["visitor"] in allowed)]


@router.post("/api/badges")
def register(
    payload: Any = Body(..., examples=[BADGE_EXAMPLE]),
    principal: Principal = Depends(badge_writers),
    db: sqlite3.Connection = Depends(get_db),
) -> dict[str, Any]:
    """Register or update a badge (visitor or rep); 422 with every problem when the body is wrong."""
    badge = parse_badge(payload)
    current = get_badge(db, badge.badge_id)
    if principal.role == "it" and badge.rep != (current["rep"] if current else None):
        raise HTTPException(403, "rep: only a manager assigns a visitor to a rep (IT registers badges)")
    if badge.rep is not None:
        rep = get_badge(db, badge.rep)
        if rep is None or rep["role"] != "rep":
            raise HTTPException(422, [f"rep: {badge.rep!r} is not a registered rep badge"])
    with transaction(db):
        created = upsert_badge(db, badge)
        record_change(db, principal.name, principal.role, "badge.create" if created else "badge.update",
                      f"badge:{badge.badge_id}", badge.to_dict())  # fmt: skip
    return {**(get_badge(db, badge.badge_id) or {}), "created": created}
