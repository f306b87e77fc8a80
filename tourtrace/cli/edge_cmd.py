"""`tourtrace edge …`: run a station agent."""

from __future__ import annotations

from pathlib import Path

import typer

from tourtrace.cli.common import fail_config, setup_logging

app = typer.Typer(help="Station side: run the agent at a workshop entrance.", no_args_is_help=True)


@app.command("run")
def run(
    config: Path = typer.Option(..., "--config", "-c", help="station.yaml"),
    log_level: str = typer.Option("info", "--log-level", help="debug|info|warning|error"),
) -> None:
    """Run a station agent: read badges, record notes, publish events durably."""
    from edge.agent.config import ConfigError, load_config

    setup_logging(log_level)
    try:
        settings = load_config(config)
    except ConfigError as exc:
        raise fail_config(exc.source, exc.errors) from None
    import sqlite3

    from edge.agent.runner import Agent

    try:
        agent = Agent(settings)
    except ConfigError as exc:
        raise fail_config(exc.source, exc.errors) from None
    except (OSError, sqlite3.Error) as exc:
        typer.echo(f"error: cannot use data_dir {settings.data_dir}: {exc}", err=True)
        raise typer.Exit(2) from None
    agent.run_forever()
