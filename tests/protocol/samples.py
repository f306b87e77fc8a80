"""Fixed example envelopes of every kind, pinned by the golden files."""

from __future__ import annotations

from typing import TypedDict

from protocol import (
    AudioRef,
    BadgeNdef,
    ConfigData,
    Envelope,
    NoteData,
    NoteSettings,
    StatusData,
    TapData,
    Word,
)


class _Common(TypedDict):
    site: str
    station: str
    ts: str
    boot: str
    mono_ms: int
    clock_synced: bool


COMMON: _Common = {
    "site": "demo",
    "station": "gate-injection",
    "ts": "2026-11-23T09:15:02.125+08:00",
    "boot": "6f1c2a4e-3b8d-4e55-9a61-0c1d2e3f4a5b",
    "mono_ms": 4_215_330,
    "clock_synced": True,
}

SAMPLES = {
    "tap": Envelope(
        id="01JDF8M6Q3X4T2V9YB7K1N0C5R",
        kind="tap",
        seq=41,
        data=TapData(
            uid="0102A3B4C5D6E7F8",
            tag_type="Type3Tag",
            zone="injection",
            ndef=BadgeNdef(badge_id="V-0001", role="visitor", sig="9f" * 32),
            reader="udp:127.0.0.1:54321",
        ),
        **COMMON,
    ),
    "note": Envelope(
        id="01JDF8P0000000000000000001",
        kind="note",
        seq=42,
        data=NoteData(
            trigger="rep_badge",
            rep_badge="R-007",
            visitor_badges=("V-0001", "V-0002"),
            duration_ms=5120,
            sample_rate=16000,
            lang="zh",
            model="vosk-model-small-cn-0.22",
            text="这个 阀 体 得 热 处理 到 h r c 四十五 才 行",
            words=(Word("这个", 0.12, 0.4, 0.93), Word("阀", 0.4, 0.61, 0.71)),
            audio=AudioRef(sha256="ab" * 32, kept_until="2026-12-23T09:15:07.000+08:00"),
        ),
        **COMMON,
    ),
    "status": Envelope(
        id="01JDF8P0000000000000000002",
        kind="status",
        seq=42,
        data=StatusData(
            state="online",
            version="0.1.0",
            uptime_s=3600,
            reader="present",
            mic="present",
            outbox_depth=3,
            oldest_unsent_s=12,
            disk_free_mb=20480,
            cpu_temp_c=48.5,
            clock_synced=True,
            config_rev=7,
        ),
        **COMMON,
    ),
    "config": Envelope(
        id="01JDF8P0000000000000000003",
        kind="config",
        seq=7,
        data=ConfigData(
            rev=7,
            zone="injection",
            debounce_s=2.0,
            tap_mode="toggle",
            dwell_timeout_s=1800,
            note=NoteSettings(max_s=60, silence_ms=1500, vocabulary=("热处理", "淬火")),
        ),
        **COMMON,
    ),
}
