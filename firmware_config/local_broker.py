"""Start a private Mosquitto on a loopback port (demo and tests), configured like production for delivery."""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from protocol.envelope import MAX_PACKET_SIZE

DELIVERY_SETTINGS = """\
persistence true
persistence_location {data_dir}/
autosave_interval 1
max_queued_messages 1000000
max_queued_bytes 0
max_inflight_messages 1000
max_packet_size {max_packet_size}
"""


class BrokerError(RuntimeError):
    """Mosquitto could not be started."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout_s: float, host: str = "127.0.0.1") -> bool:
    """Wait until something accepts TCP connections on host:port."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.02)
    return False


@dataclass
class LocalBroker:
    """A mosquitto process bound to 127.0.0.1:port with persistence in data_dir."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def write_conf(self) -> Path:
        """Write mosquitto.conf for this broker and return its path."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        conf = self.data_dir / "mosquitto.conf"
        conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\n"
            + DELIVERY_SETTINGS.format(data_dir=self.data_dir, max_packet_size=MAX_PACKET_SIZE)
            + f"log_dest file {self.data_dir}/mosquitto.log\n"
            # as root, mosquitto would drop to the `mosquitto` user and lose access to a private data_dir
            + (f"user {getpass.getuser()}\n" if os.geteuid() == 0 else "")
        )
        return conf

    def start(self, timeout_s: float = 10.0) -> LocalBroker:
        """Start mosquitto and wait until it listens; raise BrokerError with its log otherwise."""
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(binary).exists():
            raise BrokerError("mosquitto is not installed: sudo apt-get install -y mosquitto")
        conf = self.write_conf()
        self.process = subprocess.Popen([binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if not wait_for_port(self.port, timeout_s):
            self.stop()
            log = (self.data_dir / "mosquitto.log").read_text(errors="replace")[-2000:] if conf.exists() else ""
            raise BrokerError(f"mosquitto did not listen on 127.0.0.1:{self.port}\n{log}")
        return self

    def kill(self) -> None:
        """Kill mosquitto with SIGKILL (fault injection)."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)

    def stop(self) -> None:
        """Stop mosquitto gracefully (it saves its persistence file)."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None
