#!/usr/bin/env bash
# Every check and test: formatting, clippy (warnings are errors), the
# templates' linters (cfn-lint, checkov), then the whole workspace's tests.
# The tests start the AWS emulator from .venv, which bootstrap.sh creates
# (pinned) on first use; the packaging test needs cargo-lambda and zig from
# `bootstrap.sh --build-tools`; the demo player's browser test needs ffmpeg
# and chromium from `--test-tools`.
set -euo pipefail
cd "$(dirname "$0")/.."
./deployment/bootstrap.sh --build-tools --test-tools
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
./deployment/lint-template.sh template.yaml foundation.yaml event.yaml
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --workspace 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
awk '/^test result:/ { passed += $4; failed += $6 } END { printf "tests: %d passed, %d failed\n", passed, failed }' "$log"
exit "$status"
