"""Helpers shared by CLI commands: logging setup and config-error reporting."""

from __future__ import annotations

import logging
import sys

import typer


def setup_logging(level: str) -> None:
    """Log to stderr in a journald-friendly one-line format."""
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def fail_config(source: str, errors: list[str]) -> typer.Exit:
    """Print every configuration error with its path and return the exit (code 2) to raise."""
    typer.echo(f"error: invalid configuration in {source}:", err=True)
    for error in errors:
        typer.echo(f"  {error}", err=True)
    return typer.Exit(2)
