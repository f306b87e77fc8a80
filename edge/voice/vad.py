"""Endpointing: find where speech starts and where it has ended, frame by frame, with webrtcvad."""

from __future__ import annotations

import enum

import webrtcvad

from edge.voice.audio import FRAME_BYTES, FRAME_MS, SAMPLE_RATE


class VadState(enum.Enum):
    """Where the endpointer is in an utterance."""

    WAITING = "waiting"
    SPEECH = "speech"
    ENDED = "ended"


class Endpointer:
    """Decide speech start (after `start_ms` of speech) and end (after `silence_ms` of non-speech).

    Feed it consecutive FRAME_MS frames; times are milliseconds from the first frame fed.
    """

    def __init__(self, silence_ms: int, *, aggressiveness: int = 2, start_ms: int = 60) -> None:
        if silence_ms < FRAME_MS:
            raise ValueError(f"silence_ms must be at least {FRAME_MS}, got {silence_ms}")
        if aggressiveness not in range(4):
            raise ValueError(f"aggressiveness must be 0..3, got {aggressiveness}")
        self.silence_ms = silence_ms
        self.start_ms = max(FRAME_MS, start_ms)
        self._vad = webrtcvad.Vad(aggressiveness)
        self.state = VadState.WAITING
        self.elapsed_ms = 0
        self.speech_start_ms: int | None = None
        self.speech_end_ms: int | None = None
        self._run_ms = 0

    def feed(self, frame: bytes) -> VadState:
        """Classify one frame and return the state after it."""
        if len(frame) != FRAME_BYTES:
            raise ValueError(f"frame must be {FRAME_BYTES} bytes ({FRAME_MS} ms), got {len(frame)}")
        speech = self._vad.is_speech(frame, SAMPLE_RATE)
        self.elapsed_ms += FRAME_MS
        if self.state is VadState.WAITING:
            self._run_ms = self._run_ms + FRAME_MS if speech else 0
            if self._run_ms >= self.start_ms:
                self.state = VadState.SPEECH
                self.speech_start_ms = self.elapsed_ms - self._run_ms
                self.speech_end_ms = self.elapsed_ms
                self._run_ms = 0
        elif self.state is VadState.SPEECH:
            if speech:
                self.speech_end_ms = self.elapsed_ms
                self._run_ms = 0
            else:
                self._run_ms += FRAME_MS
                if self._run_ms >= self.silence_ms:
                    self.state = VadState.ENDED
        return self.state

    @property
    def heard_speech(self) -> bool:
        """True once speech has started."""
        return self.speech_start_ms is not None
