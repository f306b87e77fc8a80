"""The 商机 page: opportunities pending first with their evidence, and buttons to move them on per role."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from hub.auth.roles import visible_visitors
from hub.store.badges import list_badges
from hub.store.opportunities import STATUSES, list_opportunities
from hub.web.opportunity_view import PAGE, decorate
from hub.web.routes import PEOPLE, _db, _guard, _render

router = APIRouter(include_in_schema=False)


@router.get("/opportunities", response_class=HTMLResponse)
def opportunities_page(request: Request, status: str = "", rep: str = "") -> Response:
    """Pending first; filters by status and rep; a rep sees their own visitors' opportunities."""
    session = _guard(request, PEOPLE)
    if isinstance(session, Response):
        return session
    conn = _db(request)
    try:
        scope = visible_visitors(conn, session.caller)
        items, _ = list_opportunities(conn, status if status in STATUSES else None, rep or None, scope,
                                      limit=PAGE, pending_first=True)  # fmt: skip
        shown = decorate(conn, items)
        reps = list_badges(conn, "rep")
    finally:
        conn.close()
    return _render(request, "opportunities.html", session, items=shown, statuses=STATUSES, chosen=status, rep=rep,
                   reps=reps)  # fmt: skip
