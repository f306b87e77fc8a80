"""Opportunities: raised by rules, acted on by reps, managers and the CRM; every status change is kept."""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Iterator
from typing import Any

from protocol import now_rfc3339, to_epoch

STATUSES = ("pending", "confirmed", "ignored", "contacted", "won", "lost")
CLOSED = ("ignored", "won", "lost")
HANDLED = ("confirmed", "ignored", "contacted", "won", "lost")  # a rep or the CRM has acted: no escalation
NEXT_STATUS: dict[str, tuple[str, ...]] = {
    "pending": ("confirmed", "ignored", "contacted"),
    "confirmed": ("contacted", "won", "lost", "ignored"),
    "contacted": ("won", "lost"),
    "ignored": (),
    "won": (),
    "lost": (),
}


class TransitionRefused(Exception):
    """A status change the flow does not allow (the API answers 409 with this message)."""


def _open_key(site: str, visitor: str, rule: str) -> str:
    return f"{site}|{visitor}|{rule}"


def open_opportunity(
    conn: sqlite3.Connection,
    site: str,
    visitor: str,
    badge: str | None,
    rep: str | None,
    rule: str,
    title: str,
    event_id: str,
    evidence: dict[str, Any],
) -> int | None:
    """Open a pending opportunity unless the visitor has an open one from this rule; return its id when new."""
    now = now_rfc3339()
    cursor = conn.execute(
        "INSERT OR IGNORE INTO opportunities(site, visitor, badge, rep, rule, title, status, event_id, evidence,"
        " open_key, created_at, updated_at, created_epoch) VALUES (?,?,?,?,?,?,'pending',?,?,?,?,?,?)",
        (site, visitor, badge, rep, rule, title, event_id, json.dumps(evidence, ensure_ascii=False, default=str),
         _open_key(site, visitor, rule), now, now, to_epoch(now)),
    )  # fmt: skip
    return int(cursor.lastrowid) if cursor.rowcount == 1 and cursor.lastrowid else None


def has_open_opportunity(conn: sqlite3.Connection, site: str, visitor: str, rule: str) -> bool:
    """Tell whether the visitor has an open opportunity from a rule."""
    found = conn.execute("SELECT 1 FROM opportunities WHERE open_key=?", (_open_key(site, visitor, rule),)).fetchone()
    return found is not None


def pending_of_event(conn: sqlite3.Connection, event_id: str) -> list[dict[str, Any]]:
    """Return the pending opportunities an event opened (id, rule, badge)."""
    rows = conn.execute("SELECT id, rule, badge FROM opportunities WHERE event_id=? AND status='pending' ORDER BY id",
                        (event_id,))  # fmt: skip
    return [{"id": row[0], "rule": row[1], "badge": row[2]} for row in rows]


def opportunity_of_event(conn: sqlite3.Connection, event_id: str, visitor: str) -> int | None:
    """Return the id of the opportunity an event opened for a visitor, if it opened one."""
    row = conn.execute(
        "SELECT id FROM opportunities WHERE event_id=? AND visitor=? ORDER BY id DESC LIMIT 1", (event_id, visitor)
    ).fetchone()
    return None if row is None else int(row[0])


def _row(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"], "visitor": row["visitor"], "rep": row["rep"], "status": row["status"], "rule": row["rule"],
        "created_at": row["created_at"], "updated_at": row["updated_at"],
        "evidence": json.loads(row["evidence"]), "site": row["site"], "badge": row["badge"], "title": row["title"],
        "event_id": row["event_id"],
    }  # fmt: skip


def get_opportunity(conn: sqlite3.Connection, opportunity_id: int) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM opportunities WHERE id=?", (opportunity_id,)).fetchone()
    return None if row is None else _row(row)


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"o:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """Return the id a cursor continues after; ValueError for anything not made by encode_cursor."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise ValueError("cursor: not a cursor from a previous page's next") from None
    prefix, _, number = text.partition(":")
    if prefix != "o" or not number.isdigit():
        raise ValueError("cursor: not a cursor from a previous page's next")
    return int(number)


