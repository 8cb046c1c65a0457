#!/usr/bin/env bash
# Forwarding benchmark: iperf3 from namespace h1 (10.0.1.2) to h2 (10.0.2.2) through
#   (a) the Linux kernel routing between them (reference, ratios are relative to it),
#   (b) the trivial TAP copy loop tests/bench/tools/tap_copy (the floor of any TAP forwarder),
#   (c) shoald, when $SHOAL_BUILD/router/shoald exists (else the column is skipped).
# Run by `make bench` (scripts/run-benches.sh) with SHOAL_BUILD=<release build dir>; as root.
# Every namespace is ours (shoal-<pid>-...), deleted on exit; the root namespace is not touched.
#
# (a) kernel:
#   +--------------+        +---------------------------+        +--------------+
#   | k-h1         |  veth  | k-r  ip_forward=1         |  veth  | k-h2         |
#   | eth0 10.0.1.2+--------+r0 10.0.1.1    r1 10.0.2.1 +--------+eth0 10.0.2.2 |
#   +--------------+        +---------------------------+        +--------------+
#
# (b) TAP copy loop (one subnet, 10.0.0.0/16; tap_copy keeps both TAP fds):
#   +---------------+        +-------------------------+        +---------------+
#   | c-h1          |  TAP   | c-wire                  |  TAP   | c-h2          |
#   | tapa 10.0.1.2 +--------+ tap_copy tapa <-> tapb  +--------+ tapb 10.0.2.2 |
#   +---------------+   fd   +-------------------------+   fd   +---------------+
#
# (c) shoald (creates TAPs lan0/lan1 in s-r, which are moved to the hosts; shoald keeps the fds):
#   +---------------+        +-------------------------+        +---------------+
#   | s-h1          |  TAP   | s-r                     |  TAP   | s-h2          |
#   | lan0 10.0.1.2 +--------+ shoald 10.0.1.1|10.0.2.1+--------+ lan1 10.0.2.2 |
#   | default via .1|   fd   +-------------------------+   fd   | default via .1|
#   +---------------+                                           +---------------+
#
# Each column: TCP 1 stream, TCP 2 streams (-P 2), UDP 64-byte datagrams at full speed (-b 0,
# received packets/s as counted by the server). BENCH_FORWARD_SECONDS (default 5) per run.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SHOAL_BUILD=$(cd "${SHOAL_BUILD:-build/release}" 2>/dev/null && pwd) || {
	echo "bench_forward: build directory ${SHOAL_BUILD:-build/release} not found" >&2
	exit 1
}
export SHOAL_BUILD
source "$here/../integration/lib.sh"
require_root
require_cmd ip iperf3 jq timeout

secs=${BENCH_FORWARD_SECONDS:-5}
tap_copy=$SHOAL_BUILD/tests/bench/tools/tap_copy
shoald=$SHOAL_BUILD/router/shoald
port=5201
status=0
declare -A result # [column.metric] = number

# iperf_run H1 ARGS...: one iperf3 client run from H1 to 10.0.2.2, JSON on stdout.
iperf_run() {
	local h1=$1
	shift
	ns_exec "$h1" timeout $((secs + 20)) iperf3 -c 10.0.2.2 -p "$port" -t "$secs" -J "$@"
}

