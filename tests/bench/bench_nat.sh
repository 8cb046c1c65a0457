#!/usr/bin/env bash
# NAT benchmark, in one run, side by side:
#   TCP 1 stream (iperf3) h1 -> h2 through (a) the Linux kernel with MASQUERADE, (b) shoald
#   without NAT, (c) shoald + plugins/nat; new UDP flows per second through (a) and (c) (each
#   datagram from a new source address:port, made by tests/bench/tools/udp_flows, counted by
#   a socket on h2); and the NAT's memory per session (GET /api/v1/nat memory_bytes).
# Run by `make bench` (scripts/run-benches.sh) with SHOAL_BUILD=<release build dir>; as root.
# Every namespace is ours (shoal-<pid>-...), deleted on exit; iptables runs in k-r only.
#
# (a) kernel:
#   +--------------+       +-------------------------------------+       +------------------+
#   | k-h1         | veth  | k-r ip_forward=1, rp_filter=0       | veth  | k-h2             |
#   | eth0 10.0.1.2+-------+r0 10.0.1.1  r1 192.0.2.1 MASQUERADE +-------+eth0 192.0.2.2    |
#   +--------------+       +-------------------------------------+       | default via .1   |
#                                                                        +------------------+
# (b)/(c) shoald (TAPs lan0/lan1 moved to the hosts; (c) loads nat with outside lan1):
#   +--------------+       +-------------------------------------+       +------------------+
#   | s-h1 / n-h1  |  TAP  | s-r / n-r  shoald                   |  TAP  | s-h2 / n-h2      |
#   | lan0 10.0.1.2+-------+ 10.0.1.1 | 192.0.2.1  API 127.0.0.1 +-------+ lan1 192.0.2.2   |
#   | default .1   |       +-------------------------------------+       | default via .1   |
#   +--------------+                                                     +------------------+
# New flows: udp_flows sends BENCH_NAT_FLOWS (default 50,000: below the 64,512 ports of one
# outside address, which bound an endpoint-independent NAT's UDP mappings) datagrams from
# 10.0.1.2..10.0.1.201 x rising source ports to 192.0.2.2:9 as fast as it can; the rate is
# received datagrams / the longer of the send time and the receive span.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SHOAL_BUILD=$(cd "${SHOAL_BUILD:-build/release}" 2>/dev/null && pwd) || {
	echo "bench_nat: build directory ${SHOAL_BUILD:-build/release} not found" >&2
	exit 1
}
export SHOAL_BUILD
source "$here/../integration/lib.sh"
require_root
require_cmd ip iperf3 jq timeout iptables curl

secs=${BENCH_NAT_SECONDS:-5}
nflows=${BENCH_NAT_FLOWS:-50000}
flows_tool=$SHOAL_BUILD/tests/bench/tools/udp_flows
shoald=$SHOAL_BUILD/router/shoald
natso=$SHOAL_BUILD/plugins/nat.so
port=5201
api_port=8145
status=0
declare -A result # [column.metric] = number

tcp1() { # COLUMN H1 H2
	local col=$1 h1=$2 h2=$3 srv json
	daemon_start srv "$h2" "iperf3-$col" iperf3 -s -B 192.0.2.2 -p "$port"
	if ! wait_for_port "$h2" "$port" 5 ||
		! ns_exec "$h1" timeout 10 iperf3 -c 192.0.2.2 -p "$port" -t 1 >/dev/null 2>&1; then
		log "$col: no TCP path from h1 to h2"
		status=1
		daemon_stop "$srv" 3
		return
	fi
	json=$(ns_exec "$h1" timeout $((secs + 20)) iperf3 -c 192.0.2.2 -p "$port" -t "$secs" -J)
	result[$col.tcp1]=$(jq -r '.end.sum_received.bits_per_second / 1e9' <<<"$json" 2>/dev/null)
	daemon_stop "$srv" 3
	log "$(printf '%s: TCP 1 stream %.2f Gbit/s' "$col" "${result[$col.tcp1]:-0}")"
}

