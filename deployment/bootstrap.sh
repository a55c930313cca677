#!/usr/bin/env bash
# Creates the project's Python environments from pinned lock files:
#   .venv       the AWS emulator (moto server) and cfn-lint
#   .venv-lint  checkov (its pins cannot share a venv with moto's)
# With --build-tools, also cargo-lambda and zig into .venv and Rust's
# aarch64 standard library, for deployment/build-s3-dist.sh.
# Idempotent: does nothing when each venv already matches its lock file.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}

command -v "$python" >/dev/null || {
  echo "bootstrap: $python not found; install Python 3.11 or newer (Debian: apt-get install python3 python3-venv)" >&2
  exit 1
}
# The locks were resolved with Python 3.11; older interpreters cannot
# install them (pip would stop with a resolver error instead).
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "bootstrap: $("$python" --version 2>&1) is too old; the pinned tools need Python 3.11 or newer (set PYTHON=/path/to/python3.11)" >&2
  exit 1
}
"$python" -c 'import venv, ensurepip' 2>/dev/null || {
  echo "bootstrap: $python has no venv/ensurepip module (Debian: apt-get install python3-venv)" >&2
  exit 1
}
command -v cargo >/dev/null || { echo "bootstrap: cargo not found; install Rust with rustup (https://rustup.rs)" >&2; exit 1; }

# install VENV LOCK: makes VENV if needed and installs LOCK unless done already.
install() {
  local venv=$1 lock=$2
  local stamp=$venv/.stamp-$(basename "$lock")
  if [ -f "$stamp" ] && cmp -s "$lock" "$stamp"; then return; fi
  if [ ! -x "$venv/bin/python" ]; then
    echo "bootstrap: creating $venv"
    "$python" -m venv "$venv"
  fi
  echo "bootstrap: installing $lock into $venv (a minute or two, once)"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$lock"
  cp "$lock" "$stamp"
}

install .venv deployment/requirements.lock
install .venv-lint deployment/requirements-lint.lock
if [ "${1:-}" = "--build-tools" ]; then
  install .venv deployment/requirements-build.lock
  if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
    echo "bootstrap: adding Rust's aarch64-unknown-linux-gnu target (Lambda arm64)"
    rustup target add aarch64-unknown-linux-gnu
  fi
fi
