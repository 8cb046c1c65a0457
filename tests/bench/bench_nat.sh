#!/usr/bin/env bash
# NAT benchmark, in one run, side by side:
#   TCP 1 stream (iperf3) h1 -> h2 through (a) the Linux kernel with MASQUERADE, (b) shoald
#   without NAT, (c) shoald + plugins/nat; new UDP flows per second through (a), (b) and (c)
#   (each datagram from a new source address:port, made by tests/bench/tools/udp_flows,
#   counted by a socket on h2); and the NAT's memory per session (GET /api/v1/nat).
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
# Both shoalds run with forwarding.busy_poll_us BENCH_NAT_BUSY_POLL_US (500; 0 turns it off).
# All three paths are built first and stay up; the measurements then alternate between them so
# that the load of a shared machine falls on all three alike:
# TCP: BENCH_NAT_ROUNDS (9) rounds of one BENCH_NAT_SECONDS (3) s iperf3 run per path, the
#   order rotating each round; reported: the median per path and the median of the per-round
#   ratios (runs seconds apart), and shoald's CPU time (user + system, /proc/PID/stat) per GB
#   carried, which depends much less on the load than the rate does. Each round also runs
#   shoald and shoald+nat at the same time (their own namespaces, so no shared link): both
#   then see the same load, and their ratio compares the two paths' cost.
# New flows: an offered-rate ladder, the same for every path: BENCH_NAT_RATES (datagrams/s,
#   2,000 .. 32,000 in steps of sqrt 2, then to 128,000 in steps of 2^(1/4): the loss-free
#   rate is read at a step, so steps near the paths' limits are finer), BENCH_NAT_STEP_FLOWS
#   (10,000) datagrams per step,
#   each from a new source (10.0.1.2..10.0.1.201 x source ports no earlier step used) to
#   192.0.2.2 port 9 + step. The 64,512 ports of one outside address bound the live mappings
#   of both NATs: MASQUERADE's per destination address:port (hence a port per step; 170,000
#   conntrack entries in all stay below nf_conntrack_max, 262,144), an endpoint-independent
#   NAT's per protocol (hence its sessions are flushed through its API after each step).
#   The datagrams are paced by udp_flows on an absolute schedule and tagged with the step;
#   the receiver counts each step's arrivals. A step passes when >= 99 % arrive. Reported per
#   path: the highest rate actually offered (sent / send time; the kernel path makes sendto
#   wait, so it can be below the nominal rate) at which a step passed: the loss-free new-flow
#   rate. A sender that outruns the router loses datagrams in the TAP's queue (counted as
#   h1's lan0 tx dropped, printed) and fails the step: that is the router's limit, measured
#   the same way for every path.
# Engine: tests/bench/tools/nat_core_flows, the NAT engine alone in the same table size (no TAP,
#   no kernel): ns per new flow, per datagram of an existing flow, per flushed session; with
#   warm caches, then with 1 MB written through before each datagram (cold, as in shoald).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SHOAL_BUILD=$(cd "${SHOAL_BUILD:-build/release}" 2>/dev/null && pwd) || {
	echo "bench_nat: build directory ${SHOAL_BUILD:-build/release} not found" >&2
	exit 1
}
export SHOAL_BUILD
source "$here/../integration/lib.sh"
require_root
require_cmd ip iperf3 jq timeout iptables curl awk

secs=${BENCH_NAT_SECONDS:-3}
rounds=${BENCH_NAT_ROUNDS:-9}
step_flows=${BENCH_NAT_STEP_FLOWS:-10000}
busy_poll=${BENCH_NAT_BUSY_POLL_US:-500} # forwarding.busy_poll_us of both shoalds
read -r -a rates <<<"${BENCH_NAT_RATES:-2000 2800 4000 5600 8000 11300 16000 22600 32000 38000 45000 54000 64000 76000 90000 108000 128000}"
hosts=200
flows_tool=$SHOAL_BUILD/tests/bench/tools/udp_flows
shoald=$SHOAL_BUILD/router/shoald
natso=$SHOAL_BUILD/plugins/nat.so
port=5201
status=0
cols=(kernel shoald nat)
declare -A H1 H2 R PID DIR API up   # per path
declare -A result                   # [path.metric]
declare -A tcp ticks                # [path.round] Gbit/s, shoald CPU ticks per GB

