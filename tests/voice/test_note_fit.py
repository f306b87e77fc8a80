"""A long note still becomes one valid event: word timings go first, then the text is cut (and says so)."""

from __future__ import annotations

from edge.voice.fit import CUT_MARK, fit_note
from protocol import MAX_PAYLOAD, Envelope, NoteData, Topic, Word, decode, new_ulid, now_rfc3339


def _note(text: str, words: int) -> NoteData:
    timed = tuple(Word(f"词{n}", n * 0.4, n * 0.4 + 0.3, 0.91) for n in range(words))
    return NoteData(trigger="rep_badge", rep_badge="R-007", visitor_badges=("V-0001",), duration_ms=words * 400,
                    sample_rate=16000, lang="zh", model="vosk-model-small-cn-0.22", text=text, words=timed)  # fmt: skip


def _event(data: NoteData) -> bytes:
    envelope = Envelope(id=new_ulid(), kind="note", site="demo", station="gate-heat-treat", seq=7, ts=now_rfc3339(),
                        boot="b" * 32, mono_ms=123456, clock_synced=True, data=data)  # fmt: skip
    payload = envelope.encode()
    assert decode(str(Topic("demo", "gate-heat-treat", "note")), payload).id == envelope.id
    return payload


def test_a_note_that_fits_is_left_alone() -> None:
    note = _note("这个阀体得热处理到HRC45才行", 12)
    assert fit_note(note) is note


def test_a_long_note_loses_its_word_timings_but_keeps_every_word_of_text() -> None:
    text = "客户要求热处理到HRC45，交期三周，先寄样品。" * 120
    note = _note(text, 2500)  # about 17 minutes of speech: far over 64 KiB with timings
    fitted = fit_note(note)
    assert fitted.words == () and fitted.text == text
    assert len(_event(fitted)) <= MAX_PAYLOAD


def test_text_beyond_one_event_is_cut_at_a_character_and_marked() -> None:
    text = "热处理到HRC45" * 8000  # 136 KB of text
    fitted = fit_note(_note(text, 10))
    assert fitted.text.endswith(CUT_MARK) and text.startswith(fitted.text.removesuffix(CUT_MARK))
    assert len(_event(fitted)) <= MAX_PAYLOAD
    assert len(fitted.text.encode()) > MAX_PAYLOAD - 4096  # cut only as much as needed
