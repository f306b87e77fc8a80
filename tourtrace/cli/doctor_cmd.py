"""`tourtrace doctor`: check a station's config, reader, microphone, model, broker, clock, disk and outbox."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

DEFAULT_CONFIG = Path("/etc/tourtrace/station.yaml")


def doctor(
    config: Annotated[Path, typer.Option("--config", "-c", help="station.yaml")] = DEFAULT_CONFIG,
    timeout: Annotated[float, typer.Option("--timeout", help="seconds to wait for the broker")] = 5.0,
) -> None:
    """Check reader, microphone, model, broker, site key, clock, disk; say what is wrong and how to fix it."""
    from firmware_config.doctor import run_checks

    checks = run_checks(config, broker_timeout_s=timeout)
    for check in checks:
        typer.echo(f"{'✓' if check.ok else '✗'} {check.check:<10} {check.detail}")
        if not check.ok and check.fix:
            typer.echo(f"  {'':<10} fix: {check.fix}")
    failed = [c.check for c in checks if not c.ok]
    if "config" in failed:
        typer.echo("  (reader, microphone, model, broker, site key, disk and outbox checks need a valid config)")
    if failed:
        typer.echo(f"{len(failed)} check(s) failed: {', '.join(failed)}")
        raise typer.Exit(1)
    typer.echo("all checks passed")
