"""A local stand-in for the WeCom and DingTalk group robots, so the demo's notifications have somewhere to go."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from firmware_config.local_broker import free_port


class RobotInbox:
    """Accepts robot webhook POSTs on 127.0.0.1 and appends each message to a JSON-lines file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.port = free_port()
        self.received: list[dict[str, Any]] = []
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(min(length, 1 << 20))
                try:
                    message = json.loads(body)
                except ValueError:
                    message = {"raw": body.decode("utf-8", "replace")}
                inbox.record(self.path, message)
                reply = b'{"errcode":0,"errmsg":"ok"}'
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)

    def url(self, robot: str) -> str:
        return f"http://127.0.0.1:{self.port}/{robot}"

    def record(self, robot_path: str, message: dict[str, Any]) -> None:
        entry = {"robot": robot_path.lstrip("/").split("?")[0], "message": message}
        self.received.append(entry)
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def start(self) -> RobotInbox:
        threading.Thread(target=self.server.serve_forever, name="robot-inbox", daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
