"""Browser login: a token is exchanged for a short-lived session kept in a signed, HttpOnly cookie."""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
from dataclasses import dataclass

from fastapi import Request

from hub.auth.principal import Principal
from hub.auth.roles import Caller
from hub.store.db import connect
from hub.store.tokens import create_token, find_token, hub_secret, revoke_secret

COOKIE = "tt_session"
SESSION_TTL_S = 12 * 3600


@dataclass(frozen=True)
class Session:
    """A logged-in browser: who, and the session secret the page's scripts use as their bearer token."""

    caller: Caller
    secret: str


def _signature(conn: sqlite3.Connection, secret: str) -> str:
    key = hub_secret(conn, "session-cookie").encode()
    return hmac.new(key, secret.encode(), hashlib.sha256).hexdigest()[:32]


def login(db_path: str, admin_token: str | None, credential: str) -> str | None:
    """Check a token and open a session; return the cookie value, None when the token is not valid."""
    credential = credential.strip()
    conn = connect(db_path)
    try:
        if admin_token and credential and hmac.compare_digest(credential, admin_token):
            principal: Principal = Caller("admin", "admin")
        else:
            row = find_token(conn, credential) if credential else None
            if row is None or row["kind"] != "api":
                return None
            principal = Caller(row["name"], row["role"], row["rep_badge"], row["id"])
        badge = principal.rep_badge if isinstance(principal, Caller) else None
        _, secret = create_token(conn, principal.name, principal.role, principal.name, badge, "session", SESSION_TTL_S)
        return f"{secret}.{_signature(conn, secret)}"
    finally:
        conn.close()


def current_session(request: Request) -> Session | None:
    """Return the session of a request's cookie when its signature holds and the session is live."""
    value = request.cookies.get(COOKIE, "")
    secret, _, signature = value.rpartition(".")
    if not secret or not signature:
        return None
    conn = connect(request.app.state.settings.db)
    try:
        if not hmac.compare_digest(signature, _signature(conn, secret)):
            return None
        row = find_token(conn, secret)
    finally:
        conn.close()
    if row is None or row["kind"] != "session":
        return None
    return Session(Caller(row["name"], row["role"], row["rep_badge"], row["id"]), secret)


def logout(request: Request) -> None:
    """End the request's session."""
    session = current_session(request)
    if session is not None:
        conn = connect(request.app.state.settings.db)
        try:
            revoke_secret(conn, session.secret)
        finally:
            conn.close()
