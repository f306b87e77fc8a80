"""The receiver process validates and hands messages to the hub process: what crosses the pipe, and how much may."""

from __future__ import annotations

import dataclasses
import multiprocessing
import pickle
import threading
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pytest

from hub.ingest import receiver
from hub.ingest.budget import Budget, cost_of
from hub.ingest.client import InMessage
from hub.ingest.packing import pack, unpack
from hub.ingest.wire import Batch, control_bytes, read
from hub.ingest.writer import IngestWriter
from hub.store.events import DeadLetter
from protocol import Envelope, TapData, decode, to_epoch
from protocol.timefmt import remember_epoch
from tests.protocol.samples import SAMPLES
from tests.waiting import holds_within, wait_until


def topic_of(envelope: Envelope) -> str:
    return f"tourtrace/v1/{envelope.site}/{envelope.station}/{envelope.kind}"


def message(envelope: Envelope, mid: int = 1) -> InMessage:
    return InMessage(topic_of(envelope), envelope.encode(), mid, 1, 7)


def bare_tap() -> Envelope:
    tap = SAMPLES["tap"]
    assert isinstance(tap.data, TapData)
    return dataclasses.replace(tap, data=dataclasses.replace(tap.data, ndef=None))


@pytest.mark.parametrize("kind", ["tap", "bare tap", "note", "status", "config"])
def test_an_envelope_crosses_the_pipe_unchanged(kind: str) -> None:
    envelope = bare_tap() if kind == "bare tap" else SAMPLES[kind]
    packed = pickle.loads(pickle.dumps(pack(envelope)))
    assert unpack(packed) == envelope
    assert (type(packed) is tuple) == kind.endswith("tap")  # the frequent message travels flat


def test_an_unpacked_tap_brings_the_epoch_validation_computed() -> None:
    tap = dataclasses.replace(SAMPLES["tap"], ts="2026-11-23T09:15:02.5+08:00")
    packed_tap = pack(tap)
    assert isinstance(packed_tap, tuple) and packed_tap[-1] == 1795396502.5
    other = dataclasses.replace(SAMPLES["tap"], ts="2026-11-23T09:15:03.25+08:00")
    packed_other = pack(other)
    assert isinstance(packed_other, tuple)
    packed = (*packed_other[:-1], 42.0)  # an epoch the hub could only know from the receiver
    try:
        assert unpack(packed).ts == other.ts and to_epoch(other.ts) == 42.0
    finally:
        remember_epoch(other.ts, 1795396503.25)  # the true one, for any later test of this process


def test_a_received_message_keeps_its_type_through_the_pipe() -> None:
    sent = message(SAMPLES["tap"])._replace(checked=pack(SAMPLES["tap"]))
    received = pickle.loads(pickle.dumps(sent))
    assert type(received) is InMessage and received == sent and received.topic == sent.topic


def forwarded(sent: list[InMessage]) -> tuple[list[InMessage], list[InMessage]]:
    """Run a Forwarder over a real pipe; return what reached the hub's end and what it acknowledged itself."""
    ours, theirs = multiprocessing.Pipe()
    forwarder = receiver.Forwarder(theirs)
    acknowledged: list[InMessage] = []
    forwarder.acknowledge = acknowledged.extend
    thread = threading.Thread(target=forwarder.run, daemon=True)
    thread.start()
    for item in sent:
        forwarder.message(item)
    forwarder.close()
    thread.join(10)
    got: list[InMessage] = []
    while ours.poll(0.1):
        batch = read(ours.recv_bytes())
        assert isinstance(batch, Batch) and batch.size == len(batch.messages())
        got.extend(batch.messages())
    return got, acknowledged


def test_the_receiver_validates_and_only_ack_traffic_stays_behind() -> None:
    tap, note = SAMPLES["tap"], SAMPLES["note"]
    broken = InMessage(topic_of(tap), b'{"v":1,"id":', 3, 1, 7)
    mismatched = InMessage("tourtrace/v1/demo/gate-other/tap", tap.encode(), 4, 1, 7)
    ack = InMessage("tourtrace/v1/demo/gate-injection/ack", b'{"ids":[]}', 5, 1, 7)
    got, acknowledged = forwarded([message(tap, 1), message(note, 2), broken, mismatched, ack])
    assert [m.mid for m in got] == [1, 2, 3, 4] and [m.conn for m in got] == [7] * 4
    assert unpack(got[0].checked) == decode(got[0].topic, got[0].payload) == tap  # type: ignore[arg-type]
    assert got[1].checked == note
    assert isinstance(got[2].checked, DeadLetter) and got[2].checked.reason.startswith("payload: bad JSON")
    assert isinstance(got[3].checked, DeadLetter) and "topic says 'gate-other'" in got[3].checked.reason
    assert acknowledged == [ack]  # not for ingest: acknowledged at once, never stored


