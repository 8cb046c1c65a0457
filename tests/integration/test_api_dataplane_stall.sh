#!/usr/bin/env bash
# Bounded API waits and an honest health: a fixture plugin (stall.so) holds the data plane
# while a flag file exists. Held in its tick hook (commands stay queued) and held inside an
# API command (a plugin endpoint that blocks after it started): health answers 503 degraded
# within its bound (1 s), other API calls answer 503 dataplane_busy within theirs (3 s) and
# no HTTP request hangs; when the flag goes, everything answers 200 again and the detached
# command is freed by the data plane (shoald runs under ASan: a touched stale frame or a
# double free aborts it, which the final checks see).
#
#   +--------------------+      +------------------------------+      +------------------------+
#   | shoal-<pid>-h1     |      | shoal-<pid>-r                |      | shoal-<pid>-h2         |
#   | lan0 10.0.1.2/24 --+------+-- lan0 10.0.1.1   shoald     +------+-- lan1 10.0.2.2/24     |
#   | default 10.0.1.1   | TAP  |   lan1 10.0.2.1   + stall.so | TAP  | default 10.0.2.1       |
#   +--------------------+      |   API 127.0.0.1:8144 (in r)  |      +------------------------+
#                               +------------------------------+
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
source "$here/tools/shoald.sh"
source "$here/tools/api_lib.sh"
require_root
require_cmd ip timeout curl jq

STALL_SO=$SHOAL_BUILD/tests/fixtures/plugins/stall.so
api_init
if [[ ! -f $STALL_SO ]]; then
	fail "stall fixture built ($STALL_SO)"
	finish
fi
ln -sf "$STALL_SO" "$API_PLUGINS/"
FLAG=$TMP/stall.flag
api_config "$TMP/r.json" ", \"plugins\": [{\"name\": \"stall\", \"config\": {\"flag\": \"$FLAG\"}}]"
api_setup_or_finish "$TMP/r.json"

# timed METHOD PATH [BODY]: like api, and sets API_SECS to the request's duration.
timed() {
	local t0 t1
	t0=$(date +%s%N)
	api "$@"
	t1=$(date +%s%N)
	API_SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
}

# within SECS LIMIT: SECS <= LIMIT
within() { awk -v s="$1" -v l="$2" 'BEGIN { exit !(s <= l) }'; }

check_healthy() {
	local when=$1
	api GET /api/v1/health
	api_check_status "health is 200 $when" 200
	check "health says ok and responsive $when" \
		jq -e '.status == "ok" and .dataplane.responsive == true and
			(.dataplane.last_loop_ms | type == "number") and .dataplane.timeout_ms == 1000' \
		<<<"$API_BODY"
	api GET /api/v1/routes
	api_check_status "GET /routes is 200 $when" 200
}

# Limits: the bounds (1 s health, 3 s API) plus slack for ASan on a loaded machine.
HEALTH_LIMIT=2.5
API_LIMIT=5.5

check_stuck() {
	local how=$1
	timed GET /api/v1/health
	api_check_status "health is 503 while the data plane is held ($how)" 503
	check "health says degraded, not responsive ($how)" \
		jq -e '.status == "degraded" and .dataplane.responsive == false' <<<"$API_BODY"
	check "health answered within its bound ($how: ${API_SECS} s <= $HEALTH_LIMIT s)" \
		within "$API_SECS" "$HEALTH_LIMIT"
	local last
	last=$(api_jq .dataplane.last_loop_ms)
	check "last_loop_ms shows the stalled loop ($how: $last ms >= 500)" test "${last:-0}" -ge 500
	timed GET /api/v1/routes
	api_check_status "GET /routes is 503 dataplane_busy ($how)" 503 dataplane_busy
	check "GET /routes answered within its bound ($how: ${API_SECS} s <= $API_LIMIT s)" \
		within "$API_SECS" "$API_LIMIT"
	timed POST /api/v1/routes '{"prefix": "10.77.0.0/16", "next_hop": "10.0.1.2"}'
	api_check_status "POST /routes is 503 dataplane_busy ($how)" 503 dataplane_busy
	check "POST /routes answered within its bound ($how: ${API_SECS} s <= $API_LIMIT s)" \
		within "$API_SECS" "$API_LIMIT"
}

# health_is CODE: the health endpoint answers CODE now.
health_is() {
	[[ $(ns_exec "$R" curl -s --max-time 4 -o /dev/null -w '%{http_code}' \
		"http://127.0.0.1:$API_PORT/api/v1/health") == "$1" ]]
}

check_healthy "at start"

# 1. Held in the tick hook: commands never start; they are cancelled at the deadline.
touch "$FLAG"
check "health turns 503 once the tick hook holds the data plane" \
	wait_for "health 503" 10 health_is 503
check_stuck "held in a tick hook"
rm -f "$FLAG"
check "health turns 200 when the tick hook lets go" wait_for "health 200" 10 health_is 200
check_healthy "after the tick hook let go"
api GET /api/v1/routes/10.77.0.0/16
api_check_status "the POST that timed out changed nothing" 404 route_not_found

# 2. Held inside an API command: the plugin endpoint starts, blocks, and is detached.
timed POST /api/v1/stall/block '{}'
api_check_status "a plugin endpoint that blocks answers 503 dataplane_busy" 503 dataplane_busy
check "it says the request goes on in the background" \
	grep -q "background" <<<"$(api_jq .error.message)"
check "it answered within its bound (${API_SECS} s <= $API_LIMIT s)" within "$API_SECS" "$API_LIMIT"
check "the hook holds the data plane (flag file created by the plugin)" test -e "$FLAG"
check_stuck "held inside an API command"
rm -f "$FLAG"
check "health turns 200 when the command finishes" wait_for "health 200" 10 health_is 200
check_healthy "after the command finished"
api GET /api/v1/plugins/stall
check "the stall plugin counted both holds" jq -e '.counters.stalls == 2' <<<"$API_BODY"
check "shoald is still running (no ASan abort after the detached command)" daemon_alive "$SD_PID"
finish
