"""The hub's schema as named, frozen migration steps, applied in order and recorded in `_migrations`.

Each step holds its SQL as it was when the step was released and calls no live helper: editing code
elsewhere must never change what an old step does. A change to the schema is a new step at the end.
"""

from __future__ import annotations

import sqlite3

from hub.store.migrations import Step, apply_migrations
from hub.store.migrations import run_script as _run


def _v1_events(conn: sqlite3.Connection) -> None:
    _run(
        conn,
        """
        CREATE TABLE events (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            site TEXT NOT NULL,
            station TEXT NOT NULL,
            seq INTEGER NOT NULL,
            ts TEXT NOT NULL,
            received_at TEXT NOT NULL,
            body TEXT NOT NULL
        );
        CREATE INDEX events_station_seq ON events(site, station, seq);
        CREATE INDEX events_kind ON events(kind, received_at);
        CREATE TABLE dead_letters (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            topic TEXT NOT NULL,
            reason TEXT NOT NULL,
            payload TEXT NOT NULL,
            payload_size INTEGER NOT NULL,
            received_at TEXT NOT NULL
        );
        """,
    )


def _v2_derived(conn: sqlite3.Connection) -> None:
    _run(
        conn,
        """
        CREATE TABLE taps (
            event_id TEXT PRIMARY KEY REFERENCES events(id),
            site TEXT NOT NULL,
            station TEXT NOT NULL,
            badge TEXT NOT NULL,
            uid TEXT NOT NULL,
            role TEXT,
            sig_ok INTEGER,
            zone TEXT NOT NULL,
            ts TEXT NOT NULL,
            ts_epoch REAL NOT NULL,
            boot TEXT NOT NULL,
            mono_ms INTEGER NOT NULL
        );
        CREATE INDEX taps_badge ON taps(site, badge, ts_epoch);
        CREATE TABLE visits (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            site TEXT NOT NULL,
            badge TEXT NOT NULL,
            zone TEXT NOT NULL,
            station TEXT NOT NULL,
            start_event TEXT NOT NULL,
            end_event TEXT,
            start TEXT NOT NULL,
            start_epoch REAL NOT NULL,
            "end" TEXT,
            dwell_s REAL,
            timed_out INTEGER NOT NULL DEFAULT 0,
            sig_ok INTEGER
        );
        CREATE INDEX visits_badge ON visits(site, badge, start_epoch);
        CREATE INDEX visits_zone ON visits(zone, start_epoch);
        CREATE TABLE stations (
            site TEXT NOT NULL,
            station TEXT NOT NULL,
            state TEXT NOT NULL,
            status TEXT NOT NULL,
            status_ts TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            last_seq INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (site, station)
        );
        CREATE TABLE station_settings (
            site TEXT NOT NULL,
            station TEXT NOT NULL,
            tap_mode TEXT NOT NULL DEFAULT 'toggle',
            dwell_timeout_s INTEGER NOT NULL DEFAULT 3600,
            PRIMARY KEY (site, station)
        );
        """,
    )


def _v3_people(conn: sqlite3.Connection) -> None:
    _run(
        conn,
        """
        CREATE TABLE badges (
            badge_id TEXT PRIMARY KEY,
            role TEXT NOT NULL,
            visitor TEXT,
            name TEXT NOT NULL DEFAULT '',
            company TEXT NOT NULL DEFAULT '',
            rep TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX badges_visitor ON badges(visitor);
        CREATE INDEX badges_rep ON badges(rep);
        CREATE TABLE tokens (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            token_hash TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            role TEXT NOT NULL,
            rep_badge TEXT,
            kind TEXT NOT NULL DEFAULT 'api',
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            expires_epoch REAL,
            revoked_at TEXT
        );
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            role TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '{}'
        );
        CREATE TABLE hub_secrets (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE notify_outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            channel TEXT NOT NULL,
            template TEXT NOT NULL,
            context TEXT NOT NULL,
            idempotency_key TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_epoch REAL NOT NULL,
            last_error TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            sent_at TEXT,
            UNIQUE (channel, idempotency_key)
        );
        CREATE INDEX notify_outbox_due ON notify_outbox(status, next_attempt_epoch);
        """,
    )


