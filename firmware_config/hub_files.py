"""The hub's side of a provisioning directory: the badge-signing site key and DIR/hub/hub.yaml.

hub.yaml is written so that `tourtrace hub serve --config DIR/hub/hub.yaml` connects to the generated broker at
once: its loopback listener, the `hub` user and its password file, the site key of every provisioned site and an
absolute database path. The keys provisioning owns are rewritten on every run; any other key a user adds is kept.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import yaml

from firmware_config.broker_files import HUB_USER
from firmware_config.passwd import write_private
from firmware_config.site_options import BrokerOptions, OptionsError

SITE_KEY_BYTES = 32
HTTP_PORT = 8080
OWNED_KEYS = ("broker", "username", "password_file", "site_keys")
HEADER = """\
# TourTrace hub settings, written by `tourtrace certs init` / `tourtrace station add`.
# They rewrite broker, username, password_file and site_keys; every other key you add or change is kept.
# Every key is described in docs/hub-config.md. Run: tourtrace hub serve --config {path}
"""


def site_key_path(root: Path) -> Path:
    """Return where the plant's badge-signing key lives in a provisioning directory."""
    return root / "certs" / "site.key"


def ensure_site_key(root: Path) -> bool:
    """Create the site key (random, hex text, owner-only) unless it exists; return whether it was created."""
    path = site_key_path(root)
    if path.exists():
        return False
    write_private(path, secrets.token_hex(SITE_KEY_BYTES) + "\n", mode=0o600)
    return True


def wheelhouse_url(root: Path, options: BrokerOptions) -> str | None:
    """Return the hub's /dist/ URL as stations reach it (first --hub-name, hub.yaml's HTTP port); None before certs."""
    host = options.station_host
    if host is None:
        return None
    port = HTTP_PORT
    path = root / "hub" / "hub.yaml"
    if path.exists():
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        http = str(document.get("http", "")) if isinstance(document, dict) else ""
        port = int(http.rpartition(":")[2]) if http.rpartition(":")[2].isdigit() else HTTP_PORT
    return f"http://{host}:{port}/dist/"


def provisioned_sites(stations: Path) -> list[str]:
    """Return the sites of the station files in DIR/stations, sorted."""
    sites = set()
    for path in stations.glob("*.yaml"):
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            continue
        if isinstance(document, dict) and isinstance(document.get("site"), str):
            sites.add(document["site"])
    return sorted(sites)


def hub_document(root: Path, options: BrokerOptions, existing: dict[str, Any]) -> dict[str, Any]:
    """Return hub.yaml's settings: provisioning's own keys fresh, the user's other keys as they were."""
    root = root.resolve()
    key = site_key_path(root)
    sites = provisioned_sites(root / "stations")
    site_keys = dict(existing.get("site_keys") or {}) if isinstance(existing.get("site_keys"), dict) else {}
    if key.exists():
        site_keys.update({site: str(key) for site in sites})
    owned: dict[str, Any] = {
        "broker": options.hub_url(),
        "username": HUB_USER,
        "password_file": str(root / "hub" / "hub.password"),
        "site_keys": site_keys,
    }
    defaults = {
        "db": str(root / "hub" / "hub.sqlite3"),
        "http": f"{options.bind or '0.0.0.0'}:{HTTP_PORT}",
        "client_id": "tourtrace-hub",
    }
    kept = {k: v for k, v in existing.items() if k not in OWNED_KEYS}
    return {**owned, **defaults, **kept}


def write_hub_yaml(root: Path, options: BrokerOptions) -> Path:
    """Write (or refresh) DIR/hub/hub.yaml and return its path."""
    path = root / "hub" / "hub.yaml"
    existing: Any = {}
    if path.exists():
        try:
            existing = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise OptionsError(f"{path}: invalid YAML ({exc}); fix or delete it, then run this again") from None
    document = hub_document(root, options, existing if isinstance(existing, dict) else {})
    text = HEADER.format(path=path.resolve()) + yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    write_private(path, text, mode=0o640)
    return path
