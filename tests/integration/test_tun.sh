#!/usr/bin/env bash
# A TUN interface whose peer is a namespace's kernel: h1 (TAP) - r - h3 (TUN, point-to-point, no
# ARP). Run twice: the TUN with offload (virtio-net headers, TSO) and without.
#
#   +--------------------+      +------------------------------+      +----------------------+
#   | shoal-<pid>-X-h1   |      | shoal-<pid>-X-r              |      | shoal-<pid>-X-h3     |
#   | lan0 10.0.1.2/24 --+------+-- lan0 10.0.1.1/24  shoald   |      |                      |
#   | default 10.0.1.1   | TAP  |   tun0 10.0.3.1/24 ----------+------+-- tun0 10.0.3.2/24   |
#   +--------------------+      +------------------------------+ TUN  | default via 10.0.3.1 |
#                                                                     +----------------------+
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
source "$here/tools/shoald.sh"
require_root
require_cmd ip ping timeout python3

tmpdir_create TMP

# run_tun NAME OFFLOAD(true|false)
run_tun() {
	local name=$1 off=$2 h1 h3 r pid rpid sent out rc n
	ns_create h1 "$name-h1"
	ns_create h3 "$name-h3"
	ns_create r "$name-r"
	cat >"$TMP/$name.json" <<-EOF
		{"interfaces": [{"name": "lan0", "kind": "tap", "address": "10.0.1.1/24"},
		                {"name": "tun0", "kind": "tun", "address": "10.0.3.1/24",
		                 "offload": $off}]}
	EOF
	if ! { sd_start pid "$r" "shoald-$name" "$TMP/$name.json" lan0 tun0 &&
		sd_attach "$r" lan0 "$h1" 10.0.1.2/24 10.0.1.1 &&
		sd_attach "$r" tun0 "$h3" 10.0.3.2/24 10.0.3.1; }; then
		fail "$name: topology set up"
		return
	fi
	check "$name: tun0 in h3 is a point-to-point link without ARP" \
		grep -q "POINTOPOINT.*NOARP" <<<"$(ip -n "$h3" link show tun0)"
	check "$name: ping h3 -> router 10.0.3.1 (TUN)" ns_exec "$h3" ping -c 2 -i 0.2 -W 2 10.0.3.1
	check "$name: ping h1 -> h3 (TAP to TUN)" ns_exec "$h1" ping -c 3 -i 0.2 -W 2 10.0.3.2
	check "$name: ping h3 -> h1 (TUN to TAP)" ns_exec "$h3" ping -c 3 -i 0.2 -W 2 10.0.1.2
	check "$name: 3000-byte ping h1 -> h3 (fragments)" \
		ns_exec "$h1" ping -c 2 -i 0.2 -W 2 -s 3000 10.0.3.2
	out=$(ns_exec "$h3" ping -c 1 -t 1 -W 2 10.0.1.2 2>&1)
	check "$name: TTL 1 from h3 gets time exceeded from 10.0.3.1" \
		grep -q "From 10.0.3.1 .*Time to live exceeded" <<<"$out"

	# 50 MB each way, digests compared.
	for dir in "h1 h3 10.0.3.2 5011 11" "h3 h1 10.0.1.2 5012 12"; do
		read -r src dst addr port seed <<<"$dir"
		local -n s_ns=$src d_ns=$dst
		ns_exec "$d_ns" timeout 40 python3 "$NETTOOL" --timeout 20 tcp-recv "$addr" "$port" \
			>"$TMP/recv.$name.$port" 2>&1 &
		rpid=$!
		register_pid "$rpid"
		if ! wait_for_port "$d_ns" "$port" 5; then
			fail "$name: receiver listening in $dst"
			continue
		fi
		sent=$(ns_exec "$s_ns" timeout 40 python3 "$NETTOOL" --timeout 20 tcp-send "$addr" \
			"$port" 52428800 "$seed" 2>&1)
		wait "$rpid"
		check_eq "$name: TCP $src -> $dst, 50 MB intact" "$sent" "$(cat "$TMP/recv.$name.$port")"
		check "$name: $src sent 50 MB" test "${sent%% *}" = 52428800
		unset -n s_ns d_ns
	done

	daemon_stop "$pid" 5
	rc=$?
	check_eq "$name: shoald exits 0" 0 "$rc"
	check "$name: no sanitizer report" sd_clean "shoald-$name"
	check_not "$name: tun0 removed from h3 at exit" ip -n "$h3" link show tun0
	n=$(sd_tx "shoald-$name" tun0)
	check "$name: tun0 carried the traffic (${n:-none} packets out)" test "${n:-0}" -gt 500
}

run_tun offload true
run_tun nooffload false
finish
