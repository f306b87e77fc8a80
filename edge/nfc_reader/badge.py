"""Badge format: one NDEF MIME record holding compact JSON, signed with the site key.

The record type is `application/vnd.tourtrace.badge+json` and its payload is
`{"badge_id":…,"role":…,"sig":…}`. `sig` is the lower-case hex HMAC-SHA256, keyed with
the site key, over the badge fields and the tag UID (`protocol.badge_sig`, shared with
the hub); binding the UID means a badge copied onto another tag fails verification.
`sig` is null on unsigned badges.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import ndef

from protocol.badge_sig import sign_badge, verify_badge

MIME_TYPE = "application/vnd.tourtrace.badge+json"
ROLES = ("visitor", "rep")
BADGE_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,32}")
SIG_PATTERN = re.compile(r"[0-9a-f]{64}")
MIN_SITE_KEY_BYTES = 16


class BadgeFormatError(ValueError):
    """The NDEF data on a tag is not a valid TourTrace badge."""


@dataclass(frozen=True)
class Badge:
    """A badge as stored on a tag."""

    badge_id: str
    role: str
    sig: str | None

    def __post_init__(self) -> None:
        check_badge_fields(self.badge_id, self.role)
        if self.sig is not None and not SIG_PATTERN.fullmatch(self.sig):
            raise BadgeFormatError("sig must be 64 lower-case hex digits or null")

    def to_dict(self) -> dict[str, str | None]:
        """Return the badge as the `ndef` object of a tap event."""
        return {"badge_id": self.badge_id, "role": self.role, "sig": self.sig}


def check_badge_fields(badge_id: str, role: str) -> None:
    """Raise BadgeFormatError unless badge_id and role are valid."""
    if not isinstance(badge_id, str) or not BADGE_ID_PATTERN.fullmatch(badge_id):
        raise BadgeFormatError(f"badge_id must match [A-Za-z0-9_-]{{1,32}}, got {badge_id!r}")
    if role not in ROLES:
        raise BadgeFormatError(f"role must be one of {', '.join(ROLES)}, got {role!r}")


def normalize_uid(uid_hex: str) -> str:
    """Return the tag UID as upper-case hex, rejecting anything that is not hex."""
    try:
        return bytes.fromhex(uid_hex).hex().upper()
    except ValueError:
        raise BadgeFormatError(f"tag UID must be hex, got {uid_hex!r}") from None


def sign(site_key: bytes, badge_id: str, role: str, uid_hex: str) -> str:
    """Return the hex HMAC-SHA256 of the badge fields and tag UID under the site key."""
    if len(site_key) < MIN_SITE_KEY_BYTES:
        raise ValueError(f"the site key must be at least {MIN_SITE_KEY_BYTES} bytes")
    check_badge_fields(badge_id, role)
    return sign_badge(site_key, badge_id, role, normalize_uid(uid_hex))


def verify(site_key: bytes, badge_id: str, role: str, uid_hex: str, sig: str | None) -> bool:
    """Return True only if sig is the site key's signature of these fields on this tag UID."""
    return verify_badge(site_key, badge_id, role, uid_hex, sig)


def load_site_key(path: Path) -> bytes:
    """Read a site key file (the secret as text; surrounding whitespace is ignored)."""
    try:
        key = path.read_bytes().strip()
    except OSError as error:
        raise ValueError(f"cannot read site key file {path}: {error.strerror}") from None
    if len(key) < MIN_SITE_KEY_BYTES:
        raise ValueError(f"site key file {path} holds {len(key)} bytes; at least {MIN_SITE_KEY_BYTES} needed")
    return key


def encode_badge_message(badge: Badge) -> bytes:
    """Return the NDEF message bytes (one MIME record) for a badge."""
    payload = json.dumps(badge.to_dict(), separators=(",", ":"), ensure_ascii=True).encode("ascii")
    return b"".join(ndef.message_encoder([ndef.Record(MIME_TYPE, "", payload)]))


def parse_badge_message(data: bytes) -> Badge:
    """Decode NDEF message bytes into a Badge, or raise BadgeFormatError saying why not."""
    if not data:
        raise BadgeFormatError("empty NDEF message (blank tag)")
    try:
        records = list(ndef.message_decoder(bytes(data), errors="strict"))
    except ndef.DecodeError as error:
        raise BadgeFormatError(f"malformed NDEF message: {error}") from None
    if len(records) != 1:
        raise BadgeFormatError(f"expected exactly one NDEF record, found {len(records)}")
    record = records[0]
    if record.type != MIME_TYPE:
        raise BadgeFormatError(f"not a TourTrace badge: record type is {record.type!r}")
    try:
        fields = json.loads(bytes(record.data).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BadgeFormatError("badge payload is not UTF-8 JSON") from None
    if not isinstance(fields, dict):
        raise BadgeFormatError("badge payload must be a JSON object")
    sig = fields.get("sig")
    if sig is not None and not isinstance(sig, str):
        raise BadgeFormatError("sig must be a string or null")
    return Badge(fields.get("badge_id"), fields.get("role"), sig)  # type: ignore[arg-type]