# The library tables as _v4 created them (IF NOT EXISTS: they were also created on demand back then).
_V4_LIBRARY_TABLES = """
CREATE TABLE IF NOT EXISTS library_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS library_materials (grade TEXT PRIMARY KEY, name TEXT NOT NULL, category TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS library_cards (
    id TEXT PRIMARY KEY, process TEXT NOT NULL, title TEXT NOT NULL, material TEXT, zone TEXT,
    specs TEXT NOT NULL, steps TEXT NOT NULL, notes TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS library_stock (
    id TEXT PRIMARY KEY, material TEXT NOT NULL, form TEXT NOT NULL, qty REAL NOT NULL, unit TEXT NOT NULL,
    max_hardness_scale TEXT, max_hardness REAL, location TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS note_analyses (
    note_id TEXT PRIMARY KEY, normalized TEXT NOT NULL, result TEXT NOT NULL, revision TEXT NOT NULL,
    analyzed_at TEXT NOT NULL
)
"""


def _v4_notes_tags(conn: sqlite3.Connection) -> None:
    _run(conn, _V4_LIBRARY_TABLES)
    _run(
        conn,
        """
        CREATE TABLE notes (
            event_id TEXT PRIMARY KEY REFERENCES events(id),
            site TEXT NOT NULL,
            station TEXT NOT NULL,
            zone TEXT,
            rep_badge TEXT,
            visitor_badges TEXT NOT NULL,
            ts TEXT NOT NULL,
            ts_epoch REAL NOT NULL,
            text TEXT NOT NULL
        );
        CREATE INDEX notes_ts ON notes(ts_epoch);
        CREATE TABLE note_visitors (
            event_id TEXT NOT NULL REFERENCES notes(event_id),
            badge TEXT NOT NULL,
            PRIMARY KEY (event_id, badge)
        );
        CREATE INDEX note_visitors_badge ON note_visitors(badge);
        CREATE TABLE tags (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            site TEXT NOT NULL,
            badge TEXT NOT NULL,
            tag TEXT NOT NULL,
            rule TEXT NOT NULL,
            evidence TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (site, badge, tag)
        );
        CREATE INDEX tags_badge ON tags(badge)
        """,
    )


def _v5_station_config(conn: sqlite3.Connection) -> None:
    _run(
        conn,
        """
        CREATE TABLE station_config (
            site TEXT NOT NULL,
            station TEXT NOT NULL,
            rev INTEGER NOT NULL,
            body TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            updated_by TEXT NOT NULL,
            PRIMARY KEY (site, station)
        )
        """,
    )


def _v6_rules_tables(conn: sqlite3.Connection) -> None:
    conn.execute(
        "CREATE TABLE rule_outcomes (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE,"
        " rule TEXT NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL, site TEXT NOT NULL, badge TEXT, rep TEXT,"
        " event_id TEXT NOT NULL, evidence TEXT NOT NULL, created_at TEXT NOT NULL)"
    )
    conn.execute("CREATE INDEX rule_outcomes_kind ON rule_outcomes(kind, id)")
    conn.execute("CREATE INDEX rule_outcomes_badge ON rule_outcomes(badge)")
    conn.execute(
        "CREATE TABLE rule_timers (key TEXT PRIMARY KEY, rule TEXT NOT NULL, event_id TEXT NOT NULL,"
        " site TEXT NOT NULL, rep TEXT, after TEXT NOT NULL, due_epoch REAL NOT NULL,"
        " status TEXT NOT NULL DEFAULT 'waiting', created_at TEXT NOT NULL, done_at TEXT)"
    )
    conn.execute("CREATE INDEX rule_timers_due ON rule_timers(status, due_epoch)")


