"""Each room imports only what it may (docs/architecture.md): the contract is stdlib only, the hub never imports
provisioning or the station, the store depends on no other part of the hub, the API and the pages share auth/, and
the helpers in tourtrace/ that both sides share import neither."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# (files under this prefix, may not import modules under these prefixes, except these)
RULES: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    ("hub/", ("firmware_config", "edge", "tourtrace.cli", "tourtrace.demo"), ()),
    ("edge/", ("hub", "firmware_config", "tourtrace.cli", "tourtrace.demo"), ()),
    ("hub/store/", ("hub.",), ("hub.store",)),
    ("hub/api/", ("hub.web",), ()),
    ("hub/web/", ("hub.api",), ()),
    ("hub/auth/", ("hub.api", "hub.web"), ()),
]

# Beside the command (tourtrace/cli) and the demo (tourtrace/demo), which span both sides, tourtrace/ holds the
# helpers both sides share (sd_notify, broker settings, the config model, __version__): those import neither side.
SHARED = [p for p in (ROOT / "tourtrace").glob("*.py")]

# Imports other branches are still moving out. The integrator deletes each line as its branch lands; the list only
# shrinks, and a file not on it can never start importing across rooms.
NOT_YET_MOVED: set[tuple[str, str]] = set()


def imports_of(path: Path) -> list[tuple[int, str]]:
    """Return (line, module) of every import in a file, function-local ones included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def _under(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p.rstrip(".") or module.startswith(p if p.endswith(".") else p + ".") for p in prefixes)


def _files(prefix: str) -> list[Path]:
    return sorted((ROOT / prefix).rglob("*.py"))


def test_the_contract_imports_only_the_standard_library() -> None:
    outside = [
        f"{path.relative_to(ROOT)}:{line}: {module}"
        for path in _files("protocol/")
        for line, module in imports_of(path)
        if module.split(".")[0] not in sys.stdlib_module_names and module.split(".")[0] != "protocol"
    ]
    assert outside == []


def test_no_room_imports_what_it_may_not() -> None:
    leaks = []
    seen_allowed = set()
    for prefix, forbidden, allowed in RULES:
        for path in _files(prefix):
            name = str(path.relative_to(ROOT))
            for line, module in imports_of(path):
                if not _under(module, forbidden) or _under(module, allowed):
                    continue
                if (name, module) in NOT_YET_MOVED:
                    seen_allowed.add((name, module))
                    continue
                leaks.append(f"{name}:{line}: {module}")
    assert leaks == [], "imports across rooms (docs/architecture.md)"
    stale = NOT_YET_MOVED - seen_allowed
    assert stale == set(), "no longer imported: delete these from NOT_YET_MOVED"


def test_the_shared_helpers_import_neither_side() -> None:
    assert SHARED, "tourtrace/*.py not found"
    sides = ("hub", "edge", "firmware_config", "tourtrace.cli", "tourtrace.demo")
    leaks = [
        f"{path.relative_to(ROOT)}:{line}: {module}"
        for path in SHARED
        for line, module in imports_of(path)
        if _under(module, sides)
    ]
    assert leaks == []


def test_the_checker_sees_a_local_import(tmp_path: Path) -> None:
    sample = tmp_path / "m.py"
    sample.write_text("import os\n\ndef f():\n    from firmware_config.doctor import run_checks\n", encoding="utf-8")
    assert imports_of(sample) == [(1, "os"), (4, "firmware_config.doctor")]
    assert _under("firmware_config.doctor", ("firmware_config",)) and not _under("hub.storehouse", ("hub.store",))
