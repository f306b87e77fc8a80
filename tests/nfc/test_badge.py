"""Badge NDEF encoding, parsing errors and signatures (pure)."""

from __future__ import annotations

import json

import ndef
import pytest

from edge.nfc_reader.badge import (
    MIME_TYPE,
    Badge,
    BadgeFormatError,
    encode_badge_message,
    parse_badge_message,
    sign,
    verify,
)
from protocol.badge_sig import verify_badge
from tests.nfc.conftest import IDM_A, IDM_B, SITE_KEY


def mime_message(payload: bytes, *extra: ndef.Record) -> bytes:
    return b"".join(ndef.message_encoder([ndef.Record(MIME_TYPE, "", payload), *extra]))


def test_round_trip_is_one_compact_mime_record() -> None:
    badge = Badge("V-0001", "visitor", sign(SITE_KEY, "V-0001", "visitor", IDM_A.lower()))
    data = encode_badge_message(badge)
    (record,) = ndef.message_decoder(data)
    assert record.type == MIME_TYPE
    assert record.data == json.dumps(badge.to_dict(), separators=(",", ":")).encode()
    assert parse_badge_message(data) == badge


def test_signature_binds_fields_and_uid_and_matches_the_hub_check() -> None:
    sig = sign(SITE_KEY, "R-7", "rep", IDM_A)
    assert verify(SITE_KEY, "R-7", "rep", IDM_A.lower(), sig)
    assert verify_badge(SITE_KEY, "R-7", "rep", IDM_A, sig)
    assert not verify(SITE_KEY, "R-7", "rep", IDM_B, sig)
    assert not verify(SITE_KEY, "R-7", "visitor", IDM_A, sig)
    assert not verify(SITE_KEY, "R-8", "rep", IDM_A, sig)
    assert not verify(b"another-site-key-0123456789", "R-7", "rep", IDM_A, sig)
    assert not verify(SITE_KEY, "R-7", "rep", IDM_A, None)
    with pytest.raises(ValueError, match="at least 16 bytes"):
        sign(b"short", "R-7", "rep", IDM_A)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty NDEF message (blank tag)"),
        (b"\xd1\x01\x40T", "malformed NDEF message"),
        (mime_message(b"{}", ndef.TextRecord("x")), "expected exactly one NDEF record, found 2"),
        (mime_message(b"\xff\xfe"), "badge payload is not UTF-8 JSON"),
        (mime_message(b"[1]"), "badge payload must be a JSON object"),
        (mime_message(b'{"badge_id":"a b","role":"rep"}'), "badge_id must match"),
        (mime_message(b'{"badge_id":"A","role":"boss"}'), "role must be one of visitor, rep, got 'boss'"),
        (mime_message(b'{"badge_id":"A","role":"rep","sig":"xyz"}'), "sig must be 64 lower-case hex digits or null"),
        (mime_message(b'{"badge_id":"A","role":"rep","sig":7}'), "sig must be a string or null"),
    ],
)
def test_bad_ndef_is_a_badge_format_error_with_the_reason(data: bytes, reason: str) -> None:
    with pytest.raises(BadgeFormatError) as raised:
        parse_badge_message(data)
    assert str(raised.value).startswith(reason)


def test_unsigned_badge_and_unknown_fields_are_accepted() -> None:
    badge = parse_badge_message(mime_message(b'{"badge_id":"V_9","role":"visitor","sig":null,"company":"ACME"}'))
    assert badge == Badge("V_9", "visitor", None)
