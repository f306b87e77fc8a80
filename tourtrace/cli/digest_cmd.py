"""`tourtrace digest`: show (--dry-run) or queue a day's managers' digest."""

from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import typer

from tourtrace.cli.common import fail_config


def digest(
    dry_run: bool = typer.Option(False, "--dry-run", help="print what would be sent; send and record nothing"),
    config: Path | None = typer.Option(None, "--config", help="hub.yaml (notify channels, digest times, timezone)"),
    day: str | None = typer.Option(None, "--date", help="YYYY-MM-DD site time (default: today)"),
    db: str | None = typer.Option(None, "--db", help="SQLite database path"),
) -> None:
    """Build the daily digest for each digest channel; queue it (once a day per channel) unless --dry-run."""
    from contextlib import closing

    from hub.notify.digest import DigestDay, build_digest
    from hub.notify.digest_schedule import dashboard_url, digest_plan, queue_digest
    from hub.settings import ConfigError, load_settings
    from hub.store.db import open_database

    try:
        settings = load_settings(config, {"db": db})
    except ConfigError as exc:
        raise fail_config(exc.source, exc.errors) from None
    try:
        chosen = date.fromisoformat(day) if day else datetime.now(ZoneInfo(settings.site_timezone)).date()
    except ValueError:
        typer.echo(f"error: --date: expected YYYY-MM-DD, got {day!r}", err=True)
        raise typer.Exit(2) from None
    plan = digest_plan(settings)
    if not plan:
        typer.echo('no digest channel: add `digest: {manager: "18:00"}` and a notify channel to the hub config')
    with closing(open_database(settings.db)) as conn:
        parts = build_digest(conn, DigestDay.of(chosen, settings.site_timezone), dashboard_url(settings))
        if not parts:
            typer.echo(f"nothing to send for {chosen.isoformat()}: no visitors, pending or overdue opportunities")
            return
        for channel, (hour, minute) in plan.items():
            if dry_run:
                typer.echo(f"== {channel} at {hour:02d}:{minute:02d} ({settings.site_timezone}): {len(parts)} part(s)")
                for text in parts:
                    typer.echo(f"-- {len(text.encode('utf-8'))} bytes\n{text}")
            else:
                queued = queue_digest(conn, settings, channel, chosen, time.time())
                typer.echo(f"{channel}: {f'queued {queued} part(s)' if queued else 'already sent for this day'}")
        if dry_run and not plan:
            for text in parts:
                typer.echo(f"-- {len(text.encode('utf-8'))} bytes\n{text}")
