"""Reader diagnostics for `tourtrace doctor`: each check says what is wrong and the exact fix.

Checks read the system files directly (paths are parameters so they can be pointed
elsewhere): kernel NFC drivers that grab USB readers, pcscd holding the reader, the
reader on the USB bus with usable permissions, the serial port of a PN532.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from nfc.clf.device import usb_device_map

from edge.nfc_reader.source import ReaderAbsent, TagSource, check_reader_uri

GRABBING_MODULES = ("pn533_usb", "port100")
MODPROBE_CONF = "/etc/modprobe.d/tourtrace-nfc.conf"
UDEV_RULES = "/etc/udev/rules.d/60-tourtrace-nfc.rules"


@dataclass(frozen=True)
class Finding:
    """The outcome of one check: ok, or the problem and the command that fixes it."""

    check: str
    ok: bool
    detail: str
    fix: str | None = None


def check_kernel_drivers(modules_file: Path = Path("/proc/modules")) -> Finding:
    """Report kernel NFC drivers (pn533_usb, port100) that claim USB readers before nfcpy can."""
    try:
        loaded = {line.split()[0] for line in modules_file.read_text().splitlines() if line.strip()}
    except OSError as error:
        return Finding("kernel drivers", True, f"cannot read {modules_file} ({error.strerror}); skipped")
    grabbing = [name for name in GRABBING_MODULES if name in loaded]
    if not grabbing:
        return Finding("kernel drivers", True, "no kernel NFC driver holds the reader")
    lines = "\\n".join(f"blacklist {name}" for name in grabbing)
    fix = f"printf '{lines}\\n' | sudo tee {MODPROBE_CONF} && sudo modprobe -r {' '.join(grabbing)}"
    if len(grabbing) == 1:
        fix = f'echo "blacklist {grabbing[0]}" | sudo tee {MODPROBE_CONF} && sudo modprobe -r {grabbing[0]}'
    detail = f"kernel module(s) {', '.join(grabbing)} loaded: they claim the reader"
    return Finding("kernel drivers", False, detail, fix)


def check_pcscd(proc_root: Path = Path("/proc")) -> Finding:
    """Report a running pcscd, which opens USB readers exclusively."""
    for comm in proc_root.glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == "pcscd":
                fix = "sudo systemctl disable --now pcscd.socket pcscd.service"
                return Finding("pcscd", False, f"pcscd is running (pid {comm.parent.name}) and holds USB readers", fix)
        except OSError:
            continue
    return Finding("pcscd", True, "pcscd is not running")


def _read_int(path: Path, base: int) -> int | None:
    try:
        return int(path.read_text().strip(), base)
    except (OSError, ValueError):
        return None


def check_usb_reader(
    devices_dir: Path = Path("/sys/bus/usb/devices"), dev_root: Path = Path("/dev/bus/usb")
) -> Finding:
    """Find a supported NFC reader on USB and check this user may open it."""
    for device in sorted(devices_dir.glob("*")):
        vid, pid = _read_int(device / "idVendor", 16), _read_int(device / "idProduct", 16)
        if vid is None or pid is None or (vid, pid) not in usb_device_map:
            continue
        name = f"{usb_device_map[(vid, pid)]} reader usb:{vid:04x}:{pid:04x}"
        bus, num = _read_int(device / "busnum", 10), _read_int(device / "devnum", 10)
        node = dev_root / f"{bus:03d}" / f"{num:03d}" if bus is not None and num is not None else None
        if node is not None and node.exists() and not os.access(node, os.R_OK | os.W_OK):
            rule = f'SUBSYSTEM=="usb", ATTRS{{idVendor}}=="{vid:04x}", ATTRS{{idProduct}}=="{pid:04x}", MODE="0666"'
            fix = f"echo '{rule}' | sudo tee {UDEV_RULES} && sudo udevadm control --reload && sudo udevadm trigger"
            return Finding("usb reader", False, f"{name} found but {node} is not writable by this user", fix)
        return Finding("usb reader", True, f"{name} found")
    supported = ", ".join(sorted({f"{v:04x}:{p:04x}" for v, p in usb_device_map}))
    fix = f"plug in a supported reader (lsusb should list one of {supported}) or set reader: to tty:AMA0:pn532"
    return Finding("usb reader", False, "no supported NFC reader on USB", fix)


def check_serial_port(uri: str, dev_dir: Path = Path("/dev")) -> Finding:
    """Check that the serial port of a tty: reader exists and is accessible."""
    port = dev_dir / f"tty{uri.split(':')[1]}"
    if not port.exists():
        fix = "wire the PN532 to the UART and enable it: sudo raspi-config nonint do_serial_hw 0 && sudo reboot"
        return Finding("serial port", False, f"{port} does not exist", fix)
    if not os.access(port, os.R_OK | os.W_OK):
        fix = 'sudo usermod -aG dialout "$USER" (then log in again)'
        return Finding("serial port", False, f"{port} is not accessible", fix)
    return Finding("serial port", True, f"{port} is accessible")


def check_reader_opens(uri: str) -> Finding:
    """Open the configured reader once and close it again."""
    try:
        with TagSource.from_uri(uri):
            return Finding("reader", True, f"reader {uri} opens")
    except (ReaderAbsent, ValueError) as error:
        return Finding("reader", False, str(error), "run the other reader checks above and fix what they report")


def diagnose_reader(uri: str) -> list[Finding]:
    """Run every check that applies to the configured reader URI."""
    try:
        check_reader_uri(uri)
    except ValueError as error:
        fix = "set reader: in station.yaml to usb, tty:AMA0:pn532 or udp:HOST:PORT"
        return [Finding("reader", False, str(error), fix)]
    findings: list[Finding] = []
    if uri.startswith("usb"):
        findings += [check_kernel_drivers(), check_pcscd(), check_usb_reader()]
    elif uri.startswith("tty:"):
        findings.append(check_serial_port(uri))
    findings.append(check_reader_opens(uri))
    return findings
