"""Write a (signed) badge onto the next tag presented, then verify it by reading it back."""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import nfc.clf
import nfc.tag

from edge.nfc_reader.badge import Badge, check_badge_fields, encode_badge_message, sign
from edge.nfc_reader.source import POLL_INTERVAL_S, TagSource, read_tag

READ_BACK_S = 1.5
FIELD_OFF_S = 0.05
_TAG_ERRORS = (nfc.tag.TagCommandError, nfc.clf.CommunicationError, OSError)


class BadgeWriteError(Exception):
    """A badge could not be written to the presented tag; the message says why."""

    def __init__(self, message: str, unusable_uid: str | None = None) -> None:
        super().__init__(message)
        self.unusable_uid = unusable_uid


class NoTagError(BadgeWriteError):
    """No (new) tag was presented in time."""


@dataclass(frozen=True)
class WrittenBadge:
    """A badge written to and read back from a tag."""

    uid: str
    tag_type: str
    badge: Badge


def wait_for_tag(source: TagSource, timeout_s: float, skip_uids: Collection[str] = ()) -> Any:
    """Return the next activated nfcpy tag whose UID is not in skip_uids, or raise NoTagError."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        tag = source.activate()
        if tag is not None and bytes(tag.identifier).hex().upper() not in skip_uids:
            return tag
        time.sleep(POLL_INTERVAL_S)
    raise NoTagError(f"no new tag presented within {timeout_s:g} s")


def write_badge_to_tag(tag: Any, badge_id: str, role: str, site_key: bytes | None) -> Badge:
    """Write the badge onto an activated tag (signed with the tag's UID when a key is given)."""
    check_badge_fields(badge_id, role)
    uid = bytes(tag.identifier).hex().upper()
    badge = Badge(badge_id, role, sign(site_key, badge_id, role, uid) if site_key else None)
    message = encode_badge_message(badge)
    try:
        area = tag.ndef
    except _TAG_ERRORS as error:
        raise BadgeWriteError(f"could not read tag {uid}: {error}; hold the card still and retry") from None
    if area is None:
        raise BadgeWriteError(f"tag {uid} ({tag.type}) is not NDEF formatted; format it as an NFC Forum tag first", uid)
    if not area.is_writeable:
        raise BadgeWriteError(f"tag {uid} is read-only; use a blank, unlocked card", uid)
    if area.capacity < len(message):
        raise BadgeWriteError(
            f"tag {uid} is too small: the badge needs {len(message)} bytes, the tag holds {area.capacity}", uid
        )
    try:
        area.octets = message
    except _TAG_ERRORS as error:
        raise BadgeWriteError(f"writing tag {uid} failed: {error}; hold the card still and retry") from None
    return badge


def verify_written(source: TagSource, uid: str, badge: Badge) -> WrittenBadge:
    """Re-sense the tag, read the badge back and check it is the one just written."""
    source.field_off(FIELD_OFF_S)
    tag = None
    deadline = time.monotonic() + READ_BACK_S
    while tag is None and time.monotonic() < deadline:
        tag = source.activate()
        if tag is None:
            time.sleep(POLL_INTERVAL_S / 4)
    if tag is None or bytes(tag.identifier).hex().upper() != uid:
        raise BadgeWriteError(f"tag {uid} left the reader before it could be read back; tap it again")
    read = read_tag(tag)
    if read.badge != badge:
        reason = read.ndef_error or f"found {read.badge}"
        raise BadgeWriteError(f"read-back of tag {uid} does not match what was written ({reason})")
    return WrittenBadge(uid, read.tag_type, badge)


def write_badge(
    source: TagSource,
    badge_id: str,
    role: str,
    site_key: bytes | None,
    timeout_s: float = 30.0,
    skip_uids: Collection[str] = (),
) -> WrittenBadge:
    """Wait for a tag, write the badge, verify it by reading it back; raise BadgeWriteError if not."""
    check_badge_fields(badge_id, role)
    tag = wait_for_tag(source, timeout_s, skip_uids)
    badge = write_badge_to_tag(tag, badge_id, role, site_key)
    return verify_written(source, bytes(tag.identifier).hex().upper(), badge)
