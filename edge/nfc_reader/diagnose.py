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
PCSCD_READERS = {(0x072F, 0x2200)}  # CCID readers (ACS ACR122U) that pcscd's ccid driver claims
MODPROBE_CONF = "/etc/modprobe.d/blacklist-tourtrace-nfc.conf"  # the file cloud-init installs
UDEV_RULES = "/etc/udev/rules.d/60-tourtrace-nfc.rules"
PI_UART_PREFIXES = ("AMA", "S")


@dataclass(frozen=True)
class Finding:
    """The outcome of one check: ok, or the problem and the command that fixes it."""

    check: str
    ok: bool
    detail: str
    fix: str | None = None


@dataclass(frozen=True)
class SystemPaths:
    """Where the checks read the system; tests point these at prepared trees."""

    modules: Path = Path("/proc/modules")
    proc: Path = Path("/proc")
    usb_devices: Path = Path("/sys/bus/usb/devices")
    usb_nodes: Path = Path("/dev/bus/usb")
    dev: Path = Path("/dev")


@dataclass(frozen=True)
class UsbReader:
    """A reader nfcpy supports, as sysfs lists it on the USB bus."""

    vendor: int
    product: int
    bus: int | None
    device: int | None

    @property
    def name(self) -> str:
        return f"{usb_device_map[(self.vendor, self.product)]} reader usb:{self.vendor:04x}:{self.product:04x}"

    def node(self, dev_root: Path) -> Path | None:
        """Return the /dev/bus/usb node of the reader, if sysfs names it."""
        if self.bus is None or self.device is None:
            return None
        return dev_root / f"{self.bus:03d}" / f"{self.device:03d}"

    def selected_by(self, uri: str) -> bool:
        """Tell whether a `usb`, `usb:VID[:PID]` (hex) or `usb:BUS[:DEV]` (decimal) URI selects this reader."""
        wanted = uri.split(":")[1:]
        if wanted and len(wanted[0]) == 3:
            return all(int(w) == have for w, have in zip(wanted, (self.bus, self.device), strict=False))
        return all(int(w, 16) == have for w, have in zip(wanted, (self.vendor, self.product), strict=False))


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
    fix = f"printf '{lines}\\n' | sudo tee -a {MODPROBE_CONF} && sudo modprobe -r {' '.join(grabbing)}"
    if len(grabbing) == 1:
        fix = f'echo "blacklist {grabbing[0]}" | sudo tee -a {MODPROBE_CONF} && sudo modprobe -r {grabbing[0]}'
    detail = f"kernel module(s) {', '.join(grabbing)} loaded: they claim the reader"
    return Finding("kernel drivers", False, detail, fix)


def check_pcscd(proc_root: Path = Path("/proc")) -> Finding:
    """Report a running pcscd, which opens CCID readers (ACR122U) exclusively."""
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


def find_usb_readers(uri: str = "usb", devices_dir: Path = Path("/sys/bus/usb/devices")) -> list[UsbReader]:
    """List the supported NFC readers on USB that the reader URI selects."""
    readers = []
    for device in sorted(devices_dir.glob("*")):
        vid, pid = _read_int(device / "idVendor", 16), _read_int(device / "idProduct", 16)
        if vid is None or pid is None or (vid, pid) not in usb_device_map:
            continue
        reader = UsbReader(vid, pid, _read_int(device / "busnum", 10), _read_int(device / "devnum", 10))
        if reader.selected_by(uri):
            readers.append(reader)
    return readers


def check_usb_reader(
    devices_dir: Path = Path("/sys/bus/usb/devices"), dev_root: Path = Path("/dev/bus/usb"), uri: str = "usb"
) -> Finding:
    """Find the supported NFC reader the URI selects on USB and check this user may open it."""
    readers = find_usb_readers(uri, devices_dir)
    if not readers:
        supported = ", ".join(sorted({f"{v:04x}:{p:04x}" for v, p in usb_device_map}))
        fix = f"plug in a supported reader (lsusb should list one of {supported}) or set reader: to tty:AMA0:pn532"
        where = "no supported NFC reader on USB" if uri == "usb" else f"no supported NFC reader on USB matches {uri}"
        return Finding("usb reader", False, where, fix)
    reader = readers[0]
    node = reader.node(dev_root)
    if node is not None and node.exists() and not os.access(node, os.R_OK | os.W_OK):
        rule = (
            f'SUBSYSTEM=="usb", ATTRS{{idVendor}}=="{reader.vendor:04x}", ATTRS{{idProduct}}=="{reader.product:04x}", '
            'GROUP="tourtrace", MODE="0660"'
        )
        fix = (
            f"echo '{rule}' | sudo tee {UDEV_RULES} && sudo udevadm control --reload && sudo udevadm trigger"
            ' && sudo usermod -aG tourtrace "$USER" (then log in again)'
        )
        return Finding("usb reader", False, f"{reader.name} found but {node} is not writable by this user", fix)
    return Finding("usb reader", True, f"{reader.name} found")


def check_usb_setup(uri: str, paths: SystemPaths = SystemPaths()) -> list[Finding]:
    """Check what stands between nfcpy and a USB reader: kernel drivers, pcscd, presence, permissions."""
    findings = [check_kernel_drivers(paths.modules)]
    readers = find_usb_readers(uri, paths.usb_devices)
    if readers and (readers[0].vendor, readers[0].product) in PCSCD_READERS:
        findings.append(check_pcscd(paths.proc))
    findings.append(check_usb_reader(paths.usb_devices, paths.usb_nodes, uri))
    return findings


def check_serial_port(uri: str, dev_dir: Path = Path("/dev")) -> Finding:
    """Check that the serial port of a tty: reader exists and is accessible."""
    name = uri.split(":")[1]
    port = dev_dir / f"tty{name}"
    if not port.exists():
        if name.startswith(PI_UART_PREFIXES):
            fix = "wire the PN532 to the UART and enable it: sudo raspi-config nonint do_serial_hw 0 && sudo reboot"
        else:
            fix = f"plug in the PN532's USB-serial board; `ls /dev/ttyUSB* /dev/ttyACM*` names the port for tty:{name}"
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


def diagnose_reader(uri: str, paths: SystemPaths = SystemPaths()) -> list[Finding]:
    """Run every check that applies to the configured reader URI."""
    try:
        check_reader_uri(uri)
    except ValueError as error:
        fix = "set reader: in station.yaml to usb, tty:AMA0:pn532 or udp:HOST:PORT"
        return [Finding("reader", False, str(error), fix)]
    findings: list[Finding] = []
    if uri.startswith("usb"):
        findings += check_usb_setup(uri, paths)
    elif uri.startswith("tty:"):
        findings.append(check_serial_port(uri, paths.dev))
    findings.append(check_reader_opens(uri))
    return findings
