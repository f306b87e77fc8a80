"""Badge signatures: HMAC-SHA256 under the site key over badge fields and the tag UID (stdlib only).

Signed bytes: b"tourtrace-badge-v1" followed by NUL-prefixed ASCII badge_id, role and upper-case UID hex.
Binding the UID means a badge copied onto another tag fails verification. Stations write it, the hub checks it.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_DOMAIN = b"tourtrace-badge-v1"


def signed_bytes(badge_id: str, role: str, uid_hex: str) -> bytes:
    """Return the canonical byte string that is signed."""
    uid = bytes.fromhex(uid_hex).hex().upper()
    return SIGNATURE_DOMAIN + b"".join(b"\x00" + part.encode("ascii") for part in (badge_id, role, uid))


def sign_badge(site_key: bytes, badge_id: str, role: str, uid_hex: str) -> str:
    """Return the lower-case hex signature."""
    return hmac.new(site_key, signed_bytes(badge_id, role, uid_hex), hashlib.sha256).hexdigest()


def verify_badge(site_key: bytes, badge_id: str, role: str, uid_hex: str, sig: str | None) -> bool:
    """Return True only when sig is the site key's signature of these fields on this UID."""
    if not sig:
        return False
    try:
        expected = sign_badge(site_key, badge_id, role, uid_hex)
    except (ValueError, UnicodeEncodeError):
        return False
    return hmac.compare_digest(expected, sig)
