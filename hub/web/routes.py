"""Dashboard pages (server-rendered Jinja2); live parts reload an HTML fragment every few seconds."""

from __future__ import annotations

import sqlite3
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from hub.auth.roles import ROLE_LABELS, rep_badge_of
from hub.auth.scope import (
    check_visitor_access,
    dead_letter_for,
    note_list_scope,
    tapped_since,
    visible_badges,
    visible_visitors,
    visitor_list_scope,
)
from hub.auth.session import COOKIE, SESSION_MAX_S, Session, current_session, login, logout
from hub.store.badges import list_badges, visitor_card, visitor_of_badge
from hub.store.db import connect
from hub.store.events import count_dead_letters, page_dead_letters
from hub.store.notes import page_notes
from hub.store.notify_outbox import count_by_status, list_outbox
from hub.store.paging import BadCursor
from hub.store.stations import list_stations
from hub.store.visitors import list_visitors, resolve_visitor
from hub.web import views
from hub.web.i18n import LANGS, translator
from hub.web.opportunity_view import pending_today, visitor_opportunities
from hub.web.problems import hub_problems
from hub.web.rule_builder import builder_choices

HERE = Path(__file__).parent
STATIC = {p.name: p for p in (HERE / "static").iterdir() if p.is_file()}
templates = Jinja2Templates(directory=str(HERE / "templates"))
router = APIRouter(include_in_schema=False)

PEOPLE = ("manager", "rep")
NAV = [("board", "/board", PEOPLE), ("opportunities", "/opportunities", PEOPLE), ("notes", "/notes", PEOPLE),
       ("visitors", "/visitors", PEOPLE),
       ("fleet", "/fleet", ("manager", "it")), ("dead_letters", "/dead-letters", ("it",)),
       ("badges", "/badges", ("manager", "it", "rep")), ("rules", "/rules", ("manager",)),
       ("notify", "/notify", ("manager", "it"))]  # fmt: skip


