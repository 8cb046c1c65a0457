#!/usr/bin/env bash
# HTTP API, concurrency: 50 clients at once add, replace and delete routes (one by one and in
# batches, some batches failing on purpose). Each client owns some prefixes and knows their exact
# state (so every answer's status is checked), and all of them fight over 5 shared prefixes
# (successful adds and deletes must alternate). The final table must be exactly what the
# successful answers imply, survive a restart unchanged, and the forwarding path must still work.
#
#   +--------------------+      +------------------------------+      +------------------------+
#   | shoal-<pid>-h1     |      | shoal-<pid>-r                |      | shoal-<pid>-h2         |
#   | lan0 10.0.1.2/24 --+------+-- lan0 10.0.1.1   shoald     +------+-- lan1 10.0.2.2/24     |
#   | default 10.0.1.1   | TAP  |   lan1 10.0.2.1              | TAP  | lo   10.0.9.2/24       |
#   +--------------------+      |   API 127.0.0.1:8144 (in r)  |      | default 10.0.2.1       |
#                               |   <- 50 clients (python, r)  |      +------------------------+
#                               +------------------------------+
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
source "$here/tools/shoald.sh"
source "$here/tools/api_lib.sh"
require_root
require_cmd ip ping timeout curl jq /usr/bin/python3

CLIENTS=50
OPS=${API_CONCURRENCY_OPS:-60}
api_init
api_config "$TMP/r.json"
api_setup_or_finish "$TMP/r.json"

# A ping runs during the whole storm: forwarding must not stall while the API works.
ns_exec "$H1" ping -c 40 -i 0.1 -W 1 10.0.2.2 >"$TMP/ping" 2>&1 &
pinger=$!
register_pid "$pinger"
out=$(ns_exec "$R" timeout 240 /usr/bin/python3 "$API_CLIENT" --port "$API_PORT" \
	--token "$API_TOKEN" concurrency "$CLIENTS" "$OPS" 7 2>&1)
rc=$?
printf '%s\n' "$out" | jq -c 'del(.routes)' 2>/dev/null | sed 's/^/# /'
if [[ $rc -eq 0 ]]; then
	pass "$CLIENTS clients x $OPS ops: every status as expected, final table = what the answers imply"
else
	fail "$CLIENTS clients x $OPS ops: consistent table" "$(jq -r '.problems[]?' <<<"$out" 2>/dev/null | head -20)" "${out:0:1500}"
fi
final=$(jq -cS '{routes}' <<<"$out" 2>/dev/null)
check "the storm left routes behind to compare ($(jq '.routes | length' <<<"$final" 2>/dev/null))" \
	test "$(jq '.routes | length' <<<"$final" 2>/dev/null || echo 0)" -gt 20
check_eq "GET /api/v1/routes again equals the final table" "$final" "$(api_routes)"
wait "$pinger"
check "ping h1 -> h2 during the storm lost nothing" grep -q " 0% packet loss" "$TMP/ping"
check "shoald still running" daemon_alive "$SD_PID"

daemon_stop "$SD_PID" 5
check_eq "shoald exits 0 on SIGTERM" 0 "$?"
check "no sanitizer report" sd_clean "$SD_LABEL"
api_setup_or_finish "$TMP/r.json"
check_eq "after a restart the table is identical" "$final" "$(api_routes)"
api POST /api/v1/routes '{"prefix":"10.0.9.0/24","next_hop":"10.0.2.2"}'
api_check_status "a route can still be added after the storm: 201" 201
check "and carries traffic" api_ping_ok 10.0.9.2
daemon_stop "$SD_PID" 5
check_eq "shoald exits 0 on SIGTERM (second run)" 0 "$?"
check "no sanitizer report (second run)" sd_clean "$SD_LABEL"
finish
