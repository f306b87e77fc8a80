"""Mosquitto password files: PBKDF2-SHA512 hashes in mosquitto_passwd's `$7$` format, made in Python."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

# mosquitto_passwd's default. Stations get 24 random url-safe characters (~143 bits), so stretching adds no
# real protection, while the broker pays the PBKDF2 cost on every connect of every station.
ITERATIONS = 101
SALT_BYTES = 12


class PasswdError(ValueError):
    """A password file line is not in mosquitto_passwd format."""


def new_password() -> str:
    """Return a fresh random password for a broker user."""
    return secrets.token_urlsafe(18)


def hash_password(password: str, iterations: int = ITERATIONS, salt: bytes | None = None) -> str:
    """Return `$7$<iterations>$<b64 salt>$<b64 hash>` as mosquitto 2.x expects."""
    salt = os.urandom(SALT_BYTES) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_password(password: str, hashed: str) -> bool:
    """Tell whether password matches a `$7$` (PBKDF2-SHA512) or `$6$` (salted SHA512) hash."""
    parts = hashed.split("$")
    try:
        if len(parts) == 5 and parts[1] == "7":
            salt, want = base64.b64decode(parts[3]), base64.b64decode(parts[4])
            got = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, int(parts[2]))
            return hmac.compare_digest(got, want)
        if len(parts) == 4 and parts[1] == "6":
            salt, want = base64.b64decode(parts[2]), base64.b64decode(parts[3])
            return hmac.compare_digest(hashlib.sha512(password.encode("utf-8") + salt).digest(), want)
    except ValueError:
        return False
    return False


def read_passwd(path: Path) -> dict[str, str]:
    """Read `user:hash` lines in file order; a missing file is empty."""
    if not path.exists():
        return {}
    entries: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        user, sep, hashed = line.partition(":")
        if not sep or not user or not hashed.startswith("$"):
            raise PasswdError(f"{path}:{number}: expected 'user:$7$...' (mosquitto_passwd format)")
        entries[user] = hashed
    return entries


def write_passwd(path: Path, entries: dict[str, str]) -> None:
    """Write the password file atomically, readable by owner and group only."""
    write_private(path, "".join(f"{user}:{hashed}\n" for user, hashed in entries.items()), mode=0o640)


def write_private(path: Path, text: str, mode: int = 0o600) -> None:
    """Write text to path atomically with the given permissions (secrets, broker files)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)
