"""Connect to the broker as a station would and name what is wrong: credentials, CA, scheme/port, network."""

from __future__ import annotations

import socket
import ssl
import threading

import paho.mqtt.client as mqtt

from tourtrace.broker_settings import BrokerSettings
from tourtrace.config_model import ConfigError

ON_DEVICE_CA = "/etc/tourtrace/ca.crt"
SYSTEM_BUNDLES = ("/etc/ssl/", "/etc/pki/", "/usr/share/ca-certificates/", "/usr/local/share/ca-certificates/")


def speaks_tls(host: str, port: int, timeout_s: float = 3.0) -> bool:
    """Tell whether host:port completes a TLS handshake (the certificate is not checked: only the protocol)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((host, port), timeout=timeout_s) as sock, context.wrap_socket(sock):
            return True
    except (OSError, ssl.SSLError):
        return False


def _wrong_scheme(host: str, port: int, tls: bool) -> str | None:
    """Return the scheme/port mismatch, if that is why the connection failed."""
    if tls and not speaks_tls(host, port):
        return f"mqtts:// URL, but {host}:{port} does not speak TLS (a plain MQTT port?)"
    if not tls and speaks_tls(host, port):
        return f"mqtt:// URL, but {host}:{port} speaks TLS (the stations' mqtts:// port)"
    return None


def try_broker(settings: BrokerSettings, timeout_s: float = 5.0) -> tuple[str, str]:
    """Connect with the station's credentials (and TLS); return (ok|auth|tls|scheme|network, what happened)."""
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
    client.on_disconnect = lambda *args: answered.set()
    try:
        client.connect(address.host, address.port, keepalive=10)
    except ssl.SSLCertVerificationError as exc:
        return "tls", f"TLS: {exc.verify_message}"
    except (ssl.SSLError, ConnectionResetError, ConnectionAbortedError) as exc:
        mismatch = _wrong_scheme(address.host, address.port, address.tls)
        return ("scheme", mismatch) if mismatch else ("tls", f"TLS handshake with {where} failed: {exc}")
    except OSError as exc:
        return "network", f"cannot reach {where}: {exc}"
    client.loop_start()
    try:
        if not answered.wait(timeout_s) or not result:
            mismatch = _wrong_scheme(address.host, address.port, address.tls)
            if mismatch:
                return "scheme", mismatch
            return "network", f"no answer from {where} within {timeout_s:.0f} s"
        if result[0].is_failure:
            return "auth", f"broker refused {settings.username!r}: {result[0]}"
        return "ok", f"{settings.username or 'anonymous'} @ {settings.url}" + (" (TLS verified)" if address.tls else "")
    finally:
        client.disconnect()
        client.loop_stop()


def ca_fix(ca_file: str | None, host: str, *, hostname_mismatch: bool) -> str:
    """Say how to give the station the hub's CA, without ever touching the system's CA bundle."""
    if hostname_mismatch:
        return f"the hub's certificate does not name {host}: on the hub, certs init --dir DIR --hub-name {host}"
    if not ca_file or ca_file.startswith(SYSTEM_BUNDLES):
        return (
            f"copy the hub's DIR/certs/ca.crt to {ON_DEVICE_CA} and set broker.ca_file: {ON_DEVICE_CA} "
            "(leave the system's CA bundle alone)"
        )
    return f"copy the hub's DIR/certs/ca.crt to {ca_file} (the CA that signed the broker's certificate)"


def scheme_fix(host: str, port: int, tls: bool) -> str:
    """Say which URL fits the port."""
    if tls:
        return (
            f"set broker.url to the TLS port: mqtts://{host}:8883 (or the hub's --mqtts-port), "
            f"or mqtt://{host}:{port} on the hub itself"
        )
    return f"set broker.url: mqtts://{host}:{port} and broker.ca_file (that port speaks TLS)"
