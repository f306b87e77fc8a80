"""The station agent: reader → outbox → MQTT, with status, last will and clean shutdown."""

from __future__ import annotations

import logging
import signal
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from edge.agent.clock import boot_id, clock_synced, mono_ms
from edge.agent.config import StationConfig
from edge.agent.drain import Drainer
from edge.agent.outbox import OUTBOX_FILE, Outbox, OutboxFull
from edge.agent.remote_config import PushedConfigStore, RemoteConfigError, parse_pushed
from edge.agent.session import MqttSession
from edge.agent.status import StationHealth, status_envelope
from edge.agent.voice_notes import VoiceNotes
from edge.nfc_reader.badge import load_site_key
from edge.nfc_reader.feedback import Feedback, FeedbackError
from edge.nfc_reader.loop import ReaderLoop
from edge.nfc_reader.source import TagRead
from edge.voice.fit import fit_note
from protocol import BadgeNdef, ConfigData, ContractError, Envelope, NoteData, TapData, Topic, new_ulid, now_rfc3339
from protocol.ack import Ack
from protocol.badge_sig import verify_badge
from tourtrace import __version__
from tourtrace.sdnotify import feed_watchdog_while, notify_ready, notify_stopping

log = logging.getLogger(__name__)


class Agent:
    """One station process; every event is in the outbox before it is published."""

    def __init__(self, config: StationConfig) -> None:
        self.config = config
        self.health = StationHealth()
        self.started_ms = mono_ms()
        self.stop_event = threading.Event()
        data_dir = Path(config.data_dir)
        self.outbox = Outbox(data_dir / OUTBOX_FILE, config.outbox.max_events, config.outbox.max_age_days)
        self.session = MqttSession(
            config.broker,
            client_id=config.broker.client_id or f"tourtrace-{config.site}-{config.station}",
            will=lambda: self._status_message("offline"),
            on_connected=self._on_connected,
            on_acked=lambda mid: self.drainer.on_acked(mid),
            on_message=self._on_message,
        )
        self.config_topic = str(Topic(config.site, config.station, "config"))
        self.ack_topic = str(Topic(config.site, config.station, "ack"))
        self.session.subscriptions.extend([self.config_topic, self.ack_topic])
        self.pushed = PushedConfigStore(data_dir)
        self.drainer = Drainer(self.outbox, self.session, on_drained=self.publish_status)
        self.reader = ReaderLoop(config.reader, config.debounce_s, on_tap=self.on_tap, on_state=self._on_reader_state)
        self.voice = VoiceNotes(config, on_note=lambda data: self._record_note(data), on_problem=self._on_problem)
        self.feedback = self._feedback()
        self.site_key = self._site_key()
        self._threads: list[threading.Thread] = []
        self._stopped = False

    def _feedback(self) -> Feedback:
        settings = self.config.feedback
        try:
            return Feedback.from_config(settings.backend, settings.buzzer_pin, settings.led_pin)
        except FeedbackError as exc:
            log.error("feedback disabled: %s", exc)
            self.health.error = f"feedback disabled: {exc}"
            return Feedback()

    def _site_key(self) -> bytes | None:
        if not self.config.site_key_file:
            return None
        try:
            return load_site_key(Path(self.config.site_key_file))
        except ValueError as exc:
            log.error("badge signatures not checked at the station: %s", exc)
            self.health.error = str(exc)
            return None

    def badge_finding(self, tag: TagRead) -> str | None:
        """Check a badge locally when the station holds the site key (the hub always checks): None when it is
        signed for this tag, or the station cannot tell; else "unsigned" or "signature does not match"."""
        if self.site_key is None:
            return None
        badge = tag.badge
        if badge is None or not badge.sig:
            return "unsigned"
        if not verify_badge(self.site_key, badge.badge_id, badge.role, tag.uid, badge.sig):
            return "signature does not match"
        return None

    def _on_message(self, topic: str, payload: bytes) -> None:
        if topic == self.ack_topic:
            try:
                ack = Ack.decode(payload)
                self.drainer.on_hub_ack(ack.ids, ack.resend)
            except ContractError as exc:
                log.warning("ignoring a malformed ack: %s", exc)
            return
        if topic != self.config_topic:
            return
        try:
            pushed = parse_pushed(topic, payload, self.config.site, self.config.station)
        except RemoteConfigError as exc:
            self._on_problem(str(exc))
            return
        self.apply_config(pushed)

    def apply_config(self, pushed: ConfigData, persist: bool = True) -> None:
        """Apply a hub-pushed config live (zone, debounce, tap mode, timeout, note settings); ignore stale revs."""
        if pushed.rev <= self.health.config_rev:
            return
        if persist:  # durable first: the rev reported applied must be the one a power cut comes back to
            try:
                self.pushed.save(pushed)
            except OSError as exc:
                self._on_problem(f"cannot save pushed config rev {pushed.rev}: {exc}")
                return
        note = self.config.note.model_copy(update={"max_s": pushed.note.max_s, "silence_ms": pushed.note.silence_ms,
                                                   "vocabulary": pushed.note.vocabulary})  # fmt: skip
        self.config = self.config.model_copy(update={
            "zone": pushed.zone, "debounce_s": pushed.debounce_s, "tap_mode": pushed.tap_mode,
            "dwell_timeout_s": pushed.dwell_timeout_s, "note": note})  # fmt: skip
        self.reader.debouncer.debounce_s = pushed.debounce_s
        self.voice.reconfigure(self.config)
        self.health.config_rev = pushed.rev
        if self.health.error.startswith("rejected pushed config"):
            self.health.error = ""
        log.info("applied config rev %d from the hub (zone %s)", pushed.rev, pushed.zone)
        self.publish_status()

    def _on_problem(self, message: str) -> None:
        log.error("%s", message)
        self.health.error = message
        self.publish_status()

    def _record_note(self, data: NoteData) -> None:
        fitted = fit_note(data)
        if fitted is not data:
            log.warning("a %d s note is too long for one event: sent without word timings%s",
                        data.duration_ms // 1000, "" if fitted.text == data.text else ", its text cut")  # fmt: skip
        envelope = self.record("note", fitted)
        if envelope is not None:
            log.info("note %s seq=%d", envelope.id, envelope.seq)

    def _status_message(self, state: str) -> tuple[str, bytes]:
        self.health.mic = self.voice.mic
        self.health.unknown_words = self.voice.unknown_words()
        envelope = status_envelope(self.config, state, __version__, self.started_ms, self.health, self.outbox.stats())
        return str(envelope.topic), envelope.encode()

    def publish_status(self, state: str = "online") -> None:
        """Publish a retained status now (when connected)."""
        if self.session.connected.is_set():
            topic, payload = self._status_message(state)
            self.session.publish(topic, payload, retain=True)

    def _on_connected(self) -> None:
        self.publish_status()
        self.drainer.on_connected()

    def _on_reader_state(self, state: str) -> None:
        if state != self.health.reader:
            log.info("reader %s: %s", self.config.reader, state)
            self.health.reader = state
            self.publish_status()

    def record(self, kind: str, data: TapData | NoteData) -> Envelope | None:
        """Commit an event to the outbox and wake the drainer; on a full outbox say so in status."""

        def build(seq: int) -> Envelope:
            return Envelope(
                id=new_ulid(),
                kind=kind,
                site=self.config.site,
                station=self.config.station,
                seq=seq,
                ts=now_rfc3339(),
                boot=boot_id(),
                mono_ms=mono_ms(),
                clock_synced=clock_synced(),
                data=data,
            )

        try:
            envelope = self.outbox.append(build)
        except OutboxFull as exc:
            log.error("%s", exc)
            self.health.error = "outbox full: events are being refused"
            self.publish_status()
            return None
        if self.health.error.startswith("outbox full"):
            self.health.error = ""
        self.drainer.wake()
        return envelope

    def on_tap(self, tag: TagRead) -> None:
        """Turn a debounced tag read into a tap event."""
        badge = tag.badge
        ndef = None if badge is None else BadgeNdef(badge_id=badge.badge_id, role=badge.role, sig=badge.sig)
        data = TapData(uid=tag.uid, tag_type=tag.tag_type, zone=self.config.zone, ndef=ndef, reader=self.config.reader)
        envelope = self.record("tap", data)
        if envelope is None:
            self.feedback.error()
            return
        finding = self.badge_finding(tag)
        log.info("tap %s seq=%d uid=%s badge=%s", envelope.id, envelope.seq, tag.uid, badge and badge.badge_id)
        if finding is not None:  # recorded for the hub to show, but it names nobody here: no presence, no note
            log.warning("badge %s on tag %s: %s (a copied or home-made badge?)", badge and badge.badge_id, tag.uid,
                        finding)  # fmt: skip
            self.feedback.error()
            return
        self.feedback.ok()
        if badge is not None and badge.role == "rep":
            self.voice.rep_tapped(badge.badge_id)
        else:
            self.voice.presence.tapped(badge.badge_id if badge else tag.uid)

    def _status_loop(self) -> None:
        while not self.stop_event.wait(self.config.status_interval_s):
            try:
                self.outbox.expire()
            except sqlite3.Error as exc:  # a full disk must not stop the status the hub sees it by
                log.error("outbox %s: cannot drop expired events: %s", self.outbox.path, exc)
            self.publish_status()

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def start(self) -> None:
        """Start the session and the worker threads."""
        self.outbox.expire()
        saved = self.pushed.load()
        if saved is not None:
            self.apply_config(saved, persist=False)
        self.voice.start()
        self.session.start()
        self._spawn("drain", lambda: self.drainer.run(self.stop_event))
        self._spawn("reader", lambda: self.reader.run(self.stop_event))
        self._spawn("status", self._status_loop)

    def stop(self) -> None:
        """Stop threads, publish the offline status and close the outbox (once)."""
        if self._stopped:
            return
        self._stopped = True
        self.stop_event.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self.voice.close()
        self.feedback.close()
        self.session.stop(final=self._status_message("offline"))
        self.outbox.close()

    def run_forever(self) -> None:
        """Run until SIGTERM or SIGINT."""

        def _stop(signum: int, frame: FrameType | None) -> None:
            self.stop_event.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        self.start()
        notify_ready()
        log.info("station %s/%s running (zone %s, reader %s)", self.config.site, self.config.station,
                 self.config.zone, self.config.reader)  # fmt: skip
        feed_watchdog_while(self.healthy, self.stop_event, "station agent")
        notify_stopping()
        self.stop()

    def healthy(self) -> bool:
        """True while every worker thread is alive (the systemd watchdog is fed only then)."""
        return all(thread.is_alive() for thread in self._threads)
