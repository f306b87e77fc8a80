"""Tap feedback: a beep and LED flash on success, a distinct pattern on errors.

Backends: `gpio` drives a buzzer and an LED through gpiozero (imported only then);
`none` drives nothing and records what it would have played, so tests can assert it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class FeedbackError(Exception):
    """Feedback hardware could not be set up; the message says how to fix it."""


@dataclass(frozen=True)
class Pattern:
    """Blink the buzzer and LED `count` times: on for on_s, off for off_s."""

    name: str
    on_s: float
    off_s: float
    count: int


OK_PATTERN = Pattern("ok", on_s=0.12, off_s=0.0, count=1)
ERROR_PATTERN = Pattern("error", on_s=0.07, off_s=0.07, count=3)
BACKENDS = ("none", "gpio")


class Feedback:
    """Play OK and error patterns; the base class only records them."""

    def __init__(self) -> None:
        self.played: list[Pattern] = []

    @classmethod
    def from_config(cls, backend: str, buzzer_pin: int | None = None, led_pin: int | None = None) -> Feedback:
        """Return the feedback backend named in the station config."""
        if backend == "none":
            return cls()
        if backend == "gpio":
            return GpioFeedback(buzzer_pin, led_pin)
        raise FeedbackError(f"feedback backend must be one of {', '.join(BACKENDS)}, got {backend!r}")

    def ok(self) -> None:
        """Signal a good tap: one short beep and flash."""
        self.play(OK_PATTERN)

    def error(self) -> None:
        """Signal a problem (bad signature, outbox full): three quick beeps and flashes."""
        self.play(ERROR_PATTERN)

    def play(self, pattern: Pattern) -> None:
        """Record the pattern (subclasses also drive hardware)."""
        self.played.append(pattern)

    def close(self) -> None:
        """Release any hardware."""


class GpioFeedback(Feedback):
    """Buzzer and LED on GPIO pins (BCM numbering) through gpiozero; plays in the background."""

    def __init__(self, buzzer_pin: int | None, led_pin: int | None) -> None:
        super().__init__()
        if buzzer_pin is None and led_pin is None:
            raise FeedbackError("feedback 'gpio' needs buzzer_pin and/or led_pin (BCM numbers)")
        try:
            import gpiozero
        except ImportError:
            raise FeedbackError(
                "feedback 'gpio' needs gpiozero: pip install gpiozero (or set the feedback backend to none)"
            ) from None
        try:
            self.buzzer: Any = gpiozero.Buzzer(buzzer_pin) if buzzer_pin is not None else None
            self.led: Any = gpiozero.LED(led_pin) if led_pin is not None else None
        except Exception as error:
            raise FeedbackError(f"cannot use GPIO pins buzzer={buzzer_pin} led={led_pin}: {error}") from None

    def play(self, pattern: Pattern) -> None:
        """Beep and blink the pattern without blocking the caller."""
        super().play(pattern)
        for device in (self.buzzer, self.led):
            if device is not None:
                device.blink(on_time=pattern.on_s, off_time=pattern.off_s, n=pattern.count, background=True)

    def close(self) -> None:
        """Switch both outputs off and free the pins."""
        for device in (self.buzzer, self.led):
            if device is not None:
                device.close()
