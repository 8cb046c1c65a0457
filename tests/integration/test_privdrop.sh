#!/usr/bin/env bash
# Least privilege (issue 16): shoald started as root with "user": "nobody" runs as nobody;
# the data-plane thread (the main thread) holds only CAP_NET_ADMIN (effective, permitted and
# bounding), every other thread (the HTTP pool, its watchdog) holds no capability and runs
# under the seccomp filter (Seccomp: 2); NoNewPrivs everywhere. After the drop, SIGHUP reload
# still works and a plugin still loads through the API; the token file the API created is
# nobody's. Started unprivileged with an ambient CAP_NET_ADMIN (as systemd's User= and
# AmbientCapabilities= do), the threads end the same. An unknown "user" is refused at start.
#
#   +--------------------+      +------------------------------+      +------------------------+
#   | shoal-<pid>-h1     |      | shoal-<pid>-r                |      | shoal-<pid>-h2         |
#   | lan0 10.0.1.2/24 --+------+-- lan0 10.0.1.1   shoald     +------+-- lan1 10.0.2.2/24     |
#   | default 10.0.1.1   | TAP  |   lan1 10.0.2.1  (nobody)    | TAP  | lo   10.0.9.2/24       |
#   +--------------------+      |   API 127.0.0.1:8144 (in r)  |      | default 10.0.2.1       |
#                               +------------------------------+      +------------------------+
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
source "$here/tools/shoald.sh"
source "$here/tools/api_lib.sh"
require_root
require_cmd ip timeout curl jq setpriv unshare mknod

api_init
NOBODY_UID=$(id -u nobody)
chmod 755 "$TMP"
mkdir -p "$API_STATE" "$(dirname "$API_TOKEN_FILE")"
chown nobody: "$API_STATE" "$(dirname "$API_TOKEN_FILE")"
chmod 700 "$(dirname "$API_TOKEN_FILE")"
api_config "$TMP/r.json" ', "user": "nobody"'
chmod 644 "$TMP/r.json"
api_setup_or_finish "$TMP/r.json"
CAP_NET_ADMIN_MASK=0000000000001000

