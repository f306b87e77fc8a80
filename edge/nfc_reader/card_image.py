"""A card kept in a file, so the emulator CLI can present the same card again: written once, tapped later.

The file is JSON: {"idm": 16 hex digits, "writable": bool, "memory": hex of the Type 3 tag's blocks}.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from edge.nfc_reader.emulator import BLOCK, TagEmulator, tag_memory


@dataclass(frozen=True)
class CardImage:
    idm: str
    memory: bytes
    writable: bool = True

    @classmethod
    def blank(cls, idm: str | None = None) -> CardImage:
        """Return a blank, writable card; a random IDm unless one is given (02FE… like a blank FeliCa Lite)."""
        return cls((idm or "02FE" + secrets.token_hex(6)).upper(), bytes(tag_memory(b"")))

    @classmethod
    def load(cls, path: Path) -> CardImage:
        """Read a card file; ValueError saying what is wrong with it."""
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
            image = cls(str(stored["idm"]).upper(), bytes.fromhex(stored["memory"]), bool(stored.get("writable", True)))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"card image {path}: {exc}") from None
        if len(bytes.fromhex(image.idm)) != 8 or not image.memory or len(image.memory) % BLOCK:
            raise ValueError(f"card image {path}: expected an 8-byte idm and whole {BLOCK}-byte blocks")
        return image

    def save(self, path: Path) -> None:
        """Write the card file (atomically)."""
        tmp = path.with_name(f".{path.name}.tmp")
        document = {"idm": self.idm, "writable": self.writable, "memory": self.memory.hex()}
        tmp.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
        tmp.replace(path)

    def ndef_message(self) -> bytes:
        """Return the NDEF message the card holds (empty for a blank card)."""
        length = int.from_bytes(self.memory[11:14], "big")
        return self.memory[BLOCK : BLOCK + length]


def present_card(path: Path, port: int, host: str, hold_s: float, idm: str | None = None) -> CardImage:
    """Present the card kept in path (a new blank one if the file does not exist) and save what a reader wrote."""
    image = CardImage.load(path) if path.exists() else CardImage.blank(idm)
    emulator = TagEmulator(port, host)
    emulator.load_memory(image.idm, image.memory, image.writable)
    try:
        emulator.present(image.idm, None, hold_s)
    finally:
        image = CardImage(image.idm, emulator.memory(image.idm), image.writable)
        image.save(path)
    return image
