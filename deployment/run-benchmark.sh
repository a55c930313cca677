#!/usr/bin/env bash
# The handler's figures, measured here and now: start-up time and memory
# next to two floors (a Lambda runtime that does nothing; one that only
# builds the same AWS clients and logging), then, over one full-stack
# lifecycle against the local emulator, wall time, CPU per event, peak
# memory and the AWS calls made, and the size of the arm64 package.
# Medians of RUNS runs (default 5). Not part of the tests: it needs a
# release build (about 10 minutes from cold on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS="${RUNS:-5}"
./deployment/bootstrap.sh --build-tools

echo "run-benchmark: release build of the handler and the two floors" >&2
cargo build --release --features benchmark-floors \
    --bin livestream-resources --bin floor-bare --bin floor-clients
cargo build -p testkit --bin benchmark

echo "run-benchmark: the arm64 package, as build-s3-dist.sh makes it" >&2
./deployment/build-s3-dist.sh benchmark-bucket livestream-resources benchmark > /dev/null

echo "run-benchmark: $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m)"
exec target/debug/benchmark \
    --handler target/release/livestream-resources \
    --bare target/release/floor-bare \
    --clients target/release/floor-clients \
    --runs "$RUNS" \
    --zip deployment/regional-s3-assets/livestream-resources.zip
