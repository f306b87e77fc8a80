"""Schema migrations: frozen named steps, recorded in `_migrations`, upgrading databases from every old version."""

from __future__ import annotations

import ast
import hashlib
import inspect
import json
import sqlite3
import textwrap
from collections.abc import Sequence
from pathlib import Path

import pytest

from hub.store import migrations, schema
from hub.store.db import open_database
from hub.store.migrations import Step, apply_migrations, split_statements, step_name
from tests.old_schema import steps_as_released

# Fingerprints of the schema after each released step, taken from the code that first shipped it.
# A new step gets its line here once released (print `_fingerprint` after it); old lines never change.
FINGERPRINTS: dict[str, str] = json.loads(
    (Path(__file__).parents[1] / "golden" / "schema_steps.json").read_text(encoding="utf-8")
)


def _schema(conn: sqlite3.Connection, with_record: bool = False) -> list[tuple[str, str, str]]:
    rows = conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'"
        " ORDER BY type, name"
    ).fetchall()
    return [tuple(row) for row in rows if with_record or row[1] != "_migrations"]


def _fingerprint(conn: sqlite3.Connection) -> str:
    return hashlib.sha256(json.dumps([list(row) for row in _schema(conn)]).encode()).hexdigest()


def test_each_released_step_still_builds_the_schema_it_shipped_with() -> None:
    names = [step_name(step) for step in schema.MIGRATIONS]
    assert names[: len(FINGERPRINTS)] == list(FINGERPRINTS), "released steps were renamed, removed or reordered"
    conn = sqlite3.connect(":memory:", isolation_level=None)
    for count, name in enumerate(FINGERPRINTS, start=1):
        apply_migrations(conn, schema.MIGRATIONS[:count])
        assert _fingerprint(conn) == FINGERPRINTS[name], f"step {name} no longer builds what it shipped with"


@pytest.mark.parametrize("version", range(len(schema.MIGRATIONS) + 1))
def test_a_database_from_every_old_version_migrates_to_the_fresh_schema(tmp_path: Path, version: int) -> None:
    fresh = open_database(tmp_path / "fresh.sqlite3")
    old = steps_as_released(sqlite3.connect(tmp_path / "old.sqlite3", isolation_level=None), version)
    if version >= 1:
        old.execute(
            "INSERT INTO events VALUES ('01OLD', 'tap', 'demo', 'gate-a', 1, '2026-01-01T00:00:00Z', 'x', '{}')"
        )
    old.close()
    upgraded = open_database(tmp_path / "old.sqlite3")
    assert _schema(upgraded, with_record=True) == _schema(fresh, with_record=True)
    names = [step_name(step) for step in schema.MIGRATIONS]
    assert [row[0] for row in upgraded.execute("SELECT name FROM _migrations ORDER BY rowid")] == names
    assert upgraded.execute("PRAGMA user_version").fetchone()[0] == len(names)
    if version >= 1:
        assert [row[0] for row in upgraded.execute("SELECT id FROM events")] == ["01OLD"]
    assert schema.migrate(upgraded) == []


def test_steps_are_frozen_sql_that_calls_no_helper() -> None:
    """A step may run SQL text written in it or in this module and nothing else: it reads no name from outside but
    `_run` and frozen `_V…` constants, so editing a helper cannot change it."""
    for step in schema.MIGRATIONS:
        function = ast.parse(textwrap.dedent(inspect.getsource(step))).body[0]
        assert isinstance(function, ast.FunctionDef)
        tree = ast.Module(body=function.body, type_ignores=[])  # the body: its annotations name types, not SQL
        local = {"conn"} | {
            node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in local:
                frozen = node.id.startswith("_V") and isinstance(getattr(schema, node.id, None), str)
                assert node.id == "_run" or frozen, f"{step_name(step)} reads {node.id}: inline its SQL instead"


def test_a_failing_step_rolls_back_and_is_not_recorded(tmp_path: Path) -> None:
    def _v_good(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE good (x)")

    def _v_bad(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half (x)")
        conn.execute("INSERT INTO missing VALUES (1)")

    conn = sqlite3.connect(tmp_path / "t.sqlite3", isolation_level=None)
    steps: list[Step] = [_v_good, _v_bad]
    with pytest.raises(sqlite3.OperationalError, match="no such table: missing"):
        apply_migrations(conn, steps)
    assert [r[0] for r in conn.execute("SELECT name FROM _migrations")] == ["_v_good"]
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"_migrations", "good"}
    with pytest.raises(ValueError, match="names repeat"):
        apply_migrations(conn, [_v_good, _v_good])


def test_statements_split_where_sqlite_says_they_end() -> None:
    script = """
    CREATE TABLE t (a TEXT DEFAULT 'x;y');
    CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN UPDATE t SET a = a || ';'; SELECT 1; END;
    INSERT INTO t VALUES ('semi;colon')
    """
    statements = list(split_statements(script))
    assert len(statements) == 3
    assert statements[1].startswith("CREATE TRIGGER") and statements[1].endswith("END;")
    conn = sqlite3.connect(":memory:", isolation_level=None)
    for statement in statements:
        conn.execute(statement)
    assert conn.execute("SELECT a FROM t").fetchone()[0] == "semi;colon;"
    with pytest.raises(ValueError, match="incomplete SQL statement"):
        list(split_statements("CREATE TABLE u (a TEXT DEFAULT 'open"))


def test_two_connections_migrating_one_database_apply_each_step_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "hub.sqlite3"
    first = sqlite3.connect(path, isolation_level=None, timeout=30)
    second = sqlite3.connect(path, isolation_level=None, timeout=30)
    real = migrations.applied_steps

    def stale(conn: sqlite3.Connection, steps: Sequence[Step]) -> list[str]:
        if conn is first:
            return real(conn, steps)
        seen = real(conn, steps)  # the second looks before the first has applied anything ...
        assert schema.migrate(first) == [step_name(step) for step in schema.MIGRATIONS]  # ... then the first does
        return seen

    monkeypatch.setattr(migrations, "applied_steps", stale)
    assert apply_migrations(second, schema.MIGRATIONS) == []
    assert _schema(second) == _schema(first)
    assert second.execute("SELECT COUNT(*) FROM _migrations").fetchone()[0] == len(schema.MIGRATIONS)
