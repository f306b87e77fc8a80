"""Queue this morning's tour in the stations' outboxes, as if they had been offline since."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from edge.agent.outbox import Outbox
from edge.nfc_reader.badge import sign
from protocol import BadgeNdef, Envelope, NoteData, TapData, Word, new_ulid
from protocol.timefmt import format_rfc3339
from tourtrace.demo.tour import MORNING_NOTES, MORNING_TAPS, REP, SITE, UIDS, station_for

RECORDED_BOOT = "demo-recorded-morning"


def _words(text: str) -> tuple[Word, ...]:
    """Word timings as the recognizer reports them: one token every 0.3 s."""
    return tuple(Word(token, round(i * 0.3, 2), round(i * 0.3 + 0.28, 2), 0.9) for i, token in enumerate(text.split()))


def queue_morning_tour(outboxes: dict[str, Outbox], site_key: bytes, started: datetime, reader: str) -> int:
    """Append the recorded taps and notes to the outbox of each zone's station; return how many."""
    base_mono = 10_000_000
    items: list[tuple[int, str, TapData | NoteData]] = []
    for tap in MORNING_TAPS:
        uid = UIDS[tap.badge]
        ndef = BadgeNdef(tap.badge, "visitor", sign(site_key, tap.badge, "visitor", uid))
        items.append((tap.at_s, tap.zone, TapData(uid, "Type3Tag", tap.zone, ndef, reader)))
    for note in MORNING_NOTES:
        words = _words(note.text)
        items.append(
            (
                note.at_s,
                note.zone,
                NoteData(
                    trigger="rep_badge",
                    rep_badge=REP[0],
                    visitor_badges=note.visitors,
                    duration_ms=int(words[-1].end * 1000) + 400,
                    sample_rate=16000,
                    lang="zh",
                    model="vosk-model-small-cn-0.22",
                    text=note.text,
                    words=words,
                ),
            )
        )
    for at_s, zone, data in sorted(items, key=lambda item: item[0]):
        moment = started + timedelta(seconds=at_s)

        def build(seq: int, zone: str = zone, data: TapData | NoteData = data, moment: datetime = moment,
                  at_s: int = at_s) -> Envelope:  # fmt: skip
            return Envelope(
                id=new_ulid(int(moment.timestamp() * 1000)),
                kind="tap" if isinstance(data, TapData) else "note",
                site=SITE,
                station=station_for(zone),
                seq=seq,
                ts=format_rfc3339(moment),
                boot=RECORDED_BOOT,
                mono_ms=base_mono + at_s * 1000,
                clock_synced=True,
                data=data,
            )

        outboxes[zone].append(build)
    return len(items)


def morning_start() -> datetime:
    """Return when the recorded tour began: three hours ago, local time."""
    return datetime.fromtimestamp(time.time() - 3 * 3600).astimezone()
