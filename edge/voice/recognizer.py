"""Vosk model loading (once, with clear errors) and streaming transcription with word times."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import vosk

from edge.voice.audio import SAMPLE_RATE
from protocol.messages import Word

FETCH_HINT = "run `tourtrace model fetch --lang zh` or point `model:` at an unpacked Vosk model directory"
UNKNOWN_WORD = "[unk]"

__all__ = [
    "DecoderSettings",
    "Model",
    "ModelError",
    "Transcriber",
    "Transcript",
    "Word",
    "check_model_dir",
    "load_model",
    "missing_words",
]
_KALDI_BINARY = b"\0B<TransitionModel>"
_FST_MAGIC = bytes.fromhex("d6fdb27e")


class ModelError(Exception):
    """The Vosk model directory is missing, incomplete or corrupt."""


@dataclass(frozen=True)
class DecoderSettings:
    """Decoder knobs from station.yaml; None keeps the model's conf/model.conf value."""

    max_active: int | None = None
    beam: float | None = None
    lattice_beam: float | None = None

    def overrides(self) -> dict[str, str]:
        """Return the model.conf options these settings replace."""
        values = {"--max-active": self.max_active, "--beam": self.beam, "--lattice-beam": self.lattice_beam}
        return {key: str(value) for key, value in values.items() if value is not None}


@dataclass(frozen=True)
class Model:
    """A loaded Vosk model; load once per process with `load_model`."""

    path: Path
    name: str
    decoder: DecoderSettings
    vosk_model: Any = field(repr=False, compare=False)

    def has_word(self, word: str) -> bool:
        """True when `word` is in the model's lexicon."""
        return bool(self.vosk_model.vosk_model_find_word(word) != -1)


