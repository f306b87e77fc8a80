"""The hub's running parts: MQTT client, ingest writer thread and the dwell-timeout sweeper."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from hub.ingest.link import ReceiverLink
from hub.ingest.writer import IngestWriter
from hub.rules.engine import RulesEngine
from hub.rules.notes_pipeline import NoteAnalyzer, StaleAnalyses
from hub.rules.visits import close_timed_out
from hub.sample import load_sample_data
from hub.settings import HubSettings
from hub.store.db import connect, open_database
from hub.store.events import BatchResult
from hub.store.stations import known_stations
from hub.store.tokens import prune_sessions
from hub.store.tx import transaction
from protocol import Envelope, TapData, Topic
from protocol.ack import Ack, chunked
from protocol.badge_sig import verify_badge
from tourtrace.sdnotify import feed_watchdog_while, notify_ready, notify_stopping

log = logging.getLogger(__name__)
SESSION_PRUNE_EVERY_S = 600.0  # the hub's sweep drops ended browser sessions this often (logins prune too)


def load_site_keys(settings: HubSettings) -> dict[str, bytes]:
    """Read each site's badge-signing key file."""
    keys = {}
    for site, path in settings.site_keys.items():
        keys[site] = Path(path).read_bytes().strip()
    return keys


@dataclass(frozen=True)
class IngestState:
    """What the running hub knows of its MQTT session and its writer, for health, metrics and the dashboard."""

    connected: bool
    broker_error: str
    receiver_restarts: int
    queue: int
    messages: int  # stored since start, like retries
    last_error: str
    retries: int
    lag_s: float  # station time to hub commit of the newest stored event
    dead_workers: tuple[str, ...] = ()  # threads of the hub that stopped: ingest is down until a restart


