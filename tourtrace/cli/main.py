"""The `tourtrace` command: one typer app assembled from per-domain command modules."""

from __future__ import annotations

import typer

from tourtrace.cli import (
    analyze_cmd,
    badge_cmd,
    certs_cmd,
    demo_cmd,
    digest_cmd,
    doctor_cmd,
    edge_cmd,
    hub_cmd,
    station_cmd,
    token_cmd,
    voice_cmd,
)

app = typer.Typer(
    name="tourtrace",
    help="TourTrace: NFC dwell stations, local voice notes and a hub that turns plant tours into CRM evidence.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(hub_cmd.app, name="hub")
app.add_typer(edge_cmd.app, name="edge")
app.command("demo")(demo_cmd.demo)
app.add_typer(badge_cmd.app, name="badge")
app.add_typer(station_cmd.app, name="station")
app.add_typer(certs_cmd.app, name="certs")
app.command("doctor")(doctor_cmd.doctor)
app.command("transcribe")(voice_cmd.transcribe)
app.add_typer(voice_cmd.model_app, name="model")
app.command("analyze")(analyze_cmd.analyze)
app.add_typer(token_cmd.app, name="token")
app.command("digest")(digest_cmd.digest)