@dataclass(frozen=True)
class Transcript:
    """Raw recognizer text and its words."""

    text: str
    words: tuple[Word, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return {text, words} as printed by `tourtrace transcribe`."""
        return {"text": self.text, "words": [word.to_dict() for word in self.words]}


def check_model_dir(path: Path, *, hint: str = FETCH_HINT) -> None:
    """Raise ModelError naming the fix unless `path` looks like a complete Vosk model."""
    if not path.is_dir():
        raise ModelError(f"model directory {path} does not exist; {hint}")
    graph = path / "graph"
    required = [path / "am" / "final.mdl", path / "conf" / "model.conf", path / "conf" / "mfcc.conf"]
    static = (graph / "HCLG.fst").exists()
    fsts = [graph / "HCLG.fst"] if static else [graph / "HCLr.fst", graph / "Gr.fst"]
    missing = [str(p.relative_to(path)) for p in [*required, *fsts] if not p.is_file()]
    if missing:
        raise ModelError(f"model directory {path} is incomplete (missing {', '.join(missing)}); {hint}")
    corrupt = [str(p.relative_to(path)) for p in fsts if not _starts_with(p, _FST_MAGIC)]
    if not _starts_with(path / "am" / "final.mdl", _KALDI_BINARY):
        corrupt.insert(0, "am/final.mdl")
    if corrupt:
        raise ModelError(f"model directory {path} is corrupt ({', '.join(corrupt)}); {hint}")


def _starts_with(path: Path, magic: bytes) -> bool:
    with path.open("rb") as fh:
        return fh.read(len(magic)) == magic


def load_model(path: Path, decoder: DecoderSettings | None = None, *, log_level: int = -1) -> Model:
    """Check and load a Vosk model once, applying decoder knobs; raise ModelError naming the fix."""
    decoder = decoder or DecoderSettings()
    path = Path(path).expanduser().resolve()
    check_model_dir(path)
    vosk.SetLogLevel(log_level)
    overrides = decoder.overrides()
    load_dir = _overlay_with_conf(path, overrides) if overrides else path
    try:
        vosk_model = vosk.Model(str(load_dir))
        vosk.KaldiRecognizer(vosk_model, SAMPLE_RATE)
    except Exception as exc:
        raise ModelError(f"Vosk could not load {path} ({exc}); the model is corrupt: {FETCH_HINT}") from exc
    finally:
        if load_dir != path:
            shutil.rmtree(load_dir, ignore_errors=True)
    return Model(path=path, name=path.name, decoder=decoder, vosk_model=vosk_model)


def _overlay_with_conf(path: Path, overrides: dict[str, str]) -> Path:
    """Build a temp dir of symlinks to `path` whose conf/model.conf carries `overrides`.

    Vosk reads decoder options only from conf/model.conf at load time; an overlay leaves
    the shared model directory untouched.
    """
    overlay = Path(tempfile.mkdtemp(prefix="tourtrace-model-"))
    for entry in path.iterdir():
        if entry.name != "conf":
            (overlay / entry.name).symlink_to(entry)
    (overlay / "conf").mkdir()
    for entry in (path / "conf").iterdir():
        if entry.name != "model.conf":
            (overlay / "conf" / entry.name).symlink_to(entry)
    kept = [
        line
        for line in (path / "conf" / "model.conf").read_text().splitlines()
        if line.strip() and line.split("=", 1)[0].strip() not in overrides
    ]
    kept += [f"{key}={value}" for key, value in overrides.items()]
    (overlay / "conf" / "model.conf").write_text("\n".join(kept) + "\n")
    return overlay


class Transcriber:
    """Streaming recognition of 16 kHz int16 PCM with word times and an optional grammar.

    `vocabulary` words missing from the model's lexicon are listed in `oov`. With
    `grammar=True` decoding is restricted to the in-lexicon vocabulary plus "[unk]";
    without it the full language model decodes and the vocabulary is only checked.
    """

    def __init__(self, model: Model, vocabulary: Iterable[str] = (), *, grammar: bool = False) -> None:
        self.model = model
        words = tuple(dict.fromkeys(w.strip() for w in vocabulary if w.strip()))
        self.oov: tuple[str, ...] = missing_words(model, words)
        self.vocabulary: tuple[str, ...] = tuple(w for w in words if w not in self.oov)
        self.grammar = grammar
        if grammar and not self.vocabulary:
            raise ValueError("grammar mode needs at least one vocabulary word in the model's lexicon")
        self._recognizer = self._new_recognizer()

    def _new_recognizer(self) -> Any:
        if self.grammar:
            phrases = list(self.vocabulary)
            if self.model.has_word(UNKNOWN_WORD):
                phrases.append(UNKNOWN_WORD)
            recognizer = vosk.KaldiRecognizer(
                self.model.vosk_model, SAMPLE_RATE, json.dumps(phrases, ensure_ascii=False)
            )
        else:
            recognizer = vosk.KaldiRecognizer(self.model.vosk_model, SAMPLE_RATE)
        recognizer.SetWords(True)
        return recognizer

    def accept(self, pcm: bytes) -> None:
        """Feed PCM; Vosk decodes as it goes."""
        self._recognizer.AcceptWaveform(pcm)

    def partial(self) -> str:
        """Return the current partial hypothesis."""
        return str(json.loads(self._recognizer.PartialResult()).get("partial", ""))

    def finish(self) -> Transcript:
        """Flush the decoder, return the transcript and get ready for the next utterance."""
        result = json.loads(self._recognizer.FinalResult())
        self._recognizer.Reset()
        return _parse_result(result)

    def transcribe(self, frames: Iterable[bytes]) -> Transcript:
        """Transcribe a whole stream of PCM chunks."""
        for frame in frames:
            self.accept(frame)
        return self.finish()


def _parse_result(result: dict[str, Any]) -> Transcript:
    words = tuple(
        Word(w=str(item["word"]), start=float(item["start"]), end=float(item["end"]), conf=float(item["conf"]))
        for item in result.get("result", [])
    )
    return Transcript(text=str(result.get("text", "")), words=words)


def missing_words(model: Model, vocabulary: Iterable[str]) -> tuple[str, ...]:
    """Return the vocabulary entries with a word outside the model's lexicon (reported, not dropped silently)."""
    return tuple(entry for entry in vocabulary if not all(map(model.has_word, entry.split())))
