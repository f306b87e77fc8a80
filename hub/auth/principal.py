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


def require_token(request: Request) -> Principal:
    """Return the caller for a valid bearer token; 401 with a reason otherwise."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    admin_token = request.app.state.settings.admin_token
    if admin_token and hmac.compare_digest(token.strip(), admin_token):
        return Principal("admin", "admin")
    lookup = getattr(request.app.state, "token_lookup", None)
    principal: Principal | None = lookup(token.strip()) if lookup else None
    if principal is None:
        raise HTTPException(401, "invalid token", headers={"WWW-Authenticate": "Bearer"})
    return principal