flows() { # COLUMN H1 H2
	local col=$1 h1=$2 h2=$3 rcv out got span sent
	if [[ ! -x $flows_tool ]]; then
		log "$col: $flows_tool not built"
		status=1
		return
	fi
	daemon_start rcv "$h2" "flows-$col" "$flows_tool" recv 9 1500 60000
	wait_for "udp_flows receiver ready" 5 grep -q '^ready$' "$(daemon_log_path "flows-$col")"
	out=$(ns_exec "$h1" "$flows_tool" send 10.0.1.0 200 1024 "$nflows" 192.0.2.2 9)
	wait_for_exit "$rcv" 70
	got=$(sed -n 's/^received \([0-9]*\) in \([0-9.]*\) s$/\1 \2/p' "$(daemon_log_path "flows-$col")")
	sent=$(sed -n 's/^sent [0-9]* in \([0-9.]*\) s$/\1/p' <<<"$out")
	result[$col.flows]=$(awk -v g="${got% *}" -v r="${got#* }" -v s="${sent:-0}" \
		'BEGIN { t = (r > s ? r : s); if (g > 0 && t > 0) printf "%.0f", g / t / 1e3 * 1e3 }')
	result[$col.flows_got]=${got% *}
	log "$col: $out; received ${got% *} in ${got#* } s -> ${result[$col.flows]:-?} new flows/s"
}

hosts_up() { # H1 H2 IF1 IF2
	ns_addr "$1" "$3" 10.0.1.2/24 && ns_addr "$2" "$4" 192.0.2.2/24 &&
		ip -n "$1" route add default via 10.0.1.1 && ip -n "$2" route add default via 192.0.2.1
}

bench_kernel() {
	local h1 h2 r
	ns_create h1 k-h1
	ns_create h2 k-h2
	ns_create r k-r
	ns_veth "$r" r0 "$h1" eth0 && ns_veth "$r" r1 "$h2" eth0 &&
		ns_addr "$r" r0 10.0.1.1/24 && ns_addr "$r" r1 192.0.2.1/24 &&
		hosts_up "$h1" "$h2" eth0 eth0 &&
		ns_exec "$r" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
			net.ipv4.conf.r0.rp_filter=0 &&
		ns_exec "$r" iptables -t nat -A POSTROUTING -o r1 -j MASQUERADE || {
		log "kernel: topology setup failed"
		status=1
		return
	}
	tcp1 kernel "$h1" "$h2"
	flows kernel "$h1" "$h2"
	log "kernel: conntrack entries after the flows: $(ns_exec "$r" cat /proc/sys/net/netfilter/nf_conntrack_count 2>/dev/null || echo ?)"
}