hosts_up() { # H1 H2 IF1 IF2
	ns_addr "$1" "$3" 10.0.1.2/24 && ns_addr "$2" "$4" 192.0.2.2/24 &&
		ip -n "$1" route add default via 10.0.1.1 && ip -n "$2" route add default via 192.0.2.1
}

iperf_up() { # PATH: server on h2, one 1 s run to open the path (ARP, NAT session)
	# shellcheck disable=SC2034 # srv is set by daemon_start (stopped by lib.sh on exit)
	local col=$1 srv
	daemon_start srv "${H2[$col]}" "iperf3-$col" iperf3 -s -B 192.0.2.2 -p "$port"
	if ! wait_for_port "${H2[$col]}" "$port" 5 ||
		! ns_exec "${H1[$col]}" timeout 10 iperf3 -c 192.0.2.2 -p "$port" -t 1 >/dev/null 2>&1; then
		log "$col: no TCP path from h1 to h2"
		status=1
		return 1
	fi
	up[$col]=1
}

setup_kernel() {
	local h1 h2 r
	ns_create h1 k-h1
	ns_create h2 k-h2
	ns_create r k-r
	H1[kernel]=$h1 H2[kernel]=$h2 R[kernel]=$r
	ns_veth "$r" r0 "$h1" eth0 && ns_veth "$r" r1 "$h2" eth0 &&
		ns_addr "$r" r0 10.0.1.1/24 && ns_addr "$r" r1 192.0.2.1/24 &&
		hosts_up "$h1" "$h2" eth0 eth0 &&
		ns_exec "$r" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
			net.ipv4.conf.r0.rp_filter=0 &&
		ns_exec "$r" iptables -t nat -A POSTROUTING -o r1 -j MASQUERADE || {
		log "kernel: topology setup failed"
		status=1
		return 1
	}
	iperf_up kernel
}

setup_shoald() { # PATH NAT(0|1) API_PORT
	local col=$1 nat=$2 api=$3 h1 h2 r pid dir plugins=""
	if [[ ! -x $shoald ]] || { [[ $nat == 1 ]] && [[ ! -f $natso ]]; }; then
		log "$col: shoald or nat.so not built; path skipped"
		status=1
		return 1
	fi
	ns_create h1 "${col:0:1}-h1"
	ns_create h2 "${col:0:1}-h2"
	ns_create r "${col:0:1}-r"
	tmpdir_create dir
	H1[$col]=$h1 H2[$col]=$h2 R[$col]=$r DIR[$col]=$dir API[$col]=$api
	if [[ $nat == 1 ]]; then
		plugins=', "plugin_dir": "'$SHOAL_BUILD/plugins'", "plugins": [{"name": "nat", "config":
		  {"outside": ["lan1"], "max_sessions": 200000, "max_sessions_per_host": 200000}}]'
	fi
	cat >"$dir/shoald.json" <<-EOF2
		{"interfaces": [{"name": "lan0", "kind": "tap", "address": "10.0.1.1/24"},
		                {"name": "lan1", "kind": "tap", "address": "192.0.2.1/24"}],
		 "state_dir": "$dir/state",
		 "forwarding": {"busy_poll_us": $busy_poll},
		 "api": {"listen": "127.0.0.1:$api", "token_file": "$dir/api.token"}$plugins}
	EOF2
	daemon_start pid "$r" "shoald-$col" "$shoald" -c "$dir/shoald.json"
	PID[$col]=$pid
	wait_for_link "$r" lan0 10 && wait_for_link "$r" lan1 10 &&
		ns_move "$r" lan0 "$h1" && ns_move "$r" lan1 "$h2" && hosts_up "$h1" "$h2" lan0 lan1 || {
		log "$col: topology setup failed"
		daemon_log "shoald-$col" | sed 's/^/# | /'
		status=1
		return 1
	}
	iperf_up "$col"
}

