"""One convention for every time the hub gives out (API and pages): RFC 3339 in the site's zone, with its offset.

Stored times stay as they came (a station's `ts` with the station's offset, hub times with the hub's); they are
converted on the way out. The zone is the hub setting `site_timezone` (an IANA name, Asia/Shanghai by default).
"""

from __future__ import annotations

import re
from datetime import tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from protocol.timefmt import format_rfc3339, parse_rfc3339

_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")


class SiteTime:
    """Convert RFC 3339 times (alone or anywhere in JSON-like data) to the site's zone."""

    def __init__(self, zone: str | None = None) -> None:
        self.zone: tzinfo | None = ZoneInfo(zone) if zone else None  # None: the host's zone at each instant

    def convert(self, text: str) -> str:
        """Return the same instant in the site's zone, milliseconds and offset; as stored when it has none there.

        A station's clock can be anywhere (year 1 or 9999 are valid RFC 3339); shifting such a time into the site's
        zone can leave datetime's range, and one odd stamp must not turn a whole list into a 500.
        """
        try:
            return format_rfc3339(parse_rfc3339(text).astimezone(self.zone))
        except (OverflowError, ValueError):
            return text

    def localize(self, value: Any) -> Any:
        """Return value with every RFC 3339 string inside (dict values, list items) in the site's zone."""
        if isinstance(value, str):
            return self.convert(value) if _TIME.match(value) else value
        if isinstance(value, dict):
            return {key: self.localize(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.localize(item) for item in value]
        return value
