"""The documentation stays true: its links resolve inside the repository, and docs/cli.md is the real CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from tourtrace.cli.main import app

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
CLI_DOC = ROOT / "docs" / "cli.md"

_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6}\s+(.*)$", re.MULTILINE)
_COMMAND_HEADING = re.compile(r"^### `tourtrace ([a-z][a-z -]*?)(?: \[?[A-Z].*)?`$", re.MULTILINE)
_MENTION = re.compile(r"`tourtrace((?: [a-z][a-z-]*)+)")
_FLAG = re.compile(r"^\| `(--[a-z][a-z0-9-]*)")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _anchor(heading: str) -> str:
    """Return GitHub's anchor for a heading."""
    text = re.sub(r"[`*_]", "", heading).strip().lower()
    return re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", text))


def _links(doc: Path) -> list[str]:
    return [target for target in _LINK.findall(doc.read_text(encoding="utf-8")) if "://" not in target]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves_to_a_file_in_the_repository(doc: Path) -> None:
    assert doc.exists()
    for target in _links(doc):
        path, _, anchor = target.partition("#")
        resolved = (doc.parent / path).resolve() if path else doc
        assert resolved.is_relative_to(ROOT), f"{doc.name}: {target} points outside the repository"
        assert resolved.exists(), f"{doc.name}: {target} does not exist"
        if anchor and resolved.suffix == ".md":
            anchors = {_anchor(h) for h in _HEADING.findall(resolved.read_text(encoding="utf-8"))}
            assert anchor in anchors, f"{doc.name}: {target}: no heading #{anchor} in {resolved.name}"


def test_the_readme_links_the_docs() -> None:
    linked = {Path(t.partition("#")[0]).name for t in _links(ROOT / "README.md")}
    missing = sorted(p.name for p in (ROOT / "docs").glob("*.md") if p.name not in linked)
    assert missing == [], "docs the README does not link"


def _help(words: list[str]) -> str:
    result = CliRunner().invoke(app, [*words, "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 0, f"tourtrace {' '.join(words)} --help: {result.output}"
    return _ANSI.sub("", result.output)


def _documented_commands() -> dict[str, list[str]]:
    """Return each `### tourtrace …` heading of docs/cli.md with the flags in the table below it."""
    text = CLI_DOC.read_text(encoding="utf-8")
    sections = re.split(r"(?=^### )", text, flags=re.MULTILINE)
    found: dict[str, list[str]] = {}
    for section in sections:
        heading = _COMMAND_HEADING.match(section)
        if heading:
            flags = [m.group(1) for line in section.splitlines() if (m := _FLAG.match(line))]
            found[heading.group(1).strip()] = flags
    return found


def _leaf_commands() -> dict[str, list[str]]:
    """Return every command of the real CLI with its options."""
    root = typer.main.get_command(app)
    leaves: dict[str, list[str]] = {}

    def walk(command: Any, path: list[str]) -> None:
        ctx = command.make_context(path[-1] if path else "tourtrace", ["--help"], resilient_parsing=True)
        if hasattr(command, "list_commands"):  # a group (typer vendors click: no isinstance checks)
            for name in command.list_commands(ctx):
                walk(command.get_command(ctx, name), [*path, name])
            return
        options = [o for p in command.params if p.param_type_name == "option" for o in p.opts if o.startswith("--")]
        leaves[" ".join(path)] = [o for o in options if o != "--help"]

    walk(root, [])
    return leaves


def test_every_command_in_the_cli_doc_exists_with_its_flags() -> None:
    documented = _documented_commands()
    assert len(documented) >= 10
    for command, flags in documented.items():
        output = _help(command.split())
        for flag in flags:
            assert re.search(rf"{re.escape(flag)}\b", output), f"tourtrace {command} has no {flag}"


def test_every_tourtrace_command_named_in_the_docs_exists() -> None:
    for doc in DOCS:
        for mention in _MENTION.findall(doc.read_text(encoding="utf-8")):
            words = mention.split()
            _help(words)


def test_the_cli_doc_covers_every_command_and_flag() -> None:
    documented = _documented_commands()
    text = CLI_DOC.read_text(encoding="utf-8")
    for command, options in _leaf_commands().items():
        assert command in documented, f"docs/cli.md has no section for tourtrace {command}"
        missing = [o for o in options if f"`{o}" not in text]
        assert missing == [], f"docs/cli.md does not document tourtrace {command} {missing}"


def test_the_analysis_example_is_what_the_command_prints() -> None:
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    example = re.search(r"`tourtrace analyze '([^']+)'`[^\n]*\n\n```json\n(.*?)\n```", text, re.DOTALL)
    assert example is not None, "docs/api.md lost its analysis example"
    result = CliRunner().invoke(app, ["analyze", example.group(1)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == json.loads(example.group(2))


def _yaml_blocks(doc: Path) -> list[str]:
    return re.findall(r"```yaml\n(.*?)\n```", doc.read_text(encoding="utf-8"), re.DOTALL)


def test_the_rules_doc_examples_are_valid_and_its_defaults_are_the_shipped_ones() -> None:
    from hub.rules.engine import default_rules_path, parse_rules, validate_rules

    blocks = _yaml_blocks(ROOT / "docs" / "rules.md")
    assert len(blocks) == 2
    for block in blocks:
        assert validate_rules(block, "docs/rules.md") == []

    def essence(text: str) -> list[tuple[object, ...]]:
        return [(r.name, r.when, r.then, r.otherwise) for r in parse_rules(text).rules]

    assert essence(blocks[1]) == essence(default_rules_path().read_text(encoding="utf-8"))


def test_every_route_of_the_hub_is_in_the_api_doc(tmp_path: Path) -> None:
    from hub.app import create_app
    from hub.settings import HubSettings

    app = create_app(HubSettings(db=str(tmp_path / "hub.sqlite3"), admin_token="doc-test"))
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    routes = [(m.upper(), path) for path, ops in app.openapi()["paths"].items() for m in ops]
    assert len(routes) > 30
    missing = [f"{m} {path}" for m, path in routes if f"`{m} {path}`" not in text]
    assert missing == [], "routes docs/api.md does not describe"
