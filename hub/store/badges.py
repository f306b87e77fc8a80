"""Badge registry: which badge belongs to which visitor (or rep), with name, company and owning rep."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Collection
from dataclasses import asdict, dataclass
from typing import Any

from hub.store.scope_cache import kept
from protocol import now_rfc3339
from protocol.fields import has_control

BADGE_ROLES = ("visitor", "rep")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")


@dataclass(frozen=True)
class Badge:
    """One registered badge; a visitor badge names its visitor id, a rep badge is the rep."""

    badge_id: str
    role: str
    visitor: str | None = None
    name: str = ""
    company: str = ""
    rep: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_badge(badge: Badge) -> list[str]:
    """Return every problem with a badge, each naming its field."""
    errors = []
    if not _ID.fullmatch(badge.badge_id):
        errors.append(f"badge_id: expected 1-64 letters, digits or _.:- , got {badge.badge_id!r}")
    if badge.role not in BADGE_ROLES:
        errors.append(f"role: expected one of visitor|rep, got {badge.role!r}")
    if badge.role == "visitor" and badge.visitor is not None and not _ID.fullmatch(badge.visitor):
        errors.append(f"visitor: expected 1-64 letters, digits or _.:- , got {badge.visitor!r}")
    if badge.role == "rep" and badge.visitor:
        errors.append("visitor: a rep badge has no visitor id")
    if badge.rep is not None and not _ID.fullmatch(badge.rep):
        errors.append(f"rep: expected a rep badge id, got {badge.rep!r}")
    if len(badge.name) > 100:
        errors.append("name: at most 100 characters")
    if len(badge.company) > 200:
        errors.append("company: at most 200 characters")
    for key, text in (("name", badge.name), ("company", badge.company)):
        if has_control(text):
            errors.append(f"{key}: control characters are not allowed")
    return errors


def upsert_badge(conn: sqlite3.Connection, badge: Badge) -> bool:
    """Insert or replace a badge; a visitor badge without a visitor id is its own visitor; return True if new."""
    if badge.role == "visitor" and not badge.visitor:
        badge = Badge(badge.badge_id, badge.role, badge.badge_id, badge.name, badge.company, badge.rep)
    now = now_rfc3339()
    existed = conn.execute("SELECT 1 FROM badges WHERE badge_id=?", (badge.badge_id,)).fetchone() is not None
    conn.execute(
        "INSERT INTO badges(badge_id, role, visitor, name, company, rep, created_at, updated_at)"
        " VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(badge_id) DO UPDATE SET role=excluded.role,"
        " visitor=excluded.visitor, name=excluded.name, company=excluded.company, rep=excluded.rep,"
        " updated_at=excluded.updated_at",
        (badge.badge_id, badge.role, badge.visitor, badge.name, badge.company, badge.rep, now, now),
    )
    conn.execute("INSERT OR IGNORE INTO badge_activity(badge, role) VALUES (?, ?)", (badge.badge_id, badge.role))
    return not existed


def _row(row: sqlite3.Row) -> dict[str, Any]:
    return {k: row[k] for k in ("badge_id", "role", "visitor", "name", "company", "rep", "created_at", "updated_at")}


def list_badges(conn: sqlite3.Connection, role: str | None = None) -> list[dict[str, Any]]:
    """Return registered badges ordered by id, optionally of one role."""
    if role is None:
        rows = conn.execute("SELECT * FROM badges ORDER BY badge_id")
    else:
        rows = conn.execute("SELECT * FROM badges WHERE role=? ORDER BY badge_id", (role,))
    return [_row(r) for r in rows]


def get_badge(conn: sqlite3.Connection, badge_id: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM badges WHERE badge_id=?", (badge_id,)).fetchone()
    return None if row is None else _row(row)


def visitor_card(conn: sqlite3.Connection, visitor_id: str) -> dict[str, Any]:
    """Return name, company and rep of a visitor (by visitor id or badge id); blanks when unregistered."""
    row = conn.execute(
        "SELECT name, company, rep FROM badges WHERE (visitor=? OR badge_id=?) AND role='visitor'"
        " ORDER BY updated_at DESC LIMIT 1",
        (visitor_id, visitor_id),
    ).fetchone()
    if row is None:
        return {"name": "", "company": "", "rep": None}
    return {"name": row["name"], "company": row["company"], "rep": row["rep"]}


def visitor_of_badge(conn: sqlite3.Connection, badges: Collection[str]) -> dict[str, str]:
    """Return badge id → visitor id for those of the given badges that are registered visitor badges."""
    found: dict[str, str] = {}
    chosen = sorted(set(badges))
    for start in range(0, len(chosen), 500):
        chunk = chosen[start : start + 500]
        rows = conn.execute(
            f"SELECT badge_id, visitor FROM badges WHERE role='visitor' AND badge_id IN ({','.join('?' * len(chunk))})",
            chunk,
        )
        found.update({r[0]: r[1] for r in rows})
    return found


def visitors_of_rep(conn: sqlite3.Connection, rep_badge: str) -> set[str]:
    """Return the visitor ids registered to a rep badge (the registry only: never what notes say)."""
    return kept(conn, ("visitors_of_rep", rep_badge), lambda: _visitors_of_rep(conn, rep_badge))


def _visitors_of_rep(conn: sqlite3.Connection, rep_badge: str) -> set[str]:
    rows = conn.execute("SELECT visitor FROM badges WHERE rep=? AND role='visitor'", (rep_badge,))
    return {row[0] for row in rows if row[0]}


def badges_tapped_since(conn: sqlite3.Connection, rep_badge: str, since: float) -> set[str]:
    """Return the badges listed under a rep in rep_activity whose last tap is at or after since: a range of the
    rep's index, so the answer costs what the rep's recent activity holds, not their history."""
    rows = conn.execute(
        "SELECT badge FROM rep_activity WHERE rep = ? AND last_epoch >= ? ORDER BY last_epoch", (rep_badge, since)
    )
    return {row[0] for row in rows}


def badges_of_visitors(conn: sqlite3.Connection, visitors: Collection[str]) -> set[str]:
    """Return the visitor badge ids of the given visitor ids (registered visitor badges, and each id itself, which
    is the badge of a visitor registered under their badge id); never a rep badge, and never an id that is a badge
    registered to another visitor (a reissued badge: its new holder's tours are not the old visitor's)."""
    if len(visitors) < 50:
        return _badges_of_visitors(conn, visitors)
    return kept(conn, ("badges_of_visitors", frozenset(visitors)), lambda: _badges_of_visitors(conn, visitors))


def _badges_of_visitors(conn: sqlite3.Connection, visitors: Collection[str]) -> set[str]:
    badges = set(visitors)
    chosen = sorted(badges)
    for start in range(0, len(chosen), 500):
        chunk = chosen[start : start + 500]
        marks = ",".join("?" * len(chunk))
        badges.update(
            r[0]
            for r in conn.execute(f"SELECT badge_id FROM badges WHERE role='visitor' AND visitor IN ({marks})", chunk)
        )
        badges.difference_update(r[0] for r in conn.execute(
            f"SELECT badge_id FROM badges WHERE role='rep' AND badge_id IN ({marks})", chunk))  # fmt: skip
        badges.difference_update(r[0] for r in conn.execute(
            f"SELECT badge_id, COALESCE(visitor, badge_id) FROM badges WHERE role='visitor' AND badge_id IN ({marks})",
            chunk) if r[1] not in visitors)  # fmt: skip
    return badges
