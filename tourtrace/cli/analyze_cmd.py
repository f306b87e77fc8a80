"""`tourtrace analyze`: print the same JSON as POST /api/analyze; recompute stored notes; move the library."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _print(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _library_or_fail(path: Path) -> Any:
    from hub.rules.analysis.library import LibraryError
    from hub.store.library import read_library_file

    try:
        return read_library_file(path)
    except LibraryError as exc:
        raise _fail(str(exc)) from None


def _with_db(db: Path | None, library_file: Path | None, recompute: bool, export: Path | None) -> None:
    from hub.rules.analysis import analyze as run
    from hub.rules.analysis import load_default_context
    from hub.store.db import open_database
    from hub.store.library import (
        load_library,
        recompute_note_analyses,
        save_library,
        write_library_file,
    )

    if db is None:
        raise _fail("--recompute, --import-library and --export-library need --db PATH")
    try:
        conn = open_database(db)
    except Exception as exc:
        raise _fail(f"cannot open database {db}: {exc}") from None
    try:
        if library_file is not None:
            save_library(conn, _library_or_fail(library_file))
        library = load_library(conn) or load_default_context().library
        if export is not None and library is not None:
            write_library_file(library, export)
        if recompute:
            lexicon = load_default_context().lexicon
            revision = library.revision() if library else "none"
            report = recompute_note_analyses(conn, lambda t: run(t, lexicon, library).to_dict(), revision)
            _print({**report.to_dict(), "revision": revision})
    finally:
        conn.close()


def analyze(
    text: Annotated[str | None, typer.Argument(help="raw recognizer text, e.g. '热 处理 到 h r c 四十五'")] = None,
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
    from hub.rules.analysis import analyze as run
    from hub.rules.analysis import load_default_context

    if recompute or import_library or export_library is not None:
        if import_library and library is None:
            raise _fail("--import-library needs --library FILE")
        _with_db(db, library if import_library else None, recompute, export_library)
        if text is None:
            return
    if text is None:
        raise _fail("give TEXT to analyze (or --recompute --db PATH)")
    context = load_default_context()
    chosen = _library_or_fail(library) if library is not None else context.library
    _print(run(text, context.lexicon, chosen).to_dict())
