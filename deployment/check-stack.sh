#!/usr/bin/env bash
# The first-deploy check, read-only, with your own AWS credentials (the
# AWS CLI's: profile, environment or SSO), right after
# `aws cloudformation deploy`:
#   ./deployment/check-stack.sh STACK [--region REGION] [--json]
# One line per check: ✓ holds, ✗ broken (with a fix), – not yet (the
# channel has not run, say). Exits 1 on any ✗, 2 when the stack cannot be
# read. It works for template.yaml stacks, foundations and events.
set -euo pipefail
cd "$(dirname "$0")/.."
# Built from this checkout (a first build compiles the AWS SDK: minutes).
cargo build -q -p livestream-check --bin check-stack
exec ./target/debug/check-stack "$@"
