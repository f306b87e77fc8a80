"""How voice notes are recorded and recognised: station.yaml's `note:` section, one model for config and recorder.

The hub may push max_s, silence_ms and vocabulary (protocol.NoteSettings on the wire); the agent merges them in.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from edge.voice.audio import FRAME_MS
from tourtrace.config_model import Settings


class RecorderSettings(Settings):
    max_s: float = Field(60, gt=0)
    silence_ms: int = Field(1500, ge=FRAME_MS)
    vocabulary: tuple[str, ...] = Field((), strict=False)
    grammar: bool = False
    keep_audio_days: int = Field(0, ge=0)
    lang: str = "zh"
    max_active: int | None = None  # Vosk decoder tuning (recognizer.DecoderSettings)
    beam: float | None = None
    lattice_beam: float | None = None
    button_pin: int | None = None  # a push button (BCM pin) that starts/ends a note, as a rep badge tap does

    @field_validator("vocabulary", mode="before")
    @classmethod
    def _words(cls, value: Any) -> Any:
        if not isinstance(value, list | tuple):
            raise PydanticCustomError("words", "expected a list of words (strings)")
        return value
