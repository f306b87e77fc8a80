"""One message must never stop the hub (issue 19.1-19.3, 19.9, 19.12): each poison message below goes through a
real Mosquitto into a running `tourtrace hub serve`; it is dead-lettered with its reason (or stored harmlessly),
and a valid tap published after it is stored, health stays truthful and every read still answers."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol import Topic
from tests.reliability.harness import closing_db, wait_until
from tests.security.conftest import Target, encode, tap_body

SITE = "sec-poison"


def _note_body(**data_changes: Any) -> dict[str, Any]:
    body = tap_body(SITE, kind="note")
    body["data"] = {"trigger": "rep_badge", "rep_badge": "R-1", "visitor_badges": ["V-0001"], "duration_ms": 900,
                    "sample_rate": 16000, "lang": "zh", "model": "m", "text": "好的",
                    "words": [{"w": "好的", "start": 0.0, "end": 0.5, "conf": 1.0}], "audio": None,
                    **data_changes}  # fmt: skip
    return body


def _with_raw(body: dict[str, Any], key: str, raw: str) -> bytes:
    """Encode body with one top-level value replaced by raw JSON text (what json.dumps cannot write)."""
    marker = "__RAW__"
    return encode({**body, key: marker}).replace(f'"{marker}"'.encode(), raw.encode())


def _escaped(body: dict[str, Any]) -> bytes:
    """Encode body with its MARK replaced by a JSON escape of a lone surrogate (valid JSON, not valid UTF-8 text)."""
    return encode(body).replace(b"MARK", b"\\udcff")


def _deep() -> bytes:
    return _with_raw(tap_body(SITE), "extra", "[" * 30_000 + "]" * 30_000)


def _tap_data(**changes: Any) -> dict[str, Any]:
    body = tap_body(SITE)
    body["data"] = {**body["data"], **changes}
    return body


POISON: dict[str, tuple[str, bytes, str]] = {
    # name: (kind of topic, payload, what the dead letter's reason says)
    "seq 2^63": ("tap", encode(tap_body(SITE, seq=2**63)), "seq: expected integer <= 9223372036854775807"),
    "mono_ms 2^63": ("tap", encode(tap_body(SITE, mono_ms=2**63)), "mono_ms: expected integer <= 9223372036854775807"),
    "seq 2^63 - 1 + 1 as a float": ("tap", encode(tap_body(SITE, seq=9.3e18)), "seq: expected integer"),
    "NaN word confidence": (
        "note",
        encode(_note_body(words=[{"w": "a", "start": 0, "end": 1, "conf": float("nan")}])),
        "NaN is not JSON",
    ),
    "Infinity": ("tap", encode(tap_body(SITE, extra=float("inf"))), "Infinity is not JSON"),
    "1e400 (a float that overflows)": ("tap", _with_raw(tap_body(SITE), "extra", "1e400"), "out of range"),
    "a 5,000-digit integer": ("tap", _with_raw(tap_body(SITE), "extra", "9" * 5000), "out of range"),
    "nested 30,000 deep": ("tap", _deep(), "nested too deeply"),
    "control character in a badge id": (
        "tap",
        encode(_tap_data(ndef={"badge_id": "V-\x01ctl", "role": "visitor", "sig": None})),
        "printable",
    ),
    "newline after the id": ("tap", encode(tap_body(SITE, id=tap_body(SITE)["id"] + "\n")), "id: expected ULID"),
    "newline after the time": ("tap", encode(tap_body(SITE, ts=tap_body(SITE)["ts"] + "\n")), "ts: not an RFC 3339"),
    "newline after the site": ("tap", encode({**tap_body(SITE), "site": SITE + "\n"}), "site: expected id"),
    "a lone surrogate in a badge id": (
        "tap",
        _escaped(_tap_data(ndef={"badge_id": "V-MARK", "role": "visitor", "sig": None})),
        "lone surrogate escape",
    ),
    "a lone surrogate in a note's text": ("note", _escaped(_note_body(text="MARK")), "lone surrogate escape"),
    "full-width digits in the time": ("tap", encode(tap_body(SITE, ts="２０２６-11-23T09:15:02Z")), "ts: not an RFC"),
}


@pytest.mark.parametrize("name", sorted(POISON))
def test_poison_message_is_dead_lettered_and_ingest_goes_on(target: Target, name: str) -> None:
    kind, payload, reason = POISON[name]
    before = len(target.dead_letters())
    target.publish(str(Topic(SITE, "gate-a", kind)), payload)
    assert wait_until(lambda: len(target.dead_letters()) > before, 20), target.hub.log_tail()
    assert reason in target.dead_letters()[0]["reason"], target.dead_letters()[0]["reason"]
    target.valid_tap_goes_through()
    target.reads_work()


def test_a_note_stamped_year_one_starts_no_timer_that_is_already_due(target: Target) -> None:
    body = _note_body(text="这个件麻烦报价一下")  # a quote: the default rules wait 2 h for a follow-up
    body["ts"] = "0001-01-01T00:00:00+08:00"
    target.publish(str(Topic(SITE, "gate-a", "note")), encode(body))
    assert wait_until(lambda: target.stored(body["id"]), 20)

    def timer_due() -> float | None:
        with closing_db(target.hub.db) as conn:
            row = conn.execute("SELECT due_epoch FROM rule_timers WHERE event_id=?", (body["id"],)).fetchone()
        return None if row is None else float(row[0])

    assert wait_until(lambda: timer_due() is not None, 10)
    assert (timer_due() or 0) > time.time() + 3600  # two hours from the hub's clock, not from year one
    escalations = target.call("GET", "/api/rules/outcomes", params={"kind": "escalate"}).json()
    assert not [o for o in escalations if o.get("event_id") == body["id"]]
    target.valid_tap_goes_through()
    target.reads_work()


HOSTILE_VALUES: st.SearchStrategy[Any] = st.sampled_from(
    [2**63, -(2**63) - 1, 10**30, float("nan"), float("inf"), -float("inf"), "x\n",
     "\x00", "\u2028", "\u202e", None, [], {}, True, "", "a" * 300, 1.5, -1]
)  # fmt: skip
FIELDS = st.sampled_from(["v", "id", "kind", "site", "station", "seq", "ts", "boot", "mono_ms", "clock_synced",
                          "data.uid", "data.zone", "data.tag_type", "data.reader", "data.ndef", "data.ndef.badge_id",
                          "data.ndef.role", "data.ndef.sig", "data.extra"])  # fmt: skip


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(field=FIELDS, value=HOSTILE_VALUES)
def test_any_single_mutated_message_then_a_valid_tap_is_stored(target: Target, field: str, value: object) -> None:
    body = _tap_data(ndef={"badge_id": "V-0001", "role": "visitor", "sig": None})
    *parents, key = field.split(".")
    holder: Any = body
    for part in parents:
        holder = holder[part] if isinstance(holder.get(part), dict) else holder.setdefault(part, {})
    holder[key] = value
    target.publish(str(Topic(SITE, "gate-a", "tap")), json.dumps(body, ensure_ascii=False).encode())
    target.valid_tap_goes_through()
