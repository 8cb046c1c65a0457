#!/usr/bin/env bash
# shoald under a service manager (Type=notify, WatchdogSec=): with NOTIFY_SOCKET set it sends
# READY=1 once its TAP and API are up, WATCHDOG=1 every half WATCHDOG_USEC from the data-plane
# tick, RELOADING=1 then READY=1 around a SIGHUP, STOPPING=1 on SIGTERM. A python listener in
# the root namespace plays systemd (an AF_UNIX path socket reaches across namespaces).
#
#   root namespace                       shoal-<pid>-r
#   notify listener <--- AF_UNIX dgram -- shoald (tap lan0 10.0.1.1/24, API 127.0.0.1:8144)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
source "$here/tools/shoald.sh"
require_root
require_cmd ip ss /usr/bin/python3

tmpdir_create TMP
ns_create R r
ip -n "$R" link set lo up
SOCK=$TMP/notify
MSGS=$TMP/messages
: >"$MSGS"
cat >"$TMP/r.json" <<EOF
{"interfaces": [{"name": "lan0", "kind": "tap", "address": "10.0.1.1/24"}],
 "api": {"listen": "127.0.0.1:8144", "token_file": "$TMP/api.token"},
 "state_dir": "$TMP"}
EOF

daemon_start LPID - notify /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
while True:
    m = s.recv(4096).decode().replace("\n", " ")
    with open(sys.argv[2], "a") as f:
        f.write(m + "\n")
' "$SOCK" "$MSGS"
wait_for "the notify socket" 5 test -S "$SOCK" || die "listener did not start"

# 400 ms watchdog: keep-alives every 200 ms.
daemon_start PID "$R" shoald env NOTIFY_SOCKET="$SOCK" WATCHDOG_USEC=400000 \
	"$SHOALD" -v -c "$TMP/r.json"
_count() { grep -c -- "$1" "$MSGS"; }
_count_ge() { [[ $(_count "$1") -ge $2 ]]; }

if wait_for "READY=1" 10 _count_ge "READY=1" 1; then
	# READY=1 means up: both must already hold when it arrives.
	check "at READY=1 the TAP exists" ip -n "$R" link show lan0
	check "at READY=1 the API listens" _shoal_port_listening "$R" 8144 tcp
	check "READY=1 is the first message (no keep-alive before it)" \
		bash -c "head -n1 '$MSGS' | grep -q '^READY=1 STATUS='"
else
	fail "shoald sent READY=1" "$(cat "$MSGS")"
fi
check "keep-alives: at least 3 WATCHDOG=1 within 3 s" wait_for "3 keep-alives" 3 _count_ge "WATCHDOG=1" 3

kill -HUP "$PID"
if wait_for "RELOADING=1" 5 _count_ge "RELOADING=1" 1 && wait_for "READY=1 again" 5 _count_ge "READY=1" 2; then
	check "SIGHUP: RELOADING=1, then READY=1" \
		bash -c "grep -E '^(RELOADING|READY)=1' '$MSGS' | tail -n2 | cut -d' ' -f1 | tr '\n' ' ' | grep -qx 'RELOADING=1 READY=1 '"
else
	fail "SIGHUP: RELOADING=1 and READY=1" "$(cat "$MSGS")"
fi

daemon_stop "$PID"
rc=$?
check_eq "SIGTERM: exit status" 0 "$rc"
check "SIGTERM: STOPPING=1 sent" grep -q "^STOPPING=1" "$MSGS"
check "no sanitizer report" sd_clean shoald
finish
