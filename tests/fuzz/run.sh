#!/usr/bin/env bash
# Runs one libFuzzer harness over its seed corpus, then on random inputs for SECONDS.
#   run.sh HARNESS CORPUS WORKDIR FINDINGS SECONDS [libFuzzer flags...]
# FUZZ_FLAGS adds libFuzzer flags too (e.g. FUZZ_FLAGS=-runs=10000000); CORPUS.flags, when it
# exists, holds the harness's own flags (one per line, # starts a comment) after the defaults.
# New inputs go to WORKDIR (emptied first unless FUZZ_KEEP_WORK=1), never into the tree's
# CORPUS; a crash or a broken invariant is saved under FINDINGS and fails the run.
set -euo pipefail
exe=$1 corpus=$2 work=$3 findings=$4 secs=$5
shift 5
[[ ${FUZZ_KEEP_WORK:-0} == 1 ]] || rm -rf "$work"
mkdir -p "$work" "$findings"
own=()
[[ -f $corpus.flags ]] && mapfile -t own < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$corpus.flags")
dirs=("$work")
[[ -d $corpus ]] && dirs+=("$corpus")
exec "$exe" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
  -print_final_stats=1 -artifact_prefix="$findings/$(basename "$exe")-" "${own[@]}" ${FUZZ_FLAGS:-} "$@" "${dirs[@]}"
