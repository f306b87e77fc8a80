"""Admin routes: API tokens, the audit log and the notification outbox."""

from __future__ import annotations

import sqlite3
from typing import Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query

from hub.api.deps import RowId, get_db
from hub.auth.principal import Principal
from hub.auth.roles import admin_only, fleet_readers, operators
from hub.auth.scope import sees_sales_data
from hub.store.audit import list_audit, record_change
from hub.store.badges import get_badge
from hub.store.notify_outbox import STATUSES, count_by_status, list_outbox, retry_now
from hub.store.tokens import ROLES, create_token, list_tokens, revoke_token
from hub.store.tx import transaction
from protocol.fields import has_control

router = APIRouter()


def check_token_request(conn: sqlite3.Connection, payload: dict[str, Any]) -> list[str]:
    """Return every problem with a token request {name, role, rep_badge}."""
    errors = []
    name, role, rep_badge = payload.get("name"), payload.get("role"), payload.get("rep_badge")
    if not isinstance(name, str) or not 0 < len(name.strip()) <= 64 or has_control(name):
        errors.append("name: required, 1-64 printable characters")
    if role not in ROLES:
        errors.append(f"role: expected one of {'|'.join(ROLES)}, got {role!r}")
    if role == "rep":
        badge = get_badge(conn, rep_badge) if isinstance(rep_badge, str) else None
        if badge is None or badge["role"] != "rep":
            errors.append(f"rep_badge: a rep token needs a registered rep badge, got {rep_badge!r}")
    elif rep_badge is not None:
        errors.append("rep_badge: only a rep token is linked to a rep badge")
    return errors


@router.post("/api/tokens", status_code=201)
def create(
    payload: dict[str, Any] = Body(..., examples=[{"name": "李娜", "role": "rep", "rep_badge": "R-007"}]),
    principal: Principal = Depends(admin_only),
    db: sqlite3.Connection = Depends(get_db),
) -> dict[str, Any]:
    """Create a token; the secret is returned once and only its hash is kept."""
    errors = check_token_request(db, payload)
    if errors:
        raise HTTPException(422, errors)
    name, role = payload["name"].strip(), payload["role"]
    with transaction(db):
        token_id, secret = create_token(db, name, role, principal.name, payload.get("rep_badge"))
        record_change(db, principal.name, principal.role, "token.create", f"token:{token_id}",
                      {"name": name, "role": role, "rep_badge": payload.get("rep_badge")})  # fmt: skip
    return {"id": token_id, "name": name, "role": role, "rep_badge": payload.get("rep_badge"), "token": secret}


@router.get("/api/tokens", dependencies=[Depends(admin_only)])
def tokens(db: sqlite3.Connection = Depends(get_db)) -> list[dict[str, Any]]:
    """Every API token (never the secret)."""
    return list_tokens(db)


@router.delete("/api/tokens/{token_id}")
def revoke(
    token_id: RowId, principal: Principal = Depends(admin_only), db: sqlite3.Connection = Depends(get_db)
) -> dict[str, Any]:
    """Revoke a token at once."""
    with transaction(db):
        if not revoke_token(db, token_id):
            raise HTTPException(404, f"no live token with id {token_id}")
        record_change(db, principal.name, principal.role, "token.revoke", f"token:{token_id}")
    return {"id": token_id, "revoked": True}


@router.get("/api/audit", dependencies=[Depends(admin_only)])
def audit(
    db: sqlite3.Connection = Depends(get_db),
    action: str | None = Query(None, description="action prefix, e.g. badge. or token."),
    limit: int = Query(200, ge=1, le=5000),
) -> list[dict[str, Any]]:
    """Every change (badge, rule, library, token) with who and when, newest first."""
    return list_audit(db, limit, action)


@router.get("/api/notify")
def notify(
    db: sqlite3.Connection = Depends(get_db),
    principal: Principal = Depends(fleet_readers),
    status: str | None = Query(None, description="|".join(STATUSES)),
    limit: int = Query(200, ge=1, le=5000),
) -> dict[str, Any]:
    """Notification outbox: counts per status and the newest rows with attempts and last error."""
    if status is not None and status not in STATUSES:
        raise HTTPException(422, f"status: expected one of {'|'.join(STATUSES)}, got {status!r}")
    items = list_outbox(db, status, limit)
    if not sees_sales_data(principal):  # IT sees that deliveries work, not what they say
        items = [{key: value for key, value in item.items() if key != "context"} for item in items]
    return {"counts": count_by_status(db), "items": items}


@router.post("/api/notify/{row_id}/retry")
def retry(
    row_id: RowId, principal: Principal = Depends(operators), db: sqlite3.Connection = Depends(get_db)
) -> dict[str, Any]:
    """Queue a failed notification again."""
    with transaction(db):
        if not retry_now(db, row_id):
            raise HTTPException(404, f"no failed notification with id {row_id}")
        record_change(db, principal.name, principal.role, "notify.retry", f"notify:{row_id}")
    return {"id": row_id, "status": "pending"}
