"""RFC 3339 parsing: what each tricky timestamp parses to, or the exact error (messages reach dead letters)."""

from __future__ import annotations

import pytest

from protocol.timefmt import parse_rfc3339

CASES = {
    "2026-11-23T09:15:02.125+08:00": "ok 2026-11-23T09:15:02.125000+08:00 8:00:00",
    "2026-11-23T09:15:02+08:00": "ok 2026-11-23T09:15:02+08:00 8:00:00",
    "2026-11-23T09:15:02Z": "ok 2026-11-23T09:15:02+00:00 0:00:00",
    "2026-11-23T09:15:02z": "ok 2026-11-23T09:15:02+00:00 0:00:00",
    "2026-11-23t09:15:02.5Z": "ok 2026-11-23T09:15:02.500000+00:00 0:00:00",
    "2026-11-23 09:15:02.123456-05:30": "ok 2026-11-23T09:15:02.123456-05:30 -1 day, 18:30:00",
    "2026-11-23T09:15:02.1234567891+08:00": (
        "ValueError not an RFC 3339 time with offset: '2026-11-23T09:15:02.1234567891+08:00'"
    ),
    "2026-11-23T09:15:02.1234564+00:00": "ok 2026-11-23T09:15:02.123456+00:00 0:00:00",
    "2026-11-23T09:15:02.000000001z": "ok 2026-11-23T09:15:02+00:00 0:00:00",
    "2026-11-23T09:15:02+08:00\n": "ValueError not an RFC 3339 time with offset: '2026-11-23T09:15:02+08:00\\n'",
    "2026-11-23T09:15:02.12Z\n": "ValueError not an RFC 3339 time with offset: '2026-11-23T09:15:02.12Z\\n'",
    "2026-11-23T09:15:02": "ValueError not an RFC 3339 time with offset: '2026-11-23T09:15:02'",
    "2026-11-23 09:15": "ValueError not an RFC 3339 time with offset: '2026-11-23 09:15'",
    "2026-13-23T09:15:02Z": "ValueError month must be in 1..12",
    "2026-02-30T09:15:02Z": "ValueError day is out of range for month",
    "2026-11-23T24:00:00Z": "ValueError hour must be in 0..23",
    "2026-11-23T09:60:02Z": "ValueError minute must be in 0..59",
    "2026-11-23T09:15:02+24:00": (
        "ValueError offset must be a timedelta strictly between -timedelta(hours=24) and timedelta(hours=24),"
        " not datetime.timedelta(days=1)."
    ),
    "2026-11-23T09:15:02+08:60": "ok 2026-11-23T09:15:02+09:00 9:00:00",
    "2026-11-23T09:15:02-00:00": "ok 2026-11-23T09:15:02+00:00 0:00:00",
    "0001-01-01T00:00:00Z": "ok 0001-01-01T00:00:00+00:00 0:00:00",
    "9999-12-31T23:59:59.999999+00:00": "ok 9999-12-31T23:59:59.999999+00:00 0:00:00",
    "2026-11-23T09:15:02.Z": "ValueError not an RFC 3339 time with offset: '2026-11-23T09:15:02.Z'",
    " 2026-11-23T09:15:02Z": "ValueError not an RFC 3339 time with offset: ' 2026-11-23T09:15:02Z'",
    "2026-11-23T09:15:02Z ": "ValueError not an RFC 3339 time with offset: '2026-11-23T09:15:02Z '",
    "２０２６-11-23T09:15:02Z": "ValueError not an RFC 3339 time with offset: '２０２６-11-23T09:15:02Z'",
    "2026-11-23T09:15:02.１２Z": "ValueError not an RFC 3339 time with offset: '2026-11-23T09:15:02.１２Z'",
    "2026-11-23T09:15:02+0800": "ValueError not an RFC 3339 time with offset: '2026-11-23T09:15:02+0800'",
    "2026-11-23T09:15:02.125+08:00:00": (
        "ValueError not an RFC 3339 time with offset: '2026-11-23T09:15:02.125+08:00:00'"
    ),
}


@pytest.mark.parametrize("text", sorted(CASES))
def test_parse_rfc3339_outcome(text: str) -> None:
    try:
        parsed = parse_rfc3339.__wrapped__(text)
        found = f"ok {parsed.isoformat()} {parsed.utcoffset()}"
    except ValueError as exc:
        found = f"ValueError {exc}"
    assert found == CASES[text]
