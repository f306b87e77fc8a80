"""Endpointer over real espeak-ng speech padded with silence."""

from __future__ import annotations

import pytest

from edge.voice.audio import FRAME_BYTES, AudioSource
from edge.voice.vad import Endpointer, VadState


def _states(path, silence_ms: int) -> tuple[Endpointer, list[VadState]]:
    endpointer = Endpointer(silence_ms)
    states = [endpointer.feed(f) for f in AudioSource.from_uri(f"wav:{path}", realtime=False).frames()]
    return endpointer, states


def test_speech_start_and_end_after_silence(speech):
    path = speech("물 좀 주세요", before_s=1.0, after_s=2.0)
    endpointer, states = _states(path, silence_ms=600)
    assert states[0] is VadState.WAITING
    assert VadState.SPEECH in states
    assert states[-1] is VadState.ENDED
    assert endpointer.speech_start_ms is not None and endpointer.speech_end_ms is not None
    assert 900 <= endpointer.speech_start_ms <= 1300
    assert endpointer.speech_end_ms > endpointer.speech_start_ms + 500
    ended_at = (states.index(VadState.ENDED) + 1) * 20
    assert ended_at - endpointer.speech_end_ms == 600


def test_longer_silence_setting_does_not_end_within_the_pad(speech):
    path = speech("물 좀 주세요", before_s=0.5, after_s=1.0)
    endpointer, states = _states(path, silence_ms=1500)
    assert endpointer.heard_speech
    assert states[-1] is VadState.SPEECH


def test_silence_alone_never_starts():
    endpointer = Endpointer(300)
    for _ in range(100):
        assert endpointer.feed(bytes(FRAME_BYTES)) is VadState.WAITING
    assert not endpointer.heard_speech


def test_bad_frames_and_settings_are_rejected():
    with pytest.raises(ValueError, match="640 bytes"):
        Endpointer(300).feed(b"\0" * 100)
    with pytest.raises(ValueError, match="silence_ms"):
        Endpointer(5)
    with pytest.raises(ValueError, match="aggressiveness"):
        Endpointer(300, aggressiveness=7)
