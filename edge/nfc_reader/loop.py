"""ReaderLoop: supervise a TagSource in a thread; debounced taps and reader state out.

The loop opens the reader, reports "present"/"absent" through on_state (on changes only),
retries with capped backoff while the reader is absent, reopens it when its sense rounds
get slow, and never lets an exception escape `run()`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from edge.nfc_reader.debounce import Debouncer
from edge.nfc_reader.health import Backoff, PollHealth
from edge.nfc_reader.source import ReaderAbsent, TagRead, TagSource, check_reader_uri

log = logging.getLogger(__name__)

READ_TIMEOUT_S = 0.25
PRESENT, ABSENT = "present", "absent"


class ReaderLoop:
    """Poll one reader until stopped, calling on_tap once per (debounced) tap."""

    def __init__(
        self,
        uri: str,
        debounce_s: float,
        on_tap: Callable[[TagRead], None],
        on_state: Callable[[str], None],
        *,
        backoff: Backoff | None = None,
        health: PollHealth | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.uri = check_reader_uri(uri)
        self.debouncer = Debouncer(debounce_s)
        self.on_tap = on_tap
        self.on_state = on_state
        self.backoff = backoff or Backoff(0.5, 10.0)
        self.health = health or PollHealth()
        self.clock = clock
        self.state: str | None = None
        self.reopens = 0

    def run(self, stop: threading.Event) -> None:
        """Read taps until stop is set; meant to be the target of a thread."""
        while not stop.is_set():
            source = TagSource.from_uri(self.uri)
            try:
                source.open()
                self._set_state(PRESENT)
                self.backoff.reset()
                self.health.reset()
                if self._poll(source, stop):
                    self.reopens += 1
                    log.warning("reader %s is slow (sense > %.1f s); reopening it", self.uri, self.health.slow_s)
                    continue
            except ReaderAbsent as error:
                log.warning("%s", error)
                self._set_state(ABSENT)
                stop.wait(self.backoff.next_delay())
            except Exception:
                log.exception("reader %s failed; reopening it", self.uri)
                self._set_state(ABSENT)
                stop.wait(self.backoff.next_delay())
            finally:
                source.close()

    def _poll(self, source: TagSource, stop: threading.Event) -> bool:
        """Read until stopped (False) or until the reader has degraded (True)."""
        while not stop.is_set():
            tag = source.read(READ_TIMEOUT_S)
            if tag is None:
                if self.health.record(source.last_sense_s):
                    return True
            elif self.debouncer.seen(tag.uid, self.clock()):
                self._emit(tag)
        return False

    def _emit(self, tag: TagRead) -> None:
        try:
            self.on_tap(tag)
        except Exception:
            log.exception("on_tap failed for tag %s", tag.uid)

    def _set_state(self, state: str) -> None:
        if state == self.state:
            return
        self.state = state
        try:
            self.on_state(state)
        except Exception:
            log.exception("on_state failed for %s", state)
