"""How reads grow with history: the same hub over a day, a year and ten years of tours, read side by side.

A day is 20 visitors, a year 5,000 and ten years 50,000 (nine events each: eight taps and a rep note; 450,000
events for ten years), generated through the store's own insert code (bench/history_data.py). Every read is the
median of several GETs through the real app (pages with a session cookie, the API with a token), and its growth
is its time on the year (ten years) divided by its time on the day. The goal: a read that shows one visitor, one
station or one page of a list grows at most 3× from a day to a year and stays under 100 ms on ten years. The
export is measured as a rate (rows per second over all history, goal ≥ 10,000) with its peak memory.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient

from bench.history_data import count_events, generate
from hub.app import create_app
from hub.settings import HubSettings

TOKEN = "bench-history-admin"
HISTORIES = (("day", 20, 1.0), ("year", 5_000, 365.0), ("ten years", 50_000, 3650.0))


def reads(latest: str) -> dict[str, str]:
    """Return read name → path; latest is a visitor seen in the last hour."""
    return {
        "page /notes": "/notes",
        "page /visitors": "/visitors",
        "page /board": "/board",
        "board live fragment": "/board?fragment=1",
        "page /visitors/{id}": f"/visitors/{latest}",
        "page /fleet": "/fleet",
        "page /dead-letters": "/dead-letters",
        "GET /api/visitors": "/api/visitors",
        "GET /api/visitors?q=company": "/api/visitors?q=苏州精工",
        "GET /api/visits?visitor=": f"/api/visits?visitor={latest}",
        "GET /api/visits (page)": "/api/visits",
        "GET /api/visitors/{id}/profile": f"/api/visitors/{latest}/profile",
        "GET /api/notes": "/api/notes",
        "GET /api/dead-letters": "/api/dead-letters",
        "GET /api/stations": "/api/stations",
        "GET /metrics": "/metrics",
    }


REP_READS = {
    "rep: page /notes": "/notes",
    "rep: page /visitors": "/visitors",
    "rep: page /board": "/board",
    "rep: GET /api/notes": "/api/notes",
    "rep: GET /api/visitors/{id}/profile": "/api/visitors/V-000000/profile",
}


def _median_ms(client: TestClient, path: str, repeat: int) -> float:
    assert client.get(path).status_code == 200, path  # warm-up, and a failing read fails the bench
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(times)


EXPORT_ALONE = """
import resource, sys, tempfile
from contextlib import closing
from hub.api.export_sheets import ExportScope, write_workbook
from hub.store.db import connect
with closing(connect(sys.argv[1])) as conn, tempfile.NamedTemporaryFile(suffix=".xlsx") as out:
    write_workbook(conn, ExportScope(None, None, None), "zh", out.name)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _export_rss_mb(db: Path) -> float:
    """Return the peak RSS of a process that does nothing but write the whole export."""
    done = subprocess.run([sys.executable, "-c", EXPORT_ALONE, str(db)], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parent.parent)  # fmt: skip
    return int(done.stdout.split()[-1]) / 1024


def measure(db: Path, visitors: int, repeat: int) -> tuple[dict[str, float], dict[str, float]]:
    """Return read → median ms, and export figures, for one history."""
    app = create_app(HubSettings(db=str(db), admin_token=TOKEN), with_ingest=False)
    with TestClient(app) as client:
        client.post("/login", data={"token": TOKEN, "next": "/board"})
        client.headers["Authorization"] = f"Bearer {TOKEN}"
        latest = f"V-{visitors - 1:06d}"
        timings = {name: _median_ms(client, path, repeat) for name, path in reads(latest).items()}
        made = client.post("/api/tokens", json={"name": "bench-rep", "role": "rep", "rep_badge": "R-000"})
        with TestClient(app) as rep:  # R-000 owns every twentieth visitor: its lists grow with its own share
            rep.post("/login", data={"token": made.json()["token"], "next": "/board"})
            rep.headers["Authorization"] = f"Bearer {made.json()['token']}"
            for name, path in REP_READS.items():
                timings[name] = _median_ms(rep, path, repeat)
        began = time.perf_counter()
        response = client.get("/api/export.xlsx")
        export_s = time.perf_counter() - began
        assert response.status_code == 200
        rows = visitors * 4 + visitors + (visitors + 2) // 3  # visits, notes, tags
        since = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() - 86400))
        day_ms = _median_ms(client, f"/api/export.xlsx?since={quote(since)}", 1)
    return timings, {"export rows": rows, "export rows/s": rows / export_s, "export peak RSS MB": _export_rss_mb(db),
                     "export of the last day (ms)": day_ms}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="GETs per read (median; default 5)")
    parser.add_argument("--no-ten-years", action="store_true", help="day and year only")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="tourtrace-bench-history-"))
    results: dict[str, tuple[dict[str, float], dict[str, float]]] = {}
    try:
        for name, visitors, days in HISTORIES[: 2 if args.no_ten_years else 3]:
            db = base / f"{name.replace(' ', '-')}.sqlite3"
            took = generate(db, visitors, days)
            print(f"{name}: {visitors:,} visitors, {count_events(db):,} events, {db.stat().st_size / 1e6:.0f} MB,"
                  f" generated in {took:.1f} s", flush=True)  # fmt: skip
            results[name] = measure(db, visitors, args.repeat)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    names = list(results)
    print("\n| read | " + " | ".join(names) + " | " + " | ".join(f"{n} / day" for n in names[1:]) + " |")
    print("|---" * (2 * len(names)) + "|")
    day = results["day"][0]
    for read in day:
        cells = [f"{results[n][0][read]:.1f} ms" for n in names]
        ratios = [f"×{results[n][0][read] / day[read]:.1f}" for n in names[1:]]
        print(f"| {read} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    print()
    for key in results["day"][1]:
        print(f"| {key} | " + " | ".join(f"{results[n][1][key]:,.1f}" for n in names) + " |")


if __name__ == "__main__":
    main()
