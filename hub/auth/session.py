"""Browser login: a token is exchanged for a session kept in a signed, HttpOnly cookie.

The session slides: it lives SESSION_IDLE_S after the last page the browser loaded (long enough for a phone to
stay locked in a pocket through a plant tour), and never longer than SESSION_MAX_S after the login.

The page never sees a bearer credential: its scripts call the API with the cookie, and every call that changes
something also carries the session's CSRF token (an HMAC of the session, printed in the page) in `X-CSRF-Token`.
A session opened with an API token names it and ends when that token is revoked.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import sqlite3
import time
from dataclasses import dataclass

from fastapi import Request

from hub.auth.principal import Principal, same_secret
from hub.auth.roles import Caller
from hub.store.db import connect
from hub.store.tokens import (
    admin_parent,
    create_token,
    find_token,
    hash_token,
    hub_secret,
    prune_sessions,
    renew_session,
    revoke_secret,
)

log = logging.getLogger(__name__)

COOKIE = "tt_session"
CSRF_HEADER = "x-csrf-token"
SESSION_IDLE_S = 4 * 3600
SESSION_MAX_S = 12 * 3600
SESSION_RENEW_EVERY_S = 300


@dataclass(frozen=True)
class Session:
    """A logged-in browser: who, the session secret (only ever in the HttpOnly cookie) and its CSRF token."""

    caller: Caller
    secret: str
    csrf: str


def _mac(conn: sqlite3.Connection, purpose: str, secret: str) -> str:
    key = hub_secret(conn, purpose).encode()
    return hmac.new(key, secret.encode(), hashlib.sha256).hexdigest()[:32]


def login(db_path: str, admin_token: str | None, credential: str) -> str | None:
    """Check a token and open a session; return the cookie value, None when the token is not valid."""
    credential = credential.strip()
    conn = connect(db_path)
    try:
        parent: int | None = None
        if admin_token and credential and same_secret(credential, admin_token):
            principal: Principal = Caller("admin", "admin")
            parent = admin_parent(conn, admin_token)
        else:
            row = find_token(conn, credential) if credential else None
            if row is None or row["kind"] != "api":
                return None
            principal, parent = Caller(row["name"], row["role"], row["rep_badge"], row["id"]), row["id"]
        badge = principal.rep_badge if isinstance(principal, Caller) else None
        prune_sessions(conn, time.time())  # logins add rows: drop the ones that ended before adding one
        _, secret = create_token(conn, principal.name, principal.role, principal.name, badge, "session",
                                 SESSION_IDLE_S, parent)  # fmt: skip
        return f"{secret}.{_mac(conn, 'session-cookie', secret)}"
    finally:
        conn.close()


def current_session(request: Request) -> Session | None:
    """Return the session of a request's cookie when its signature holds and the session is live."""
    value = request.cookies.get(COOKIE, "")
    secret, _, signature = value.rpartition(".")
    if not secret or not signature or not value.isascii():
        return None
    conn = connect(request.app.state.settings.db)
    try:
        if not same_secret(signature, _mac(conn, "session-cookie", secret)):
            return None
        row = find_token(conn, secret)
        if row is not None and row["kind"] == "session":
            _renew(conn, secret)
        csrf = _mac(conn, "csrf", secret)
    finally:
        conn.close()
    if row is None or row["kind"] != "session" or not _parent_still_admin(request, row):
        return None
    return Session(Caller(row["name"], row["role"], row["rep_badge"], row["id"]), secret, csrf)


def _renew(conn: sqlite3.Connection, secret: str) -> None:
    """Slide the session on; a database that cannot be written (disk full) only leaves its expiry as it was."""
    try:
        renew_session(conn, secret, SESSION_IDLE_S, SESSION_MAX_S, SESSION_RENEW_EVERY_S)
    except sqlite3.Error as exc:
        log.warning("session not renewed (it keeps its expiry): %s", exc)


def _parent_still_admin(request: Request, row: dict[str, object]) -> bool:
    """A session opened with the configured admin token lives only while the hub runs with that same token."""
    if row["parent_kind"] != "admin":
        return True
    admin_token = request.app.state.settings.admin_token
    return bool(admin_token) and row["parent_hash"] == hash_token(admin_token)


def session_principal(request: Request, unsafe: bool) -> Caller | None:
    """Return the caller of a request's cookie session; for a call that changes something, only with its CSRF
    token (so another site cannot make the browser call the API)."""
    session = current_session(request)
    if session is None:
        return None
    if unsafe and not same_secret(request.headers.get(CSRF_HEADER, ""), session.csrf):
        return None
    return session.caller


def logout(request: Request) -> None:
    """End the request's session."""
    session = current_session(request)
    if session is not None:
        conn = connect(request.app.state.settings.db)
        try:
            revoke_secret(conn, session.secret)
        finally:
            conn.close()
