"""Reader diagnostics on sysfs/proc/dev-shaped trees: which reader the URI selects, what holds it, the exact fix."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from edge.nfc_reader.diagnose import (
    Finding,
    SystemPaths,
    check_serial_port,
    check_usb_reader,
    check_usb_setup,
    diagnose_reader,
)

RCS380 = ("054c", "06c3")
ACR122U = ("072f", "2200")
NOBODY = 65534


def fake_host(tmp_path: Path, reader: tuple[str, str], modules: list[str], processes: list[str]) -> SystemPaths:
    """Build sysfs/proc/dev trees with one USB reader on bus 1 device 4, loaded modules and running processes."""
    device = tmp_path / "sys" / "1-1"
    device.mkdir(parents=True)
    for name, value in (("idVendor", reader[0]), ("idProduct", reader[1]), ("busnum", "1"), ("devnum", "4")):
        (device / name).write_text(value + "\n")
    (tmp_path / "modules").write_text("".join(f"{m} 16384 0 - Live 0x0\n" for m in modules))
    (tmp_path / "proc").mkdir()
    for pid, comm in enumerate(processes, 100):
        (tmp_path / "proc" / str(pid)).mkdir()
        (tmp_path / "proc" / str(pid) / "comm").write_text(comm + "\n")
    node = tmp_path / "dev" / "bus" / "usb" / "001" / "004"
    node.parent.mkdir(parents=True)
    node.write_bytes(b"")
    return SystemPaths(tmp_path / "modules", tmp_path / "proc", tmp_path / "sys", node.parent.parent, tmp_path / "dev")


def outcomes(uri: str, paths: SystemPaths) -> list[tuple[str, bool]]:
    return [(f.check, f.ok) for f in check_usb_setup(uri, paths)]


def test_reader_grabbed_by_kernel_driver(tmp_path: Path) -> None:
    kernel, usb = check_usb_setup("usb", fake_host(tmp_path, RCS380, ["port100", "nfc"], []))
    assert not kernel.ok and "port100" in kernel.detail
    assert (
        kernel.fix == 'echo "blacklist port100" | sudo tee -a /etc/modprobe.d/blacklist-tourtrace-nfc.conf'
        " && sudo modprobe -r port100"
    )
    assert usb.ok and usb.detail == "rcs380 reader usb:054c:06c3 found"


def test_acr122u_claimed_by_pcscd(tmp_path: Path) -> None:
    paths = fake_host(tmp_path, ACR122U, [], ["bash", "pcscd"])
    assert outcomes("usb", paths) == [("kernel drivers", True), ("pcscd", False), ("usb reader", True)]
    pcscd = check_usb_setup("usb", paths)[1]
    assert "pcscd" in pcscd.detail and "pid 101" in pcscd.detail
    assert pcscd.fix == "sudo systemctl disable --now pcscd.socket pcscd.service"


def test_pcscd_does_not_matter_to_a_sony_reader(tmp_path: Path) -> None:
    paths = fake_host(tmp_path, RCS380, ["snd"], ["pcscd"])
    assert outcomes("usb", paths) == [("kernel drivers", True), ("usb reader", True)]


def test_uri_selects_the_reader_by_ids_or_bus_position(tmp_path: Path) -> None:
    paths = fake_host(tmp_path, RCS380, ["snd"], ["pcscd"])
    for uri in ("usb:054c", "usb:054c:06c3", "usb:001", "usb:001:004"):
        assert outcomes(uri, paths) == [("kernel drivers", True), ("usb reader", True)], uri
    for uri in ("usb:072f:2200", "usb:054c:06c1", "usb:002", "usb:001:005"):
        missing = check_usb_reader(paths.usb_devices, paths.usb_nodes, uri)
        assert not missing.ok and missing.detail == f"no supported NFC reader on USB matches {uri}", uri
        assert missing.fix is not None and "lsusb" in missing.fix and "054c:06c3" in missing.fix


def check_as_unprivileged(paths: SystemPaths, uri: str) -> Finding:
    """Run check_usb_reader as this user or, under root (which may open any node), in a child forked as nobody."""
    if os.geteuid() != 0:
        return check_usb_reader(paths.usb_devices, paths.usb_nodes, uri)
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        try:
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            finding = check_usb_reader(paths.usb_devices, paths.usb_nodes, uri)
            os.write(write_end, json.dumps(finding.__dict__).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as answer:
        text = answer.read()
    os.waitpid(child, 0)
    return Finding(**json.loads(text))


def test_unwritable_usb_node_gets_a_group_udev_rule() -> None:
    with tempfile.TemporaryDirectory() as directory:
        Path(directory).chmod(0o755)
        paths = fake_host(Path(directory), ACR122U, [], [])
        node = paths.usb_nodes / "001" / "004"
        node.chmod(0o444)
        denied = check_as_unprivileged(paths, "usb:072f:2200")
        assert (
            not denied.ok
            and denied.detail == f"acr122 reader usb:072f:2200 found but {node} is not writable by this user"
        )
        rule = 'SUBSYSTEM=="usb", ATTRS{idVendor}=="072f", ATTRS{idProduct}=="2200", GROUP="tourtrace", MODE="0660"'
        assert denied.fix == (
            f"echo '{rule}' | sudo tee /etc/udev/rules.d/60-tourtrace-nfc.rules && sudo udevadm control --reload"
            ' && sudo udevadm trigger && sudo usermod -aG tourtrace "$USER" (then log in again)'
        )
        node.chmod(0o666)
        assert check_as_unprivileged(paths, "usb:072f:2200").ok


def test_serial_port_fix_depends_on_uart_or_usb_bridge(tmp_path: Path) -> None:
    uart = check_serial_port("tty:AMA0:pn532", tmp_path)
    assert not uart.ok and uart.detail == f"{tmp_path}/ttyAMA0 does not exist"
    assert uart.fix is not None and "raspi-config nonint do_serial_hw 0" in uart.fix
    bridge = check_serial_port("tty:USB0:pn532", tmp_path)
    assert not bridge.ok and bridge.fix is not None and "ttyUSB*" in bridge.fix and "raspi-config" not in bridge.fix
    (tmp_path / "ttyUSB0").write_bytes(b"")
    assert check_serial_port("tty:USB0:pn532", tmp_path).ok


def test_diagnose_reader_runs_the_usb_checks_then_tries_to_open(tmp_path: Path) -> None:
    paths = fake_host(tmp_path, RCS380, ["pn533_usb"], [])
    findings = diagnose_reader("usb:054c:06c3", paths)
    assert [f.check for f in findings] == ["kernel drivers", "usb reader", "reader"]
    assert not findings[0].ok and findings[1].ok