def _v7_dwell_index(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE INDEX visits_badge_zone_dwell ON visits(site, badge, zone, dwell_s)")


def _v8_seq_gaps(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE stations ADD COLUMN max_event_seq INTEGER NOT NULL DEFAULT 0")
    conn.execute("ALTER TABLE stations ADD COLUMN events_seen INTEGER NOT NULL DEFAULT 0")
    conn.execute(
        "UPDATE stations SET"
        " max_event_seq = (SELECT COALESCE(MAX(seq), 0) FROM events e WHERE e.site = stations.site"
        "  AND e.station = stations.station AND e.kind IN ('tap', 'note')),"
        " events_seen = (SELECT COUNT(*) FROM events e WHERE e.site = stations.site"
        "  AND e.station = stations.station AND e.kind IN ('tap', 'note'))"
    )


def _v9_station_retired_at(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE stations ADD COLUMN retired_at TEXT")


def _v10_security_session_parent(conn: sqlite3.Connection) -> None:
    """A browser session remembers the API token it was opened with, so revoking the token ends it."""
    conn.execute("ALTER TABLE tokens ADD COLUMN parent_id INTEGER REFERENCES tokens(id)")
    conn.execute("UPDATE tokens SET revoked_at = COALESCE(revoked_at, created_at) WHERE kind = 'session'")


def _v11_security_sig_finding(conn: sqlite3.Connection) -> None:
    """A tap's badge finding: 'ok', 'unsigned' or 'mismatch' (a signature that does not match: a copied badge)."""
    conn.execute("ALTER TABLE taps ADD COLUMN sig_finding TEXT")
    conn.execute(
        "UPDATE taps SET sig_finding = CASE WHEN sig_ok = 1 THEN 'ok' WHEN sig_ok = 0 THEN (SELECT CASE"
        " WHEN json_valid(e.body) AND json_extract(e.body, '$.data.ndef.sig') IS NOT NULL THEN 'mismatch'"
        " ELSE 'unsigned' END FROM events e WHERE e.id = taps.event_id) END"
    )


def _v12_opportunities_sales_loop(conn: sqlite3.Connection) -> None:
    """Opportunities as objects with their status history; existing opportunity outcomes become pending ones."""
    _run(
        conn,
        """
        CREATE TABLE opportunities (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            site TEXT NOT NULL,
            visitor TEXT NOT NULL,
            badge TEXT,
            rep TEXT,
            rule TEXT NOT NULL,
            title TEXT NOT NULL,
            status TEXT NOT NULL,
            event_id TEXT NOT NULL,
            evidence TEXT NOT NULL,
            open_key TEXT UNIQUE,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX opportunities_status ON opportunities(status, id);
        CREATE INDEX opportunities_visitor ON opportunities(visitor);
        CREATE INDEX opportunities_rep ON opportunities(rep);
        CREATE INDEX opportunities_event ON opportunities(event_id);
        CREATE TABLE opportunity_history (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            opportunity_id INTEGER NOT NULL REFERENCES opportunities(id),
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            role TEXT NOT NULL,
            before TEXT NOT NULL,
            after TEXT NOT NULL,
            comment TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX opportunity_history_of ON opportunity_history(opportunity_id, id);
        CREATE TABLE digests_sent (
            channel TEXT NOT NULL,
            day TEXT NOT NULL,
            parts INTEGER NOT NULL,
            sent_at TEXT NOT NULL,
            PRIMARY KEY (channel, day)
        );
        INSERT OR IGNORE INTO opportunities(site, visitor, badge, rep, rule, title, status, event_id, evidence,
            open_key, created_at, updated_at)
        SELECT o.site, COALESCE(b.visitor, o.badge, ''), o.badge, COALESCE(o.rep, b.rep), o.rule, o.value,
            'pending', o.event_id, o.evidence, o.site || '|' || COALESCE(b.visitor, o.badge, '') || '|' || o.rule,
            o.created_at, o.created_at
        FROM rule_outcomes o LEFT JOIN badges b ON b.badge_id = o.badge AND b.role = 'visitor'
        WHERE o.kind = 'opportunity' AND json_extract(o.evidence, '$.held_by') IS NULL
        ORDER BY o.id
        """,
    )


def _v13_read_paths(conn: sqlite3.Connection) -> None:
    """Indexes, a per-badge activity table and running counts, so a page, a visitor or /metrics never scans history;
    a 'scope' counter that every change to what a rep may see (badges, notes, note_visitors) moves, so a rep's
    scope can be kept between requests and is recomputed the moment it could differ."""
    for statement in (
        "CREATE INDEX visits_badge_start ON visits(badge, start_epoch, id)",
        "DROP INDEX visits_badge",  # (site, badge, start_epoch): the index above serves its queries too
        "CREATE INDEX visits_start ON visits(start_epoch, id)",
        'CREATE INDEX visits_open ON visits(start_epoch) WHERE "end" IS NULL',
        "CREATE INDEX notes_ts_id ON notes(ts_epoch, event_id)",
        "CREATE INDEX notes_rep ON notes(rep_badge, ts_epoch)",
        "CREATE INDEX tags_created ON tags(created_at, id)",
        "CREATE TABLE badge_activity (badge TEXT PRIMARY KEY, role TEXT, first_ts TEXT, first_epoch REAL,"
        " last_ts TEXT, last_epoch REAL NOT NULL DEFAULT 0, taps INTEGER NOT NULL DEFAULT 0)",
        "CREATE INDEX badge_activity_last ON badge_activity(last_epoch, badge)",
        "INSERT INTO badge_activity(badge, role, first_ts, first_epoch, last_ts, last_epoch, taps)"
        " SELECT t.badge, (SELECT role FROM taps r WHERE r.badge = t.badge AND r.sig_finding IS NOT 'mismatch'"
        " ORDER BY r.ts_epoch DESC LIMIT 1), (SELECT ts FROM taps f WHERE f.badge = t.badge AND f.sig_finding IS NOT"
        " 'mismatch' ORDER BY f.ts_epoch LIMIT 1), MIN(t.ts_epoch), (SELECT ts FROM taps l WHERE l.badge = t.badge"
        " AND l.sig_finding IS NOT 'mismatch' ORDER BY l.ts_epoch DESC LIMIT 1), MAX(t.ts_epoch), COUNT(*)"
        " FROM taps t WHERE t.sig_finding IS NOT 'mismatch' GROUP BY t.badge",  # a copied badge's taps count not
        "INSERT OR IGNORE INTO badge_activity(badge, role) SELECT badge_id, role FROM badges",
        "CREATE TABLE hub_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
        "INSERT INTO hub_counters(name, value) SELECT 'events:' || kind, COUNT(*) FROM events GROUP BY kind",
        "INSERT INTO hub_counters(name, value) SELECT 'dead_letters', COUNT(*) FROM dead_letters",
        "INSERT INTO hub_counters(name, value) VALUES ('scope', 0)",
        *(
            f"CREATE TRIGGER scope_{table}_{change.lower()} AFTER {change} ON {table}"
            " BEGIN UPDATE hub_counters SET value = value + 1 WHERE name = 'scope'; END"
            for table in ("badges", "notes", "note_visitors")
            for change in ("INSERT", "UPDATE", "DELETE")
        ),
    ):
        conn.execute(statement)


def _v14_opportunities_created_epoch(conn: sqlite3.Connection) -> None:
    """Opportunities carry the instant they were raised (created_at has the hub's local offset), indexed with the
    status: the board's pending-today count reads only today's rows."""
    for statement in (
        "ALTER TABLE opportunities ADD COLUMN created_epoch REAL",
        "UPDATE opportunities SET created_epoch = (julianday(created_at) - 2440587.5) * 86400.0",
        "CREATE INDEX opportunities_pending_since ON opportunities(status, created_epoch)",
    ):
        conn.execute(statement)


def _v15_rep_activity(conn: sqlite3.Connection) -> None:
    """Each badge listed under every rep who may see it (a badge whose visitor -- its registered visitor, else the
    badge itself -- is registered to the rep), ordered by its last tap: a rep's visitors list is a range of an index
    that starts at the rep. Triggers keep it current whoever changes badges or badge activity."""
    owners = (
        "SELECT DISTINCT r.rep, a.badge, a.last_epoch FROM badge_activity a LEFT JOIN badges b ON b.badge_id = a.badge"
        " JOIN badges r ON r.visitor = COALESCE(b.visitor, a.badge) AND r.role = 'visitor' AND r.rep IS NOT NULL"
    )
    touched = {  # the badges whose reps a change to one badge row can move: its own, its visitors' old and new
        "INSERT": "SELECT badge_id FROM badges WHERE visitor = NEW.visitor UNION SELECT NEW.visitor"
        " UNION SELECT NEW.badge_id",
        "UPDATE": "SELECT badge_id FROM badges WHERE visitor IN (OLD.visitor, NEW.visitor) UNION SELECT OLD.visitor"
        " UNION SELECT NEW.visitor UNION SELECT OLD.badge_id UNION SELECT NEW.badge_id",
        "DELETE": "SELECT badge_id FROM badges WHERE visitor = OLD.visitor UNION SELECT OLD.visitor"
        " UNION SELECT OLD.badge_id",
    }
    for statement in (
        "CREATE TABLE rep_activity (rep TEXT NOT NULL, badge TEXT NOT NULL, last_epoch REAL NOT NULL,"
        " PRIMARY KEY (rep, badge))",
        "CREATE INDEX rep_activity_page ON rep_activity(rep, last_epoch, badge)",
        "CREATE INDEX rep_activity_badge ON rep_activity(badge)",
        f"INSERT INTO rep_activity(rep, badge, last_epoch) {owners}",
        *(
            f"CREATE TRIGGER rep_activity_badges_{change.lower()} AFTER {change} ON badges BEGIN"
            f" DELETE FROM rep_activity WHERE badge IN ({badges});"
            f" INSERT OR IGNORE INTO rep_activity(rep, badge, last_epoch) {owners} WHERE a.badge IN ({badges}); END"
            for change, badges in touched.items()
        ),
        f"CREATE TRIGGER rep_activity_seen AFTER INSERT ON badge_activity BEGIN"
        f" INSERT OR IGNORE INTO rep_activity(rep, badge, last_epoch) {owners} WHERE a.badge = NEW.badge; END",
        "CREATE TRIGGER rep_activity_tapped AFTER UPDATE OF last_epoch ON badge_activity"
        " WHEN NEW.last_epoch IS NOT OLD.last_epoch BEGIN"
        " UPDATE rep_activity SET last_epoch = NEW.last_epoch WHERE badge = NEW.badge; END",
    ):
        conn.execute(statement)


def _v16_taps_badge_findings(conn: sqlite3.Connection) -> None:
    """A visitor's unsigned or copied-badge taps counted from an index by badge (taps_badge leads with the site, so
    the profile's count read every tap); partial: a plant of signed badges keeps it nearly empty."""
    conn.execute(
        "CREATE INDEX taps_badge_findings ON taps(badge, sig_finding) WHERE sig_finding IN ('unsigned', 'mismatch')"
    )


def _v17_events_note_index(conn: sqlite3.Connection) -> None:
    """Notes found among events through a partial index (in storage order), in place of an index of every event by
    kind that each stored tap paid for: ingest writes one B-tree fewer per event."""
    conn.execute("DROP INDEX events_kind")
    conn.execute("CREATE INDEX events_notes ON events(kind) WHERE kind = 'note'")


def _v18_note_readers(conn: sqlite3.Connection) -> None:
    """Each note listed under every rep badge that may read it (the rep who dictated it, and each rep whose scope
    holds one of its visitor badges, as hub/auth/scope.py reads the registry), ordered by its time: a rep's notes
    list is a range of an index that starts at the rep. Triggers keep it current whoever changes notes, the badges
    they list or the badge registry."""
    readers = (  # (rep, ts_epoch, event_id) of the notes n that {src} and {cond} select (repeats possible)
        "SELECT n.rep_badge, n.ts_epoch, n.event_id FROM {src} WHERE {cond} AND n.rep_badge IS NOT NULL"
        " UNION ALL SELECT r.rep, n.ts_epoch, n.event_id FROM {src} JOIN note_visitors v ON v.event_id = n.event_id"
        " JOIN badges r ON r.visitor = v.badge WHERE {cond} AND r.role = 'visitor' AND r.rep IS NOT NULL"
        " AND r.visitor <> '' AND NOT EXISTS (SELECT 1 FROM badges x WHERE x.badge_id = v.badge AND (x.role = 'rep'"
        " OR COALESCE(x.visitor, x.badge_id) IS NOT r.visitor))"  # someone else's badge is not the visitor's
        " UNION ALL SELECT r.rep, n.ts_epoch, n.event_id FROM {src} JOIN note_visitors v ON v.event_id = n.event_id"
        " JOIN badges b ON b.badge_id = v.badge AND b.role = 'visitor' JOIN badges r ON r.visitor = b.visitor"
        " WHERE {cond} AND r.role = 'visitor' AND r.rep IS NOT NULL AND r.visitor <> ''"
    )
    sources = {  # which notes a trigger reads again: (their note_readers rows, the notes n, which of them)
        "note": ("event_id = {x}", "notes n", "n.event_id = {x}"),
        "badge": (  # the notes that list badge {x}
            "event_id IN (SELECT t.event_id FROM note_visitors t WHERE t.badge = {x})",
            "note_visitors t JOIN notes n ON n.event_id = t.event_id",
            "t.badge = {x}",
        ),
        "visitor": (  # the notes that list a badge registered to visitor {x}
            "event_id IN (SELECT t.event_id FROM badges w JOIN note_visitors t ON t.badge = w.badge_id"
            " WHERE w.visitor = {x})",
            "badges w JOIN note_visitors t ON t.badge = w.badge_id JOIN notes n ON n.event_id = t.event_id",
            "w.visitor = {x}",
        ),
    }
    triggers = {  # trigger: (when it fires, [(source, of what)]); a badge row moves its own badge's readers and
        # those of its visitor's (old and new) id and badges
        "note_insert": ("AFTER INSERT ON notes", [("note", "NEW.event_id")]),
        "note_update": ("AFTER UPDATE OF event_id, rep_badge, ts_epoch ON notes",
                        [("note", "OLD.event_id"), ("note", "NEW.event_id")]),
        "note_delete": ("AFTER DELETE ON notes", [("note", "OLD.event_id")]),
        "visitor_insert": ("AFTER INSERT ON note_visitors", [("note", "NEW.event_id")]),
        "visitor_update": ("AFTER UPDATE ON note_visitors", [("note", "OLD.event_id"), ("note", "NEW.event_id")]),
        "visitor_delete": ("AFTER DELETE ON note_visitors", [("note", "OLD.event_id")]),
        "badges_insert": ("AFTER INSERT ON badges",
                          [("badge", "NEW.badge_id"), ("badge", "NEW.visitor"), ("visitor", "NEW.visitor")]),
        "badges_update": ("AFTER UPDATE ON badges WHEN OLD.badge_id IS NOT NEW.badge_id OR OLD.role IS NOT NEW.role"
                          " OR OLD.visitor IS NOT NEW.visitor OR OLD.rep IS NOT NEW.rep",  # not a name or a company
                          [("badge", "OLD.badge_id"), ("badge", "NEW.badge_id"), ("badge", "OLD.visitor"),
                           ("badge", "NEW.visitor"), ("visitor", "OLD.visitor"), ("visitor", "NEW.visitor")]),
        "badges_delete": ("AFTER DELETE ON badges",
                          [("badge", "OLD.badge_id"), ("badge", "OLD.visitor"), ("visitor", "OLD.visitor")]),
    }  # fmt: skip
    for statement in (
        "CREATE TABLE note_readers (rep TEXT NOT NULL, ts_epoch REAL NOT NULL, event_id TEXT NOT NULL,"
        " PRIMARY KEY (rep, ts_epoch, event_id)) WITHOUT ROWID",
        "CREATE INDEX note_readers_note ON note_readers(event_id)",
        f"INSERT OR IGNORE INTO note_readers(rep, ts_epoch, event_id) {readers.format(src='notes n', cond='1')}",
        *(
            f"CREATE TRIGGER note_readers_{name} {when} BEGIN "
            + "".join(f"DELETE FROM note_readers WHERE {sources[source][0].format(x=x)}; " for source, x in rereads)
            + "INSERT INTO note_readers(rep, ts_epoch, event_id) SELECT DISTINCT * FROM ("  # one row each: an upsert's
            + " UNION ALL ".join(  # DO UPDATE overrides a trigger's OR IGNORE
                readers.format(src=sources[source][1], cond=sources[source][2]).format(x=x) for source, x in rereads
            )
            + "); END"
            for name, (when, rereads) in triggers.items()
        ),
    ):
        conn.execute(statement)


# A step's function name is its identity in `_migrations`: never rename or edit one; append new steps.
MIGRATIONS: list[Step] = [
    _v1_events,
    _v2_derived,
    _v3_people,
    _v4_notes_tags,
    _v5_station_config,
    _v6_rules_tables,
    _v7_dwell_index,
    _v8_seq_gaps,
    _v9_station_retired_at,
    _v10_security_session_parent,
    _v11_security_sig_finding,
    _v12_opportunities_sales_loop,
    _v13_read_paths,
    _v14_opportunities_created_epoch,
    _v15_rep_activity,
    _v16_taps_badge_findings,
    _v17_events_note_index,
    _v18_note_readers,
]


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Apply every step the database has not recorded; return the names applied now."""
    return apply_migrations(conn, MIGRATIONS)
