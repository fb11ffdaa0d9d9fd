#!/usr/bin/env bash
# Prints the digest of every shipped scenario, of each shipped recording replayed with the oracle,
# without it and at depth 20, and of `demo`: 42 lines that must not change when hot code is only made
# faster. Record them before a change and diff after it (docs/replay-performance.md):
#   scripts/output-digests.sh .build/release/marketprism > /tmp/before.txt
#   ... change, rebuild ...
#   scripts/output-digests.sh .build/release/marketprism | diff /tmp/before.txt - && echo "all equal"
set -euo pipefail
binary=${1:?usage: scripts/output-digests.sh PATH_TO_RELEASE_MARKETPRISM}
cd "$(dirname "$0")/.."
report=$(mktemp)
trap 'rm -f "$report"' EXIT
digest() { grep -o '"digest" *: *"[0-9a-f]*"' | head -1; }
for scenario in scenarios/*.yaml; do
  echo "$scenario $("$binary" scenario run "$scenario" --json 2>/dev/null | digest)"
done
for recording in recordings/*.mprec; do
  for options in "" "--no-oracle" "--depth 20"; do
    rm -f "$report"
    # shellcheck disable=SC2086 # the options are separate words
    "$binary" replay "$recording" $options --report-json "$report" > /dev/null 2>&1 || true
    if [ -s "$report" ]; then echo "$recording $options $(digest < "$report")"; else echo "$recording $options NO REPORT"; fi
  done
done
echo "demo $("$binary" demo 2>&1 | grep -o 'digest *[0-9a-f]*' | head -1)"