def _lang(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get("tt_lang") or "zh"
    return lang if lang in LANGS else "zh"


def _render(request: Request, name: str, session: Session | None, status: int = 200, **ctx: Any) -> Response:
    lang = _lang(request)
    role = session.caller.role if session else ""
    nav = [(key, href) for key, href, roles in NAV if role == "admin" or role in roles]
    response = templates.TemplateResponse(
        request, name, {"t": translator(lang), "lang": lang, "session": session, "nav": nav,
                        "role_label": ROLE_LABELS.get(role, role), "path": request.url.path,
                        "problems": hub_problems(request.app) if session else [],
                        **{key: request.app.state.site_time.localize(value) for key, value in ctx.items()}},
        status_code=status,
    )  # fmt: skip
    if request.query_params.get("lang") in LANGS:
        response.set_cookie("tt_lang", lang, max_age=365 * 86400, samesite="lax")
    return response


def _guard(request: Request, roles: tuple[str, ...]) -> Session | Response:
    """Return the session, or the response to send instead (login redirect, 403 page)."""
    session = current_session(request)
    if session is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    if session.caller.role != "admin" and session.caller.role not in roles:
        return _render(request, "message.html", session, 403, message_key="forbidden")
    return session


def _db(request: Request) -> sqlite3.Connection:
    return connect(request.app.state.settings.db)


@router.get("/static/{name}")
def static(name: str) -> Response:
    if name not in STATIC:
        return Response(status_code=404)
    return FileResponse(STATIC[name], headers={"Cache-Control": "max-age=300"})


@router.get("/")
def home(request: Request) -> Response:
    session = current_session(request)
    if session is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse("/fleet" if session.caller.role == "it" else "/board", status_code=303)


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    return _render(request, "login.html", None, next=next, failed=False)


@router.post("/login")
async def login_submit(request: Request) -> Response:
    """Exchange a token from the form for a session cookie."""
    form = parse_qs((await request.body()).decode("utf-8", errors="replace"))
    target = (form.get("next") or ["/"])[0]
    local = target.startswith("/") and not target.startswith("//") and "\\" not in target and target.isprintable()
    target = target if local else "/"  # never off this hub: browsers read a backslash as a slash
    settings = request.app.state.settings
    cookie = login(settings.db, settings.admin_token, (form.get("token") or [""])[0])
    if cookie is None:
        return _render(request, "login.html", None, 401, next=target, failed=True)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(COOKIE, cookie, max_age=SESSION_MAX_S, httponly=True, samesite="lax",
                        secure=behind_tls(request))  # fmt: skip
    return response


@router.post("/logout")
def logout_page(request: Request) -> Response:
    """End the session (a POST: a link or an image elsewhere cannot log anyone out)."""
    logout(request)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


def behind_tls(request: Request) -> bool:
    """Whether the browser reached the hub over HTTPS (directly or through a proxy that says so)."""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


@router.get("/board", response_class=HTMLResponse)
def board_page(request: Request, fragment: bool = False) -> Response:
    """Who is in which zone now and for how long; the page reloads its board fragment every 2 s."""
    session = _guard(request, PEOPLE)
    if isinstance(session, Response):
        return session
    conn = _db(request)
    try:
        site_timezone = request.app.state.settings.site_timezone
        today = _site_midnight(site_timezone) if session.caller.role == "rep" else None
        now = time.time()
        badges = visible_badges(conn, session.caller)  # a rep's recent visits: of the badges tapped since the window
        tapped = tapped_since(conn, session.caller, badges, views.board_since(now, today))
        data = views.board(conn, badges, today, tapped, now)
        scope = visible_visitors(conn, session.caller)
        own = rep_badge_of(session.caller) if scope is not None else None  # as on the 商机 page
        pending = pending_today(conn, scope, site_timezone, own)
    finally:
        conn.close()
    return _render(request, "board_fragment.html" if fragment else "board.html", session, board=data,
                   pending_today=pending)  # fmt: skip


def _site_midnight(timezone: str) -> float:
    """Return the epoch of the start of today in the site's time zone (a rep's "today")."""
    return datetime.now(ZoneInfo(timezone)).replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


@router.get("/visitors", response_class=HTMLResponse)
def visitors_page(request: Request, q: str = "", cursor: str = "") -> Response:
    """Visitors, last seen first, a page at a time: name, company, rep, interest tags, last visit; search."""
    session = _guard(request, PEOPLE)
    if isinstance(session, Response):
        return session
    conn = _db(request)
    try:
        allowed, rep = visitor_list_scope(conn, session.caller)
        found = list_visitors(conn, allowed, q.strip()[:200], cursor=cursor or None, rep=rep)
    except BadCursor:
        found = {"items": [], "next": None}
    finally:
        conn.close()
    return _render(request, "visitors.html", session, visitors=found["items"], next=found["next"], q=q)


@router.get("/visitors/{visitor_id}", response_class=HTMLResponse)
def profile_page(request: Request, visitor_id: str) -> Response:
    """Timeline, dwell bars, tags with evidence, notes with highlighted params, lookups and warnings."""
    session = _guard(request, PEOPLE)
    if isinstance(session, Response):
        return session
    conn = _db(request)
    try:
        resolved = resolve_visitor(conn, visitor_id)["id"]
        try:
            check_visitor_access(conn, session.caller, visitor_id, resolved)
        except HTTPException:
            return _render(request, "message.html", session, 403, message_key="forbidden")
        data = views.profile(conn, visitor_id)
        opportunities = visitor_opportunities(conn, resolved)
    finally:
        conn.close()
    if data is None:
        return _render(request, "message.html", session, 404, message_key="not_found")
    return _render(request, "profile.html", session, p=data, opportunities=opportunities)


@router.get("/notes", response_class=HTMLResponse)
def notes_page(request: Request, q: str = "", cursor: str = "") -> Response:
    """Notes newest first, a page at a time, with highlighted params, lookups and warnings; text search."""
    session = _guard(request, PEOPLE)
    if isinstance(session, Response):
        return session
    conn = _db(request)
    try:
        badges, reader = note_list_scope(conn, session.caller)
        try:  # a rep's notes (about their visitors, or dictated by them) are a range of the rep's own index
            found = page_notes(conn, badges, q.strip()[:200], cursor=cursor or None, seen_by=reader)
        except BadCursor:
            found = {"items": [], "next": None}
        notes = [views.decorate_note(n) for n in found["items"]]
        owners = visitor_of_badge(conn, {b for n in notes for b in n["visitor_badges"]})
        names = {b: visitor_card(conn, owners.get(b, b))["name"] for n in notes for b in n["visitor_badges"]}
    finally:
        conn.close()
    return _render(request, "notes.html", session, notes=notes, q=q, names=names, next=found["next"])


@router.get("/fleet", response_class=HTMLResponse)
def fleet_page(request: Request, fragment: bool = False) -> Response:
    session = _guard(request, ("manager", "it"))
    if isinstance(session, Response):
        return session
    conn = _db(request)
    try:
        now = time.time()
        stations = [{**s, "light": views.fleet_light(s, now)} for s in list_stations(conn)]
        dead = count_dead_letters(conn)
    finally:
        conn.close()
    return _render(request, "fleet_fragment.html" if fragment else "fleet.html", session, stations=stations,
                   dead=dead)  # fmt: skip


@router.get("/dead-letters", response_class=HTMLResponse)
def dead_letters_page(request: Request, cursor: str = "") -> Response:
    session = _guard(request, ("it",))
    if isinstance(session, Response):
        return session
    conn = _db(request)
    try:
        try:
            found = page_dead_letters(conn, 200, cursor or None)
        except BadCursor:
            found = {"items": [], "next": None}
        items = [dead_letter_for(item, session.caller) for item in found["items"]]
        total = count_dead_letters(conn)
    finally:
        conn.close()
    return _render(request, "dead_letters.html", session, items=items, total=total, next=found["next"])


@router.get("/rules", response_class=HTMLResponse)
def rules_page(request: Request) -> Response:
    session = _guard(request, ("manager",))
    if isinstance(session, Response):
        return session
    conn = _db(request)
    try:
        choices = builder_choices(conn, list(request.app.state.settings.notify))
    finally:
        conn.close()
    return _render(request, "rules.html", session, choices=choices)


@router.get("/badges", response_class=HTMLResponse)
def badges_page(request: Request) -> Response:
    session = _guard(request, ("manager", "it", "rep"))
    if isinstance(session, Response):
        return session
    conn = _db(request)
    try:
        allowed = visible_visitors(conn, session.caller)
        items = [b for b in list_badges(conn) if allowed is None or b["badge_id"] == session.caller.rep_badge
                 or (b["role"] == "visitor" and b["visitor"] in allowed)]  # fmt: skip
    finally:
        conn.close()
    return _render(request, "badges.html", session, items=items, can_edit=session.caller.role != "rep")


@router.get("/notify", response_class=HTMLResponse)
def notify_page(request: Request) -> Response:
    session = _guard(request, ("manager", "it"))
    if isinstance(session, Response):
        return session
    conn = _db(request)
    try:
        items, counts = list_outbox(conn, None, 200), count_by_status(conn)
    finally:
        conn.close()
    return _render(request, "notify.html", session, items=items, counts=counts,
                   can_retry=session.caller.role in ("admin", "it"))  # fmt: skip
