"""Audio sources chosen by URI: a sounddevice microphone or a WAV file, as 16 kHz mono int16 frames."""

from __future__ import annotations

import threading
import time
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from edge.voice.resample import Resampler

SAMPLE_RATE = 16000
FRAME_MS = 20
FRAME_SAMPLES = SAMPLE_RATE * FRAME_MS // 1000
FRAME_BYTES = FRAME_SAMPLES * 2

__all__ = [
    "FRAME_BYTES",
    "FRAME_MS",
    "SAMPLE_RATE",
    "AudioError",
    "AudioFormatError",
    "AudioSource",
    "MicAbsent",
    "SoundDeviceSource",
    "WavSource",
]


class AudioError(Exception):
    """Base class for audio source errors."""


class MicAbsent(AudioError):
    """No usable input device."""


class AudioFormatError(AudioError):
    """The audio file is missing, empty, corrupt or not a PCM WAV."""


class AudioSource:
    """A source of 16 kHz mono int16 PCM frames of FRAME_MS each."""

    uri: str = ""

    def __init__(self) -> None:
        self._closed = threading.Event()

    @staticmethod
    def from_uri(uri: str, *, realtime: bool = True) -> AudioSource:
        """Open `sounddevice:NAME_OR_INDEX`, `sounddevice:` (default device) or `wav:PATH`."""
        scheme, sep, rest = uri.partition(":")
        if not sep:
            raise AudioError(f"audio URI {uri!r}: expected 'sounddevice:DEVICE' or 'wav:PATH'")
        if scheme == "sounddevice":
            return SoundDeviceSource(rest)
        if scheme == "wav":
            return WavSource(Path(rest), realtime=realtime)
        raise AudioError(f"audio URI {uri!r}: unknown scheme {scheme!r} (use 'sounddevice:' or 'wav:')")

    def frames(self) -> Iterator[bytes]:
        """Yield FRAME_BYTES-long frames until the source ends or is closed."""
        raise NotImplementedError

    def close(self) -> None:
        """Stop yielding frames; safe to call from another thread."""
        self._closed.set()

    def __enter__(self) -> AudioSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _rechunk(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Cut a byte stream into FRAME_BYTES frames, zero-padding the last one."""
    pending = b""
    for chunk in chunks:
        pending += chunk
        while len(pending) >= FRAME_BYTES:
            yield pending[:FRAME_BYTES]
            pending = pending[FRAME_BYTES:]
    if pending:
        yield pending.ljust(FRAME_BYTES, b"\0")


class WavSource(AudioSource):
    """Replay a 16-bit PCM WAV file, in real time or as fast as possible."""

    def __init__(self, path: Path, *, realtime: bool = True) -> None:
        super().__init__()
        self.path = path
        self.uri = f"wav:{path}"
        self.realtime = realtime
        self.rate, self.channels, self.nframes = _probe_wav(path)

    @property
    def duration_s(self) -> float:
        """Length of the file in seconds."""
        return self.nframes / self.rate

    def frames(self) -> Iterator[bytes]:
        """Yield frames of the file, paced at real time when `realtime`."""
        resampler = Resampler(self.rate, self.channels, SAMPLE_RATE)
        start = time.monotonic()
        for sent, frame in enumerate(_rechunk(self._converted(resampler))):
            if self._closed.is_set():
                return
            if self.realtime:
                delay = start + sent * FRAME_MS / 1000 - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            yield frame

    def _converted(self, resampler: Resampler) -> Iterator[bytes]:
        with wave.open(str(self.path), "rb") as wav:
            block = max(1, self.rate * FRAME_MS // 1000)
            while data := wav.readframes(block):
                yield resampler.convert(data)
        yield resampler.flush()


def _probe_wav(path: Path) -> tuple[int, int, int]:
    """Return (rate, channels, frames) of a PCM WAV or raise AudioFormatError saying why not."""
    if not path.is_file():
        raise AudioFormatError(f"{path}: no such audio file")
    if path.stat().st_size == 0:
        raise AudioFormatError(f"{path}: empty file, not a WAV")
    try:
        with wave.open(str(path), "rb") as wav:
            rate, channels, width, nframes = (
                wav.getframerate(),
                wav.getnchannels(),
                wav.getsampwidth(),
                wav.getnframes(),
            )
    except (wave.Error, EOFError) as exc:
        raise AudioFormatError(f"{path}: not a PCM WAV file ({exc or 'truncated header'})") from exc
    if width != 2:
        raise AudioFormatError(f"{path}: {8 * width}-bit samples; convert with `sox {path.name} -b 16 out.wav`")
    if nframes == 0 or rate <= 0:
        raise AudioFormatError(f"{path}: WAV has no audio frames")
    return rate, channels, nframes


class SoundDeviceSource(AudioSource):
    """Capture from a PortAudio input device, resampling when it cannot deliver 16 kHz mono."""

    def __init__(self, device: str) -> None:
        super().__init__()
        self.uri = f"sounddevice:{device}"
        self._sd = _import_sounddevice()
        self.device: int | str | None = int(device) if device.isdigit() else (device or None)
        info = _query_input(self._sd, self.device, self.uri)
        self.name = str(info["name"])
        self.rate, self.channels = self._pick_format(info)

    def _pick_format(self, info: dict[str, Any]) -> tuple[int, int]:
        """Prefer 16 kHz mono; else the device's default rate, mono or all its channels."""
        rate = int(info["default_samplerate"])
        for candidate in ((SAMPLE_RATE, 1), (rate, 1), (rate, int(info["max_input_channels"]))):
            try:
                self._sd.check_input_settings(
                    self.device, channels=candidate[1], dtype="int16", samplerate=candidate[0]
                )
            except (self._sd.PortAudioError, ValueError):
                continue
            return candidate
        raise MicAbsent(f"{self.uri}: device {self.name!r} accepts no 16-bit capture format")

    def frames(self) -> Iterator[bytes]:
        """Yield frames from the device until closed."""
        return _rechunk(self._captured())

    def _captured(self) -> Iterator[bytes]:
        resampler = Resampler(self.rate, self.channels, SAMPLE_RATE)
        block = self.rate * FRAME_MS // 1000
        try:
            stream = self._sd.RawInputStream(
                samplerate=self.rate, channels=self.channels, dtype="int16", device=self.device
            )
            stream.start()
        except (self._sd.PortAudioError, ValueError) as exc:
            raise MicAbsent(f"{self.uri}: cannot open input device {self.name!r}: {exc}") from exc
        try:
            while not self._closed.is_set():
                try:
                    data, _overflowed = stream.read(block)
                except self._sd.PortAudioError as exc:
                    raise MicAbsent(f"{self.uri}: input device {self.name!r} stopped delivering audio: {exc}") from exc
                yield resampler.convert(bytes(data))
        finally:
            stream.close()


def _import_sounddevice() -> Any:
    try:
        import sounddevice
    except OSError as exc:
        raise MicAbsent(f"PortAudio library not found ({exc}); install libportaudio2") from exc
    return sounddevice


def _query_input(sd: Any, device: int | str | None, uri: str) -> dict[str, Any]:
    try:
        info: dict[str, Any] = sd.query_devices(device, kind="input")
    except (sd.PortAudioError, ValueError) as exc:
        which = "no default input device" if device is None else f"no input device {device!r}"
        raise MicAbsent(f"{uri}: {which} ({exc}); plug in a microphone or fix `audio:`") from exc
    if int(info.get("max_input_channels", 0)) < 1:
        raise MicAbsent(f"{uri}: device {info.get('name')!r} has no input channels")
    return info
