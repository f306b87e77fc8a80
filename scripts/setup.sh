#!/usr/bin/env bash
# Install what a fresh Debian machine lacks: system packages, a venv in .venv, TourTrace with all extras.
set -euo pipefail
cd "$(dirname "$0")/.."
APT_PACKAGES="mosquitto mosquitto-clients espeak-ng sox libportaudio2 chromium fonts-wqy-microhei"
missing=""
for pkg in $APT_PACKAGES; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "==> installing Debian packages:$missing"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi
# The broker is started by TourTrace itself (demo, tests); the distribution's service is not needed for that.
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  $PY -m venv .venv
fi
echo "==> installing tourtrace[edge,hub,dev] into .venv"
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[edge,hub,dev]'
