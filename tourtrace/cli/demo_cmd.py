"""`tourtrace demo`: see the whole system work on one machine."""

from __future__ import annotations

import signal
import tempfile
import threading
from pathlib import Path
from types import FrameType

import typer

from tourtrace.cli.common import setup_logging


def _fmt_visit(visit: dict[str, object]) -> str:
    dwell = float(visit["dwell_s"] or 0)  # type: ignore[arg-type]
    state = "open" if visit["open"] else ("timed out" if visit["timed_out"] else "closed")
    return f"  {visit['badge']:<8} {visit['zone']:<11} {str(visit['start'])[11:19]}  {dwell:7.1f} s  {state}"


def demo(
    duration: float | None = typer.Option(None, "--duration", help="stop by itself after S seconds"),
    http: str = typer.Option("127.0.0.1:8080", "--http", help="HOST:PORT for the API and dashboard"),
    workdir: Path | None = typer.Option(None, "--dir", help="keep broker, hub and station data here"),
    speed: float = typer.Option(1.0, "--speed", help="replay the live tour this many times faster"),
    log_level: str = typer.Option("warning", "--log-level"),
) -> None:
    """Run a local broker, the hub and emulated stations replaying a plant tour; print the dashboard URL."""
    from tourtrace.demo.run import Demo
    from tourtrace.demo.tour import ZONES

    setup_logging(log_level)
    directory = workdir or Path(tempfile.mkdtemp(prefix="tourtrace-demo-"))
    runner = Demo(directory, http=http)
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    typer.echo(f"TourTrace demo — data in {directory}")
    try:
        runner.start()
        typer.echo(f"  broker     {runner.broker.url if runner.broker else '?'}")
        typer.echo(f"  stations   {', '.join(f'gate-{z} ({n})' for z, n in ZONES.items())} on emulated NFC readers")
        typer.echo(f"  API        {runner.base_url}/api   (token: {runner.token})")
        typer.echo(f"  Dashboard  {runner.base_url}/   (log in with the token above)")
        typer.echo("Replaying the live tour: 2 visitors through 3 zones…")
        runner.play_live_tour(speed=speed)
        runner.wait_until_drained()
        stop.wait(1.5)
        visits = runner.api("/api/visits?limit=1000")["items"]
        typer.echo(f"Visits recorded ({len(visits)}, incl. this morning's tour queued offline):")
        for visit in visits:
            typer.echo(_fmt_visit(visit))
        tags = runner.api("/api/visitors/V-0001/profile")["tags"]
        typer.echo("Interest tags for 张伟 (V-0001): " + (", ".join(t["tag"] for t in tags) or "none yet"))
        if runner.inbox is not None:
            typer.echo(f"Robot messages (WeCom/DingTalk stand-in): {len(runner.inbox.received)} in {runner.inbox.path}")
        typer.echo("Serving until Ctrl-C" + (f" or {duration:.0f} s" if duration else "") + ".")
        stop.wait(None if duration is None else max(0.0, duration))
    finally:
        runner.stop()
