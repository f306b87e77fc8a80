"""`tourtrace badge …`: write signed NFC badges, one or a CSV batch."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

if TYPE_CHECKING:  # the edge modules are imported when a badge command runs: the hub extra lacks nfcpy
    from edge.nfc_reader.source import TagSource
    from edge.nfc_reader.writer import WrittenBadge

app = typer.Typer(no_args_is_help=True, add_completion=False)


@app.callback()
def badge() -> None:
    """Write and verify NFC badges."""


@dataclass(frozen=True)
class BadgeRow:
    """One badge to write, with the CSV line it came from."""

    line: int
    badge_id: str
    role: str


def read_batch(path: Path) -> list[BadgeRow]:
    """Read a CSV with a `badge_id,role` header; raise ValueError naming the bad line."""
    from edge.nfc_reader.badge import BadgeFormatError, check_badge_fields

    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"cannot read {path}: {error}") from None
    reader = csv.DictReader(text.splitlines())
    if reader.fieldnames is None or not {"badge_id", "role"} <= set(reader.fieldnames):
        raise ValueError(f"{path} line 1: the header must name the columns badge_id and role")
    rows: list[BadgeRow] = []
    seen: dict[str, int] = {}
    for record in reader:
        line = reader.line_num
        badge_id, role = (record.get("badge_id") or "").strip(), (record.get("role") or "").strip()
        try:
            check_badge_fields(badge_id, role)
        except BadgeFormatError as error:
            raise ValueError(f"{path} line {line}: {error}") from None
        if badge_id in seen:
            raise ValueError(f"{path} line {line}: badge_id {badge_id!r} already on line {seen[badge_id]}")
        seen[badge_id] = line
        rows.append(BadgeRow(line, badge_id, role))
    if not rows:
        raise ValueError(f"{path}: no badges listed")
    return rows


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _describe(written: WrittenBadge) -> str:
    signed = "signed" if written.badge.sig else "UNSIGNED"
    return f"wrote {written.badge.badge_id} ({written.badge.role}, {signed}) to {written.tag_type} {written.uid}"


def _write_batch(source: TagSource, rows: list[BadgeRow], site_key: bytes | None, timeout_s: float) -> None:
    from edge.nfc_reader.writer import BadgeWriteError, NoTagError, write_badge

    console = Console()
    done: list[str] = []
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("tap the next card…", total=len(rows))
        for row in rows:
            rejected: list[str] = []
            while True:
                progress.update(task, description=f"tap the next card… ({row.badge_id}, {row.role})")
                try:
                    written = write_badge(source, row.badge_id, row.role, site_key, timeout_s, done + rejected)
                except NoTagError as error:
                    raise _fail(f"{error}; wrote {len(done)} of {len(rows)} badges") from None
                except BadgeWriteError as error:
                    console.print(f"[red]line {row.line}: {error}[/red] — tap another card")
                    if error.unusable_uid:
                        rejected.append(error.unusable_uid)
                    continue
                done.append(written.uid)
                console.print(_describe(written))
                progress.advance(task)
                break
    typer.echo(f"wrote {len(done)} badges")


@app.command("write")
def write(
    reader: str = typer.Option(..., "--reader", help="nfcpy device: usb, usb:VID:PID, tty:USB0:pn532, udp:H:P"),
    badge_id: str | None = typer.Option(None, "--badge-id", help="[A-Za-z0-9_-]{1,32}"),
    role: str | None = typer.Option(None, "--role", help="visitor or rep"),
    site_key_file: Path | None = typer.Option(None, "--site-key-file", help="sign with this site key"),
    batch: Path | None = typer.Option(None, "--batch", help="CSV with badge_id,role columns"),
    timeout: float = typer.Option(30.0, "--timeout", help="seconds to wait for each card"),
) -> None:
    """Write a badge (or a CSV batch of badges) and verify each by reading it back."""
    from edge.nfc_reader.badge import check_badge_fields, load_site_key
    from edge.nfc_reader.source import ReaderAbsent, TagSource, check_reader_uri
    from edge.nfc_reader.writer import BadgeWriteError, write_badge

    try:
        check_reader_uri(reader)
        site_key = load_site_key(site_key_file) if site_key_file else None
        if batch is not None:
            if badge_id or role:
                raise ValueError("use either --batch or --badge-id/--role, not both")
            rows = read_batch(batch)
        elif badge_id is None or role is None:
            raise ValueError("--badge-id and --role are required (or --batch FILE.csv)")
        else:
            check_badge_fields(badge_id, role)
            rows = [BadgeRow(0, badge_id, role)]
    except ValueError as error:
        raise _fail(str(error), 2) from None
    if site_key is None:
        typer.echo("warning: no --site-key-file; badges are unsigned and the hub will flag them", err=True)
    try:
        with TagSource.from_uri(reader) as source:
            if batch is not None:
                _write_batch(source, rows, site_key, timeout)
                return
            typer.echo(f"tap the card for {rows[0].badge_id} on {reader}…")
            typer.echo(_describe(write_badge(source, rows[0].badge_id, rows[0].role, site_key, timeout)))
    except ReaderAbsent as error:
        raise _fail(str(error)) from None
    except BadgeWriteError as error:
        raise _fail(str(error)) from None
