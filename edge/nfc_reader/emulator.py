"""Emulate an NFC Forum Type 3 (FeliCa) tag on nfcpy's udp transport, for tests and demos.

One `present()` call puts one tag in the field of the reader listening on `udp:HOST:PORT`
for `hold_s` seconds and then takes it away (closes its socket, so the reader sees
ECONNREFUSED and drops the tag). Tag memory is kept per IDm, so writes by a reader
persist across presentations and can be inspected with `ndef_message()`.
"""

from __future__ import annotations

import argparse
import json
import struct
import sys
import threading
import time
from pathlib import Path
from typing import Any

import nfc
import nfc.clf
import nfc.tag
import nfc.tag.tt3

from edge.nfc_reader.badge import Badge, encode_badge_message, sign
from edge.nfc_reader.nfcpy_udp import HostBoundTagDevice

BLOCK = 16
DEFAULT_CAPACITY = 1024
PMM = bytes.fromhex("01E0000000FFFF00")
SYSTEM_CODE = bytes.fromhex("12FC")
NBR, NBW = 4, 4
NDEF_SERVICE_RW, NDEF_SERVICE_RO = 0x0009, 0x000B


def attribute_block(capacity: int, ndef_length: int, writable: bool) -> bytearray:
    """Build the 16-byte Type 3 Tag attribute information block (NFC Forum T3T 1.0)."""
    block = bytearray(BLOCK)
    block[0] = 0x10
    block[1], block[2] = NBR, NBW
    block[3:5] = struct.pack(">H", capacity // BLOCK)
    block[9] = 0x00
    block[10] = 0x01 if writable else 0x00
    block[11:14] = struct.pack(">I", ndef_length)[1:]
    block[14:16] = struct.pack(">H", sum(block[:14]))
    return block


def tag_memory(ndef_message: bytes, capacity: int = DEFAULT_CAPACITY, writable: bool = True) -> bytearray:
    """Lay out attribute block plus NDEF data area for a tag holding ndef_message."""
    capacity = max(BLOCK, -(-capacity // BLOCK) * BLOCK)
    if len(ndef_message) > capacity:
        raise ValueError(f"NDEF message of {len(ndef_message)} bytes exceeds the {capacity}-byte tag")
    data = bytearray(ndef_message) + bytearray(capacity - len(ndef_message))
    return attribute_block(capacity, len(ndef_message), writable) + data


def _check_idm(idm_hex: str) -> str:
    try:
        idm = bytes.fromhex(idm_hex)
    except ValueError:
        idm = b""
    if len(idm) != 8:
        raise ValueError(f"IDm must be 16 hex digits, got {idm_hex!r}")
    return idm.hex().upper()


class TagEmulator:
    """A Type 3 tag that a reader on udp:HOST:PORT can see, one presentation at a time."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.port = port
        self.host = host
        self._memory: dict[str, bytearray] = {}
        self._writable: dict[str, bool] = {}
        self._lock = threading.Lock()
        self.activations = 0

    def load(self, idm_hex: str, ndef_message: bytes, capacity: int = DEFAULT_CAPACITY, writable: bool = True) -> None:
        """Set the memory of the tag with this IDm (replacing what it held)."""
        idm = _check_idm(idm_hex)
        with self._lock:
            self._memory[idm] = tag_memory(ndef_message, capacity, writable)
            self._writable[idm] = writable

    def load_memory(self, idm_hex: str, memory: bytes, writable: bool = True) -> None:
        """Set the raw blocks of the tag with this IDm (a card image)."""
        idm = _check_idm(idm_hex)
        with self._lock:
            self._memory[idm] = bytearray(memory)
            self._writable[idm] = writable

    def memory(self, idm_hex: str) -> bytes:
        """Return the raw blocks of the tag with this IDm, as a reader left them."""
        with self._lock:
            return bytes(self._memory[_check_idm(idm_hex)])

    def ndef_message(self, idm_hex: str) -> bytes:
        """Return the NDEF message bytes currently stored on the tag with this IDm."""
        idm = _check_idm(idm_hex)
        with self._lock:
            memory = self._memory[idm]
            length = int.from_bytes(memory[11:14], "big")
            return bytes(memory[BLOCK : BLOCK + length])

    def present(self, idm_hex: str, ndef_message: bytes | None, hold_s: float) -> None:
        """Hold the tag in the reader's field for hold_s seconds, then take it away.

        ndef_message None keeps what the tag held before (a blank tag the first time).
        """
        idm = _check_idm(idm_hex)
        if ndef_message is not None:
            self.load(idm, ndef_message)
        with self._lock:
            self._memory.setdefault(idm, tag_memory(b""))
            self._writable.setdefault(idm, True)
        deadline = time.monotonic() + hold_s
        clf = nfc.ContactlessFrontend()
        device = HostBoundTagDevice.named(self.host, self.port, "TagEmulator")
        clf.device = device
        try:
            while time.monotonic() < deadline:
                tag = clf.connect(
                    card={
                        "on-startup": lambda target: self._local_target(target, idm),
                        "on-connect": lambda tag: self._add_services(tag, idm),
                        "timeout": max(0.05, deadline - time.monotonic()),
                    },
                    terminate=lambda: time.monotonic() >= deadline,
                )
                if not isinstance(tag, nfc.tag.TagEmulation):
                    break
                self.activations += 1
                self._serve(tag, deadline)
        finally:
            clf.close()

    def _local_target(self, target: nfc.clf.LocalTarget, idm: str) -> nfc.clf.LocalTarget:
        target.brty = "212F"
        target.sensf_res = b"\x01" + bytes.fromhex(idm) + PMM + SYSTEM_CODE
        return target

    def _add_services(self, tag: nfc.tag.tt3.Type3TagEmulation, idm: str) -> bool:
        def read(block_number: int, rb: bool, re: bool) -> bytearray | None:
            with self._lock:
                memory = self._memory[idm]
                if block_number < len(memory) // BLOCK:
                    return memory[block_number * BLOCK : (block_number + 1) * BLOCK]
            return None

        def write(block_number: int, block_data: bytearray, wb: bool, we: bool) -> bool:
            with self._lock:
                memory = self._memory[idm]
                if not self._writable[idm] or block_number >= len(memory) // BLOCK:
                    return False
                memory[block_number * BLOCK : (block_number + 1) * BLOCK] = block_data
            return True

        def refuse(block_number: int, block_data: bytearray, wb: bool, we: bool) -> bool:
            return False

        tag.add_service(NDEF_SERVICE_RW, read, write)
        tag.add_service(NDEF_SERVICE_RO, read, refuse)
        return False

    def _serve(self, tag: nfc.tag.tt3.Type3TagEmulation, deadline: float) -> None:
        response = tag.process_command(tag.cmd)
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                command = tag.send_response(response, max(remaining, 0.001))
            except nfc.clf.BrokenLinkError:
                return
            except nfc.clf.TimeoutError:
                return
            except nfc.clf.CommunicationError:
                response = None
                continue
            response = tag.process_command(command) if command else None


def _script_message(step: dict[str, Any], site_key: bytes | None) -> bytes | None:
    if "ndef_hex" in step:
        return bytes.fromhex(step["ndef_hex"])
    if "badge_id" in step:
        role = step.get("role", "visitor")
        sig = sign(site_key, step["badge_id"], role, step["idm"]) if site_key else None
        return encode_badge_message(Badge(step["badge_id"], role, sig))
    return None


def run_script(emulator: TagEmulator, steps: list[dict[str, Any]], site_key: bytes | None) -> None:
    """Present each scripted tag in turn: {idm, hold_s, gap_s, badge_id+role | ndef_hex}."""
    for step in steps:
        emulator.present(step["idm"], _script_message(step, site_key), float(step.get("hold_s", 0.5)))
        time.sleep(float(step.get("gap_s", 1.0)))


def main(argv: list[str] | None = None) -> int:
    """Run scripted tag presentations against a reader on udp:HOST:PORT."""
    parser = argparse.ArgumentParser(prog="python -m edge.nfc_reader.emulator", description=main.__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--script", type=Path, help="JSON list of steps")
    mode.add_argument("--card", type=Path, help="present the card kept in this file (created blank if missing)")
    parser.add_argument("--site-key-file", type=Path, help="sign scripted badges with this key")
    parser.add_argument("--hold", type=float, default=5.0, help="seconds the --card stays on the reader")
    parser.add_argument("--idm", help="IDm (16 hex digits) of a new --card; random by default")
    args = parser.parse_args(argv)
    if args.card is not None:
        return _present_card(args)
    try:
        steps = json.loads(args.script.read_text(encoding="utf-8"))
        if not isinstance(steps, list) or not all(isinstance(s, dict) and "idm" in s for s in steps):
            raise ValueError("the script must be a JSON list of objects, each with an 'idm'")
        site_key = args.site_key_file.read_bytes().strip() if args.site_key_file else None
        run_script(TagEmulator(args.port, args.host), steps, site_key)
    except (OSError, ValueError, KeyError) as error:
        print(f"emulator: {error}", file=sys.stderr)
        return 2
    return 0


def _present_card(args: argparse.Namespace) -> int:
    from edge.nfc_reader.badge import BadgeFormatError, parse_badge_message
    from edge.nfc_reader.card_image import present_card

    try:
        image = present_card(args.card, args.port, args.host, args.hold, args.idm)
    except (OSError, ValueError) as error:
        print(f"emulator: {error}", file=sys.stderr)
        return 2
    message = image.ndef_message()
    try:
        held = "badge " + parse_badge_message(message).badge_id if message else "nothing (blank)"
    except BadgeFormatError:
        held = f"{len(message)} bytes of NDEF"
    print(f"card {image.idm} in {args.card}: holds {held}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
