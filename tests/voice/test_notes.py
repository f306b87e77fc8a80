"""NoteRecorder end to end over wav: sources, the real VAD and the real Korean model."""

from __future__ import annotations

import hashlib
import threading
import time
import wave
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from edge.agent.config import ConfigError, parse_config
from edge.voice.audio import AudioFormatError, MicAbsent
from edge.voice.notes import MicState, NoteEnd, NoteRecorder, NoteResult, RecorderSettings
from protocol.messages import NoteData
from tests.voice.conftest import GRAMMAR


class Collector:
    def __init__(self) -> None:
        self.notes: list[NoteResult] = []
        self.errors: list[Exception] = []
        self.done = threading.Event()

    def on_note(self, note: NoteResult) -> None:
        self.notes.append(note)
        self.done.set()

    def on_error(self, exc: Exception) -> None:
        self.errors.append(exc)
        self.done.set()


def _recorder(
    model, uri: str, *, realtime: bool = False, data_dir: Path | None = None, **settings
) -> tuple[NoteRecorder, Collector]:
    got = Collector()
    defaults = {"vocabulary": GRAMMAR, "grammar": True, "lang": "ko", "silence_ms": 800}
    rec = NoteRecorder(
        model,
        uri,
        RecorderSettings(**{**defaults, **settings}),
        got.on_note,
        got.on_error,
        data_dir=data_dir,
        realtime=realtime,
    )
    return rec, got


def _record_one(rec: NoteRecorder, got: Collector) -> NoteResult:
    assert rec.start("REP-7", ["V-1", "V-2"])
    assert got.done.wait(30)
    assert rec.wait(5)
    assert not got.errors, got.errors
    return got.notes[0]


def _duration_ms(path: Path) -> int:
    with wave.open(str(path)) as wav:
        return wav.getnframes() * 1000 // wav.getframerate()


def test_note_ends_on_silence_with_transcript_and_badges(ko_model, speech):
    path = speech("안녕하세요", "물 좀 주세요", before_s=0.5, after_s=3.0)
    rec, got = _recorder(ko_model, f"wav:{path}")
    note = _record_one(rec, got)
    assert note.ended_by is NoteEnd.SILENCE
    assert note.data.text == "안녕하세요 물 좀 주세요"
    assert (note.data.rep_badge, note.data.visitor_badges, note.data.trigger) == ("REP-7", ("V-1", "V-2"), "rep_badge")
    assert note.speech_end_ms is not None
    assert note.data.duration_ms == note.speech_end_ms + 800
    assert note.data.duration_ms < _duration_ms(path) - 1000
    assert all(w.end * 1000 <= note.data.duration_ms for w in note.data.words)
    assert (note.data.sample_rate, note.data.lang, note.data.model, note.kept) == (16000, "ko", "model", None)
    assert note.latency_ms < 1000


def test_note_is_cut_at_max_s(ko_model, speech):
    path = speech("안녕하세요", "물 좀 주세요", "고양이", "병원")
    rec, got = _recorder(ko_model, f"wav:{path}", max_s=1.0, silence_ms=3000)
    note = _record_one(rec, got)
    assert note.ended_by is NoteEnd.MAX_S
    assert note.data.duration_ms == 1000
    assert _duration_ms(path) > 2000


def test_second_tap_stops_a_realtime_recording(ko_model, speech):
    path = speech("안녕하세요", "물 좀 주세요", "고양이", "병원", after_s=2.0)
    rec, got = _recorder(ko_model, f"wav:{path}", realtime=True, silence_ms=3000)
    assert rec.start("REP-7", [])
    assert rec.recording
    assert not rec.start("REP-7", []), "a second start while recording must be refused"
    time.sleep(0.5)
    rec.stop()
    assert got.done.wait(10)
    note = got.notes[0]
    assert note.ended_by is NoteEnd.STOP
    assert 400 <= note.data.duration_ms <= 1200
    assert not rec.recording


def test_note_data_matches_the_wire_contract(ko_model, speech):
    rec, got = _recorder(ko_model, f"wav:{speech('고양이', after_s=1.5)}")
    data = _record_one(rec, got).data.to_dict()
    assert NoteData.from_dict(data).to_dict() == data
    assert set(data) == {
        "trigger", "rep_badge", "visitor_badges", "duration_ms", "sample_rate", "lang", "model", "text",
        "words", "audio",
    }  # fmt: skip
    assert data["text"] == "고양이"


def test_kept_audio_has_sha256_and_expiry(ko_model, speech, tmp_path: Path):
    rec, got = _recorder(ko_model, f"wav:{speech('병원', after_s=1.5)}", keep_audio_days=7, data_dir=tmp_path)
    before = datetime.now(UTC)
    note = _record_one(rec, got)
    assert note.kept is not None
    assert note.kept.path.parent == tmp_path / "audio"
    content = note.kept.path.read_bytes()
    assert hashlib.sha256(content).hexdigest() == note.kept.sha256
    with wave.open(str(note.kept.path)) as wav:
        assert (wav.getframerate(), wav.getnchannels()) == (16000, 1)
        assert wav.getnframes() * 1000 // 16000 == note.data.duration_ms
    assert timedelta(days=7) - timedelta(seconds=5) <= note.kept.kept_until - before <= timedelta(days=7, seconds=5)
    ref = note.data.to_dict()["audio"]
    assert ref == {"sha256": note.kept.sha256, "kept_until": note.kept.kept_until.isoformat(timespec="seconds")}


def test_out_of_lexicon_vocabulary_is_reported_on_the_note(ko_model, speech):
    rec, got = _recorder(ko_model, f"wav:{speech('안녕하세요', after_s=1.5)}", vocabulary=(*GRAMMAR, "热处理"))
    assert rec.missing_vocabulary() == ("热处理",)
    note = _record_one(rec, got)
    assert note.oov == ("热处理",)
    assert note.data.text == "안녕하세요"


def test_missing_microphone_is_reported_not_raised(ko_model):
    rec, got = _recorder(ko_model, "sounddevice:")
    assert rec.probe() is MicState.ABSENT
    assert rec.start("REP-7", ["V-1"]) is False
    assert not rec.recording
    assert rec.mic is MicState.ABSENT
    assert len(got.errors) == 2 and all(isinstance(e, MicAbsent) for e in got.errors)
    assert rec.last_error is not None and "no default input device" in rec.last_error


def test_unreadable_wav_is_reported_as_mic_error(ko_model, tmp_path: Path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"garbage" * 20)
    rec, got = _recorder(ko_model, f"wav:{bad}")
    assert rec.start("REP-7", []) is False
    assert rec.mic is MicState.ERROR
    assert isinstance(got.errors[0], AudioFormatError)


def test_bad_settings_are_clear_errors(ko_model):
    with pytest.raises(ConfigError) as error:
        parse_config(
            {"site": "s", "station": "a", "zone": "z", "data_dir": "/x", "note": {"max_s": 0, "silence_ms": 5}}
        )
    assert error.value.errors == ["note.max_s: must be > 0, got 0", "note.silence_ms: must be >= 20, got 5"]
    with pytest.raises(ValueError, match="needs data_dir"):
        NoteRecorder(ko_model, "wav:x.wav", RecorderSettings(keep_audio_days=3), lambda note: None)
