#!/usr/bin/env bash
# Every check and test: formatting, clippy (warnings are errors), then the
# whole workspace's tests. The tests start the AWS emulator from .venv,
# which bootstrap.sh creates (pinned) on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
./deployment/bootstrap.sh
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --workspace 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
awk '/^test result:/ { passed += $4; failed += $6 } END { printf "tests: %d passed, %d failed\n", passed, failed }' "$log"
exit "$status"
