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
cargo build --release \
    --bin livestream-resources --example floor-bare --example floor-clients
# The harness with the same features as the tests and run-local.sh, so the
# debug build of the AWS SDK is shared rather than made a second time.
cargo build --workspace --bins

echo "run-benchmark: the arm64 package, as build-s3-dist.sh makes it" >&2
./deployment/build-s3-dist.sh benchmark-bucket livestream-resources benchmark > /dev/null

echo "run-benchmark: $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m)"
target/debug/benchmark \
    --handler target/release/livestream-resources \
    --bare target/release/examples/floor-bare \
    --clients target/release/examples/floor-clients \
    --runs "$RUNS" \
    --zip deployment/regional-s3-assets/livestream-resources.zip

# Fuzzing the envelope and every kind's parser for FUZZ_SECONDS (60 by
# default; 0 skips it). cargo-fuzz needs nightly Rust; it is installed,
# pinned, into .tools/ (first build with sanitizers: about 8 minutes here).
FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
if [ "$FUZZ_SECONDS" -gt 0 ]; then
    if ! rustup run nightly rustc --version > /dev/null 2>&1; then
        echo "run-benchmark: fuzzing needs nightly Rust: rustup toolchain install nightly --profile minimal" >&2
        exit 1
    fi
    if [ ! -x .tools/bin/cargo-fuzz ]; then
        cargo install cargo-fuzz --version 0.13.2 --locked --root .tools
    fi
    mkdir -p fuzz/corpus/envelope
    echo "fuzzing the envelope and the property parsers for ${FUZZ_SECONDS} s:"
    (cd fuzz && PATH="$PWD/../.tools/bin:$PATH" cargo +nightly fuzz run envelope \
        corpus/envelope seeds/envelope -- -max_total_time="$FUZZ_SECONDS" 2>&1 |
        grep -E '^(#[0-9]+.*DONE|Done|==[0-9]+==|SUMMARY)' || true)
    if [ -n "$(ls -A fuzz/artifacts/envelope 2>/dev/null)" ]; then
        echo "run-benchmark: the fuzzer found crashes in fuzz/artifacts/envelope" >&2
        exit 1
    fi
    echo "  no crash"
fi
