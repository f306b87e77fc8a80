"""Cursors round-trip a page's sort key; anything else is refused with BadCursor, never an error deeper down."""

from __future__ import annotations

import base64
import json

import pytest

from hub.store.paging import BadCursor, decode_cursor, encode_cursor


def _forge(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


def test_round_trip() -> None:
    assert decode_cursor(encode_cursor([1700000000.25, "B-17"]), (float, str)) == [1700000000.25, "B-17"]
    assert decode_cursor(encode_cursor([12]), (int,)) == [12]
    assert decode_cursor(None, (int,)) is None and decode_cursor("", (int,)) is None


@pytest.mark.parametrize(
    "cursor",
    ["not-ours", "%%%", _forge({"a": 1}), _forge([1]), _forge(["x", "y"]), _forge([2**63, "b"]), _forge([True, "b"]),
     base64.urlsafe_b64encode(b'[NaN, "b"]').decode(), base64.urlsafe_b64encode(b"[1e999, \"b\"]").decode(),
     base64.urlsafe_b64encode(b"\xff\xfe").decode(), _forge([1.5, 7])],
)  # fmt: skip
def test_forged_cursors_are_refused(cursor: str) -> None:
    with pytest.raises(BadCursor, match="cursor: not one this hub gave out"):
        decode_cursor(cursor, (float, str))
