"""AudioSource: WAV replay with resampling, format errors, and the real absent-microphone path."""

from __future__ import annotations

import time
import wave
from pathlib import Path

import pytest

from edge.voice.audio import FRAME_BYTES, FRAME_MS, AudioError, AudioFormatError, AudioSource, MicAbsent


def _pcm_seconds(frames: list[bytes]) -> float:
    return len(frames) * FRAME_MS / 1000


def test_wav_source_yields_fixed_frames_of_the_whole_file(speech):
    path = speech("안녕하세요", after_s=0.5)
    with wave.open(str(path)) as wav:
        duration = wav.getnframes() / wav.getframerate()
    frames = list(AudioSource.from_uri(f"wav:{path}", realtime=False).frames())
    assert {len(f) for f in frames} == {FRAME_BYTES}
    assert abs(_pcm_seconds(frames) - duration) < FRAME_MS / 1000


@pytest.mark.parametrize(("rate", "channels"), [(22050, 1), (48000, 2), (44100, 2)])
def test_wav_source_resamples_to_16k_mono(speech, rate, channels):
    native = list(AudioSource.from_uri(f"wav:{speech('물 좀 주세요')}", realtime=False).frames())
    other = list(
        AudioSource.from_uri(f"wav:{speech('물 좀 주세요', rate=rate, channels=channels)}", realtime=False).frames()
    )
    assert abs(len(other) - len(native)) <= 2
    energy = sum(abs(int.from_bytes(f[i : i + 2], "little", signed=True)) for f in other for i in range(0, 640, 64))
    assert energy > 0


def test_wav_realtime_replay_is_paced(speech):
    path = speech("고양이")
    source = AudioSource.from_uri(f"wav:{path}", realtime=True)
    start = time.monotonic()
    frames = list(source.frames())
    elapsed = time.monotonic() - start
    assert elapsed >= _pcm_seconds(frames) - 2 * FRAME_MS / 1000
    fast_start = time.monotonic()
    list(AudioSource.from_uri(f"wav:{path}", realtime=False).frames())
    assert time.monotonic() - fast_start < elapsed / 3


def test_close_stops_a_wav_source(speech):
    source = AudioSource.from_uri(f"wav:{speech('시간이 없어요')}", realtime=False)
    got = []
    for frame in source.frames():
        got.append(frame)
        if len(got) == 3:
            source.close()
    assert len(got) == 3


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"", "empty file"), (b"this is not audio at all" * 10, "not a PCM WAV"), (b"RIFF\x10\x00", "not a PCM WAV")],
)
def test_bad_wav_files_give_audio_format_error(tmp_path: Path, content: bytes, reason: str):
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(AudioFormatError, match=reason):
        AudioSource.from_uri(f"wav:{path}")


def test_missing_and_wrong_width_wav(tmp_path: Path):
    with pytest.raises(AudioFormatError, match="no such audio file"):
        AudioSource.from_uri(f"wav:{tmp_path / 'nope.wav'}")
    path = tmp_path / "u8.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(1)
        wav.setframerate(8000)
        wav.writeframes(b"\x80" * 800)
    with pytest.raises(AudioFormatError, match="8-bit samples"):
        AudioSource.from_uri(f"wav:{path}")
    empty = tmp_path / "zero.wav"
    with wave.open(str(empty), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16000)
    with pytest.raises(AudioFormatError, match="no audio frames"):
        AudioSource.from_uri(f"wav:{empty}")


@pytest.mark.parametrize("uri", ["sounddevice:", "sounddevice:0", "sounddevice:USB Mic"])
def test_no_microphone_gives_mic_absent(uri: str):
    with pytest.raises(MicAbsent, match="sounddevice:"):
        AudioSource.from_uri(uri)


@pytest.mark.parametrize("uri", ["mic", "alsa:hw0", ""])
def test_bad_uri_is_a_clear_error(uri: str):
    with pytest.raises(AudioError, match="audio URI"):
        AudioSource.from_uri(uri)
