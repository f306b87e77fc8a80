"""Streaming down-mix and sample-rate conversion of int16 PCM in pure Python (no numpy on the station)."""

from __future__ import annotations

import math
import sys
from array import array


def _samples(data: bytes) -> array[int]:
    """Return native-order int16 samples of little-endian PCM bytes."""
    samples = array("h")
    samples.frombytes(data[: len(data) - len(data) % 2])
    if sys.byteorder == "big":
        samples.byteswap()
    return samples


def _to_bytes(samples: array[int]) -> bytes:
    if sys.byteorder == "big":
        samples = array("h", samples)
        samples.byteswap()
    return samples.tobytes()


class Resampler:
    """Convert interleaved int16 PCM chunks of any rate and channel count to mono at `dst_rate`.

    Integer ratios (48 kHz → 16 kHz) average each group of samples, a box filter that keeps
    aliasing out of the speech band; other ratios interpolate linearly. State carries across
    chunks so frame boundaries leave no clicks.
    """

    def __init__(self, src_rate: int, channels: int, dst_rate: int) -> None:
        if src_rate <= 0 or dst_rate <= 0 or channels <= 0:
            raise ValueError(f"bad audio format: {src_rate} Hz, {channels} channels")
        self.src_rate = src_rate
        self.channels = channels
        self.dst_rate = dst_rate
        self._pending = array("h")
        self._pos = 0.0
        self._last = 0

    @property
    def passthrough(self) -> bool:
        """True when input is already mono at the target rate."""
        return self.src_rate == self.dst_rate and self.channels == 1

    def convert(self, data: bytes) -> bytes:
        """Convert one chunk; a partial trailing sample group is kept for the next call."""
        if self.passthrough:
            return data
        mono = self._downmix(_samples(data))
        if self.src_rate == self.dst_rate:
            return _to_bytes(mono)
        if self.src_rate % self.dst_rate == 0:
            return _to_bytes(self._decimate(mono, self.src_rate // self.dst_rate))
        return _to_bytes(self._interpolate(mono))

    def flush(self) -> bytes:
        """Return whatever a final partial group yields (empty for most inputs)."""
        if self.passthrough or not self._pending:
            return b""
        rest = self._pending
        self._pending = array("h")
        return _to_bytes(array("h", [sum(rest) // len(rest)]))

    def _downmix(self, samples: array[int]) -> array[int]:
        n = self.channels
        if n == 1:
            return samples
        usable = len(samples) - len(samples) % n
        return array("h", (sum(samples[i : i + n]) // n for i in range(0, usable, n)))

    def _decimate(self, mono: array[int], factor: int) -> array[int]:
        buf = self._pending + mono
        usable = len(buf) - len(buf) % factor
        out = array("h", (sum(buf[i : i + factor]) // factor for i in range(0, usable, factor)))
        self._pending = buf[usable:]
        return out

    def _interpolate(self, mono: array[int]) -> array[int]:
        step = self.src_rate / self.dst_rate
        out = array("h")
        pos = self._pos
        prev = self._last
        n = len(mono)
        while pos < n - 1:
            base = math.floor(pos)
            frac = pos - base
            left = prev if base < 0 else mono[base]
            out.append(int(left + (mono[base + 1] - left) * frac))
            pos += step
        if n:
            self._last = mono[-1]
            self._pos = pos - n
        return out
