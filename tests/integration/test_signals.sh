#!/usr/bin/env bash
# SIGHUP reloads routes and plugins without dropping traffic, a broken file on SIGHUP is rejected
# and the running routes stay; SIGTERM exits 0 quickly and removes the TAPs shoald created, also
# from the namespaces they were moved to.
# 10.0.9.0/24 lives behind h2 (on its lo) and is reachable only once the config routes it via
# 10.0.2.2.
#
#   +--------------------+      +------------------------------+      +------------------------+
#   | shoal-<pid>-h1     |      | shoal-<pid>-r                |      | shoal-<pid>-h2         |
#   | lan0 10.0.1.2/24 --+------+-- lan0 10.0.1.1   shoald     +------+-- lan1 10.0.2.2/24     |
#   | default 10.0.1.1   | TAP  |   lan1 10.0.2.1              | TAP  | lo   10.0.9.2/24       |
#   +--------------------+      |   (after SIGHUP:             |      | default 10.0.2.1       |
#                               |    10.0.9.0/24 via 10.0.2.2) |      +------------------------+
#                               +------------------------------+
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
source "$here/tools/shoald.sh"
require_root
require_cmd ip ping timeout

tmpdir_create TMP
ns_create H1 h1
ns_create H2 h2
ns_create R r
CFG=$TMP/r.json

# write_config ROUTES_JSON PLUGINS_JSON [EXTRA_KEY_JSON]
write_config() {
	cat >"$CFG.new" <<-EOF
		{"interfaces": [{"name": "lan0", "kind": "tap", "address": "10.0.1.1/24"},
		                {"name": "lan1", "kind": "tap", "address": "10.0.2.1/24"}],
		 "routes": [$1], "plugins": [$2]${3:-}}
	EOF
	mv "$CFG.new" "$CFG"
}

# hup PATTERN: SIGHUP, wait for shoald's next "SIGHUP:" log line; succeeds if it matches PATTERN.
hup() {
	local before
	before=$(grep -c "SIGHUP:" "$LOG")
	kill -HUP "$PID"
	wait_for "a SIGHUP log line" 5 _log_count_ge $((before + 1)) "SIGHUP:" || return 1
	grep "SIGHUP:" "$LOG" | tail -n 1 | grep -q -- "$1"
}
_log_count_ge() {
	[[ $(grep -c "$2" "$LOG") -ge $1 ]]
}

ROUTE9='{"prefix": "10.0.9.0/24", "next_hop": "10.0.2.2"}'
write_config "" ""
if ! { sd_start PID "$R" shoald "$CFG" lan0 lan1 &&
	sd_attach "$R" lan0 "$H1" 10.0.1.2/24 10.0.1.1 &&
	sd_attach "$R" lan1 "$H2" 10.0.2.2/24 10.0.2.1 &&
	ip -n "$H2" addr add 10.0.9.2/24 dev lo; }; then
	fail "topology set up"
	finish
fi
LOG=$(daemon_log_path shoald)

check "ping h1 -> h2" ns_exec "$H1" ping -c 2 -i 0.2 -W 2 10.0.2.2
out=$(ns_exec "$H1" ping -c 1 -W 2 10.0.9.2 2>&1)
check "before the reload 10.0.9.2 is net unreachable" \
	grep -q "From 10.0.1.1 .*Destination Net Unreachable" <<<"$out"

# --- reload adding the route (and the example plugin), with a ping running through it
ns_exec "$H1" ping -c 100 -i 0.05 -W 1 10.0.2.2 >"$TMP/ping" 2>&1 &
PING=$!
register_pid "$PING"
# Each reload happens while the ping is seen running: its reply count has grown past a mark.
ping_replies_over() {
	[[ $(grep -c "bytes from" "$TMP/ping" 2>/dev/null) -gt $1 ]]
}
check "ping running before the first reload" wait_for "ping replies" 10 ping_replies_over 3
# (this reload also turns busy polling on; the second turns it off again)
write_config "$ROUTE9" '{"name": "example"}' ', "forwarding": {"busy_poll_us": 20000}'
check "SIGHUP: reload logged" hup "SIGHUP: reloaded .* (1 routes, 1 plugins)"
check "SIGHUP loaded the example plugin" grep -q "plugin example loaded" "$LOG"
check "ping h1 -> 10.0.9.2 after the reload" ns_exec "$H1" ping -c 3 -i 0.2 -W 2 10.0.9.2
n_replies=$(grep -c "bytes from" "$TMP/ping")
check "ping still running before the second reload" \
	wait_for "more ping replies" 10 ping_replies_over "$((n_replies + 2))"
write_config "$ROUTE9" ""
check "second SIGHUP (plugin removed) logged" hup "SIGHUP: reloaded .* (1 routes, 0 plugins)"
check "SIGHUP unloaded the example plugin" grep -q "plugin example: unloaded" "$LOG"
wait_for_exit "$PING" 10
wait "$PING"
check "ping during both reloads lost nothing (100 of 100)" \
	grep -q "100 packets transmitted, 100 received, 0% packet loss" "$TMP/ping"
check "ping h1 -> 10.0.9.2 still works" ns_exec "$H1" ping -c 2 -i 0.2 -W 2 10.0.9.2

# --- a broken file (unknown key, and it would drop the route) is rejected as a whole
write_config "" "" ', "bogus_key": 1'
check "SIGHUP with a broken file: configuration unchanged" \
	hup "SIGHUP: .* has errors, configuration unchanged"
check "SIGHUP with a broken file: the error names the file and the key" \
	grep -q "error: $CFG: bogus_key: unknown key" "$LOG"
check "the running route stays after the rejected reload" \
	ns_exec "$H1" ping -c 2 -i 0.2 -W 2 10.0.9.2
check "shoald still running" daemon_alive "$PID"

# --- a valid file without the route removes it
write_config "" ""
check "SIGHUP removing the route logged" hup "SIGHUP: reloaded .* (0 routes, 0 plugins)"
out=$(ns_exec "$H1" ping -c 1 -W 2 10.0.9.2 2>&1)
check "after removing the route 10.0.9.2 is net unreachable again" \
	grep -q "From 10.0.1.1 .*Destination Net Unreachable" <<<"$out"
check "connected networks survive the reloads" ns_exec "$H1" ping -c 2 -i 0.2 -W 2 10.0.2.2

# --- SIGTERM
check "the TAPs exist before SIGTERM" ip -n "$H2" link show lan1
t0=${EPOCHREALTIME/[.,]/}
daemon_stop "$PID" 5
rc=$?
ms=$(((${EPOCHREALTIME/[.,]/} - t0) / 1000))
check_eq "SIGTERM: exit status 0" 0 "$rc"
check "SIGTERM: exited within 3 s (${ms} ms)" test "$ms" -lt 3000
check "SIGTERM: the stop was logged" grep -q "stopping (Terminated)" "$LOG"
check_not "SIGTERM: lan0 gone from h1" ip -n "$H1" link show lan0
check_not "SIGTERM: lan1 gone from h2" ip -n "$H2" link show lan1
check_not "SIGTERM: nothing left in r" grep -qE "lan[01]" <<<"$(ip -n "$R" link show)"
check "no sanitizer report" sd_clean shoald
n=$(sd_total shoald "busy polls")
check "SIGHUP applied forwarding.busy_poll_us (${n:-none} polls while it was on)" test "${n:-0}" -gt 0
finish