bench_shoald() { # COLUMN NAT(0|1)
	local col=$1 nat=$2 h1 h2 r pid dir plugins=""
	if [[ ! -x $shoald ]] || { [[ $nat == 1 ]] && [[ ! -f $natso ]]; }; then
		log "$col: shoald or nat.so not built; column skipped"
		status=1
		return
	fi
	ns_create h1 "${col:0:1}-h1"
	ns_create h2 "${col:0:1}-h2"
	ns_create r "${col:0:1}-r"
	tmpdir_create dir
	if [[ $nat == 1 ]]; then
		plugins=', "plugin_dir": "'$SHOAL_BUILD/plugins'", "plugins": [{"name": "nat", "config":
		  {"outside": ["lan1"], "max_sessions": 200000, "max_sessions_per_host": 200000}}]'
	fi
	cat >"$dir/shoald.json" <<-EOF
		{"interfaces": [{"name": "lan0", "kind": "tap", "address": "10.0.1.1/24"},
		                {"name": "lan1", "kind": "tap", "address": "192.0.2.1/24"}],
		 "state_dir": "$dir/state",
		 "api": {"listen": "127.0.0.1:$api_port", "token_file": "$dir/api.token"}$plugins}
	EOF
	daemon_start pid "$r" "shoald-$col" "$shoald" -c "$dir/shoald.json"
	wait_for_link "$r" lan0 10 && wait_for_link "$r" lan1 10 &&
		ns_move "$r" lan0 "$h1" && ns_move "$r" lan1 "$h2" && hosts_up "$h1" "$h2" lan0 lan1 || {
		log "$col: topology setup failed"
		daemon_log "shoald-$col" | sed 's/^/# | /'
		status=1
		return
	}
	tcp1 "$col" "$h1" "$h2"
	if [[ $nat == 1 ]]; then
		flows "$col" "$h1" "$h2"
		wait_for_file "$dir/api.token" 5
		local j
		j=$(ns_exec "$r" curl -s -H "Authorization: Bearer $(cat "$dir/api.token")" \
			"http://127.0.0.1:$api_port/api/v1/nat")
		result[$col.mem]=$(jq -r '.memory_bytes' <<<"$j")
		result[$col.max]=$(jq -r '.settings.max_sessions' <<<"$j")
		result[$col.sessions]=$(jq -r '.counts.sessions' <<<"$j")
		log "$col: GET /api/v1/nat: memory_bytes ${result[$col.mem]}, max_sessions ${result[$col.max]}, sessions ${result[$col.sessions]}, drops $(jq -c '.drops' <<<"$j")"
	fi
	if ! daemon_alive "$pid"; then
		log "$col: shoald died during the benchmark"
		daemon_log "shoald-$col" | sed 's/^/# | /'
		status=1
	fi
	daemon_stop "$pid" 5
}

ratio() { # A B: "A/B" as "x.xx"
	awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else printf "-" }'
}

t0=$SECONDS
log "NAT h1 -> h2, iperf3 ${secs} s, $nflows new UDP flows, $(nproc) CPUs, kernel $(uname -r)"
bench_kernel
bench_shoald shoald 0
bench_shoald nat 1

printf '\n%-34s %14s %14s %14s\n' "h1 -> h2" "kernel MASQ" "shoald" "shoald+nat"
gbit() { awk -v v="${1:-}" 'BEGIN { if (v != "" && v != "null") printf "%.2f", v; else printf "-" }'; }
printf '%-34s %14s %14s %14s\n' "TCP 1 stream (Gbit/s)" "$(gbit "${result[kernel.tcp1]:-}")" \
	"$(gbit "${result[shoald.tcp1]:-}")" "$(gbit "${result[nat.tcp1]:-}")"
printf '%-34s %14s %14s %14s\n' "new UDP flows/s" "${result[kernel.flows]:--}" "-" \
	"${result[nat.flows]:--}"
printf '%-34s %14s %14s %14s\n' "  (flows received of $nflows)" "${result[kernel.flows_got]:--}" "-" \
	"${result[nat.flows_got]:--}"
printf 'nat / shoald TCP: %s (goal >= 0.95); nat / kernel MASQ TCP: %s (goal >= 0.7)\n' \
	"$(ratio "${result[nat.tcp1]:-}" "${result[shoald.tcp1]:-}")" \
	"$(ratio "${result[nat.tcp1]:-}" "${result[kernel.tcp1]:-}")"
printf 'nat / conntrack new flows/s: %s (goal >= 1.0)\n' \
	"$(ratio "${result[nat.flows]:-}" "${result[kernel.flows]:-}")"
if [[ -n ${result[nat.mem]:-} && ${result[nat.max]:-0} -gt 0 ]]; then
	printf 'nat memory: %s bytes for max_sessions %s (tables sized up front) = %s B/session (goal <= 128)\n' \
		"${result[nat.mem]}" "${result[nat.max]}" \
		"$(awk -v m="${result[nat.mem]}" -v n="${result[nat.max]}" 'BEGIN { printf "%.1f", m / n }')"
fi
printf 'total %d s\n' $((SECONDS - t0))
exit $status
