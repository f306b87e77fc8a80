"""Station health checks for `tourtrace doctor`: each returns ✓/✗ with the exact fix."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from edge.agent.clock import clock_synced
from edge.agent.config import ConfigError, StationConfig, load_config
from edge.agent.outbox import OUTBOX_FILE, peek_depth
from edge.nfc_reader.badge import load_site_key
from edge.nfc_reader.diagnose import Finding, SystemPaths, diagnose_reader
from firmware_config.broker_probe import ca_fix, scheme_fix, try_broker
from firmware_config.schema import SCHEMA_PATH

MIN_FREE_MB = 200
MAX_OLDEST_UNSENT_S = 600
READER_FOUND_CHECKS = ("usb reader", "serial port", "reader")
THIS_HOST = SystemPaths()


def check_config(path: Path) -> tuple[Finding, StationConfig | None]:
    """Load and validate station.yaml, listing every error with its path."""
    try:
        config = load_config(path)
    except ConfigError as exc:
        if not path.exists():
            fix = f"on the hub: tourtrace station add … --dir DIR writes DIR/stations/ID.yaml; copy it to {path}"
        else:
            fix = f"edit {path}; every key is in the JSON Schema {SCHEMA_PATH}"
        return Finding("config", False, "; ".join(exc.errors), fix), None
    return Finding("config", True, f"{path}: {config.site}/{config.station}, zone {config.zone}"), config


def check_reader(config: StationConfig, paths: SystemPaths = THIS_HOST) -> Finding:
    """Check the reader is present, free of kernel drivers and pcscd, accessible, and that it opens."""
    findings = diagnose_reader(config.reader, paths)
    failed = [f for f in findings if not f.ok]
    if not failed:
        return Finding("reader", True, "; ".join(f.detail for f in findings if f.check in READER_FOUND_CHECKS))
    causes = [f for f in failed if f.check != "reader"] or failed
    return Finding("reader", False, "; ".join(f.detail for f in causes), "; ".join(f.fix for f in causes if f.fix))


def check_microphone(config: StationConfig) -> Finding:
    """Check the configured audio source: a WAV file exists or the sounddevice input device answers."""
    uri = config.audio
    if not uri:
        return Finding("microphone", True, "no audio configured: voice notes are off")
    scheme, _, rest = uri.partition(":")
    if scheme == "wav":
        ok = Path(rest).is_file()
        return Finding(
            "microphone",
            ok,
            f"WAV source {rest}" + ("" if ok else " missing"),
            None if ok else f"set audio: to an existing file, not {rest}",
        )
    if scheme != "sounddevice":
        return Finding("microphone", False, f"unknown audio URI {uri!r}", "use sounddevice:DEVICE or wav:PATH")
    fix = "plug in the USB microphone; list inputs with `python -m sounddevice`; set audio: sounddevice:<name or index>"
    try:
        import sounddevice

        device = None if rest in ("", "default") else (int(rest) if rest.isdigit() else rest)
        info = sounddevice.query_devices(device, kind="input")
    except (OSError, ValueError) as exc:  # OSError: PortAudio missing; ValueError: no such input device
        hint = "sudo apt-get install -y libportaudio2; " if isinstance(exc, OSError) else ""
        return Finding("microphone", False, f"{uri}: {exc}", hint + fix)
    return Finding("microphone", True, f"{info['name']} ({int(info['default_samplerate'])} Hz)")


def check_model(config: StationConfig) -> Finding:
    """Check the Vosk model directory is present and complete."""
    if not config.model:
        ok = not config.audio
        return Finding(
            "model", ok, "no model configured" + ("" if ok else " but audio is on"), None if ok else "set model: DIR"
        )
    model = Path(config.model)
    fix = f"tourtrace model fetch --lang {config.note.lang}, then set model: to the unpacked directory"
    if not model.is_dir():
        return Finding("model", False, f"{model} does not exist", fix)
    if not ((model / "am" / "final.mdl").exists() or (model / "final.mdl").exists()):
        return Finding("model", False, f"{model} is not a Vosk model (no am/final.mdl)", fix)
    return Finding("model", True, f"Vosk model {model}")


def check_broker(config: StationConfig, timeout_s: float = 5.0) -> Finding:
    """Check the broker is reachable and accepts this station's credentials."""
    kind, detail = try_broker(config.broker, timeout_s)
    if kind == "ok":
        return Finding("broker", True, detail)
    b = config.broker
    if kind == "auth":
        fix = f"on the hub: tourtrace station add --site {config.site} --station {config.station} --zone {config.zone} "
        fix += "--dir DIR --rotate, then copy the new password to " + (b.password_file or "broker.password_file")
    elif kind == "tls":
        fix = ca_fix(b.ca_file, b.address.host, hostname_mismatch="mismatch" in detail.lower())
    elif kind == "scheme":
        fix = scheme_fix(b.address.host, b.address.port, b.address.tls)
    else:
        fix = f"on the hub: systemctl status mosquitto; check the network and that port {b.address.port} is open"
    return Finding("broker", False, detail, fix)


def check_clock() -> Finding:
    """Check that the kernel says the clock is NTP-synchronised."""
    if clock_synced():
        return Finding("clock", True, "synchronised (adjtimex)")
    return Finding(
        "clock",
        False,
        "not synchronised: dwell falls back to monotonic time",
        "sudo apt-get install -y chrony && sudo systemctl enable --now chrony; check with `chronyc tracking`",
    )


def check_disk(config: StationConfig) -> Finding:
    """Check data_dir exists, is writable and has room."""
    data = Path(config.data_dir)
    if not data.is_dir():
        return Finding(
            "disk", False, f"{data} does not exist", f"sudo install -d -o tourtrace -g tourtrace -m 750 {data}"
        )
    free_mb = shutil.disk_usage(data).free // (1024 * 1024)
    if free_mb < MIN_FREE_MB:
        fix = f"free space on {data} (at least {MIN_FREE_MB} MB)"
        return Finding("disk", False, f"{free_mb} MB free in {data}", fix)
    return Finding("disk", True, f"{free_mb} MB free in {data}")


def check_outbox(config: StationConfig, now: float | None = None) -> Finding:
    """Report outbox depth and the age of the oldest unsent event."""
    path = Path(config.data_dir) / OUTBOX_FILE
    if not path.exists():
        return Finding("outbox", True, f"no outbox yet at {path} (the agent has not run)")
    try:
        depth, age = peek_depth(path, now)
    except sqlite3.Error as exc:
        return Finding(
            "outbox", False, f"{path}: {exc}", "stop the agent and move the damaged file aside; it is recreated"
        )
    detail = f"{depth} unsent, oldest {age} s"
    if age > MAX_OLDEST_UNSENT_S:
        return Finding(
            "outbox", False, detail, "events are not leaving: fix the broker check; the agent drains on reconnect"
        )
    return Finding("outbox", True, detail)


def check_site_key(config: StationConfig) -> Finding:
    """Check the site key (badge signatures checked at the station) can be read."""
    if not config.site_key_file:
        return Finding("site-key", True, "none: badge signatures are checked at the hub only")
    try:
        load_site_key(Path(config.site_key_file))
    except ValueError as exc:
        fix = f"copy the hub's DIR/certs/site.key to {config.site_key_file} (root:tourtrace, mode 640)"
        return Finding("site-key", False, str(exc), fix)
    return Finding("site-key", True, f"{config.site_key_file}: badge signatures are checked here too")


def run_checks(config_path: Path, broker_timeout_s: float = 5.0) -> list[Finding]:
    """Run every check; the ones that need a valid config are skipped when it is invalid."""
    first, config = check_config(config_path)
    if config is None:
        return [first, check_clock()]
    return [
        first,
        check_reader(config),
        check_microphone(config),
        check_model(config),
        check_broker(config, broker_timeout_s),
        check_site_key(config),
        check_clock(),
        check_disk(config),
        check_outbox(config),
    ]
