#!/usr/bin/env bash
# tap_copy (tests/bench/tools), the TAP copy loop used as a reference by bench_forward.sh, must be
# a faithful wire: frames pass both ways, with IFF_VNET_HDR GSO super-frames pass whole, without
# it plain frames pass, and SIGTERM ends it cleanly with its devices gone.
#
#   +--------------------+        +--------------------------+        +--------------------+
#   | shoal-<pid>-a      |  TAP   | shoal-<pid>-w            |  TAP   | shoal-<pid>-b      |
#   | ta 10.201.0.1/24   +--------+ tap_copy ta <-> tb       +--------+ tb 10.201.0.2/24   |
#   |  (ping, iperf3 -c) |   fd   |  (holds both TAP fds)    |   fd   |  (iperf3 -s)       |
#   +--------------------+        +--------------------------+        +--------------------+
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
require_root
require_cmd ip ping iperf3 timeout

tap_copy=$SHOAL_BUILD/tests/bench/tools/tap_copy
if [[ ! -x $tap_copy ]]; then
	fail "tap_copy is built" "not found: $tap_copy (configure with -DSHOAL_BENCH=ON)"
	finish
fi

check_not "tap_copy without devices prints usage and fails" "$tap_copy" only-one

# run_wire LABEL [TAP_COPY OPTIONS...]: the topology above, traffic both ways, clean stop.
run_wire() {
	local label=$1 a b w pid srv rc frames bytes
	shift
	ns_create a "$label-a"
	ns_create b "$label-b"
	ns_create w "$label-w"
	daemon_start pid "$w" "tap_copy-$label" "$tap_copy" "$@" ta tb
	if ! { wait_for_link "$w" ta 5 && wait_for_link "$w" tb 5 && ns_move "$w" ta "$a" &&
		ns_move "$w" tb "$b" && ns_addr "$a" ta 10.201.0.1/24 &&
		ns_addr "$b" tb 10.201.0.2/24; }; then
		fail "$label: topology set up"
		return
	fi
	check_not "$label: the TAPs are not in the root namespace" ip link show dev ta
	check "$label: ping a -> b" ns_exec "$a" ping -c 3 -i 0.2 -W 2 10.201.0.2
	check "$label: ping b -> a" ns_exec "$b" ping -c 3 -i 0.2 -W 2 10.201.0.1
	daemon_start srv "$b" "iperf3-$label" iperf3 -s -B 10.201.0.2 -p 5301
	if wait_for_port "$b" 5301 5; then
		check "$label: TCP a -> b" ns_exec "$a" timeout 15 iperf3 -c 10.201.0.2 -p 5301 -t 1
		check "$label: TCP b -> a (reverse)" \
			ns_exec "$a" timeout 15 iperf3 -c 10.201.0.2 -p 5301 -t 1 -R
	else
		fail "$label: iperf3 server listening"
	fi
	daemon_stop "$srv" 3
	daemon_stop "$pid" 5
	rc=$?
	check_eq "$label: tap_copy exits 0 on SIGTERM" 0 "$rc"
	check_not "$label: TAP ta is gone with tap_copy" ip -n "$a" link show dev ta
	check_not "$label: no sanitizer report" \
		grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error' "$(daemon_log_path "tap_copy-$label")"
	# "ta read F frames B bytes": frames tap_copy read from ta, i.e. sent by a.
	read -r frames bytes < <(sed -n 's/^tap_copy: ta read \([0-9]*\) frames \([0-9]*\) bytes.*/\1 \2/p' \
		"$(daemon_log_path "tap_copy-$label")")
	if [[ -z ${frames:-} || $frames -eq 0 ]]; then
		fail "$label: tap_copy reports what it copied" "$(daemon_log "tap_copy-$label")"
		return
	fi
	LAST_AVG_FRAME=$((bytes / frames))
	log "$label: $frames frames from a, average $LAST_AVG_FRAME bytes"
}

LAST_AVG_FRAME=0
run_wire vnet
check "vnet: GSO super-frames pass whole (average frame > 1600 bytes)" \
	test "$LAST_AVG_FRAME" -gt 1600
LAST_AVG_FRAME=0
run_wire plain --no-vnet --batch 1
check "plain: frames are at most MTU-sized without vnet_hdr" \
	test "$LAST_AVG_FRAME" -gt 0 -a "$LAST_AVG_FRAME" -le 1514

finish
