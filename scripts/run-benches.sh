#!/usr/bin/env bash
# Runs every benchmark binary of a release build, in name order.
set -euo pipefail
dir=${1:-build/release}
status=0
for b in "$dir"/tests/bench/bench_*; do
  [[ -x "$b" && -f "$b" ]] || continue
  echo "=== $(basename "$b")"
  "$b" || status=1
done
for s in tests/bench/bench_*.sh; do
  [[ -f "$s" ]] || continue
  echo "=== $(basename "$s")"
  SHOAL_BUILD="$dir" bash "$s" || status=1
done
exit $status