def test_a_budget_waits_until_given_back_and_lets_an_oversized_item_through_alone() -> None:
    budget = Budget(100)
    budget.take(150)  # more than the whole budget, but nothing else is held: it passes
    taken = threading.Event()

    def take_ten() -> None:
        budget.take(10)
        taken.set()

    threading.Thread(target=take_ten, daemon=True).start()
    assert not taken.wait(0.3)
    budget.give(150)
    assert taken.wait(5) and budget.used == 10


def test_the_paho_thread_stops_reading_while_the_hub_does_not_take_messages(monkeypatch: Any) -> None:
    """With the hub process not reading the pipe, the receiver holds at most its budget (the broker keeps the rest);
    once the hub reads again, every message arrives once, in order."""
    monkeypatch.setattr(receiver, "FORWARD_BYTES", 200_000)
    ours, theirs = multiprocessing.Pipe()
    forwarder = receiver.Forwarder(theirs)
    threading.Thread(target=forwarder.run, daemon=True).start()
    tap = SAMPLES["tap"]
    fed: list[int] = []
    peak = [0]

    def paho_thread() -> None:
        for mid in range(1, 3001):
            forwarder.message(message(dataclasses.replace(tap, seq=mid), mid))
            fed.append(mid)
            peak[0] = max(peak[0], forwarder._budget.used)  # noqa: SLF001 (what the receiver holds)

    feeder = threading.Thread(target=paho_thread, daemon=True)
    feeder.start()
    assert holds_within(lambda: len(fed) > 100, 10)
    assert not holds_within(lambda: not feeder.is_alive(), 1.0)  # stalled: the hub is not reading
    assert len(fed) < 3000 and peak[0] <= 200_000
    got: list[int] = []
    drain = threading.Thread(target=read_all, args=(ours, got, 3000), daemon=True)
    drain.start()
    wait_until(lambda: not feeder.is_alive() and len(got) == 3000, 30, "every message forwarded")
    assert got == list(range(1, 3001))
    forwarder.close()


def test_closing_the_forwarder_frees_a_paho_thread_that_waits_for_room(monkeypatch: Any) -> None:
    """The receiver exits when the hub is gone: its paho thread, waiting for room, must not hold up client.stop()."""
    monkeypatch.setattr(receiver, "FORWARD_BYTES", 50_000)
    ours, theirs = multiprocessing.Pipe()
    forwarder = receiver.Forwarder(theirs)
    threading.Thread(target=forwarder.run, daemon=True).start()
    fed: list[int] = []

    def paho_thread() -> None:
        for mid in range(1, 2001):
            forwarder.message(message(dataclasses.replace(SAMPLES["tap"], seq=mid), mid))
            fed.append(mid)

    feeder = threading.Thread(target=paho_thread, daemon=True)
    feeder.start()
    assert not holds_within(lambda: not feeder.is_alive(), 1.0)  # waiting for room: nobody reads the pipe
    forwarder.close()
    feeder.join(10)
    assert not feeder.is_alive() and len(fed) == 2000
    ours.close()


def read_all(pipe: Connection, got: list[int], count: int) -> None:
    while len(got) < count:
        batch = read(pipe.recv_bytes())
        assert isinstance(batch, Batch)
        got.extend(item.mid for item in batch.messages())


def test_the_cost_of_messages_counts_payload_and_overhead() -> None:
    messages = [InMessage("t", b"x" * 100, 1, 1), InMessage("t", b"", 2, 1)]
    assert cost_of(messages) == 100 + 2 * 1024


def test_control_items_cross_the_pipe_beside_batches() -> None:
    assert read(control_bytes(("state", True, ""))) == ("state", True, "")
    assert read(control_bytes(("fresh",))) == ("fresh",)


def test_the_stations_acks_go_out_before_the_broker_gets_its_puback(tmp_path: Path) -> None:
    """A hub that dies between the two has not PUBACKed: the broker redelivers and the station gets its ack then."""
    order: list[tuple[str, int]] = []
    writer = IngestWriter(str(tmp_path / "hub.sqlite3"), ack=lambda done: order.append(("puback", len(done))))
    writer.after_commit.append(lambda result: order.append(("station acks", len(result.stored_ids[("demo",
                                                            "gate-injection")]))))  # fmt: skip
    stop = threading.Event()
    thread = threading.Thread(target=writer.run, args=(stop,), daemon=True)
    thread.start()
    try:
        writer.submit([message(SAMPLES["tap"]), message(SAMPLES["note"], 2)])
        wait_until(lambda: len(order) == 2, 10, "the batch stored and acknowledged")
    finally:
        stop.set()
        thread.join(10)
        writer.close()
    assert order == [("station acks", 2), ("puback", 2)]
