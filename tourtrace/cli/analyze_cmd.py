"""`tourtrace analyze`: print the same JSON as POST /api/analyze; recompute stored notes; move the library."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from hub.settings import HubSettings


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _print(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _library_or_fail(path: Path) -> Any:
    from hub.rules.analysis.library import LibraryError
    from hub.rules.analysis.library_files import read_library_file

    try:
        return read_library_file(path)
    except LibraryError as exc:
        raise _fail(str(exc)) from None


def _settings_or_fail(config: Path | None) -> HubSettings | None:
    """The hub's settings from --config (its analysis_dir, db and rules_file), checked as the hub checks them."""
    from tourtrace.config_model import ConfigError

    if config is None:
        return None
    from hub.settings import load_settings

    try:
        return load_settings(config, {})
    except ConfigError as exc:
        raise _fail(str(exc)) from None


def _with_db(
    db: Path | None, settings: HubSettings | None, library_file: Path | None, recompute: bool, export: Path | None
) -> None:
    from hub.rules.analysis.library_files import write_library_file
    from hub.rules.engine import RulesEngine
    from hub.rules.notes_pipeline import NoteAnalyzer, recompute_all
    from hub.rules.stored_library import load_library, save_library
    from hub.store.db import open_database

    if db is None:
        raise _fail("--recompute, --import-library and --export-library need --db PATH (or --config hub.yaml)")
    try:
        conn = open_database(db)
    except Exception as exc:
        raise _fail(f"cannot open database {db}: {exc}") from None
    try:
        if library_file is not None:
            save_library(conn, _library_or_fail(library_file))
        analyzer = NoteAnalyzer(settings.analysis_dir if settings else None)
        library = load_library(conn) or analyzer.context(conn).library
        if export is not None and library is not None:
            write_library_file(library, export)
        if recompute:
            rules = RulesEngine.for_hub(settings.rules_file if settings else None, str(db))
            report = recompute_all(conn, analyzer, rules)
            _print({**report.to_dict(), "revision": analyzer.revision(conn)})
    finally:
        conn.close()


def analyze(
    text: Annotated[str | None, typer.Argument(help="raw recognizer text, e.g. '热 处理 到 h r c 四十五'")] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="hub.yaml: use its analysis_dir (plant data), and its db unless --db is given"),
    ] = None,
    library: Annotated[
        Path | None, typer.Option("--library", help="process library (.yaml or .xlsx) instead of the sample plant's")
    ] = None,
    db: Annotated[Path | None, typer.Option("--db", help="hub database, for the options below")] = None,
    recompute: Annotated[
        bool, typer.Option("--recompute", help="re-analyze every stored note (idempotent) and print counts")
    ] = False,
    import_library: Annotated[
        bool, typer.Option("--import-library", help="store --library in --db as the plant's library")
    ] = False,
    export_library: Annotated[
        Path | None, typer.Option("--export-library", help="write the --db library (or the sample) to .yaml/.xlsx")
    ] = None,
) -> None:
    """Analyze TEXT and print {normalized, params, signals, lookups, warnings} as JSON."""
    from hub.rules.analysis import ContextError, load_context
    from hub.rules.analysis import analyze as run

    settings = _settings_or_fail(config)
    if recompute or import_library or export_library is not None:
        if import_library and library is None:
            raise _fail("--import-library needs --library FILE")
        database = db if db is not None or settings is None else Path(settings.db)
        _with_db(database, settings, library if import_library else None, recompute, export_library)
        if text is None:
            return
    if text is None:
        raise _fail("give TEXT to analyze (or --recompute --db PATH)")
    try:
        context = load_context(analysis_dir=Path(settings.analysis_dir) if settings and settings.analysis_dir else None)
    except ContextError as exc:
        raise _fail(str(exc)) from None
    chosen = _library_or_fail(library) if library is not None else context.library
    _print(run(text, context.lexicon, chosen).to_dict())
