"""The emulator CLI keeps a card in a file: `badge write` writes it, a later run presents the written badge."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from edge.nfc_reader.badge import parse_badge_message, verify
from edge.nfc_reader.card_image import CardImage
from edge.nfc_reader.source import TagSource
from tests.nfc.conftest import IDM_A, SITE_KEY
from tourtrace.cli.badge_cmd import app


def emulate(card: Path, port: int, hold_s: float, *extra: str) -> subprocess.Popen[str]:
    argv = [sys.executable, "-m", "edge.nfc_reader.emulator", "--port", str(port), "--card", str(card),
            "--hold", str(hold_s), *extra]  # fmt: skip
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_written_badge_is_kept_in_the_card_file_and_presented_again(tmp_path: Path, udp_port: int) -> None:
    card, key = tmp_path / "card.json", tmp_path / "site.key"
    key.write_bytes(SITE_KEY)
    blank = emulate(card, udp_port, 6, "--idm", IDM_A)
    written = CliRunner().invoke(app, ["write", "--reader", f"udp:127.0.0.1:{udp_port}", "--badge-id", "V-0200",
                                       "--role", "visitor", "--site-key-file", str(key), "--timeout", "5"])  # fmt: skip
    output, _ = blank.communicate(timeout=30)
    assert written.exit_code == 0, written.output
    assert f"card {IDM_A} in {card}: holds badge V-0200" in output

    image = CardImage.load(card)
    badge = parse_badge_message(image.ndef_message())
    assert (image.idm, badge.badge_id, badge.role) == (IDM_A, "V-0200", "visitor")
    assert verify(SITE_KEY, badge.badge_id, badge.role, IDM_A, badge.sig)

    again = emulate(card, udp_port, 3)
    try:
        with TagSource.from_uri(f"udp:127.0.0.1:{udp_port}") as source:
            deadline = time.monotonic() + 10
            read = None
            while read is None and time.monotonic() < deadline:
                read = source.read(1.0)
    finally:
        again.communicate(timeout=30)
    assert read is not None and read.uid == IDM_A and read.badge == badge


def test_a_broken_card_file_is_a_clear_error(tmp_path: Path, udp_port: int) -> None:
    card = tmp_path / "card.json"
    card.write_text("{not json")
    output, _ = emulate(card, udp_port, 0.1).communicate(timeout=30)
    assert output.startswith(f"emulator: card image {card}:") and "Traceback" not in output
