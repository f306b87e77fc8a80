"""A local HTTP server standing in for WeCom, DingTalk and the CRM; it records every request it gets."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from hub.store.db import open_database


@dataclass
class Received:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Records requests; answers with the queued (status, body) replies, then 200 {"errcode": 0}."""

    port: int = 0
    requests: list[Received] = field(default_factory=list)
    replies: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_for(self, count: int, timeout_s: float = 10.0) -> list[Received]:
        deadline = threading.Event()
        for _ in range(int(timeout_s / 0.02)):
            with self.lock:
                if len(self.requests) >= count:
                    return list(self.requests)
            deadline.wait(0.02)
        raise AssertionError(f"expected {count} requests, got {len(self.requests)}")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            parts = urlsplit(self.path)
            with state.lock:
                state.requests.append(Received(parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()},
                                               {k.lower(): v for k, v in self.headers.items()}, body))  # fmt: skip
                status, reply = state.replies.pop(0) if state.replies else (200, {"errcode": 0, "errmsg": "ok"})
            payload = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    path = tmp_path / "hub.sqlite3"
    open_database(path).close()
    return str(path)
