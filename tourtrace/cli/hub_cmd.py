"""`tourtrace hub …`: run the hub."""

from __future__ import annotations

from pathlib import Path

import typer

from tourtrace.cli.common import fail_config, setup_logging

app = typer.Typer(help="Hub side: ingest, rules, API and dashboard.", no_args_is_help=True)


@app.command("serve")
def serve(
    config: Path | None = typer.Option(None, "--config", help="hub.yaml"),
    broker: str | None = typer.Option(None, "--broker", help="mqtt://HOST:PORT"),
    db: str | None = typer.Option(None, "--db", help="SQLite database path"),
    http: str | None = typer.Option(None, "--http", help="HOST:PORT to serve the API and dashboard on"),
    sample_data: bool = typer.Option(False, "--sample-data", help="load the sample forging plant on first start"),
    log_level: str = typer.Option("info", "--log-level"),
) -> None:
    """Run the hub: MQTT ingest into SQLite, rules, REST API and dashboard."""
    from hub.settings import load_settings
    from tourtrace.config_model import ConfigError

    setup_logging(log_level)
    try:
        settings = load_settings(config, {"broker": broker, "db": db, "http": http, "sample_data": sample_data or None})
    except ConfigError as exc:
        raise fail_config(exc.source, exc.errors) from None
    import sqlite3

    import uvicorn

    from hub.app import create_app
    from hub.service import load_site_keys
    from hub.store.db import open_database
    from tourtrace.heap import settle

    try:
        open_database(settings.db).close()
    except (OSError, sqlite3.Error) as exc:
        typer.echo(f"error: cannot use the database {settings.db}: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        load_site_keys(settings)
    except OSError as exc:
        typer.echo(f"error: cannot read a site key file: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        settings.broker_settings().read_password(str(config or "command line"), "password_file")
    except ConfigError as exc:
        raise fail_config(exc.source, exc.errors) from None

    if not settings.admin_token:
        typer.echo("warning: no admin token; set TOURTRACE_ADMIN_TOKEN to use the API", err=True)
    hub_app = create_app(settings)
    settle()
    uvicorn.run(hub_app, host=settings.http_host, port=settings.http_port, log_level=log_level)


@app.command("install")
def install(
    directory: Path = typer.Option(..., "--dir", help="provisioning directory (certs init, station add)"),
    root: Path = typer.Option(Path("/"), "--root", help="stage into this directory instead of the system"),
    wheelhouse: Path | None = typer.Option(None, "--wheelhouse", help="wheels of tourtrace and its dependencies"),
) -> None:
    """Install the hub as shipped: user tourtrace, /etc/tourtrace/hub.yaml, /var/lib/tourtrace-hub, units, venv.

    Idempotent: rerun after every `certs init` / `station add`. With --root DIR nothing outside DIR is touched.
    """
    from firmware_config.hub_install import InstallError, install_hub
    from firmware_config.units import UnitMissing

    try:
        done = install_hub(directory, root, wheelhouse)
    except (InstallError, UnitMissing) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    except OSError as exc:
        typer.echo(f"error: {exc.filename or root}: {exc.strerror}", err=True)
        raise typer.Exit(1) from None
    for step in done:
        typer.echo(f"✓ {step}")
