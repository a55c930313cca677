#!/usr/bin/env bash
# Renders the stack's own test source: a 10-second loop of a moving test
# pattern with a burned-in seconds counter and a 1 kHz beep each second,
# H.264 (High, 1280x720, 30 fps) and AAC (48 kHz stereo). Keyframes every
# 2 s in closed GOPs, so the file divides into whole GOPs and MediaLive's
# LOOP plays it seamlessly; the moov box is at the front (faststart).
# An MP4_FILE input with no source URL plays it from the code bucket.
#
# usage: deployment/render-demo-source.sh OUT.mp4
# The same ffmpeg build renders the same bytes (bitexact, no metadata).
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 OUT.mp4" >&2; exit 2; }
out=$1
command -v ffmpeg >/dev/null || {
  echo "render-demo-source: ffmpeg not found; run ./deployment/bootstrap.sh --media-tools (Debian: apt-get install ffmpeg)" >&2
  exit 1
}
mkdir -p "$(dirname "$out")"
tmp="$out.partial.mp4"
ffmpeg -hide_banner -loglevel error -nostdin -y \
  -f lavfi -i "testsrc=size=1280x720:rate=30:duration=10" \
  -f lavfi -i "sine=frequency=1000:beep_factor=4:sample_rate=48000:duration=10" \
  -map 0:v -map 1:a \
  -c:v libx264 -preset medium -profile:v high -pix_fmt yuv420p -threads 1 \
  -b:v 2000k -maxrate 2500k -bufsize 5000k \
  -g 60 -keyint_min 60 -sc_threshold 0 -flags +cgop \
  -c:a aac -b:a 128k -ar 48000 -ac 2 \
  -fflags +bitexact -flags:v +bitexact -flags:a +bitexact -map_metadata -1 \
  -movflags +faststart -t 10 \
  "$tmp"
mv "$tmp" "$out"
