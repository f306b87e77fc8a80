"""Audio retention: discard by default, keep WAV with sha256 and expiry, prune expired files."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from edge.voice.retention import audio_dir, expiry_of, keep_audio, prune_expired

PCM = b"\x01\x00\xff\xff" * 8000


def test_default_discards(tmp_path: Path):
    assert keep_audio(PCM, sample_rate=16000, data_dir=tmp_path, keep_days=0) is None
    assert not audio_dir(tmp_path).exists()


def test_keep_then_prune_only_expired(tmp_path: Path):
    now = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    short = keep_audio(PCM, sample_rate=16000, data_dir=tmp_path, keep_days=1, now=now)
    long = keep_audio(PCM[:-4], sample_rate=16000, data_dir=tmp_path, keep_days=30, now=now)
    assert short is not None and long is not None
    assert short.kept_until == now + timedelta(days=1)
    assert hashlib.sha256(short.path.read_bytes()).hexdigest() == short.sha256
    assert expiry_of(short.path) == short.kept_until
    foreign = audio_dir(tmp_path) / "readme.txt"
    foreign.write_text("not ours")
    assert prune_expired(audio_dir(tmp_path), now + timedelta(hours=23)) == []
    assert prune_expired(audio_dir(tmp_path), now + timedelta(days=2)) == [short.path]
    assert not short.path.exists() and long.path.exists() and foreign.exists()
    assert prune_expired(tmp_path / "nowhere", now) == []