field() { sed -n "s/^$2:[[:space:]]*//p" "$1" | awk '{print $1}'; }
main=/proc/$SD_PID/task/$SD_PID/status
check_eq "Uid is nobody's" "$NOBODY_UID" "$(field "$main" Uid)"
check_eq "data-plane thread CapEff = CAP_NET_ADMIN" $CAP_NET_ADMIN_MASK "$(field "$main" CapEff)"
check_eq "data-plane thread CapPrm = CAP_NET_ADMIN" $CAP_NET_ADMIN_MASK "$(field "$main" CapPrm)"
check_eq "data-plane thread CapBnd = CAP_NET_ADMIN" $CAP_NET_ADMIN_MASK "$(field "$main" CapBnd)"
check_eq "data-plane thread CapInh = 0" 0000000000000000 "$(field "$main" CapInh)"
check_eq "data-plane thread CapAmb = 0" 0000000000000000 "$(field "$main" CapAmb)"
check_eq "data-plane thread NoNewPrivs" 1 "$(field "$main" NoNewPrivs)"
others=0
bad=""
for st in /proc/$SD_PID/task/*/status; do
	[[ $st == "$main" ]] && continue
	others=$((others + 1))
	for f in CapEff:0000000000000000 CapPrm:0000000000000000 NoNewPrivs:1 Seccomp:2; do
		v=$(field "$st" "${f%%:*}")
		[[ $v == "${f#*:}" ]] || bad+=" $st ${f%%:*}=$v"
	done
done
check "the HTTP threads exist (pool + watchdog: at least 5)" test "$others" -ge 5
check_eq "every HTTP thread: no capability, NoNewPrivs, seccomp filter" "" "$bad"
check_eq "token file created by the API belongs to nobody" nobody "$(stat -c %U "$API_TOKEN_FILE")"

# --- the API works, state is written as nobody
api POST /api/v1/routes '{"prefix":"10.0.9.0/24","next_hop":"10.0.2.2"}'
api_check_status "POST a route after the drop" 201
check "the route carries traffic" api_ping_ok 10.0.9.2
check_eq "state.db belongs to nobody" nobody "$(stat -c %U "$API_STATE/state.db")"
check_eq "its WAL belongs to nobody" nobody "$(stat -c %U "$API_STATE/state.db-wal")"

# --- a plugin loads through the API (data-plane thread, trusted build-tree plugin dir)
if [[ -e $API_PLUGINS/example.so ]]; then
	api POST /api/v1/plugins '{"name":"example"}'
	api_check_status "plugin load through the API after the drop" 201
else
	fail "example plugin built" "$API_PLUGINS/example.so missing"
fi

# --- SIGHUP reload after the drop
api_config "$TMP/r.json" ', "user": "nobody", "routes": [{"prefix": "10.0.8.0/24", "next_hop": "10.0.2.2"}]'
kill -HUP "$SD_PID"
check "SIGHUP reload works after the drop" wait_for "SIGHUP reloaded" 10 grep -q "SIGHUP: reloaded" "$(daemon_log_path "$SD_LABEL")"
api GET /api/v1/routes
check "the reloaded route is in the table" jq -e '[.routes[] | select(.prefix == "10.0.8.0/24")] | length == 1' <<<"$API_BODY"

daemon_stop "$SD_PID" 5
check_eq "shoald exits 0 on SIGTERM" 0 "$?"
check "no sanitizer report" sd_clean "$SD_LABEL"

# --- started unprivileged the way systemd does it (User=nobody,
# AmbientCapabilities=CAP_NET_ADMIN): nothing to switch, the same per-thread result
# (/dev/net/tun is 0600 in some containers, 0666 on Debian: the wrapper gives shoald a 0666
# node in a private mount namespace of its own; nothing outside changes)
cat >"$TMP/shoald-unpriv" <<-EOF2
	#!/bin/sh
	exec unshare -m --propagation private sh -c 'mount -t tmpfs -o mode=755 tmpfs /dev/net &&
		mknod -m 666 /dev/net/tun c 10 200 &&
		exec setpriv --reuid=nobody --regid=$(id -g nobody) --clear-groups \
		--inh-caps=-all,+net_admin --ambient-caps=-all,+net_admin "\$0" "\$@"' "$SHOALD" "\$@"
EOF2
chmod 755 "$TMP/shoald-unpriv"
api_config "$TMP/r.json" ''
REAL_SHOALD=$SHOALD
SHOALD=$TMP/shoald-unpriv
api_setup_or_finish "$TMP/r.json"
SHOALD=$REAL_SHOALD
main=/proc/$SD_PID/task/$SD_PID/status
check_eq "unprivileged start: Uid is nobody's" "$NOBODY_UID" "$(field "$main" Uid)"
check_eq "unprivileged start: data-plane thread CapEff = CAP_NET_ADMIN" $CAP_NET_ADMIN_MASK "$(field "$main" CapEff)"
check_eq "unprivileged start: ambient set cleared" 0000000000000000 "$(field "$main" CapAmb)"
check_eq "unprivileged start: NoNewPrivs" 1 "$(field "$main" NoNewPrivs)"
bad=""
for st in /proc/$SD_PID/task/*/status; do
	[[ $st == "$main" ]] && continue
	for f in CapEff:0000000000000000 CapPrm:0000000000000000 CapAmb:0000000000000000 Seccomp:2; do
		v=$(field "$st" "${f%%:*}")
		[[ $v == "${f#*:}" ]] || bad+=" $st ${f%%:*}=$v"
	done
done
check_eq "unprivileged start: every HTTP thread without capabilities, seccomp on" "" "$bad"
api GET /api/v1/routes
check "unprivileged start: the route saved before is restored" jq -e '[.routes[] | select(.prefix == "10.0.9.0/24")] | length == 1' <<<"$API_BODY"
daemon_stop "$SD_PID" 5
check_eq "unprivileged start: exits 0 on SIGTERM" 0 "$?"
check "unprivileged start: no sanitizer report" sd_clean "$SD_LABEL"

# --- an unknown user is refused
api_config "$TMP/bad.json" ', "user": "no-such-user-shoal16"'
check_not "an unknown user: shoald refuses to start" timeout 20 ns_exec "$R" "$SHOALD" -c "$TMP/bad.json"
finish