# measure COLUMN H1 H2: runs the three measurements between two prepared hosts.
measure() {
	local col=$1 h1=$2 h2=$3 srv json
	daemon_start srv "$h2" "iperf3-$col" iperf3 -s -J -B 10.0.2.2 -p "$port"
	if ! wait_for_port "$h2" "$port" 5; then
		log "$col: iperf3 server did not start"
		status=1
		return
	fi
	# Warm-up: ARP/neighbour resolution and path check.
	if ! ns_exec "$h1" timeout 10 iperf3 -c 10.0.2.2 -p "$port" -t 1 >/dev/null 2>&1; then
		log "$col: no path from h1 to h2"
		status=1
		daemon_stop "$srv" 3
		return
	fi
	json=$(iperf_run "$h1")
	result[$col.tcp1]=$(jq -r '.end.sum_received.bits_per_second / 1e9' <<<"$json" 2>/dev/null)
	json=$(iperf_run "$h1" -P 2)
	result[$col.tcp2]=$(jq -r '.end.sum_received.bits_per_second / 1e9' <<<"$json" 2>/dev/null)
	json=$(iperf_run "$h1" -u -l 64 -b 0 --get-server-output)
	result[$col.udp]=$(jq -r '.server_output_json.end.sum |
		(.packets - .lost_packets) / .seconds / 1e3' <<<"$json" 2>/dev/null)
	daemon_stop "$srv" 3
	log "$(printf '%s: TCP 1 stream %.2f Gbit/s, TCP 2 streams %.2f Gbit/s, UDP 64 B %.1f kpps' \
		"$col" "${result[$col.tcp1]:-0}" "${result[$col.tcp2]:-0}" "${result[$col.udp]:-0}")"
}

bench_kernel() {
	local h1 h2 r
	ns_create h1 k-h1
	ns_create h2 k-h2
	ns_create r k-r
	ns_veth "$r" r0 "$h1" eth0 && ns_veth "$r" r1 "$h2" eth0 &&
		ns_addr "$r" r0 10.0.1.1/24 && ns_addr "$r" r1 10.0.2.1/24 &&
		ns_addr "$h1" eth0 10.0.1.2/24 && ns_addr "$h2" eth0 10.0.2.2/24 &&
		ip -n "$h1" route add default via 10.0.1.1 &&
		ip -n "$h2" route add default via 10.0.2.1 &&
		ns_exec "$r" sysctl -qw net.ipv4.ip_forward=1 || {
		log "kernel: topology setup failed"
		status=1
		return
	}
	measure kernel "$h1" "$h2"
}

bench_copy() {
	local h1 h2 w pid
	if [[ ! -x $tap_copy ]]; then
		log "copy: $tap_copy not built; column skipped"
		status=1
		return
	fi
	ns_create h1 c-h1
	ns_create h2 c-h2
	ns_create w c-wire
	daemon_start pid "$w" tap_copy "$tap_copy" tapa tapb
	wait_for_link "$w" tapa 5 && wait_for_link "$w" tapb 5 &&
		ns_move "$w" tapa "$h1" && ns_move "$w" tapb "$h2" &&
		ns_addr "$h1" tapa 10.0.1.2/16 && ns_addr "$h2" tapb 10.0.2.2/16 || {
		log "copy: topology setup failed"
		status=1
		return
	}
	measure copy "$h1" "$h2"
	daemon_stop "$pid" 3
}

bench_shoald() {
	local h1 h2 r pid dir
	if [[ ! -x $shoald ]]; then
		log "shoald: $shoald not built yet; its column is skipped"
		return
	fi
	ns_create h1 s-h1
	ns_create h2 s-h2
	ns_create r s-r
	tmpdir_create dir
	cat >"$dir/shoald.json" <<-'EOF'
		{"interfaces": [{"name": "lan0", "kind": "tap", "address": "10.0.1.1/24"},
		                {"name": "lan1", "kind": "tap", "address": "10.0.2.1/24"}]}
	EOF
	daemon_start pid "$r" shoald "$shoald" -c "$dir/shoald.json"
	wait_for_link "$r" lan0 10 && wait_for_link "$r" lan1 10 &&
		ns_move "$r" lan0 "$h1" && ns_move "$r" lan1 "$h2" &&
		ns_addr "$h1" lan0 10.0.1.2/24 && ns_addr "$h2" lan1 10.0.2.2/24 &&
		ip -n "$h1" route add default via 10.0.1.1 &&
		ip -n "$h2" route add default via 10.0.2.1 || {
		log "shoald: topology setup failed"
		daemon_log shoald | sed 's/^/# | /'
		status=1
		return
	}
	measure shoald "$h1" "$h2"
	if ! daemon_alive "$pid"; then
		log "shoald: died during the benchmark"
		daemon_log shoald | sed 's/^/# | /'
		status=1
	fi
	daemon_stop "$pid" 5
}

# cell COLUMN METRIC: "value (ratio x)" against the kernel column.
cell() {
	local v=${result[$1.$2]:-} k=${result[kernel.$2]:-}
	if [[ -z $v || $v == null ]]; then
		printf '%s' "-"
	elif [[ $1 == kernel || -z $k || $k == null ]]; then
		printf '%.2f' "$v"
	else
		awk -v v="$v" -v k="$k" 'BEGIN { printf "%.2f (%.2fx)", v, (k > 0 ? v / k : 0) }'
	fi
}

t0=$SECONDS
log "forwarding h1 -> h2, iperf3 ${secs} s per run, $(nproc) CPUs, kernel $(uname -r)"
bench_kernel
bench_copy
bench_shoald

printf '\n%-28s %14s %18s %18s\n' "h1 -> h2 ($secs s/run)" kernel "tap copy" shoald
for m in tcp1:"TCP 1 stream (Gbit/s)" tcp2:"TCP 2 streams (Gbit/s)" udp:"UDP 64 B recv (kpps)"; do
	printf '%-28s %14s %18s %18s\n' "${m#*:}" "$(cell kernel "${m%%:*}")" \
		"$(cell copy "${m%%:*}")" "$(cell shoald "${m%%:*}")"
done
[[ -x $shoald ]] || printf '(shoald column skipped: %s not built)\n' "$shoald"
printf 'ratios are against the kernel column; total %d s\n' $((SECONDS - t0))
exit $status
