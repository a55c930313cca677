#!/usr/bin/env bash
# Creates .venv with the pinned AWS emulator (moto server) and its tools.
# Idempotent: does nothing when .venv already matches the lock file.
# Usage: deployment/bootstrap.sh [--build-tools]   (adds cargo-lambda + zig)
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
venv=.venv
lock=deployment/requirements.lock
build_lock=deployment/requirements-build.lock

command -v "$python" >/dev/null || { echo "bootstrap: $python not found; install Python 3.9+ (Debian: apt-get install python3 python3-venv)" >&2; exit 1; }
command -v cargo >/dev/null || { echo "bootstrap: cargo not found; install Rust with rustup (https://rustup.rs)" >&2; exit 1; }

install() {
  local file=$1 stamp=$venv/.stamp-$(basename "$1")
  if [ -f "$stamp" ] && cmp -s "$file" "$stamp"; then return; fi
  echo "bootstrap: installing $file into $venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$file"
  cp "$file" "$stamp"
}

if [ ! -x "$venv/bin/python" ]; then
  echo "bootstrap: creating $venv"
  "$python" -m venv "$venv"
fi
install "$lock"
if [ "${1:-}" = "--build-tools" ]; then
  install "$build_lock"
fi
