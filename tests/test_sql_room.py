"""SQL lives in hub/store (and the station's own outbox): no other module writes a query or runs one."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("protocol", "edge", "hub", "firmware_config", "tourtrace", "bench", "tests")

# Where SQL belongs: the hub's store, the station's durable outbox, and the tests and benchmarks that
# inspect real database files.
ROOMS = ("hub/store/", "edge/agent/outbox.py", "tests/", "bench/")

# Files still being moved into hub/store on other branches. The integrator deletes each line as its branch
# lands; the list only ever shrinks, and a file not on it can never start speaking SQL.
NOT_YET_MOVED: set[str] = set()

_SQL = re.compile(
    r"\b(SELECT\s.+\sFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(TABLE|INDEX|"
    r"TRIGGER|VIEW)|ALTER\s+TABLE|DROP\s+(TABLE|INDEX)|BEGIN(\s+IMMEDIATE|\s+EXCLUSIVE)?\s*$|COMMIT\s*$|"
    r"ROLLBACK(\s+TO\s+\w+)?\s*$|(SAVEPOINT|RELEASE)\s+\w+\s*$|PRAGMA\s+\w+)",
    re.DOTALL,
)
_RUNS_SQL = {"execute", "executemany", "executescript"}


def sql_in(path: Path) -> list[str]:
    """Return 'line: what' for each SQL string or query call in a Python file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and _SQL.search(node.value.strip()):
            found.append(f"{node.lineno}: {node.value.strip()[:60]!r}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _RUNS_SQL:
            found.append(f"{node.lineno}: .{node.func.attr}(…)")
    return found


def _python_files() -> list[str]:
    return sorted(str(p.relative_to(ROOT)) for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def test_no_sql_outside_its_rooms() -> None:
    leaks = {
        name: hits
        for name in _python_files()
        if not name.startswith(ROOMS) and name not in NOT_YET_MOVED and (hits := sql_in(ROOT / name))
    }
    assert leaks == {}, "SQL outside hub/store: move it into a hub/store function"


def test_the_allowlist_only_names_files_that_still_leak() -> None:
    stale = sorted(name for name in NOT_YET_MOVED if not (ROOT / name).exists() or not sql_in(ROOT / name))
    assert stale == [], "these files no longer speak SQL: delete them from NOT_YET_MOVED"


def test_the_scanner_sees_a_query_and_a_bare_transaction(tmp_path: Path) -> None:
    sample = tmp_path / "leaky.py"
    sample.write_text(
        'def f(conn):\n    conn.execute("BEGIN IMMEDIATE")\n    rows = "SELECT id FROM events WHERE kind = ?"\n',
        encoding="utf-8",
    )
    hits = sql_in(sample)
    assert sorted(hit.split(":")[0] for hit in hits) == ["2", "2", "3"]
    (tmp_path / "prose.py").write_text('HELP = "select a station from the list, then update it"\n', encoding="utf-8")
    assert sql_in(tmp_path / "prose.py") == []
