"""Voice notes at a station: a rep tap starts or ends a recording; visitors present in the zone are attached."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from edge.agent.config import StationConfig
from edge.voice.notes import NoteRecorder, NoteResult
from edge.voice.recognizer import DecoderSettings, ModelError, load_model
from protocol import NoteData

log = logging.getLogger(__name__)


class ZonePresence:
    """Visitors in this station's zone: tapped in here, not tapped out, not timed out."""

    def __init__(self, tap_mode: str, timeout_s: float) -> None:
        self.tap_mode = tap_mode
        self.timeout_s = timeout_s
        self._since: dict[str, float] = {}

    def tapped(self, badge: str, now: float | None = None) -> None:
        """Record a visitor tap at this station (a second tap is a tap-out in toggle mode)."""
        moment = time.monotonic() if now is None else now
        if badge in self._since and self.tap_mode == "toggle" and moment - self._since[badge] <= self.timeout_s:
            del self._since[badge]
        else:
            self._since[badge] = moment

    def present(self, now: float | None = None) -> tuple[str, ...]:
        """Return visitors currently in the zone, earliest first."""
        moment = time.monotonic() if now is None else now
        live = {b: t for b, t in self._since.items() if moment - t <= self.timeout_s}
        self._since = live
        return tuple(sorted(live, key=live.__getitem__))


class VoiceNotes:
    """Owns the model (loaded once at start) and the recorder; reports notes and problems through callbacks."""

    def __init__(
        self,
        config: StationConfig,
        on_note: Callable[[NoteData], None],
        on_problem: Callable[[str], None],
    ) -> None:
        self.config = config
        self.on_note = on_note
        self.on_problem = on_problem
        self.presence = ZonePresence(config.tap_mode, config.dwell_timeout_s)
        self.recorder: NoteRecorder | None = None
        self.button: Any = None
        self.last_rep: str | None = None

    @property
    def mic(self) -> str:
        if self.recorder is None:
            return "none" if not self.config.audio else "unavailable"
        return self.recorder.mic.value

    def start(self) -> None:
        """Load the model and probe the microphone; failures are reported, never raised."""
        if not self.config.audio or not self.config.model:
            return
        note = self.config.note
        try:
            model = load_model(Path(self.config.model), DecoderSettings(note.max_active, note.beam, note.lattice_beam))
        except ModelError as exc:
            self.on_problem(f"voice notes disabled: {exc}")
            return
        self.recorder = NoteRecorder(
            model, self.config.audio, self.config.note, self._finished,
            on_error=lambda exc: self.on_problem(f"microphone: {exc}"), data_dir=Path(self.config.data_dir),
        )  # fmt: skip
        self.recorder.probe()
        missing = self.recorder.missing_vocabulary()
        if missing:
            self.on_problem(f"vocabulary words not in the model: {', '.join(missing)}")
        self._attach_button()

    def _attach_button(self) -> None:
        pin = self.config.note.button_pin
        if pin is None:
            return
        try:
            from gpiozero import Button

            self.button = Button(pin)
        except Exception as exc:  # no GPIO here, pin busy, no pin factory: report and go on without the button
            self.on_problem(f"note button on GPIO{pin} unavailable: {exc}")
            return
        self.button.when_pressed = self.button_pressed

    def button_pressed(self) -> None:
        """Start a note for the last rep seen here, or end the running one."""
        if self.recorder is None:
            return
        if self.recorder.recording:
            self.recorder.stop()
        else:
            self.recorder.start(self.last_rep, self.presence.present(), trigger="button")

    def reconfigure(self, config: StationConfig) -> None:
        """Use new station settings (pushed by the hub) from the next note and tap on."""
        self.config = config
        self.presence.tap_mode = config.tap_mode
        self.presence.timeout_s = config.dwell_timeout_s
        if self.recorder is not None:
            self.recorder.configure(config.note)

    def off_reason(self) -> str:
        """Say why this station records no voice notes."""
        if not self.config.audio:
            return "voice notes are off at this station (no audio: in station.yaml)"
        if not self.config.model:
            return "voice notes are off at this station (no model: in station.yaml)"
        return "voice notes are unavailable (the model or microphone failed at start; see the log)"

    def unknown_words(self) -> tuple[str, ...]:
        return () if self.recorder is None else self.recorder.missing_vocabulary()

    def _finished(self, result: NoteResult) -> None:
        data = result.data
        log.info("note by %s (%d ms, ended by %s): %s", data.rep_badge, data.duration_ms, result.ended_by.value,
                 data.text)  # fmt: skip
        self.on_note(data)

    def rep_tapped(self, rep_badge: str) -> None:
        """Start a note, or end the running one (second rep tap)."""
        self.last_rep = rep_badge
        if self.recorder is None:
            self.on_problem(f"rep badge {rep_badge}: {self.off_reason()}; the tap is recorded, no note")
            return
        if self.recorder.recording:
            self.recorder.stop()
        else:
            self.recorder.start(rep_badge, self.presence.present())

    def close(self) -> None:
        if self.button is not None:
            self.button.close()
        if self.recorder is not None:
            self.recorder.close()
