"""Badge write + read-back on the emulated tag, and the `tourtrace badge write` CLI through CliRunner."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from edge.nfc_reader.badge import parse_badge_message, verify
from edge.nfc_reader.emulator import TagEmulator
from edge.nfc_reader.source import TagSource
from edge.nfc_reader.writer import BadgeWriteError, write_badge
from tests.nfc.conftest import IDM_A, IDM_B, SITE_KEY
from tourtrace.cli.badge_cmd import app

runner = CliRunner()


@contextmanager
def presenting(emulator: TagEmulator, *cards: tuple[str, float]) -> Iterator[None]:
    """Present (idm, hold_s) cards one after another in a background thread."""

    def present_all() -> None:
        for idm, hold_s in cards:
            emulator.present(idm, None, hold_s)
            time.sleep(0.2)

    thread = threading.Thread(target=present_all, daemon=True)
    thread.start()
    yield
    thread.join(timeout=10)


def test_write_then_read_back_round_trip(emulator: TagEmulator, udp_port: int) -> None:
    with presenting(emulator, (IDM_A, 1.0)), TagSource.from_uri(f"udp:127.0.0.1:{udp_port}") as source:
        written = write_badge(source, "V-0100", "visitor", SITE_KEY, timeout_s=3.0)
    assert (written.uid, written.tag_type, written.badge.badge_id) == (IDM_A, "Type3Tag", "V-0100")
    stored = parse_badge_message(emulator.ndef_message(IDM_A))
    assert stored == written.badge
    assert verify(SITE_KEY, stored.badge_id, stored.role, IDM_A, stored.sig)


def test_read_only_and_too_small_tags_are_refused(emulator: TagEmulator, udp_port: int) -> None:
    emulator.load(IDM_A, b"", writable=False)
    emulator.load(IDM_B, b"", capacity=16)
    with presenting(emulator, (IDM_A, 0.6), (IDM_B, 0.6)), TagSource.from_uri(f"udp:127.0.0.1:{udp_port}") as source:
        with pytest.raises(BadgeWriteError, match=f"^tag {IDM_A} is read-only; use a blank, unlocked card$"):
            write_badge(source, "V-0101", "visitor", SITE_KEY, timeout_s=3.0)
        too_small = rf"^tag {IDM_B} is too small: the badge needs \d+ bytes, the tag holds 16$"
        with pytest.raises(BadgeWriteError, match=too_small):
            write_badge(source, "V-0101", "visitor", SITE_KEY, timeout_s=3.0, skip_uids=[IDM_A])
    assert emulator.ndef_message(IDM_A) == b"" and emulator.ndef_message(IDM_B) == b""


def test_cli_writes_a_signed_badge(emulator: TagEmulator, udp_port: int, tmp_path: Path) -> None:
    key_file = tmp_path / "site.key"
    key_file.write_bytes(SITE_KEY + b"\n")
    args = ["write", "--reader", f"udp:127.0.0.1:{udp_port}", "--badge-id", "R-01", "--role", "rep"]
    with presenting(emulator, (IDM_A, 1.0)):
        result = runner.invoke(app, [*args, "--site-key-file", str(key_file), "--timeout", "3"])
    assert result.exit_code == 0, result.output
    assert f"wrote R-01 (rep, signed) to Type3Tag {IDM_A}" in result.output
    stored = parse_badge_message(emulator.ndef_message(IDM_A))
    assert verify(SITE_KEY, "R-01", "rep", IDM_A, stored.sig)


def test_cli_batch_writes_each_card_in_turn(emulator: TagEmulator, udp_port: int, tmp_path: Path) -> None:
    batch = tmp_path / "badges.csv"
    batch.write_text("badge_id,role,company\nV-1,visitor,ACME\nV-2,visitor,ACME\n", encoding="utf-8")
    args = ["write", "--reader", f"udp:127.0.0.1:{udp_port}", "--batch", str(batch), "--timeout", "4"]
    with presenting(emulator, (IDM_A, 1.0), (IDM_B, 1.0)):
        result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "tap the next card" in result.output
    assert "wrote 2 badges" in result.output
    assert parse_badge_message(emulator.ndef_message(IDM_A)).badge_id == "V-1"
    assert parse_badge_message(emulator.ndef_message(IDM_B)).badge_id == "V-2"


def test_cli_reports_the_bad_csv_line_before_touching_a_card(tmp_path: Path) -> None:
    batch = tmp_path / "badges.csv"
    batch.write_text("badge_id,role\nV-1,visitor\nV-2,vip\n", encoding="utf-8")
    result = runner.invoke(app, ["write", "--reader", "udp:127.0.0.1:9", "--batch", str(batch)])
    assert result.exit_code == 2
    assert f"{batch} line 3: role must be one of visitor, rep, got 'vip'" in result.output


def test_cli_rejects_bad_arguments_with_clear_messages(tmp_path: Path) -> None:
    bad_id = runner.invoke(app, ["write", "--reader", "udp:127.0.0.1:9", "--badge-id", "a b", "--role", "rep"])
    assert bad_id.exit_code == 2 and "badge_id must match" in bad_id.output
    bad_uri = runner.invoke(app, ["write", "--reader", "com3", "--badge-id", "A", "--role", "rep"])
    assert bad_uri.exit_code == 2 and "unsupported reader URI 'com3'" in bad_uri.output
    short_key = tmp_path / "short.key"
    short_key.write_text("abc")
    args = ["write", "--reader", "udp:127.0.0.1:9", "--badge-id", "A", "--role", "rep", "--site-key-file"]
    result = runner.invoke(app, [*args, str(short_key)])
    assert result.exit_code == 2 and "holds 3 bytes; at least 16 needed" in result.output


def test_cli_times_out_clearly_when_no_card_comes(udp_port: int) -> None:
    args = ["write", "--reader", f"udp:127.0.0.1:{udp_port}", "--badge-id", "A", "--role", "visitor"]
    result = runner.invoke(app, [*args, "--timeout", "0.5"])
    assert result.exit_code == 1
    assert "no new tag presented within 0.5 s" in result.output
    assert "badges are unsigned" in result.output