class HubRuntime:
    """Starts and stops ingest; the API reads the database through its own connections."""

    def __init__(self, settings: HubSettings) -> None:
        self.settings = settings
        self.started_at = time.time()
        self.stop_event = threading.Event()
        self._resend_lock = threading.Lock()
        self._told_to_resend: set[tuple[str, str]] | None = None  # a set once the broker lost our session
        conn = open_database(settings.db)
        try:
            if settings.sample_data and load_sample_data(conn):
                log.info("loaded the sample plant (library, stock, badges)")
        except sqlite3.Error as exc:  # e.g. a read-only file: ingest reports it and retries; the sample can wait
            log.error("sample plant not loaded: %s", exc)
        finally:
            conn.close()
        self.notes = NoteAnalyzer(settings.analysis_dir)
        self.site_keys = load_site_keys(settings)
        self.client = ReceiverLink(
            settings.broker_settings(),
            on_messages=lambda batch: self.writer.submit(batch),
            on_fresh_session=self.request_resend,
        )
        self.writer = IngestWriter(
            settings.db,
            ack=self.client.ack,
            default_tap_mode=settings.tap_mode,
            default_dwell_timeout_s=settings.dwell_timeout_s,
            sig_check=self.check_signature,
        )
        self.writer.derivers.append(self.notes.derive)
        self.writer.after_commit.append(self.send_acks)
        self.rules = RulesEngine.for_hub(settings.rules_file, settings.db)
        self.writer.derivers.append(self.rules.derive)  # after notes: rules read the note analysis
        # Analyses another revision made are recomputed beside ingest, at start and after the library changes.
        self.stale_analyses = StaleAnalyses(self.notes, self.rules)
        self.notes.on_change.append(lambda: self.stale_analyses.start(settings.db, self.stop_event))
        self._threads: list[threading.Thread] = []

    def ingest_state(self) -> IngestState:
        """Return the broker link's and the writer's state now."""
        stats = self.writer.stats
        return IngestState(self.client.connected.is_set(), self.client.last_error, self.client.restarts,
                           stats.queue_depth(), stats.messages, stats.last_error, stats.retries,
                           stats.last_lag_s, self.dead_workers())  # fmt: skip

    def dead_workers(self) -> tuple[str, ...]:
        """Return the names of the hub's worker threads that have stopped (none while the hub is running)."""
        if self.stop_event.is_set():
            return ()
        dead = [thread.name for thread in self._threads if not thread.is_alive()]
        if self._threads and not self.client.alive:
            dead.append("receiver-relay")
        return tuple(dead)

    def request_resend(self) -> None:
        """The broker has no session of ours (first start, or it lost it): anything queued for us is gone, so
        ask each station to publish its unacknowledged events again: the known ones now, every other one as
        soon as it is heard from (its periodic status at the latest)."""
        conn = connect(self.settings.db)
        try:
            known = known_stations(conn)
        finally:
            conn.close()
        with self._resend_lock:
            self._told_to_resend = set()
        self._tell_to_resend(known)
        log.info("fresh broker session: asking stations to resend what is not yet stored")

    def _tell_to_resend(self, stations: set[tuple[str, str]]) -> None:
        with self._resend_lock:
            if self._told_to_resend is None:
                return
            new = stations - self._told_to_resend
            self._told_to_resend |= new
        for site, station in sorted(new):
            self.client.publish(str(Topic(site, station, "ack")), Ack((), resend=True).encode())

    def send_acks(self, result: BatchResult) -> None:
        """Tell each station which of its events are stored (new or already known), so it can forget them."""
        self._tell_to_resend(result.stations_seen)
        for (site, station), ids in result.stored_ids.items():
            topic = str(Topic(site, station, "ack"))
            for ack in chunked(ids):
                self.client.publish(topic, ack.encode())

    def check_signature(self, envelope: Envelope) -> str | None:
        """Return a tap's badge finding: 'ok', 'unsigned' (no signature, or a bare tag) or 'mismatch' (a signature
        that is not the site key's for this badge on this tag: a copied or forged badge); None without a site key."""
        key = self.site_keys.get(envelope.site)
        if key is None or not isinstance(envelope.data, TapData):
            return None
        ndef = envelope.data.ndef
        if ndef is None or not ndef.sig:
            return "unsigned"
        return "ok" if verify_badge(key, ndef.badge_id, ndef.role, envelope.data.uid, ndef.sig) else "mismatch"

    def _sweep_timeouts(self) -> None:
        """Every 10 s close timed-out visits; every SESSION_PRUNE_EVERY_S drop the browser sessions that ended."""
        pruned_at = float("-inf")
        while not self.stop_event.wait(10.0):
            try:
                now = time.time()
                with closing(connect(self.settings.db)) as conn, transaction(conn):
                    closed = close_timed_out(conn, self.settings.tap_mode, self.settings.dwell_timeout_s, now)
                    self.rules.derive_timed_out(conn, closed, now)
            except Exception:
                log.exception("dwell-timeout sweep failed")
            if time.monotonic() - pruned_at >= SESSION_PRUNE_EVERY_S:
                pruned_at = time.monotonic()
                self._prune_sessions()

    def _prune_sessions(self) -> None:
        try:
            with closing(connect(self.settings.db)) as conn:
                if pruned := prune_sessions(conn, time.time()):
                    log.info("pruned %d ended browser sessions", pruned)
        except Exception:
            log.exception("pruning ended browser sessions failed")

    def start(self) -> None:
        """Start ingest before connecting, so nothing received is left waiting for a writer."""
        for name, target in (
            ("ingest", lambda: self.writer.run(self.stop_event)),
            ("sweep", self._sweep_timeouts),
            ("rules", lambda: self.rules.run(self.settings.db, self.stop_event)),
        ):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        self.client.start()
        self.stale_analyses.start(self.settings.db, self.stop_event)
        watchdog = threading.Thread(
            target=feed_watchdog_while,
            args=(lambda: not self.dead_workers(), self.stop_event, "hub"),
            name="watchdog",
            daemon=True,
        )
        watchdog.start()
        notify_ready()

    def stop(self) -> None:
        """Disconnect (the broker keeps our session), finish the current batch, close the database."""
        notify_stopping()
        self.client.stop()
        self.stop_event.set()
        for thread in self._threads:
            thread.join(timeout=10)
        self.stale_analyses.join(timeout=10)
        self.writer.close()
