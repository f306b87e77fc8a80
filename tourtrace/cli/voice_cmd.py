"""`tourtrace transcribe` and `tourtrace model fetch`: try a mic/model offline and install Vosk models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

DEST_HELP = "models folder (default: $TOURTRACE_MODELS or ~/.local/share/tourtrace/models)"

model_app = typer.Typer(help="Vosk speech models for the stations.", no_args_is_help=True)


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def transcribe(
    file: Annotated[Path, typer.Argument(help="WAV file (16-bit PCM, any rate/channels)")],
    model: Annotated[Path, typer.Option("--model", help="unpacked Vosk model directory")],
    vocabulary: Annotated[
        str | None, typer.Option("--vocabulary", help="comma-separated domain words, e.g. 热处理,报价")
    ] = None,
    grammar: Annotated[bool, typer.Option("--grammar", help="restrict decoding to --vocabulary (+ [unk])")] = False,
) -> None:
    """Transcribe FILE.wav with a local Vosk model and print JSON {text, words}."""
    from edge.voice.audio import AudioError, AudioSource
    from edge.voice.recognizer import ModelError, Transcriber, load_model

    words = [w.strip() for w in (vocabulary or "").replace("，", ",").split(",") if w.strip()]
    if grammar and not words:
        raise _fail("--grammar needs --vocabulary W1,W2,…")
    try:
        source = AudioSource.from_uri(f"wav:{file}", realtime=False)
        loaded = load_model(model)
        transcriber = Transcriber(loaded, words, grammar=grammar and bool(words))
    except (AudioError, ModelError) as exc:
        raise _fail(str(exc)) from None
    except ValueError as exc:
        raise _fail(f"{exc}; not in the lexicon: {', '.join(words)}") from None
    if transcriber.oov:
        missing = ", ".join(transcriber.oov)
        typer.echo(f"warning: not in the model's lexicon (cannot be recognised): {missing}", err=True)
    result = transcriber.transcribe(source.frames())
    typer.echo(json.dumps(result.to_dict(), ensure_ascii=False))


@model_app.command("fetch")
def fetch(
    lang: Annotated[str, typer.Option("--lang", help="model language")] = "zh",
    mirror: Annotated[
        str | None, typer.Option("--mirror", help="base URL holding <model>.zip, or the full URL of the zip")
    ] = None,
    zip_path: Annotated[Path | None, typer.Option("--zip", help="install from a local zip instead")] = None,
    dest: Annotated[Path | None, typer.Option("--dest", help=DEST_HELP)] = None,
    sha256: Annotated[str | None, typer.Option("--sha256", help="expected sha256 of the zip")] = None,
) -> None:
    """Download (or take --zip), verify and atomically unpack a Vosk model; print where it went."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    from edge.voice.model_fetch import FetchError, default_dest, fetch_model, spec_for

    target = dest or default_dest()
    try:
        spec = spec_for(lang)
        with Progress(
            "[progress.description]{task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn()
        ) as bar:
            task = bar.add_task(spec.name, total=None)
            result = fetch_model(
                spec,
                target,
                mirror=mirror,
                zip_path=zip_path,
                sha256=sha256,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    except FetchError as exc:
        raise _fail(str(exc), 1) from None
    if result.already_present:
        typer.echo(f"{result.path}: already installed")
    else:
        checked = "sha256 verified" if (sha256 or spec.sha256) else f"sha256 {result.sha256} (not pinned upstream)"
        typer.echo(f"{result.path}: installed ({checked})")
    typer.echo(f"set `model: {result.path}` in station.yaml")
