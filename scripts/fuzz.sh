#!/usr/bin/env bash
# Long fuzzing runs: every harness of a SHOAL_FUZZ build for SECONDS each, FUZZ_JOBS at a time
# (default: the number of CPUs). New corpus entries accumulate in BUILD/work/<target>/ (kept
# between runs, never written into the tree); crashes go to BUILD/findings/. Prints one line
# per harness (executions, exec/s, new inputs) and exits non-zero if any harness failed.
#   scripts/fuzz.sh BUILD SECONDS [HARNESS...]     e.g. scripts/fuzz.sh build/fuzz 600 netif
# FUZZ_RUNS=N stops each harness after N executions (or SECONDS, whichever comes first).
set -euo pipefail
build=${1:?usage: $0 BUILD SECONDS [harness...]}
secs=${2:-600}
shift 2 || true
src=$(cd "$(dirname "$0")/.." && pwd)
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
[[ -n ${FUZZ_RUNS:-} ]] && export FUZZ_FLAGS="-runs=$FUZZ_RUNS ${FUZZ_FLAGS:-}"
bin=$build/tests/fuzz
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  for exe in "$bin"/fuzz_*; do targets+=("$(basename "$exe" | sed 's/^fuzz_//')"); done
fi
logs=$build/fuzz-logs
mkdir -p "$logs" "$build/findings"
echo "fuzz: ${#targets[@]} harnesses x ${secs}s, $jobs at a time; logs in $logs"
# bash -c arguments: $0 run.sh, $1 bin dir, $2 source, $3 build, $4 seconds, $5 logs, $6 target
printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} env FUZZ_KEEP_WORK=1 \
  bash -c 'bash "$0" "$1/fuzz_$6" "$2/tests/fuzz/corpus/$6" "$3/work/$6" "$3/findings" "$4" \
    > "$5/$6.log" 2>&1 && echo "fuzz: $6 done" || echo "fuzz: $6 FAILED (see $5/$6.log)"' \
  "$src/tests/fuzz/run.sh" "$bin" "$src" "$build" "$secs" "$logs" {}
rc=0
printf '%-16s %14s %10s %8s  %s\n' harness executions exec/s new result
for t in "${targets[@]}"; do
  log=$logs/$t.log
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  new=$(sed -n 's/^stat::new_units_added: *//p' "$log" | tail -1)
  result=ok
  if grep -qE '^==[0-9]+==ERROR|invariant failed|^SUMMARY' "$log" || [[ -z $runs ]]; then
    result=FINDING; rc=1
  fi
  printf '%-16s %14s %10s %8s  %s\n' "$t" "${runs:--}" "${eps:--}" "${new:--}" "$result"
done
ls "$build/findings" | sed 's/^/fuzz: finding: /' || true
exit $rc
