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
    hub_names: Annotated[
        list[str],
        typer.Option("--hub-name", help="hub DNS name or IP (repeat); stations connect to the first one"),
    ],
    mqtt_port: Annotated[int | None, typer.Option("--mqtt-port", help="plain listener on 127.0.0.1 [1883]")] = None,
    mqtts_port: Annotated[int | None, typer.Option("--mqtts-port", help="TLS listener for stations [8883]")] = None,
    bind: Annotated[str | None, typer.Option("--bind", help="IP address of the TLS listener [all]")] = None,
    persistence_dir: Annotated[
        str | None, typer.Option("--persistence-dir", help="broker queue directory (default: /var/lib/mosquitto/)")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="re-issue the server cert")] = False,
) -> None:
    """Create the CA (once), a server certificate and the site key; write the broker config and DIR/hub/hub.yaml.

    The options are remembered in DIR/provision.yaml: later runs and `station add` keep them. The first
    --hub-name is what stations connect to, so it must be reachable from the stations.
    """
    from firmware_config.certs import CertError, init_certs
    from firmware_config.enrol import EnrolError, refresh_broker
    from firmware_config.hub_files import ensure_site_key, site_key_path
    from firmware_config.passwd import PasswdError
    from firmware_config.site_options import OptionsError, load_options, merge_options, save_options

    try:
        options = merge_options(
            load_options(directory),
            hub_names=hub_names,
            mqtt_port=mqtt_port,
            mqtts_port=mqtts_port,
            bind=bind,
            persistence_dir=persistence_dir,
        )
        result = init_certs(directory, hub_names, force=force)
        save_options(directory, options)
        key_created = ensure_site_key(directory)
        hub_password = refresh_broker(directory)
    except (CertError, EnrolError, PasswdError, OptionsError) as exc:
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
    key = site_key_path(directory)
    typer.echo(f"{'✓ created' if key_created else '✓ kept'} site key {key} (signs badges: badge write --site-key-file)")
    conf = directory / "mosquitto" / "tourtrace.conf"
    where = f"{options.bind}:{options.mqtts_port}" if options.bind else f"port {options.mqtts_port}"
    typer.echo(f"✓ TLS listener on {where} enabled in {conf}; restart mosquitto (it loads certificates at start)")
    typer.echo(f"  stations connect to {options.station_url()}: {options.station_host} must be reachable from them")
    typer.echo(f"✓ hub settings {directory / 'hub' / 'hub.yaml'}: tourtrace hub serve --config "
               f"{(directory / 'hub' / 'hub.yaml').resolve()}")  # fmt: skip
