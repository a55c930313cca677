#!/usr/bin/env bash
# The main job on the embedded default: the local AWS emulator. Builds the
# handler, starts moto, creates a MediaPackage CMAF endpoint there, plays the
# lookup event through the real binary and prints its response.
set -euo pipefail
cd "$(dirname "$0")/.."
./deployment/bootstrap.sh
cargo build --quiet --bin livestream-resources
cargo run --quiet -p testkit --bin local-run
