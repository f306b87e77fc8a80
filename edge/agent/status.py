"""Build the station's status envelope from its parts (outbox, reader, mic, disk, clock)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from edge.agent.clock import boot_id, clock_synced, mono_ms
from edge.agent.config import StationConfig
from edge.agent.outbox import OutboxStats
from protocol import Envelope, StatusData, new_ulid, now_rfc3339


@dataclass
class StationHealth:
    """Mutable health facts the agent's threads update; read when a status is published."""

    reader: str = "unknown"
    mic: str = "none"
    config_rev: int = 0
    error: str = ""
    unknown_words: tuple[str, ...] = ()


def disk_free_mb(path: str) -> int:
    """Return free megabytes on the filesystem holding path."""
    try:
        return int(shutil.disk_usage(Path(path)).free // (1024 * 1024))
    except OSError:
        return 0


def cpu_temp_c() -> float | None:
    """Return the SoC temperature on a Raspberry Pi (thermal zone 0), None elsewhere."""
    try:
        return round(int(Path("/sys/class/thermal/thermal_zone0/temp").read_text()) / 1000, 1)
    except (OSError, ValueError):
        return None


def status_envelope(
    config: StationConfig,
    state: str,
    version: str,
    started_mono_ms: int,
    health: StationHealth,
    outbox: OutboxStats | None,
) -> Envelope:
    """Return a status envelope; `seq` is the last seq the station assigned, so trailing gaps are visible."""
    extra: dict[str, object] = {"zone": config.zone}
    if outbox is not None:
        extra.update(outbox_dropped_cap=outbox.dropped_cap, outbox_dropped_age=outbox.dropped_age)
    if health.error:
        extra["error"] = health.error
    if health.unknown_words:
        extra["unknown_words"] = list(health.unknown_words)
    synced = clock_synced()
    return Envelope(
        id=new_ulid(),
        kind="status",
        site=config.site,
        station=config.station,
        seq=0 if outbox is None else outbox.last_seq,
        ts=now_rfc3339(),
        boot=boot_id(),
        mono_ms=mono_ms(),
        clock_synced=synced,
        data=StatusData(
            state=state,
            version=version,
            uptime_s=max(0, (mono_ms() - started_mono_ms) // 1000),
            reader=health.reader,
            mic=health.mic,
            outbox_depth=0 if outbox is None else outbox.depth,
            oldest_unsent_s=0 if outbox is None else outbox.oldest_unsent_s,
            disk_free_mb=disk_free_mb(config.data_dir),
            cpu_temp_c=cpu_temp_c(),
            clock_synced=synced,
            config_rev=health.config_rev,
            extra=extra,
        ),
    )
