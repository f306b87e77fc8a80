"""The edge of the HTTP API, before any route runs: a bounded request body, the caller known before the body
is read, and the browser hardening headers on every response."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from hub.auth.principal import UNSAFE_METHODS, optional_principal

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_BODY_BYTES = 2 * 1024 * 1024
OPEN_PATHS = ("/api/health",)
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:;"
       " connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")  # fmt: skip
API_DOCS = ("/docs", "/redoc")  # FastAPI's API pages load their scripts from a CDN: no CSP there
HEADERS = [(b"x-frame-options", b"DENY"), (b"x-content-type-options", b"nosniff"),
           (b"referrer-policy", b"same-origin")]  # fmt: skip


class RequestGuard:
    """ASGI middleware: 413 for a body over MAX_BODY_BYTES (by its Content-Length, or while it streams in),
    401 for a call to /api that changes something without a valid caller, before a byte of its body is read."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _with_headers(send, not str(scope["path"]).startswith(API_DOCS))
        length = _content_length(scope)
        if length is not None and length > MAX_BODY_BYTES:
            await _refuse(scope, receive, send, 413, f"request body over {MAX_BODY_BYTES} bytes")
            return
        path, method = str(scope["path"]), str(scope["method"])
        if path.startswith("/api/") and path not in OPEN_PATHS and method in UNSAFE_METHODS:
            request = Request(scope)
            try:
                principal = optional_principal(request)
            except sqlite3.Error as exc:  # sessions live in the database: say so, as every route does
                await _refuse(scope, receive, send, 503, f"database unavailable: {exc}")
                return
            if principal is None:
                await _refuse(scope, receive, send, 401, "missing or invalid bearer token (or session and CSRF token)")
                return
            request.state.principal = principal  # require_token reuses it
        await self.app(scope, _bounded(receive), send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return MAX_BODY_BYTES + 1
    return None


class BodyTooLarge(HTTPException):
    """A streamed request body went over MAX_BODY_BYTES (an HTTPException: FastAPI passes it through as 413)."""

    def __init__(self) -> None:
        super().__init__(413, f"request body over {MAX_BODY_BYTES} bytes", headers={"Connection": "close"})


def _bounded(receive: Receive) -> Receive:
    seen = 0

    async def bounded() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > MAX_BODY_BYTES:
                raise BodyTooLarge
        return message

    return bounded


def _with_headers(send: Send, with_csp: bool) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            names = {name.lower() for name, _ in headers}
            headers += [(name, value) for name, value in HEADERS if name not in names]
            if with_csp and b"content-security-policy" not in names:
                headers.append((b"content-security-policy", CSP.encode()))
            message["headers"] = headers
        await send(message)

    return wrapped


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, detail: str) -> None:
    headers = {"WWW-Authenticate": "Bearer", "Connection": "close"} if status == 401 else {"Connection": "close"}
    await JSONResponse({"detail": detail}, status_code=status, headers=headers)(scope, receive, send)
