"""RFC 3339 timestamps with an explicit UTC offset."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache

_RFC3339_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$",
    re.ASCII,  # \d is 0-9 only: no full-width or other Unicode digits
)


def now_rfc3339() -> str:
    """Return the current wall-clock time as RFC 3339 with the local offset, millisecond precision."""
    return format_rfc3339(datetime.now().astimezone())


def format_rfc3339(moment: datetime) -> str:
    """Format an aware datetime as RFC 3339 with milliseconds."""
    if moment.tzinfo is None:
        raise ValueError("datetime must carry a UTC offset")
    return moment.isoformat(timespec="milliseconds")


@lru_cache(maxsize=4096)  # an event's ts is parsed at validation, storage and rule evaluation
def parse_rfc3339(value: str) -> datetime:
    """Parse RFC 3339 text into an aware datetime; raise ValueError when it is not RFC 3339."""
    match = _RFC3339_RE.fullmatch(value)
    if match is None:
        raise ValueError(f"not an RFC 3339 time with offset: {value!r}")
    fraction, offset = match.group(1, 2)  # datetime wants 6 fraction digits and a numeric offset
    text = (value[:19] + ("" if fraction is None else "." + fraction[1:7].ljust(6, "0"))
            + ("+00:00" if offset in ("Z", "z") else offset) + value[match.end() :])  # fmt: skip
    return datetime.fromisoformat(text)


_epochs: dict[str, float] = {}  # ingest, visits and rules each ask for the epoch of the same event's ts
_EPOCHS_KEPT = 4096


def to_epoch(value: str) -> float:
    """Return seconds since the epoch for RFC 3339 text."""
    epoch = _epochs.get(value)
    if epoch is None:
        epoch = parse_rfc3339(value).timestamp()
        remember_epoch(value, epoch)
    return epoch


def remember_epoch(value: str, epoch: float) -> None:
    """Keep the epoch of RFC 3339 text that was parsed elsewhere (the hub's receiver process validated it)."""
    if len(_epochs) >= _EPOCHS_KEPT:
        _epochs.clear()
    _epochs[value] = epoch


def epoch_to_rfc3339(seconds: float) -> str:
    """Format epoch seconds as RFC 3339 in UTC."""
    return format_rfc3339(datetime.fromtimestamp(seconds, UTC))
