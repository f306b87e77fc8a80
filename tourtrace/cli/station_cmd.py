"""`tourtrace station …`: enrol and revoke stations (config, broker password, ACL)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tourtrace.cli.common import fail_config

app = typer.Typer(help="Provision stations: station.yaml, broker user, ACL and broker config.", no_args_is_help=True)

RELOAD_HINT = "reload the broker to apply: sudo systemctl reload mosquitto  (or: kill -HUP <mosquitto pid>)"


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


@app.command("add")
def add(
    site: Annotated[str, typer.Option("--site", help="site id, e.g. demo")],
    station: Annotated[str, typer.Option("--station", help="station id, e.g. gate-injection")],
    zone: Annotated[str, typer.Option("--zone", help="zone this station guards, e.g. injection")],
    directory: Annotated[Path, typer.Option("--dir", help="provisioning directory (stations/, mosquitto/, certs/)")],
    broker_url: Annotated[
        str | None, typer.Option("--broker-url", help="default mqtts://<first --hub-name>:<--mqtts-port>")
    ] = None,
    reader: Annotated[str | None, typer.Option("--reader", help="NFC reader URI (default usb)")] = None,
    audio: Annotated[str | None, typer.Option("--audio", help="audio URI, e.g. sounddevice:default")] = None,
    model: Annotated[str | None, typer.Option("--model", help="Vosk model directory on the station")] = None,
    data_dir: Annotated[str, typer.Option("--data-dir", help="station data dir")] = "/var/lib/tourtrace",
    rotate: Annotated[bool, typer.Option("--rotate", help="issue a new password even if the station exists")] = False,
) -> None:
    """Write DIR/stations/ID.yaml and update DIR/mosquitto/{passwd,acl,tourtrace.conf}; print the password once."""
    from edge.agent.config import ConfigError
    from firmware_config.enrol import EnrolError, add_station
    from firmware_config.passwd import PasswdError
    from firmware_config.site_options import OptionsError

    try:
        result = add_station(
            directory,
            site,
            station,
            zone,
            broker_url=broker_url,
            reader=reader,
            audio=audio,
            model=model,
            data_dir=data_dir,
            rotate=rotate,
        )
    except ConfigError as exc:
        raise fail_config(exc.source, exc.errors) from None
    except (EnrolError, PasswdError, OptionsError) as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"✓ station {site}/{station} (zone {zone}) → {result.config_path}")
    typer.echo(f"  broker user {result.username}; ACL: publish tourtrace/v1/{site}/{station}/{{tap,note,status}},"
               " read its config and ack")  # fmt: skip
    if result.password is None:
        typer.echo(f"  password unchanged (in {result.password_file}); use --rotate for a new one")
    else:
        typer.echo(
            f"  password (shown once; also in {result.password_file}, copy it to the station): {result.password}"
        )
    if result.hub_password is not None:
        typer.echo(
            f"  hub broker user 'hub' created; password (shown once; also in the hub dir): {result.hub_password}"
        )
    if not result.tls:
        typer.echo("  warning: the station connects without TLS; use an mqtts:// broker URL on a plant network")
    typer.echo(f"  {RELOAD_HINT}")


@app.command("remove")
def remove(
    station: Annotated[str, typer.Option("--station", help="station id to revoke")],
    directory: Annotated[Path, typer.Option("--dir", help="provisioning directory")],
) -> None:
    """Revoke a station: delete its broker user, ACL block, station.yaml and password file."""
    from firmware_config.enrol import EnrolError, remove_station
    from firmware_config.passwd import PasswdError
    from firmware_config.site_options import OptionsError

    try:
        user = remove_station(directory, station)
    except (EnrolError, PasswdError, OptionsError) as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"✓ station {station} revoked (broker user {user} removed)")
    typer.echo(f"  {RELOAD_HINT}; connected sessions of {user} are dropped on reload")
    typer.echo(
        "  the hub still shows its last status (its last will is refused now): retire it on the fleet page "
        f"(or POST /api/stations/{user.replace('.', '/', 1)}/retire)"
    )


def _install_source(directory: Path, wheels: str | None, from_index: bool) -> str | None:
    """Return the wheelhouse URL a station installs from (None: the package index), warning when none is known."""
    source = None if from_index else wheels or _wheelhouse(directory)
    if source is None and not from_index:
        typer.echo("warning: no hub name yet (certs init): the station installs from the package index", err=True)
    return source


@app.command("cloud-init")
def cloud_init(
    station: Annotated[str, typer.Option("--station", help="a station provisioned with `station add`")],
    directory: Annotated[Path, typer.Option("--dir", help="provisioning directory")],
    out: Annotated[Path | None, typer.Option("--out", help="write here (mode 600) instead of stdout")] = None,
    package: Annotated[str, typer.Option("--package", help="pip requirement to install")] = "tourtrace[edge]",
    timezone: Annotated[str, typer.Option("--timezone", help="station time zone")] = "Etc/UTC",
    wheels: Annotated[
        str | None, typer.Option("--wheels", help="wheelhouse URL [http://<first --hub-name>:<hub port>/dist/]")
    ] = None,
    from_index: Annotated[bool, typer.Option("--from-index", help="install from the package index instead")] = False,
) -> None:
    """Print cloud-init user-data that installs the agent on a fresh Pi and enrols this station."""
    from firmware_config.cloud_init import render_user_data
    from firmware_config.enrol import EnrolError
    from firmware_config.passwd import write_private
    from firmware_config.site_options import OptionsError

    try:
        source = _install_source(directory, wheels, from_index)
        text = render_user_data(directory, station, package=package, timezone=timezone, wheels=source)
        if out is not None:
            write_private(out, text, mode=0o600)
    except (EnrolError, OptionsError) as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:
        raise _fail(f"cannot write {exc.filename or out}: {exc.strerror}") from None
    if out is None:
        typer.echo(text, nl=False)
    else:
        typer.echo(f"✓ wrote {out} (contains the station's password: copy it as user-data, then delete it)")


def _wheelhouse(directory: Path) -> str | None:
    from firmware_config.hub_files import wheelhouse_url
    from firmware_config.site_options import load_options

    return wheelhouse_url(directory, load_options(directory))


@app.command("firstrun")
def firstrun(
    station: Annotated[str, typer.Option("--station", help="a station provisioned with `station add`")],
    directory: Annotated[Path, typer.Option("--dir", help="provisioning directory")],
    out: Annotated[Path, typer.Option("--out", help="write the script here (mode 700)")],
    package: Annotated[str, typer.Option("--package", help="pip requirement to install")] = "tourtrace[edge]",
    timezone: Annotated[str, typer.Option("--timezone", help="station time zone")] = "Etc/UTC",
    wheels: Annotated[
        str | None, typer.Option("--wheels", help="wheelhouse URL [http://<first --hub-name>:<hub port>/dist/]")
    ] = None,
    from_index: Annotated[bool, typer.Option("--from-index", help="install from the package index instead")] = False,
) -> None:
    """Write a Raspberry Pi OS Bookworm first-boot script (no cloud-init there) that enrols this station."""
    from firmware_config.enrol import EnrolError
    from firmware_config.firstrun import SCRIPT, render_firstrun
    from firmware_config.passwd import write_private
    from firmware_config.site_options import OptionsError

    try:
        source = _install_source(directory, wheels, from_index)
        write_private(out, render_firstrun(directory, station, package=package, wheels=source, timezone=timezone),
                      mode=0o700)  # fmt: skip
    except (EnrolError, OptionsError) as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:
        raise _fail(f"cannot write {exc.filename or out}: {exc.strerror}") from None
    typer.echo(f"✓ wrote {out} (contains the station's password: delete it once the station runs)")
    typer.echo(f"  copy it to the SD card's boot partition as {Path(SCRIPT).name} and append to cmdline.txt's line:")
    typer.echo(f"  systemd.run={SCRIPT} systemd.run_success_action=reboot systemd.unit=kernel-command-line.target")
    if source:
        typer.echo(f"  the station installs the agent from {source}: the hub must serve it (hub install --wheelhouse)")
