#!/usr/bin/env bash
# Bounded API waits and an honest health: a fixture plugin (stall.so) holds the data plane
# while a flag file exists. Held in its tick hook (commands stay queued) and held inside an
# API command (a plugin endpoint that blocks after it started): health answers 503 degraded
# within its bound (1 s), other API calls answer 503 dataplane_busy within theirs (3 s) and
# no HTTP request hangs; when the flag goes, everything answers 200 again and the detached
# command is freed by the data plane (shoald runs under ASan: a touched stale frame or a
# double free aborts it, which the final checks see). Held inside the plugin's metrics hook:
# GET /metrics still answers 200 within the plugins' bound (1 s) with the core's metrics and
# counts shoal_plugin_metrics_errors_total{plugin="stall",reason="timeout"}; a hook whose
# output does not fit counts too_large, one that fails counts failed; every scrape passes
# promtool.
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
require_cmd ip timeout curl jq promtool

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

# 3. Held inside the plugin's metrics hook (GET /metrics): the hook is detached after the
# plugins' bound (1 s); the scrape still answers 200 with the core's metrics, without the
# stalled plugin's lines, counting a timeout for it; output that does not fit counts
# too_large, a hook error counts failed. promtool accepts every scrape.
METRICS_LIMIT=$HEALTH_LIMIT
scrape() { # scrape FILE: GET /metrics with the token into FILE; API_SECS its duration
	timed GET /metrics
	cp "$TMP/api.body" "$1"
}
merr() { awk -v k="shoal_plugin_metrics_errors_total{plugin=\"stall\",reason=\"$2\"}" \
	'$1 == k {print $2}' "$1"; }
scrape "$TMP/m0.txt"
api_check_status "GET /metrics is 200 before the metrics stall" 200
check "the stall plugin's metrics lines are there" grep -q '^shoal_stall_scrapes_total 1$' "$TMP/m0.txt"
check_eq "no metrics hook error counted yet" 0 "$(merr "$TMP/m0.txt" timeout)"
check "promtool check metrics passes (stall plugin loaded)" bash -c "promtool check metrics <'$TMP/m0.txt'"
touch "$FLAG.metrics"
scrape "$TMP/m1.txt"
api_check_status "GET /metrics is 200 while the metrics hook stalls" 200
check "it answered within the plugins' bound (${API_SECS} s <= $METRICS_LIMIT s)" \
	within "$API_SECS" "$METRICS_LIMIT"
check "the hook holds the data plane (flag file created by the plugin)" test -e "$FLAG"
check "the core's metrics are in the stalled scrape" bash -c \
	"grep -q '^shoal_build_info{' '$TMP/m1.txt' && grep -q '^shoal_interface_receive_packets_total{interface=\"lan0\"}' '$TMP/m1.txt'"
check "the stalled plugin's lines are not" bash -c "! grep -q '^shoal_stall_' '$TMP/m1.txt'"
check_eq "the timeout is counted for the stall plugin" 1 "$(merr "$TMP/m1.txt" timeout)"
check "promtool check metrics passes on the stalled scrape" bash -c "promtool check metrics <'$TMP/m1.txt'"
rm -f "$FLAG.metrics" "$FLAG"
check "health turns 200 when the metrics hook lets go" wait_for "health 200" 10 health_is 200
scrape "$TMP/m2.txt"
api_check_status "GET /metrics is 200 after the metrics stall" 200
check "the stall plugin's lines are back (the detached call answered too)" \
	grep -q '^shoal_stall_scrapes_total 3$' "$TMP/m2.txt"
check_eq "the timeout counter kept its value" 1 "$(merr "$TMP/m2.txt" timeout)"
touch "$FLAG.big"
scrape "$TMP/m3.txt"
rm -f "$FLAG.big"
api_check_status "GET /metrics is 200 when a plugin's output does not fit" 200
check_eq "too_large is counted for the stall plugin" 1 "$(merr "$TMP/m3.txt" too_large)"
check "its lines are not in that scrape" bash -c "! grep -q '^shoal_stall_' '$TMP/m3.txt'"
check "promtool check metrics passes on that scrape" bash -c "promtool check metrics <'$TMP/m3.txt'"
touch "$FLAG.fail"
scrape "$TMP/m4.txt"
rm -f "$FLAG.fail"
api_check_status "GET /metrics is 200 when a plugin's metrics hook fails" 200
check_eq "failed is counted for the stall plugin" 1 "$(merr "$TMP/m4.txt" failed)"
check "the core's metrics are in that scrape, the failed plugin's lines are not" bash -c \
	"grep -q '^shoal_build_info{' '$TMP/m4.txt' && ! grep -q '^shoal_stall_' '$TMP/m4.txt'"
check_eq "the other reasons kept their counts (timeout 1, too_large 1)" "1 1" \
	"$(merr "$TMP/m4.txt" timeout) $(merr "$TMP/m4.txt" too_large)"
check "shoald is still running after the detached metrics hook" daemon_alive "$SD_PID"
finish
