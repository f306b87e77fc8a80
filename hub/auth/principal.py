"""Bearer-token authentication for /api: the admin token comes from TOURTRACE_ADMIN_TOKEN or the hub config."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from fastapi import HTTPException, Request


@dataclass(frozen=True)
class Principal:
    """Who is calling and with which role."""

    name: str
    role: str


UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def same_secret(given: str, expected: str) -> bool:
    """Compare secrets in constant time; any text (non-ASCII included) is just a wrong secret."""
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass"))


def optional_principal(request: Request) -> Principal | None:
    """Return the caller of a bearer token or of a cookie session (with its CSRF token for unsafe methods)."""
    header = request.headers.get("authorization", "")
    if not header:
        sessions = getattr(request.app.state, "session_lookup", None)
        return sessions(request, request.method in UNSAFE_METHODS) if sessions else None
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    admin_token = request.app.state.settings.admin_token
    if admin_token and same_secret(token, admin_token):
        return Principal("admin", "admin")
    lookup = getattr(request.app.state, "token_lookup", None)
    principal: Principal | None = lookup(token) if lookup else None
    return principal


def require_token(request: Request) -> Principal:
    """Return the caller for a valid bearer token or browser session; 401 with a reason otherwise."""
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    header = request.headers.get("authorization", "")
    principal = optional_principal(request)
    if principal is None:
        if header or request.cookies.get("tt_session"):
            raise HTTPException(401, "invalid token or session", headers={"WWW-Authenticate": "Bearer"})
        raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    request.state.principal = principal
    return principal