def list_opportunities(
    conn: sqlite3.Connection,
    status: str | None = None,
    rep: str | None = None,
    visitors: set[str] | None = None,
    after_id: int | None = None,
    limit: int = 100,
    pending_first: bool = False,
    own_rep: str | None = None,
    asked: set[str] | None = None,
) -> tuple[list[dict[str, Any]], int | None]:
    """Return a page of opportunities newest first and the id the next page continues after (None at the end).

    `visitors` limits the page to these visitor ids (a rep's scope), widened by `own_rep`: those raised from that
    rep's own notes; `asked` filters by visitor ids; pending_first orders one unpaged page.
    """
    clauses: list[str] = ["1=1"]
    params: list[object] = []
    if status is not None:
        clauses.append("status=?")
        params.append(status)
    if rep is not None:
        clauses.append("rep=?")
        params.append(rep)
    if visitors is not None:  # one parameter however many visitors
        clauses.append("(visitor IN (SELECT value FROM json_each(?)) OR rep = ?)")
        params += [json.dumps(sorted(visitors)), own_rep or ""]
    if asked is not None:
        clauses.append("visitor IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(sorted(asked)))
    if after_id is not None:
        clauses.append("id < ?")
        params.append(after_id)
    order = "status != 'pending', id DESC" if pending_first else "id DESC"
    rows = conn.execute(
        f"SELECT * FROM opportunities WHERE {' AND '.join(clauses)} ORDER BY {order} LIMIT ?", (*params, limit + 1)
    ).fetchall()
    items = [_row(r) for r in rows[:limit]]
    return items, (items[-1]["id"] if len(rows) > limit and not pending_first else None)


def iter_opportunities(
    conn: sqlite3.Connection, visitors: set[str] | None = None, own_rep: str | None = None
) -> Iterator[dict[str, Any]]:
    """Yield every opportunity oldest first (for the export), optionally of some visitors (or one rep's) only."""
    for row in conn.execute("SELECT * FROM opportunities ORDER BY id"):
        if visitors is None or row["visitor"] in visitors or (own_rep is not None and row["rep"] == own_rep):
            yield _row(row)


def count_pending(
    conn: sqlite3.Connection,
    since_epoch: float | None = None,
    visitors: set[str] | None = None,
    own_rep: str | None = None,
) -> int:
    """Count pending opportunities, optionally raised since a time (read from the (status, created_epoch) index:
    the board asks since today's start) and of some visitors (or a rep's own notes)."""
    if since_epoch is None:
        rows = conn.execute("SELECT visitor, rep FROM opportunities WHERE status='pending'").fetchall()
    else:
        rows = conn.execute(
            "SELECT visitor, rep FROM opportunities WHERE status='pending' AND created_epoch >= ?", (since_epoch,)
        ).fetchall()
    if visitors is None:
        return len(rows)
    return sum(1 for visitor, rep in rows if visitor in visitors or (own_rep is not None and rep == own_rep))


def change_status(
    conn: sqlite3.Connection, opportunity_id: int, status: str, actor: str, role: str, comment: str = ""
) -> dict[str, Any]:
    """Move an opportunity to a new status (in the caller's transaction), record who did it, before → after.

    Raises KeyError for an unknown id and TransitionRefused for a change the flow does not allow. A handled
    opportunity stops the follow-up timers its note started once no opportunity of that note is pending.
    """
    current = get_opportunity(conn, opportunity_id)
    if current is None:
        raise KeyError(opportunity_id)
    before = current["status"]
    if status not in NEXT_STATUS[before]:
        allowed = "|".join(NEXT_STATUS[before]) or "nothing: it is closed"
        raise TransitionRefused(f"opportunity {opportunity_id} is {before}; it can become {allowed}, not {status}")
    now = now_rfc3339()
    open_key = None if status in CLOSED else _open_key(current["site"], current["visitor"], current["rule"])
    conn.execute(
        "UPDATE opportunities SET status=?, updated_at=?, open_key=? WHERE id=?",
        (status, now, open_key, opportunity_id),
    )
    conn.execute(
        "INSERT INTO opportunity_history(opportunity_id, at, actor, role, before, after, comment)"
        " VALUES (?,?,?,?,?,?,?)",
        (opportunity_id, now, actor, role, before, status, comment),
    )
    pending = conn.execute(
        "SELECT 1 FROM opportunities WHERE event_id=? AND status='pending' LIMIT 1", (current["event_id"],)
    ).fetchone()
    if pending is None:
        conn.execute(
            "UPDATE rule_timers SET status='cancelled', done_at=? WHERE event_id=? AND status='waiting'",
            (now, current["event_id"]),
        )
    return {**current, "status": status, "updated_at": now}


def handled_after(conn: sqlite3.Connection, note_id: str) -> bool:
    """Tell whether someone moved an opportunity of a note's visitors on (confirmed, contacted, …) after the note."""
    note = conn.execute("SELECT ts_epoch FROM notes WHERE event_id=?", (note_id,)).fetchone()
    if note is None:
        return False
    rows = conn.execute(
        "SELECT h.at FROM opportunity_history h JOIN opportunities o ON o.id = h.opportunity_id"
        " JOIN note_visitors nv ON nv.event_id = ? AND nv.badge = o.badge",
        (note_id,),
    )
    return any(to_epoch(at) >= note[0] for (at,) in rows)


def history(conn: sqlite3.Connection, opportunity_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Return each opportunity's status changes oldest first."""
    found: dict[int, list[dict[str, Any]]] = {i: [] for i in opportunity_ids}
    for start in range(0, len(opportunity_ids), 500):
        chunk = opportunity_ids[start : start + 500]
        rows = conn.execute(
            f"SELECT * FROM opportunity_history WHERE opportunity_id IN ({','.join('?' * len(chunk))}) ORDER BY id",
            chunk,
        )
        for r in rows:
            keys = ("at", "actor", "role", "before", "after", "comment")
            found[r["opportunity_id"]].append({k: r[k] for k in keys})
    return found
