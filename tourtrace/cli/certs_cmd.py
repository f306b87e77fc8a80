"""`tourtrace certs …`: the plant CA and the broker's TLS certificate."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="TLS for the broker: own CA and a server certificate with the hub's names.", no_args_is_help=True
)


@app.callback()
def certs() -> None:
    """TLS for the broker: own CA and a server certificate with the hub's names."""


@app.command("init")
def init(
    directory: Annotated[Path, typer.Option("--dir", help="provisioning directory; certificates go to DIR/certs")],
    hub_names: Annotated[list[str], typer.Option("--hub-name", help="hub DNS name or IP (repeat)")],
    force: Annotated[bool, typer.Option("--force", help="re-issue the server cert")] = False,
) -> None:
    """Create the CA (once) and a server certificate; enable the TLS listener in DIR/mosquitto/tourtrace.conf."""
    from firmware_config.certs import CertError, init_certs
    from firmware_config.enrol import EnrolError, refresh_broker
    from firmware_config.passwd import PasswdError

    try:
        result = init_certs(directory, hub_names, force=force)
        hub_password = refresh_broker(directory)
    except (CertError, EnrolError, PasswdError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    except OSError as exc:
        typer.echo(f"error: cannot write to {exc.filename or directory}: {exc.strerror}", err=True)
        raise typer.Exit(1) from None
    paths = result.paths
    typer.echo(f"{'✓ created' if result.ca_created else '✓ kept'} CA {paths.ca_cert} (copy it to every station)")
    if result.server_issued:
        typer.echo(f"✓ issued server certificate {paths.server_cert} for {', '.join(result.names)}")
    else:
        typer.echo(f"✓ server certificate {paths.server_cert} already valid for {', '.join(result.names)}")
    if hub_password is not None:
        typer.echo(f"  hub broker user 'hub' created; password (shown once; also in the hub dir): {hub_password}")
    conf = directory / "mosquitto" / "tourtrace.conf"
    typer.echo(f"✓ TLS listener on 8883 enabled in {conf}; restart mosquitto (it loads certificates at start)")
