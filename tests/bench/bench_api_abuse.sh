#!/usr/bin/env bash
# HTTP API under abuse (issue 16; run by `make bench` through scripts/run-benches.sh with
# SHOAL_BUILD=<release build>; as root). shoald with the default API limits
# (api.max_connections 4096, api.max_connections_per_ip 64, request_timeout_s 10,
# idle_timeout_s 15). tools/api_abuse.py holds 1,000 idle connections and 300 slowloris
# connections (one header byte every 4 s) from 127.0.0.2.. (50 per address; whatever the
# server cuts is reopened at once) and, after 12 s of attack (past the 10 s request deadline, so
# the cutting and reopening is under way), times 100 sequential
# GET /api/v1/health requests (one connection each) from 127.0.0.1. Reference in the same run:
# the same 100 requests with no attack. Goal: p99 under attack <= 100 ms and every request
# answered (exit status 1 otherwise).
#
#   +-------------------------------------------+
#   | shoal-<p>-r                               |
#   |  shoald, API 127.0.0.1:8144               |
#   |  api_abuse.py: attackers 127.0.0.2..28,   |
#   |                normal client 127.0.0.1    |
#   +-------------------------------------------+   (h1, h2 as in tools/api_lib.sh)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SHOAL_BUILD=$(cd "${SHOAL_BUILD:-build/release}" 2>/dev/null && pwd) || {
	echo "bench_api_abuse: build directory ${SHOAL_BUILD:-build/release} not found" >&2
	exit 1
}
export SHOAL_BUILD
source "$here/../integration/lib.sh"
source "$here/../integration/tools/shoald.sh"
source "$here/../integration/tools/api_lib.sh"
require_root
require_cmd ip curl /usr/bin/python3

api_init
api_config "$TMP/r.json" ''
api_setup_or_finish "$TMP/r.json"
ABUSE=$SHOAL_SRC/tests/integration/tools/api_abuse.py
ref=$(ns_exec "$R" /usr/bin/python3 "$ABUSE" --port "$API_PORT" --idle 0 --slowloris 0 \
	--requests 100 --hold 0 --timeout 5)
echo "reference (no attack):            $ref"
out=$(ns_exec "$R" timeout 300 /usr/bin/python3 "$ABUSE" --port "$API_PORT" --idle 1000 \
	--slowloris 300 --per-addr 50 --requests 100 --hold 12 --byte-every 4 --timeout 5)
rc=$?
echo "1000 idle + 300 slowloris held:  $out"
p99=$(sed -n 's/.*p99_ms=\([0-9.]*\).*/\1/p' <<<"$out")
check_eq "every request answered under attack" 0 "$rc"
check "p99 under attack <= 100 ms (got ${p99:-none} ms)" awk -v p="${p99:-1e9}" 'BEGIN { exit !(p <= 100) }'
daemon_stop "$SD_PID" 5
finish
