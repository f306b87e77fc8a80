"""Record a rep's voice note in a worker thread, transcribing while it records, and hand back the result."""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from edge.voice.audio import FRAME_MS, SAMPLE_RATE, AudioError, AudioSource, MicAbsent
from edge.voice.recognizer import Model, Transcriber, missing_words
from edge.voice.retention import KeptAudio, audio_dir, keep_audio, prune_expired
from edge.voice.settings import RecorderSettings
from edge.voice.vad import Endpointer, VadState
from protocol.messages import TRIGGERS, NoteData

log = logging.getLogger(__name__)


class NoteEnd(enum.Enum):
    """Why a recording stopped."""

    SILENCE = "silence"
    STOP = "stop"
    MAX_S = "max_s"
    END_OF_AUDIO = "end_of_audio"


class MicState(enum.Enum):
    """Microphone health as reported in `status.data.mic`."""

    UNKNOWN = "unknown"
    OK = "ok"
    ABSENT = "absent"
    ERROR = "error"


@dataclass(frozen=True)
class NoteResult:
    """A finished note: the protocol `note.data`, the kept recording, and how the recording went."""

    data: NoteData
    kept: KeptAudio | None
    ended_by: NoteEnd
    oov: tuple[str, ...]
    speech_end_ms: int | None
    latency_ms: float


@dataclass(frozen=True)
class _Job:
    trigger: str
    rep_badge: str | None
    visitor_badges: tuple[str, ...]
    settings: RecorderSettings
    source: AudioSource
    stop: threading.Event


