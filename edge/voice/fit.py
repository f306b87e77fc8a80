"""Make a long note fit one event: a note's envelope may not exceed the contract's 64 KiB."""

from __future__ import annotations

import json
from dataclasses import replace

from protocol import MAX_PAYLOAD, NoteData

ENVELOPE_ROOM = 2048  # the envelope's own fields around the note data, with a wide margin
CUT_MARK = "…[截断]"


def note_size(data: NoteData) -> int:
    """Return the encoded size of the note's data in bytes."""
    return len(json.dumps(data.to_dict(), ensure_ascii=False, separators=(",", ":")).encode())


def fit_note(data: NoteData, budget: int = MAX_PAYLOAD - ENVELOPE_ROOM) -> NoteData:
    """Return the note itself when it fits; else without word timings; else with its text cut to fit (marked).

    A long dictation would otherwise make an event the contract refuses, and the note would be lost.
    """
    if note_size(data) <= budget:
        return data
    bare = replace(data, words=())
    over = note_size(bare) - budget
    if over <= 0:
        return bare
    text = bare.text.encode()
    kept = text[: max(0, len(text) - over - len(CUT_MARK.encode()) - 8)].decode("utf-8", errors="ignore")
    return replace(bare, text=kept + CUT_MARK)