cpu_ticks() { # PID: user + system clock ticks so far
	awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

tcp_run() { # PATH: one iperf3 run; prints "Gbit/s shoald-CPU-s-per-GB" ("-" for the kernel)
	local col=$1 json t0=0 t1 gb gbit
	[[ -n ${PID[$col]:-} ]] && t0=$(cpu_ticks "${PID[$col]}")
	json=$(ns_exec "${H1[$col]}" timeout $((secs + 20)) iperf3 -c 192.0.2.2 -p "$port" -t "$secs" -J)
	gbit=$(jq -r '.end.sum_received.bits_per_second / 1e9' <<<"$json" 2>/dev/null)
	gb=$(jq -r '.end.sum_received.bytes / 1e9' <<<"$json" 2>/dev/null)
	if [[ -n ${PID[$col]:-} ]]; then
		t1=$(cpu_ticks "${PID[$col]}")
		awk -v b="${gbit:-0}" -v t=$((t1 - t0)) -v g="${gb:-0}" -v hz="$(getconf CLK_TCK)" \
			'BEGIN { if (g > 0) printf "%s %.3f\n", b, t / hz / g; else printf "%s -\n", b }'
	else
		echo "${gbit:-0} -"
	fi
}

tcp1() { # PATH ROUND
	local col=$1 rnd=$2 out
	read -r tcp[$col.$rnd] out < <(tcp_run "$col")
	[[ $out != - ]] && ticks[$col.$rnd]=$out
	log "$(printf 'round %d %s: TCP 1 stream %.2f Gbit/s%s' "$rnd" "$col" "${tcp[$col.$rnd]:-0}" \
		"${ticks[$col.$rnd]:+, shoald ${ticks[$col.$rnd]} CPU s/GB}")"
}

tcp_pair() { # ROUND: shoald and shoald+nat at the same time (the same load on both)
	local rnd=$1 a b pa pb
	a=$(mktemp "$dir_pair/s.XXXXXX") b=$(mktemp "$dir_pair/n.XXXXXX")
	tcp_run shoald >"$a" &
	pa=$!
	tcp_run nat >"$b" &
	pb=$!
	wait "$pa" "$pb"
	read -r tcp[pshoald.$rnd] _ <"$a"
	read -r tcp[pnat.$rnd] _ <"$b"
	log "$(printf 'round %d at the same time: shoald %.2f Gbit/s, shoald+nat %.2f Gbit/s' "$rnd" \
		"${tcp[pshoald.$rnd]:-0}" "${tcp[pnat.$rnd]:-0}")"
}

median() { # numbers on stdin -> median ("" when none)
	sort -g | awk '{ v[NR] = $1 } END { if (NR) printf "%.3f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

tx_dropped() { # NS IF
	ip -n "$1" -s -j link show dev "$2" 2>/dev/null | jq -r '.[0].stats64.tx.dropped // 0'
}

flows() { # PATH
	local col=$1 rcv log k base out sent took got pass best=0 ifname=lan0 drop0
	[[ $col == kernel ]] && ifname=eth0
	drop0=$(tx_dropped "${H1[$col]}" "$ifname")
	daemon_start rcv "${H2[$col]}" "flows-$col" "$flows_tool" recv 9 3000 120000 "${#rates[@]}"
	log=$(daemon_log_path "flows-$col")
	wait_for "udp_flows receiver ready" 5 grep -q '^ready$' "$log" || {
		status=1
		return
	}
	declare -a step_sent step_took
	base=1024
	for k in "${!rates[@]}"; do
		out=$(ns_exec "${H1[$col]}" "$flows_tool" send 10.0.1.0 "$hosts" "$base" "$step_flows" \
			192.0.2.2 $((9 + k)) "${rates[$k]}" "$k")
		step_sent[k]=$(sed -n 's/^sent \([0-9]*\) in [0-9.]* s$/\1/p' <<<"$out")
		step_took[k]=$(sed -n 's/^sent [0-9]* in \([0-9.]*\) s$/\1/p' <<<"$out")
		base=$((base + (step_flows + hosts - 1) / hosts))
		[[ $col == nat ]] && nat_flush
		sleep 0.3 # a gap between steps, so that one step's queue does not spill into the next
	done
	wait_for_exit "$rcv" 130
	for k in "${!rates[@]}"; do
		got=$(sed -n "s/^tag $k \\([0-9]*\\)$/\\1/p" "$log")
		got=${got:-0}
		sent=${step_sent[k]:-0}
		took=${step_took[k]:-0}
		pass=$(awk -v g="$got" -v s="$sent" 'BEGIN { print (s > 0 && g >= 0.99 * s) ? 1 : 0 }')
		offered=$(awk -v s="$sent" -v t="$took" 'BEGIN { if (t > 0) printf "%.0f", s / t; else print 0 }')
		[[ $pass == 1 ]] && ((offered > best)) && best=$offered
		log "$(printf '%s: step %2d nominal %6d/s offered %6d/s received %5d of %5d%s' "$col" "$k" \
			"${rates[$k]}" "$offered" "$got" "$sent" "$([[ $pass == 1 ]] || echo '  (lost > 1 %)')")"
	done
	result[$col.flows]=$best
	log "$col: loss-free new flows/s $best; h1 $ifname tx dropped (queue full) $(($(tx_dropped "${H1[$col]}" "$ifname") - drop0))"
}

nat_flush() { # the NAT's sessions of the step just sent: its ports would run out otherwise
	ns_exec "${R[nat]}" curl -s -o /dev/null -X DELETE -H "Authorization: Bearer $(cat "${DIR[nat]}/api.token")" \
		"http://127.0.0.1:${API[nat]}/api/v1/nat/sessions"
}

nat_api() {
	local dir=${DIR[nat]} j
	wait_for_file "$dir/api.token" 5 || return
	j=$(ns_exec "${R[nat]}" curl -s -H "Authorization: Bearer $(cat "$dir/api.token")" \
		"http://127.0.0.1:${API[nat]}/api/v1/nat")
	result[nat.mem]=$(jq -r '.memory_bytes' <<<"$j")
	result[nat.max]=$(jq -r '.settings.max_sessions' <<<"$j")
	result[nat.sessions]=$(jq -r '.counts.sessions' <<<"$j")
	log "nat: GET /api/v1/nat: memory_bytes ${result[nat.mem]}, max_sessions ${result[nat.max]}, sessions ${result[nat.sessions]}, drops $(jq -c '.drops' <<<"$j")"
}

ratio() { # A B: "A/B" as "x.xx"
	awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else printf "-" }'
}

ratios() { # A B: the per-round ratios A/B, one a line
	local r
	for ((r = 0; r < rounds; r++)); do
		ratio "${tcp[$1.$r]:-}" "${tcp[$2.$r]:-}"
		echo
	done | grep -v '^-$'
}

t0=$SECONDS
log "NAT h1 -> h2: TCP $rounds rounds x ${secs} s per path, new-flow ladder ${rates[*]}/s x $step_flows, $(nproc) CPUs, kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
setup_kernel
setup_shoald shoald 0 8145
setup_shoald nat 1 8146
dir_pair=""
tmpdir_create dir_pair
for ((r = 0; r < rounds; r++)); do
	for i in 0 1 2; do
		col=${cols[(i + r) % 3]}
		[[ -n ${up[$col]:-} ]] && tcp1 "$col" "$r"
	done
	[[ -n ${up[shoald]:-} && -n ${up[nat]:-} ]] && tcp_pair "$r"
done
for col in "${cols[@]}"; do
	[[ -n ${up[$col]:-} ]] && flows "$col"
done
[[ -n ${up[nat]:-} ]] && nat_api
engine=""
if [[ -x $SHOAL_BUILD/tests/bench/tools/nat_core_flows ]]; then # the engine alone, no TAP
	engine=$("$SHOAL_BUILD/tests/bench/tools/nat_core_flows" &&
		"$SHOAL_BUILD/tests/bench/tools/nat_core_flows" 15 5000 1024) || status=1
fi
for col in shoald nat; do
	if [[ -n ${PID[$col]:-} ]] && ! daemon_alive "${PID[$col]}"; then
		log "$col: shoald died during the benchmark"
		daemon_log "shoald-$col" | sed 's/^/# | /'
		status=1
	fi
done
log "load at the end $(cut -d' ' -f1-3 /proc/loadavg)"

for col in "${cols[@]}"; do
	result[$col.tcp1]=$(for ((r = 0; r < rounds; r++)); do echo "${tcp[$col.$r]:-}"; done | grep . | median)
	result[$col.cpu]=$(for ((r = 0; r < rounds; r++)); do echo "${ticks[$col.$r]:-}"; done | grep . | median)
done
gbit() { awk -v v="${1:-}" 'BEGIN { if (v != "" && v != "null") printf "%.2f", v; else printf "-" }'; }
printf '\n%-34s %14s %14s %14s\n' "h1 -> h2" "kernel MASQ" "shoald" "shoald+nat"
printf '%-34s %14s %14s %14s\n' "TCP 1 stream, median (Gbit/s)" "$(gbit "${result[kernel.tcp1]:-}")" \
	"$(gbit "${result[shoald.tcp1]:-}")" "$(gbit "${result[nat.tcp1]:-}")"
printf '%-34s %14s %14s %14s\n' "  shoald CPU s per GB, median" "-" "${result[shoald.cpu]:--}" \
	"${result[nat.cpu]:--}"
printf '%-34s %14s %14s %14s\n' "loss-free new UDP flows/s" "${result[kernel.flows]:--}" \
	"${result[shoald.flows]:--}" "${result[nat.flows]:--}"
printf 'nat / shoald TCP, median of %d same-round ratios: %s (goal >= 0.95; rounds: %s)\n' "$rounds" \
	"$(ratios nat shoald | median)" "$(ratios nat shoald | tr '\n' ' ')"
printf 'nat / kernel MASQ TCP, median of same-round ratios: %s (goal >= 0.7; rounds: %s)\n' \
	"$(ratios nat kernel | median)" "$(ratios nat kernel | tr '\n' ' ')"
printf 'nat / shoald TCP run at the same time, median of %d rounds: %s (rounds: %s)\n' "$rounds" \
	"$(ratios pnat pshoald | median)" "$(ratios pnat pshoald | tr '\n' ' ')"
printf 'shoald / kernel TCP, median of same-round ratios: %s\n' "$(ratios shoald kernel | median)"
printf 'nat / shoald CPU per GB: %s\n' "$(ratio "${result[nat.cpu]:-}" "${result[shoald.cpu]:-}")"
printf 'nat / conntrack loss-free new flows/s: %s (goal >= 1.0); nat / shoald: %s\n' \
	"$(ratio "${result[nat.flows]:-}" "${result[kernel.flows]:-}")" \
	"$(ratio "${result[nat.flows]:-}" "${result[shoald.flows]:-}")"
if [[ -n ${result[nat.mem]:-} && ${result[nat.max]:-0} -gt 0 ]]; then
	printf 'nat memory: %s bytes for max_sessions %s (tables sized up front) = %s B/session (goal <= 128)\n' \
		"${result[nat.mem]}" "${result[nat.max]}" \
		"$(awk -v m="${result[nat.mem]}" -v n="${result[nat.max]}" 'BEGIN { printf "%.1f", m / n }')"
fi
[[ -n $engine ]] && printf '%s\n' "$engine"
printf 'total %d s\n' $((SECONDS - t0))
exit $status
