"""`tourtrace token …`: create API tokens for the hub's roles."""

from __future__ import annotations

import getpass

import typer

app = typer.Typer(help="API tokens for the hub (admin, manager, rep, it).", no_args_is_help=True)


@app.command("create")
def create(
    role: str = typer.Option(..., "--role", help="admin|manager|rep|it|crm"),
    name: str = typer.Option(..., "--name", help="who the token is for"),
    db: str = typer.Option("tourtrace-hub.sqlite3", "--db", help="hub SQLite database"),
    rep_badge: str | None = typer.Option(None, "--rep-badge", help="the rep's badge (required for --role rep)"),
) -> None:
    """Create a token and print its secret once (only a hash is stored)."""
    from hub.api.routes_admin import check_token_request
    from hub.store.audit import record_change
    from hub.store.db import open_database
    from hub.store.tokens import create_token
    from hub.store.tx import transaction

    conn = open_database(db)
    try:
        errors = check_token_request(conn, {"name": name, "role": role, "rep_badge": rep_badge})
        if errors:
            for error in errors:
                typer.echo(f"error: {error}", err=True)
            raise typer.Exit(2)
        actor = f"cli:{getpass.getuser()}"
        with transaction(conn):
            token_id, secret = create_token(conn, name.strip(), role, actor, rep_badge)
            record_change(conn, actor, "admin", "token.create", f"token:{token_id}",
                          {"name": name.strip(), "role": role, "rep_badge": rep_badge})  # fmt: skip
    finally:
        conn.close()
    typer.echo(secret)
    typer.echo(f"token {token_id} for {name.strip()} ({role}) created; the secret above is shown only once", err=True)
