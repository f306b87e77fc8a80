"""Feedback patterns (none backend and gpiozero's mock pins) and reader diagnostics on prepared system files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from gpiozero import Device
from gpiozero.pins.mock import MockFactory

from edge.nfc_reader.diagnose import check_kernel_drivers, check_pcscd, check_usb_reader, diagnose_reader
from edge.nfc_reader.feedback import ERROR_PATTERN, OK_PATTERN, Feedback, FeedbackError, GpioFeedback
from tests.waiting import wait_until


def test_none_backend_records_distinct_ok_and_error_patterns() -> None:
    feedback = Feedback.from_config("none")
    feedback.ok()
    feedback.error()
    assert [p.name for p in feedback.played] == ["ok", "error"]
    assert (OK_PATTERN.count, ERROR_PATTERN.count) == (1, 3)


def test_gpio_backend_drives_buzzer_and_led_pins() -> None:
    Device.pin_factory = MockFactory()
    try:
        feedback = Feedback.from_config("gpio", buzzer_pin=17, led_pin=27)
        assert isinstance(feedback, GpioFeedback)
        feedback.error()

        def rises() -> tuple[int, int]:
            states = [[s.state for s in pin.states] for pin in (feedback.buzzer.pin, feedback.led.pin)]
            return states[0].count(True), states[1].count(True)

        def done() -> bool:
            return rises() == (3, 3) and not feedback.buzzer.pin.state and not feedback.led.pin.state

        wait_until(done, 5, "three beeps and flashes, then both off")
        assert rises() == (3, 3)
        feedback.close()
    finally:
        Device.pin_factory.close()
        Device.pin_factory = None


def test_bad_feedback_config_is_a_clear_error() -> None:
    with pytest.raises(FeedbackError, match="must be one of none, gpio, got 'buzzer'"):
        Feedback.from_config("buzzer")
    with pytest.raises(FeedbackError, match="needs buzzer_pin and/or led_pin"):
        Feedback.from_config("gpio")


def test_kernel_driver_check_gives_the_exact_blacklist_fix(tmp_path: Path) -> None:
    modules = tmp_path / "modules"
    modules.write_text("pn533_usb 20480 0 - Live 0x0\npn533 45056 1 pn533_usb, Live 0x0\nnfc 1 1 pn533, Live 0\n")
    finding = check_kernel_drivers(modules)
    assert not finding.ok
    assert finding.fix == (
        'echo "blacklist pn533_usb" | sudo tee -a /etc/modprobe.d/blacklist-tourtrace-nfc.conf'
        " && sudo modprobe -r pn533_usb"
    )
    modules.write_text("snd 1 0 - Live 0\n")
    assert check_kernel_drivers(modules).ok


def test_pcscd_check_finds_the_daemon(tmp_path: Path) -> None:
    (tmp_path / "812").mkdir()
    (tmp_path / "812" / "comm").write_text("pcscd\n")
    finding = check_pcscd(tmp_path)
    assert not finding.ok and "pid 812" in finding.detail
    assert finding.fix == "sudo systemctl disable --now pcscd.socket pcscd.service"
    (tmp_path / "812" / "comm").write_text("sshd\n")
    assert check_pcscd(tmp_path).ok


def test_usb_check_finds_a_supported_reader_and_its_permissions(tmp_path: Path) -> None:
    device = tmp_path / "sys" / "1-1.3"
    device.mkdir(parents=True)
    for name, value in {"idVendor": "054c", "idProduct": "06c3", "busnum": "1", "devnum": "5"}.items():
        (device / name).write_text(value + "\n")
    node = tmp_path / "dev" / "001" / "005"
    node.parent.mkdir(parents=True)
    node.write_bytes(b"")
    found = check_usb_reader(tmp_path / "sys", tmp_path / "dev")
    assert found.ok and found.detail == "rcs380 reader usb:054c:06c3 found"
    if os.geteuid() != 0:
        node.chmod(0o444)
        denied = check_usb_reader(tmp_path / "sys", tmp_path / "dev")
        assert not denied.ok and 'ATTRS{idVendor}=="054c"' in (denied.fix or "")
    (device / "idProduct").write_text("ffff\n")
    assert not check_usb_reader(tmp_path / "sys", tmp_path / "dev").ok


def test_diagnose_reader_on_udp_and_bad_uri(udp_port: int) -> None:
    assert [(f.check, f.ok) for f in diagnose_reader(f"udp:127.0.0.1:{udp_port}")] == [("reader", True)]
    (bad,) = diagnose_reader("bluetooth")
    assert not bad.ok and "unsupported reader URI 'bluetooth'" in bad.detail
