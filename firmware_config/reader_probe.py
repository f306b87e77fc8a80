"""Find the NFC reader on this host and what may be holding it: kernel NFC drivers, pcscd, device permissions."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# USB readers nfcpy drives through libusb; PN532 boards on CH340/CP210x bridges are serial (tty:) readers.
KNOWN_READERS = {
    ("054c", "06c1"): "Sony RC-S380",
    ("054c", "06c3"): "Sony RC-S380",
    ("072f", "2200"): "ACS ACR122U",
}
GRABBING_MODULES = ("pn533_usb", "pn533", "port100")
BLACKLIST_FIX = "sudo cp firmware_config/blacklist-tourtrace-nfc.conf /etc/modprobe.d/ && sudo rmmod {mods} (or reboot)"


@dataclass(frozen=True)
class UsbDevice:
    vendor: str
    product: str
    bus: int
    address: int

    @property
    def node(self) -> Path:
        return Path(f"/dev/bus/usb/{self.bus:03d}/{self.address:03d}")


@dataclass(frozen=True)
class ReaderFinding:
    ok: bool
    detail: str
    fix: str = ""


def usb_devices(sysfs: Path = Path("/sys/bus/usb/devices")) -> list[UsbDevice]:
    """List USB devices from sysfs."""
    found = []
    for entry in sorted(sysfs.glob("*")) if sysfs.exists() else []:
        try:
            vendor = (entry / "idVendor").read_text().strip().lower()
            product = (entry / "idProduct").read_text().strip().lower()
            bus, address = int((entry / "busnum").read_text()), int((entry / "devnum").read_text())
        except (OSError, ValueError):
            continue
        found.append(UsbDevice(vendor, product, bus, address))
    return found


def loaded_modules(proc_modules: Path = Path("/proc/modules")) -> set[str]:
    """Return the names of loaded kernel modules."""
    try:
        return {line.split()[0] for line in proc_modules.read_text().splitlines() if line.strip()}
    except OSError:
        return set()


def pcscd_running(proc: Path = Path("/proc")) -> bool:
    """Tell whether a pcscd process is running (it claims ACR122U readers for PC/SC)."""
    for comm in proc.glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == "pcscd":
                return True
        except OSError:
            continue
    return False


def _wanted(uri: str) -> tuple[str, str] | None:
    parts = uri.split(":")
    if len(parts) == 3 and all(len(p) == 4 for p in parts[1:]):
        return parts[1].lower(), parts[2].lower()
    return None


def probe_usb_reader(
    uri: str,
    sysfs: Path = Path("/sys/bus/usb/devices"),
    proc_modules: Path = Path("/proc/modules"),
    proc: Path = Path("/proc"),
) -> ReaderFinding:
    """Check a `usb` / `usb:VVVV:PPPP` reader: present, not grabbed by a kernel driver or pcscd, accessible."""
    wanted = _wanted(uri)
    devices = [
        d
        for d in usb_devices(sysfs)
        if ((d.vendor, d.product) == wanted if wanted else (d.vendor, d.product) in KNOWN_READERS)
    ]
    if not devices:
        models = ", ".join(sorted({f"{name} {v}:{p}" for (v, p), name in KNOWN_READERS.items()}))
        return ReaderFinding(
            False, f"no NFC reader found on USB for {uri!r}", f"plug in a supported reader ({models}); check `lsusb`"
        )
    device = devices[0]
    name = KNOWN_READERS.get((device.vendor, device.product), "reader")
    grabbing = [m for m in GRABBING_MODULES if m in loaded_modules(proc_modules)]
    if grabbing:
        return ReaderFinding(
            False,
            f"{name} is grabbed by kernel driver(s) {', '.join(grabbing)}",
            BLACKLIST_FIX.format(mods=" ".join(grabbing)),
        )
    if device.vendor == "072f" and pcscd_running(proc):
        return ReaderFinding(
            False, f"{name} is claimed by pcscd", "sudo systemctl disable --now pcscd.socket pcscd.service"
        )
    if device.node.exists() and not os.access(device.node, os.R_OK | os.W_OK):
        return ReaderFinding(
            False,
            f"no read/write access to {device.node}",
            "sudo cp firmware_config/99-tourtrace-nfc.rules /etc/udev/rules.d/ && sudo udevadm control --reload-rules "
            "&& sudo udevadm trigger; run as a member of group tourtrace",
        )
    return ReaderFinding(True, f"{name} {device.vendor}:{device.product} on bus {device.bus} device {device.address}")


def probe_reader(uri: str) -> ReaderFinding:
    """Check the configured reader URI (usb…, tty:…, udp:… emulator)."""
    scheme = uri.split(":", 1)[0]
    if scheme == "udp":
        return ReaderFinding(True, f"emulated reader {uri} (no hardware to check)")
    if scheme == "tty":
        parts = uri.split(":")
        device = (
            Path(parts[1])
            if len(parts) > 1 and parts[1].startswith("/")
            else Path(f"/dev/tty{parts[1] if len(parts) > 1 else ''}")
        )
        if not device.exists():
            return ReaderFinding(
                False,
                f"{device} does not exist",
                "plug in the PN532 serial reader; check `ls /dev/ttyUSB* /dev/tourtrace-nfc`",
            )
        if not os.access(device, os.R_OK | os.W_OK):
            return ReaderFinding(
                False,
                f"no read/write access to {device}",
                "install firmware_config/99-tourtrace-nfc.rules; join group tourtrace",
            )
        return ReaderFinding(True, f"serial reader at {device}")
    if scheme == "usb":
        return probe_usb_reader(uri)
    return ReaderFinding(
        False, f"unknown reader URI {uri!r}", "use usb, usb:VVVV:PPPP, tty:USB0:pn532 or udp:HOST:PORT"
    )
