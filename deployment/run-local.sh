#!/usr/bin/env bash
# The main job on the embedded default, the local AWS emulator: plays
# template.yaml through the real handler binary as CloudFormation would
# (create, update the encoding profile of the running channel, delete) and
# audits that nothing is left. Arguments go to the player:
#   ./deployment/run-local.sh InputType=RTMP_PUSH ChannelClass=SINGLE_PIPELINE
#   ./deployment/run-local.sh --no-update --update EncodingProfile=HD-1080p ...
# With --events it plays foundation.yaml and three event.yaml stacks instead
# (created at once, one deleted while the others run, the foundation last).
set -euo pipefail
cd "$(dirname "$0")/.."
# ffmpeg renders the stack's own test source the default input plays.
./deployment/bootstrap.sh --media-tools
# One invocation for both binaries, with the same features as the tests:
# the AWS SDK is compiled once for everything (see Cargo.toml).
echo "run-local: building the handler and the template player (the first build compiles the AWS SDK: about 4 minutes on 2 cores)"
cargo build --workspace --bins
exec ./target/debug/local-run "$@"
