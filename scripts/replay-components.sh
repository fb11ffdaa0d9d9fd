#!/usr/bin/env bash
# Splits a callgrind profile of Benchmarks/ReplayProfile into the replay's parts, in instructions per frame
# (docs/replay-performance.md "Where the time goes"):
#   valgrind --tool=callgrind --callgrind-out-file=/tmp/rp.out /tmp/rp --passes 2 ../recordings/okx.mprec
#   scripts/replay-components.sh /tmp/rp.out FRAMES     # FRAMES: what ReplayProfile printed
# "plumbing" is what is left of the whole replay: the publisher core's window and ids, watchdogs, effects,
# the driver's loop, acks and deadlines.
set -euo pipefail
profile=${1:?usage: scripts/replay-components.sh CALLGRIND_OUT FRAMES}
frames=${2:?usage: scripts/replay-components.sh CALLGRIND_OUT FRAMES}
annotated=$(mktemp)
trap 'rm -f "$annotated"' EXIT
callgrind_annotate --inclusive=yes "$profile" 2>/dev/null > "$annotated"
# The first (largest) inclusive count of a function matching the pattern, 0 if none.
count() {
  local value
  value=$({ grep -E "$1" "$annotated" || true; } | head -1 | awk '{gsub(",", "", $1); print $1 + 0}')
  echo "${value:-0}"
}
run=$(count 'DirectReplayV3run4into4seed.*MessageSinkRzlF \[')
digest=$(count 'DigestSinkV5write')
parse=$(count 'Adapter[A-Za-z0-9_]*5parse5frame10receivedAt4into')
# Every input but a book update goes through AnyBookSync.handle; updates go straight to the venue
# machine's handleUpdate (since session 6), whichever machine the recording's venue uses.
total() {
  local value
  value=$({ grep -E "$1" "$annotated" || true; } | awk '{gsub(",", "", $1); s += $1} END {print s + 0}')
  echo "${value:-0}"
}
books=$(( $(count 'AnyBookSyncV6handle_2at4into') + $(total '[0-9]+(RestSnapshot|StreamSnapshot)BookSyncV12handleUpdate_2at4into') ))
top=$(count 'OrderBookV3top_4bids4asks')
bookEncoding=$(( $(count 'IncrementalBookEncoderV6encode_4bids4asks') + $(count 'IncrementalBookEncoderV6encode_8applying') ))
read=$(count 'RecordingReaderC8nextView|0A6ReaderC8nextView')
whole=$(( run - digest ))
printf "%-34s %6d\n" "whole replay (less the digest)" $(( whole / frames )) \
  "recording read + zstd" $(( read / frames )) \
  "venue parse" $(( parse / frames )) \
  "book sync and apply" $(( books / frames )) \
  "published top levels" $(( top / frames )) \
  "order book encoding" $(( bookEncoding / frames )) \
  "plumbing and trade/ticker encoding" $(( (whole - read - parse - books - top - bookEncoding) / frames ))
