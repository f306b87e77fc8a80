"""Who may see what: token lookup for the API, role checks, and a rep's view limited to their own visitors."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import HTTPException, Request

from hub.auth.principal import Principal, require_token
from hub.store.db import connect
from hub.store.tokens import find_token

ROLE_LABELS = {"admin": "管理员", "manager": "销售经理", "rep": "销售代表", "it": "IT 运维", "crm": "CRM 集成"}


@dataclass(frozen=True)
class Caller(Principal):
    """A principal from a stored token or session; a rep is linked to their rep badge."""

    rep_badge: str | None = None
    token_id: int | None = None


def token_lookup(db_path: str) -> Callable[[str], Principal | None]:
    """Return the app.state.token_lookup for tokens and sessions stored (hashed) in the hub database."""

    def lookup(secret: str) -> Principal | None:
        conn = connect(db_path)
        try:
            row = find_token(conn, secret)
        except sqlite3.OperationalError:
            return None
        finally:
            conn.close()
        if row is None or row["kind"] != "api":  # a session secret is no bearer token
            return None
        return Caller(row["name"], row["role"], row["rep_badge"], row["id"])

    return lookup


def require_role(*roles: str) -> Callable[[Request], Principal]:
    """Return a dependency that allows admin and the given roles: 401 without a valid token, 403 otherwise."""

    def check(request: Request) -> Principal:
        principal = require_token(request)
        if principal.role != "admin" and principal.role not in roles:
            allowed = "|".join(("admin", *roles))
            raise HTTPException(403, f"role {principal.role!r} may not do this (needs {allowed})")
        return principal

    return check


def rep_badge_of(principal: Principal) -> str | None:
    return principal.rep_badge if isinstance(principal, Caller) else None


admin_only = require_role()
opportunity_actors = require_role("manager", "rep", "crm")
visitor_readers = require_role("manager", "rep")
badge_readers = require_role("manager", "it", "rep")
badge_writers = require_role("manager", "it")
fleet_readers = require_role("manager", "it")
operators = require_role("it")
