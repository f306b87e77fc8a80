"""Hub ingest vs an equivalent Node-RED flow (mqtt in → json → sqlite) on the same Mosquitto, same messages.

Node-RED 4 and node-red-node-sqlite are installed from the npm registry into a temp dir (reused between runs);
npm 11 does not run sqlite3's install script by itself, so it is rebuilt from source with node-gyp
(`npm rebuild sqlite3`). The flow subscribes to tourtrace/v1/+/+/+ at QoS 1 with a persistent session, parses
the JSON and runs a prepared `INSERT OR IGNORE` per message into an events table. If the sqlite node cannot be
built, the flow writes JSON lines to a file instead (the nearest equivalent) and the table says so.
Node-RED unsubscribes when it stops, so nothing is queued for it: both consumers run while the same number of
messages is published, and time runs from the first to the last stored message.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Figure, envelopes, publish_all, stored_span, workdir
from firmware_config.local_broker import LocalBroker, free_port, wait_for_port
from tests.reliability.harness import HubProcess

NODE_DIR = Path("/tmp/tourtrace-bench-nodered")
SCHEMA = "CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, kind TEXT, site TEXT, station TEXT, seq INTEGER,"
SCHEMA += " ts TEXT, body TEXT)"


def install(node_dir: Path) -> tuple[bool, str]:
    """Install node-red and node-red-node-sqlite; return (sqlite usable, why not)."""
    node_dir.mkdir(parents=True, exist_ok=True)
    if not (node_dir / "node_modules" / "node-red").exists():
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "node-red@4", "node-red-node-sqlite"],
                       cwd=node_dir, check=True, capture_output=True, timeout=900)  # fmt: skip
    probe = ["node", "-e", "require('sqlite3')"]
    if subprocess.run(probe, cwd=node_dir, capture_output=True).returncode != 0:
        build = subprocess.run(["npm", "rebuild", "sqlite3", "--foreground-scripts"], cwd=node_dir,
                               capture_output=True, text=True, timeout=1200)  # fmt: skip
        if subprocess.run(probe, cwd=node_dir, capture_output=True).returncode != 0:
            return False, "sqlite3 native module did not build: " + (build.stderr or build.stdout)[-300:]
    return True, ""


def flow(broker_port: int, db: Path, out: Path, with_sqlite: bool) -> list[dict[str, object]]:
    """Return the Node-RED flow: mqtt in → json → (function → sqlite) or (file)."""
    nodes: list[dict[str, object]] = [
        {"id": "t1", "type": "tab", "label": "bench"},
        {"id": "b1", "type": "mqtt-broker", "broker": "127.0.0.1", "port": str(broker_port),
         "clientid": "bench-nodered", "cleansession": False, "protocolVersion": "4", "keepalive": "30"},
        {"id": "n1", "type": "mqtt in", "z": "t1", "topic": "tourtrace/v1/+/+/+", "qos": "1", "datatype": "utf8",
         "broker": "b1", "wires": [["n2"]]},
        {"id": "n2", "type": "json", "z": "t1", "property": "payload", "action": "obj",
         "wires": [["n3" if with_sqlite else "n5"]]},
    ]  # fmt: skip
    if with_sqlite:
        code = (
            "const e = msg.payload; msg.params = [e.id, e.kind, e.site, e.station, e.seq, e.ts,"
            " JSON.stringify(e)]; return msg;"
        )
        nodes += [
            {"id": "c2", "type": "sqlitedb", "db": str(db), "mode": "RWC"},
            {"id": "n3", "type": "function", "z": "t1", "func": code, "outputs": 1, "wires": [["n4"]]},
            {"id": "n4", "type": "sqlite", "z": "t1", "mydb": "c2", "sqlquery": "prepared",
             "sql": "INSERT OR IGNORE INTO events VALUES (?,?,?,?,?,?,?)", "wires": [[]]},
        ]  # fmt: skip
    else:
        nodes.append({"id": "n5", "type": "file", "z": "t1", "filename": str(out), "appendNewline": True,
                      "createDir": True, "overwriteFile": "false", "wires": [[]]})  # fmt: skip
    return nodes


def start_nodered(node_dir: Path, user_dir: Path) -> subprocess.Popen[bytes]:
    port = free_port()
    log = (user_dir / "node-red.log").open("ab")
    process = subprocess.Popen(["node", str(node_dir / "node_modules/node-red/red.js"), "--userDir", str(user_dir),
                                "--port", str(port), "flows.json"], stdout=log, stderr=log)  # fmt: skip
    if not wait_for_port(port, 60):
        raise RuntimeError(f"Node-RED did not start; see {user_dir / 'node-red.log'}")
    return process


def count_lines(path: Path, count: int, timeout_s: float = 600) -> float:
    """Wait until the flow's output file has `count` lines; return seconds from the first to the last."""
    first, deadline = 0.0, time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        seen = sum(1 for _ in path.open("rb")) if path.exists() else 0
        first = first or (time.perf_counter() if seen else 0.0)
        if seen >= count:
            return time.perf_counter() - first
        time.sleep(0.02)
    raise RuntimeError(f"Node-RED wrote {seen} of {count}")


def _live(url: str, site: str, count: int, target: Path, is_db: bool) -> float:
    """Publish count messages from a thread while timing the consumer from its first to its last stored one."""
    publisher = threading.Thread(target=publish_all, args=(url, envelopes(site, count)), kwargs={"timeout_s": 600})
    publisher.start()
    try:
        return stored_span(target, site, count, timeout_s=300)[0] if is_db else count_lines(target, count, 300)
    finally:
        publisher.join()


def run(count: int, node_dir: Path = NODE_DIR) -> list[Figure]:
    """Measure Node-RED's and the hub's ingest rates on the same broker and message set."""
    with_sqlite, why = install(node_dir)
    base = workdir("nodered")
    user_dir = base / "node-red"
    user_dir.mkdir()
    db, out = base / "nodered.sqlite3", base / "nodered.jsonl"
    if with_sqlite:
        subprocess.run(["node", "-e", f"new (require('sqlite3').Database)({json.dumps(str(db))}).run('{SCHEMA}')"],
                       cwd=node_dir, check=True)  # fmt: skip
    broker = LocalBroker(base / "broker").start()
    (user_dir / "flows.json").write_text(json.dumps(flow(broker.port, db, out, with_sqlite)))
    hub = HubProcess(broker.url, base / "hub.sqlite3", base)
    red = start_nodered(node_dir, user_dir)
    try:
        time.sleep(3.0)
        red_s = _live(broker.url, "nodered", count, db if with_sqlite else out, with_sqlite)
        red.terminate()
        hub.start()
        hub_s = _live(broker.url, "hub", count, hub.db, True)
    finally:
        red.kill()
        hub.kill()
        broker.stop()
    flow_name = "Node-RED mqtt in → json → sqlite" if with_sqlite else "Node-RED mqtt in → json → file"
    return [Figure("nodered", f"hub ingest, {count:,} msgs QoS 1", count / hub_s, "msg/s", flow_name, count / red_s,
                   "goal ≥ 3×" + ("" if with_sqlite else f"; sqlite node unavailable: {why}"))]  # fmt: skip


def main() -> None:
    """Print the hub's ingest rate next to Node-RED's."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000, help="messages per consumer (default 20,000)")
    parser.add_argument("--node-dir", type=Path, default=NODE_DIR, help="where Node-RED is installed")
    args = parser.parse_args()
    for figure in run(args.messages, args.node_dir):
        print(figure.line())


if __name__ == "__main__":
    main()
