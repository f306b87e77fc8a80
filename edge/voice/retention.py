"""Optional audio retention: keep a note's WAV for N days under data_dir/audio, then delete it."""

from __future__ import annotations

import hashlib
import io
import os
import wave
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from protocol.messages import AudioRef
from tourtrace.durable import fsync_directory

AUDIO_SUBDIR = "audio"
_STAMP = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class KeptAudio:
    """A kept recording: where it is, its sha256 and when it expires."""

    path: Path
    sha256: str
    kept_until: datetime

    def ref(self) -> AudioRef:
        """Return the `note.data.audio` object."""
        return AudioRef(sha256=self.sha256, kept_until=self.kept_until.isoformat(timespec="seconds"))


def audio_dir(data_dir: Path) -> Path:
    """Return the folder kept recordings live in."""
    return Path(data_dir) / AUDIO_SUBDIR


def wav_bytes(pcm: bytes, sample_rate: int) -> bytes:
    """Wrap mono int16 PCM in a WAV container."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm)
    return buf.getvalue()


def keep_audio(
    pcm: bytes, *, sample_rate: int, data_dir: Path, keep_days: int, now: datetime | None = None
) -> KeptAudio | None:
    """Write the note's audio as WAV for `keep_days` days; return None (discard) when keep_days is 0."""
    if keep_days <= 0:
        return None
    now = now or datetime.now(UTC)
    kept_until = (now + timedelta(days=keep_days)).astimezone(UTC).replace(microsecond=0)
    data = wav_bytes(pcm, sample_rate)
    digest = hashlib.sha256(data).hexdigest()
    folder = audio_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{kept_until.strftime(_STAMP)}-{digest[:16]}.wav"
    tmp = path.with_suffix(".part")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)
    fsync_directory(folder)  # the note naming this file is recorded next: never a dangling reference
    return KeptAudio(path=path, sha256=digest, kept_until=kept_until)


def expiry_of(path: Path) -> datetime | None:
    """Return the expiry encoded in a kept file's name, or None when it is not one of ours."""
    stamp = path.name.split("-", 1)[0]
    try:
        return datetime.strptime(stamp, _STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None


def prune_expired(directory: Path, now: datetime | None = None) -> list[Path]:
    """Delete kept recordings whose expiry has passed; leave files we did not write alone."""
    now = now or datetime.now(UTC)
    if not directory.is_dir():
        return []
    removed = []
    for path in sorted(directory.iterdir()):
        expiry = expiry_of(path)
        if path.suffix in (".wav", ".part") and expiry is not None and expiry <= now:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed
