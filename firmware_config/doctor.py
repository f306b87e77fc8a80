"""Station health checks for `tourtrace doctor`: each returns ✓/✗ with the exact fix."""

from __future__ import annotations

import shutil
import sqlite3
import ssl
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt

from edge.agent.clock import clock_synced
from edge.agent.config import BrokerSettings, ConfigError, StationConfig, load_config
from edge.nfc_reader.diagnose import SystemPaths, diagnose_reader
from firmware_config.schema import SCHEMA_PATH

MIN_FREE_MB = 200
MAX_OLDEST_UNSENT_S = 600
OUTBOX_FILE = "outbox.sqlite3"
READER_FOUND_CHECKS = ("usb reader", "serial port", "reader")
THIS_HOST = SystemPaths()


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def check_config(path: Path) -> tuple[Check, StationConfig | None]:
    """Load and validate station.yaml, listing every error with its path."""
    try:
        config = load_config(path)
    except ConfigError as exc:
        if not path.exists():
            fix = f"on the hub: tourtrace station add … --dir DIR writes DIR/stations/ID.yaml; copy it to {path}"
        else:
            fix = f"edit {path}; every key is in the JSON Schema {SCHEMA_PATH}"
        return Check("config", False, "; ".join(exc.errors), fix), None
    return Check("config", True, f"{path}: {config.site}/{config.station}, zone {config.zone}"), config


def check_reader(config: StationConfig, paths: SystemPaths = THIS_HOST) -> Check:
    """Check the reader is present, free of kernel drivers and pcscd, accessible, and that it opens."""
    findings = diagnose_reader(config.reader, paths)
    failed = [f for f in findings if not f.ok]
    if not failed:
        return Check("reader", True, "; ".join(f.detail for f in findings if f.check in READER_FOUND_CHECKS))
    causes = [f for f in failed if f.check != "reader"] or failed
    return Check("reader", False, "; ".join(f.detail for f in causes), "; ".join(f.fix for f in causes if f.fix))


def check_microphone(config: StationConfig) -> Check:
    """Check the configured audio source: a WAV file exists or the sounddevice input device answers."""
    uri = config.audio
    if not uri:
        return Check("microphone", True, "no audio configured: voice notes are off")
    scheme, _, rest = uri.partition(":")
    if scheme == "wav":
        ok = Path(rest).is_file()
        return Check(
            "microphone",
            ok,
            f"WAV source {rest}" + ("" if ok else " missing"),
            "" if ok else f"set audio: to an existing file, not {rest}",
        )
    if scheme != "sounddevice":
        return Check("microphone", False, f"unknown audio URI {uri!r}", "use sounddevice:DEVICE or wav:PATH")
    fix = "plug in the USB microphone; list inputs with `python -m sounddevice`; set audio: sounddevice:<name or index>"
    try:
        import sounddevice

        device = None if rest in ("", "default") else (int(rest) if rest.isdigit() else rest)
        info = sounddevice.query_devices(device, kind="input")
    except (OSError, ValueError) as exc:  # OSError: PortAudio missing; ValueError: no such input device
        hint = "sudo apt-get install -y libportaudio2; " if isinstance(exc, OSError) else ""
        return Check("microphone", False, f"{uri}: {exc}", hint + fix)
    return Check("microphone", True, f"{info['name']} ({int(info['default_samplerate'])} Hz)")


def check_model(config: StationConfig) -> Check:
    """Check the Vosk model directory is present and complete."""
    if not config.model:
        ok = not config.audio
        return Check(
            "model", ok, "no model configured" + ("" if ok else " but audio is on"), "" if ok else "set model: DIR"
        )
    model = Path(config.model)
    fix = f"tourtrace model fetch --lang {config.note.lang}, then set model: to the unpacked directory"
    if not model.is_dir():
        return Check("model", False, f"{model} does not exist", fix)
    if not ((model / "am" / "final.mdl").exists() or (model / "final.mdl").exists()):
        return Check("model", False, f"{model} is not a Vosk model (no am/final.mdl)", fix)
    return Check("model", True, f"Vosk model {model}")


def try_broker(settings: BrokerSettings, timeout_s: float = 5.0) -> tuple[str, str]:
    """Connect with the station's credentials (and TLS); return (ok|auth|tls|network, what happened)."""
    try:
        password = settings.read_password()
    except ConfigError as exc:
        return "auth", exc.errors[0]
    address = settings.address
    where = f"{address.host}:{address.port}"
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    if settings.username:
        client.username_pw_set(settings.username, password)
    if address.tls:
        try:
            client.tls_set(ca_certs=settings.ca_file, cert_reqs=ssl.CERT_REQUIRED)
        except (OSError, ssl.SSLError) as exc:
            return "tls", f"cannot load ca_file {settings.ca_file}: {exc}"
    answered = threading.Event()
    result: list[mqtt.ReasonCode] = []

    def connected(client: mqtt.Client, userdata: object, flags: object, reason: mqtt.ReasonCode, props: object) -> None:
        result.append(reason)
        answered.set()

    client.on_connect = connected
    try:
        client.connect(address.host, address.port, keepalive=10)
    except ssl.SSLCertVerificationError as exc:
        return "tls", f"TLS: {exc.verify_message}"
    except ssl.SSLError as exc:
        return "tls", f"TLS handshake with {where} failed: {exc}"
    except OSError as exc:
        return "network", f"cannot reach {where}: {exc}"
    client.loop_start()
    try:
        if not answered.wait(timeout_s):
            return "network", f"no answer from {where} within {timeout_s:.0f} s"
        if result[0].is_failure:
            return "auth", f"broker refused {settings.username!r}: {result[0]}"
        return "ok", f"{settings.username or 'anonymous'} @ {settings.url}" + (" (TLS verified)" if address.tls else "")
    finally:
        client.disconnect()
        client.loop_stop()


def check_broker(config: StationConfig, timeout_s: float = 5.0) -> Check:
    """Check the broker is reachable and accepts this station's credentials."""
    kind, detail = try_broker(config.broker, timeout_s)
    if kind == "ok":
        return Check("broker", True, detail)
    b = config.broker
    if kind == "auth":
        fix = f"on the hub: tourtrace station add --site {config.site} --station {config.station} --zone {config.zone} "
        fix += "--dir DIR --rotate, then copy the new password to " + (b.password_file or "broker.password_file")
    elif kind == "tls":
        fix = f"copy the hub's DIR/certs/ca.crt to {b.ca_file}; "
        fix += f"if the hub's name differs: tourtrace certs init --dir DIR --hub-name {b.address.host}"
    else:
        fix = f"on the hub: systemctl status mosquitto; check the network and that port {b.address.port} is open"
    return Check("broker", False, detail, fix)


def check_clock() -> Check:
    """Check that the kernel says the clock is NTP-synchronised."""
    if clock_synced():
        return Check("clock", True, "synchronised (adjtimex)")
    return Check(
        "clock",
        False,
        "not synchronised: dwell falls back to monotonic time",
        "sudo apt-get install -y chrony && sudo systemctl enable --now chrony; check with `chronyc tracking`",
    )


def check_disk(config: StationConfig) -> Check:
    """Check data_dir exists, is writable and has room."""
    data = Path(config.data_dir)
    if not data.is_dir():
        return Check(
            "disk", False, f"{data} does not exist", f"sudo install -d -o tourtrace -g tourtrace -m 750 {data}"
        )
    free_mb = shutil.disk_usage(data).free // (1024 * 1024)
    if free_mb < MIN_FREE_MB:
        return Check("disk", False, f"{free_mb} MB free in {data}", f"free space on {data} (at least {MIN_FREE_MB} MB)")
    return Check("disk", True, f"{free_mb} MB free in {data}")


def check_outbox(config: StationConfig, now: float | None = None) -> Check:
    """Report outbox depth and the age of the oldest unsent event."""
    path = Path(config.data_dir) / OUTBOX_FILE
    if not path.exists():
        return Check("outbox", True, f"no outbox yet at {path} (the agent has not run)")
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2) as db:
            depth, oldest = db.execute("SELECT COUNT(*), MIN(created) FROM outbox").fetchone()
    except sqlite3.Error as exc:
        return Check(
            "outbox", False, f"{path}: {exc}", "stop the agent and move the damaged file aside; it is recreated"
        )
    age = 0 if oldest is None else int((time.time() if now is None else now) - oldest)
    detail = f"{depth} unsent, oldest {age} s"
    if age > MAX_OLDEST_UNSENT_S:
        return Check(
            "outbox", False, detail, "events are not leaving: fix the broker check; the agent drains on reconnect"
        )
    return Check("outbox", True, detail)


def run_checks(config_path: Path, broker_timeout_s: float = 5.0) -> list[Check]:
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
        check_clock(),
        check_disk(config),
        check_outbox(config),
    ]
