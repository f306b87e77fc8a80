"""Run the demo: Mosquitto, the hub (sample plant) and one emulated station per zone replaying a tour."""

from __future__ import annotations

import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from edge.agent.config import parse_config
from edge.agent.outbox import Outbox
from edge.agent.runner import Agent
from edge.nfc_reader.badge import Badge, encode_badge_message, sign
from edge.nfc_reader.emulator import TagEmulator
from firmware_config.local_broker import LocalBroker, free_port, wait_for_port
from hub.app import create_app
from hub.settings import check_settings
from tourtrace.demo.inbox import RobotInbox
from tourtrace.demo.recorded import morning_start, queue_morning_tour
from tourtrace.demo.tour import LIVE_TOUR, SITE, UIDS, ZONES, station_for

log = logging.getLogger(__name__)


def _port_free(host: str, port: int) -> bool:
    import socket

    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


@dataclass
class Demo:
    """Everything the demo runs, in one process; `stop()` tears it down."""

    workdir: Path
    http: str = "127.0.0.1:8080"
    token: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    broker: LocalBroker | None = None
    agents: dict[str, Agent] = field(default_factory=dict)
    emulators: dict[str, TagEmulator] = field(default_factory=dict)
    server: uvicorn.Server | None = None
    inbox: RobotInbox | None = None
    site_key: bytes = b""

    @property
    def base_url(self) -> str:
        return f"http://{self.http}"

    def start(self) -> None:
        """Start broker, hub and stations; queue this morning's recorded tour."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        host, _, port = self.http.rpartition(":")
        if not _port_free(host, int(port)):
            self.http = f"{host}:{free_port()}"
        key_file = self.workdir / "site.key"
        if not key_file.exists():
            key_file.write_text(secrets.token_hex(32))
            key_file.chmod(0o600)
        self.site_key = key_file.read_bytes().strip()
        self.broker = LocalBroker(self.workdir / "broker").start()
        self.inbox = RobotInbox(self.workdir / "robot-inbox.jsonl").start()
        settings = check_settings(
            {
                "broker": self.broker.url,
                "db": str(self.workdir / "hub.sqlite3"),
                "http": self.http,
                "admin_token": self.token,
                "site_keys": {SITE: str(key_file)},
                "sample_data": True,
                "dwell_timeout_s": 1800,
                "public_url": self.base_url,
                "notify": {
                    "sales": {"kind": "wecom", "url": self.inbox.url("wecom/sales")},
                    "manager": {
                        "kind": "dingtalk",
                        "url": self.inbox.url("dingtalk/manager"),
                        "secret": secrets.token_hex(16),
                    },
                },
            },
            "demo",
        )
        self.server = uvicorn.Server(
            uvicorn.Config(create_app(settings), host=settings.http_host, port=settings.http_port, log_level="warning")
        )
        threading.Thread(target=self.server.run, name="hub-http", daemon=True).start()
        if not wait_for_port(settings.http_port, 15, settings.http_host):
            raise RuntimeError(f"the hub did not start on {self.http}")
        self._start_stations()

    def _start_stations(self) -> None:
        assert self.broker is not None
        outboxes: dict[str, Outbox] = {}
        configs = {}
        for zone in ZONES:
            port = free_port()
            config = parse_config(
                {
                    "site": SITE,
                    "station": station_for(zone),
                    "zone": zone,
                    "data_dir": str(self.workdir / "stations" / station_for(zone)),
                    "reader": f"udp:127.0.0.1:{port}",
                    "broker": {"url": self.broker.url},
                    "debounce_s": 1.0,
                    "status_interval_s": 10,
                },
                f"demo station {zone}",
            )
            configs[zone] = config
            outboxes[zone] = Outbox(
                Path(config.data_dir) / "outbox.sqlite3", config.outbox.max_events, config.outbox.max_age_days
            )
            self.emulators[zone] = TagEmulator(port)
        fresh = all(o.stats().last_seq == 0 for o in outboxes.values())
        if fresh:
            queue_morning_tour(outboxes, self.site_key, morning_start(), "udp:127.0.0.1")
        for outbox in outboxes.values():
            outbox.close()
        for zone, config in configs.items():
            agent = Agent(config)
            agent.start()
            self.agents[zone] = agent

    def tap(self, zone: str, badge: str, hold_s: float = 0.3) -> None:
        """Hold a visitor's signed badge on the emulated reader of a zone."""
        uid = UIDS[badge]
        message = encode_badge_message(Badge(badge, "visitor", sign(self.site_key, badge, "visitor", uid)))
        self.emulators[zone].present(uid, message, hold_s)

    def play_live_tour(self, speed: float = 1.0) -> None:
        """Replay LIVE_TOUR on the emulated readers (each reader in its own thread, as on a real floor)."""
        started = time.monotonic()
        threads = []
        for step in LIVE_TOUR:
            delay = step.at_s / speed - (time.monotonic() - started)
            if delay > 0:
                time.sleep(delay)
            thread = threading.Thread(target=self.tap, args=(step.zone, step.badge), daemon=True)
            thread.start()
            threads.append(thread)
        for thread in threads:
            thread.join(10)

    def api(self, path: str) -> Any:
        """GET an API path with the demo's admin token."""
        response = httpx.get(f"{self.base_url}{path}", headers={"Authorization": f"Bearer {self.token}"}, timeout=10)
        response.raise_for_status()
        return response.json()

    def wait_until_drained(self, timeout_s: float = 20) -> bool:
        """Wait until every station's outbox is empty."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if all(agent.outbox.stats().depth == 0 for agent in self.agents.values()):
                return True
            time.sleep(0.2)
        return False

    def stop(self) -> None:
        """Stop stations, hub and broker."""
        for agent in self.agents.values():
            agent.stop()
        if self.server is not None:
            self.server.should_exit = True
            time.sleep(0.5)
        if self.broker is not None:
            self.broker.stop()
        if self.inbox is not None:
            self.inbox.stop()
