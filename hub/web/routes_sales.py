"""The 商机 page: opportunities pending first with their evidence, and buttons to move them on per role."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from hub.auth.roles import rep_badge_of
from hub.auth.scope import visible_visitors
from hub.store.badges import list_badges
from hub.store.opportunities import STATUSES, decode_cursor, encode_cursor, list_opportunities
from hub.web.opportunity_view import PAGE, decorate
from hub.web.routes import PEOPLE, _db, _guard, _render

router = APIRouter(include_in_schema=False)


@router.get("/opportunities", response_class=HTMLResponse)
def opportunities_page(request: Request, status: str = "", rep: str = "", cursor: str = "") -> Response:
    """Pending first (one status: newest first, paged); filters by status and rep; a rep sees their own visitors'."""
    session = _guard(request, PEOPLE)
    if isinstance(session, Response):
        return session
    chosen = status if status in STATUSES else None
    try:
        after = decode_cursor(cursor) if cursor and chosen else None
    except ValueError:
        after = None
    conn = _db(request)
    try:
        scope = visible_visitors(conn, session.caller)
        own = rep_badge_of(session.caller) if scope is not None else None
        items, last = list_opportunities(conn, chosen, rep or None, scope, after, limit=PAGE,
                                         pending_first=chosen is None, own_rep=own)  # fmt: skip
        shown = decorate(conn, items)
        reps = list_badges(conn, "rep")
    finally:
        conn.close()
    more = None
    if last is not None:
        more = "/opportunities?" + urlencode({"status": status, "rep": rep, "cursor": encode_cursor(last)})
    return _render(request, "opportunities.html", session, items=shown, statuses=STATUSES, chosen=status, rep=rep,
                   reps=reps, more=more, capped=chosen is None and len(items) == PAGE)  # fmt: skip