class NoteRecorder:
    """Start/stop voice notes from the agent; results and errors arrive through callbacks.

    The model is loaded once by the caller and shared; each note gets its own recognizer,
    fed frame by frame while recording so the transcript is ready right after the end.
    """

    def __init__(
        self,
        model: Model,
        audio_uri: str,
        settings: RecorderSettings,
        on_note: Callable[[NoteResult], None],
        on_error: Callable[[Exception], None] | None = None,
        *,
        data_dir: Path | None = None,
        vad_aggressiveness: int = 2,
        realtime: bool = True,
    ) -> None:
        if settings.keep_audio_days > 0 and data_dir is None:
            raise ValueError("note.keep_audio_days: needs data_dir to keep audio under")
        self.data_dir = data_dir
        self.vad_aggressiveness = vad_aggressiveness
        self.model = model
        self.audio_uri = audio_uri
        self.on_note = on_note
        self.on_error = on_error
        self.realtime = realtime
        self.mic = MicState.UNKNOWN
        self.last_error: str | None = None
        self._settings = settings
        self._lock = threading.Lock()
        self._job: _Job | None = None
        self._threads: list[threading.Thread] = []

    @property
    def recording(self) -> bool:
        """True while audio is being captured."""
        return self._job is not None

    @property
    def settings(self) -> RecorderSettings:
        """Settings the next note will use."""
        return self._settings

    def configure(self, settings: RecorderSettings) -> None:
        """Use new settings (e.g. a vocabulary pushed by the hub) from the next note on."""
        self._settings = settings

    def missing_vocabulary(self) -> tuple[str, ...]:
        """Return configured vocabulary entries the model cannot produce, for status."""
        return missing_words(self.model, self._settings.vocabulary)

    def probe(self) -> MicState:
        """Open and close the audio source once to learn the microphone state."""
        try:
            AudioSource.from_uri(self.audio_uri, realtime=self.realtime).close()
        except AudioError as exc:
            self._fail(exc)
        else:
            self.mic = MicState.OK
        return self.mic

    def start(self, rep_badge: str | None, visitor_badges: Iterable[str], *, trigger: str = "rep_badge") -> bool:
        """Begin a note; return False (and report through on_error) when it cannot start."""
        if trigger not in TRIGGERS:
            raise ValueError(f"trigger must be one of {TRIGGERS}, got {trigger!r}")
        with self._lock:
            if self._job is not None:
                return False
            try:
                source = AudioSource.from_uri(self.audio_uri, realtime=self.realtime)
            except AudioError as exc:
                self._fail(exc)
                return False
            self.mic = MicState.OK
            job = _Job(trigger, rep_badge, tuple(visitor_badges), self._settings, source, threading.Event())
            self._job = job
            thread = threading.Thread(target=self._run, args=(job,), name="voice-note", daemon=True)
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
            thread.start()
            return True

    def stop(self) -> None:
        """End the current recording now (second rep tap); the note is still transcribed and delivered."""
        job = self._job
        if job is not None:
            job.stop.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for running notes to be delivered; return True when none is left."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in list(self._threads):
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in self._threads)

    def close(self, timeout: float = 5.0) -> None:
        """Stop any recording and wait for it to finish."""
        self.stop()
        self.wait(timeout)

    def _fail(self, exc: Exception) -> None:
        if isinstance(exc, MicAbsent):
            self.mic = MicState.ABSENT
        elif isinstance(exc, AudioError):
            self.mic = MicState.ERROR
        self.last_error = str(exc)
        log.warning("voice note: %s", exc)
        if self.on_error is not None:
            try:
                self.on_error(exc)
            except Exception:
                log.exception("voice note: on_error callback failed")

    def _run(self, job: _Job) -> None:
        try:
            result = self._record(job)
        except Exception as exc:
            self._release(job)
            self._fail(exc)
            return
        try:
            self.on_note(result)
        except Exception as exc:
            log.exception("voice note: on_note callback failed")
            self._fail(exc)

    def _record(self, job: _Job) -> NoteResult:
        settings = job.settings
        grammar = settings.grammar and len(missing_words(self.model, settings.vocabulary)) < len(settings.vocabulary)
        transcriber = Transcriber(self.model, settings.vocabulary, grammar=grammar)
        endpointer = Endpointer(settings.silence_ms, aggressiveness=self.vad_aggressiveness)
        max_frames = max(1, int(settings.max_s * 1000) // FRAME_MS)
        kept = bytearray() if settings.keep_audio_days > 0 else None
        frames = 0
        ended_by = NoteEnd.END_OF_AUDIO
        try:
            for frame in job.source.frames():
                frames += 1
                transcriber.accept(frame)
                if kept is not None:
                    kept += frame
                if endpointer.feed(frame) is VadState.ENDED:
                    ended_by = NoteEnd.SILENCE
                    break
                if job.stop.is_set():
                    ended_by = NoteEnd.STOP
                    break
                if frames >= max_frames:
                    ended_by = NoteEnd.MAX_S
                    break
        finally:
            job.source.close()
            self._release(job)
        captured = time.monotonic()
        transcript = transcriber.finish()
        latency_ms = (time.monotonic() - captured) * 1000
        audio = None
        if kept is not None and self.data_dir is not None:
            audio = self._keep(bytes(kept), self.data_dir, settings.keep_audio_days)
        data = NoteData(
            trigger=job.trigger,
            rep_badge=job.rep_badge,
            visitor_badges=job.visitor_badges,
            duration_ms=frames * FRAME_MS,
            sample_rate=SAMPLE_RATE,
            lang=settings.lang,
            model=self.model.name,
            text=transcript.text,
            words=transcript.words,
            audio=None if audio is None else audio.ref(),
        )
        return NoteResult(
            data=data,
            kept=audio,
            ended_by=ended_by,
            oov=transcriber.oov,
            speech_end_ms=endpointer.speech_end_ms,
            latency_ms=latency_ms,
        )

    def _keep(self, pcm: bytes, data_dir: Path, days: int) -> KeptAudio | None:
        kept = keep_audio(pcm, sample_rate=SAMPLE_RATE, data_dir=data_dir, keep_days=days)
        prune_expired(audio_dir(data_dir))
        return kept

    def _release(self, job: _Job) -> None:
        with self._lock:
            if self._job is job:
                self._job = None
