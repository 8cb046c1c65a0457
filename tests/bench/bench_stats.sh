#!/usr/bin/env bash
# Stats benchmarks (make bench; figures in docs/performance.md):
#   1. forwarding TCP 1 stream through shoald with the stats plugin loaded and the sampled
#      per-stage runtime on, against shoald without the plugin (unloaded) and the runtime off
#      (the issue's goal: >= 0.98), and against the plugin loaded with the runtime off; the
#      three alternate BENCH_STATS_ROUNDS times in the same run (PUT /api/v1/stats/runtime,
#      DELETE/POST /api/v1/plugins);
#   2. GET /metrics scrape time (median of 20 curl runs) with 100,000 API routes (the issue's
#      table; the API takes up to SHOAL_ROUTES_MAX_API) and route_metrics top:100 (goal
#      < 20 ms), then all;
#   3. the history ring's memory for one hour of 16 interfaces (the plugin's memory_bytes,
#      from a shoald with 16 TUN interfaces).
# Run as root with SHOAL_BUILD=<release build dir>. Our namespaces only (shoal-<pid>-...).
#
#   +---------------+        +----------------------------------+        +---------------+
#   | s-h1          |  TAP   | s-r  shoald + stats.so           |  TAP   | s-h2          |
#   | lan0 10.0.1.2 +--------+ 10.0.1.1 | 10.0.2.1              +--------+ lan1 10.0.2.2 |
#   | iperf3 -c     |   fd   | API 127.0.0.1:8145, prometheus-  |   fd   | iperf3 -s     |
#   +---------------+        | style scrapes with curl          |        +---------------+
#                            +----------------------------------+
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SHOAL_BUILD=$(cd "${SHOAL_BUILD:-build/release}" 2>/dev/null && pwd) || {
	echo "bench_stats: build directory ${SHOAL_BUILD:-build/release} not found" >&2
	exit 1
}
export SHOAL_BUILD
source "$here/../integration/lib.sh"
require_root
require_cmd ip iperf3 jq curl timeout
secs=${BENCH_FORWARD_SECONDS:-5}
rounds=${BENCH_STATS_ROUNDS:-2}
shoald=$SHOAL_BUILD/router/shoald
port=8145
status=0
[[ -x $shoald && -f $SHOAL_BUILD/plugins/stats.so ]] || {
	log "bench_stats: shoald or plugins/stats.so not built"
	exit 1
}
tmpdir_create dir
mkdir -p "$dir/plugins" "$dir/state" "$dir/secret"
ln -s "$SHOAL_BUILD/plugins/stats.so" "$dir/plugins/"
token=

api() { # METHOD PATH [BODY-FILE]: prints the body
	local args=(-sS --max-time 60 -X "$1" -H "Authorization: Bearer $token")
	[[ -n ${3:-} ]] && args+=(-H 'Content-Type: application/json' --data-binary "@$3")
	ns_exec "$r" curl "${args[@]}" "http://127.0.0.1:$port$2"
}
runtime() { # on|off
	local v=false
	[[ $1 == on ]] && v=true
	echo "{\"enabled\": $v}" >"$dir/rt.json"
	api PUT /api/v1/stats/runtime "$dir/rt.json" | jq -e ".enabled == $v" >/dev/null
}
tcp1() {
	ns_exec "$h1" timeout $((secs + 20)) iperf3 -c 10.0.2.2 -t "$secs" -J |
		jq -r '.end.sum_received.bits_per_second / 1e9'
}
scrape_ms() { # median of 20 scrape times of /metrics, in ms
	for _ in $(seq 20); do
		ns_exec "$r" curl -sS -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $token" \
			"http://127.0.0.1:$port/metrics"
	done | sort -n | awk '{v[NR] = $1} END {printf "%.2f", v[int((NR + 1) / 2)] * 1000}'
}

ns_create h1 s-h1
ns_create h2 s-h2
ns_create r s-r
cat >"$dir/shoald.json" <<EOF2
{"interfaces": [{"name": "lan0", "kind": "tap", "address": "10.0.1.1/24"},
                {"name": "lan1", "kind": "tap", "address": "10.0.2.1/24"}],
 "state_dir": "$dir/state", "plugin_dir": "$dir/plugins",
 "api": {"listen": "127.0.0.1:$port", "token_file": "$dir/secret/api.token"},
 "plugins": [{"name": "stats", "config": {"route_metrics": "top:100"}}]}
EOF2
daemon_start pid "$r" shoald "$shoald" -c "$dir/shoald.json"
if ! { wait_for_link "$r" lan0 10 && wait_for_link "$r" lan1 10 &&
	ns_move "$r" lan0 "$h1" && ns_move "$r" lan1 "$h2" &&
	ns_addr "$h1" lan0 10.0.1.2/24 && ns_addr "$h2" lan1 10.0.2.2/24 &&
	ip -n "$h1" route add default via 10.0.1.1 && ip -n "$h2" route add default via 10.0.2.1 &&
	wait_for_port "$r" $port 10 && wait_for_file "$dir/secret/api.token" 5; }; then
	log "shoald: setup failed"
	daemon_log shoald | sed 's/^/# | /'
	exit 1
fi
token=$(cat "$dir/secret/api.token")

# ---- 1. forwarding, runtime off vs on, alternating
daemon_start srv "$h2" iperf3-s iperf3 -s -B 10.0.2.2
wait_for_port "$h2" 5201 5 || status=1
ns_exec "$h1" timeout 10 iperf3 -c 10.0.2.2 -t 1 >/dev/null 2>&1 || status=1
off=() on=() without=()
echo '{"name":"stats","config":{"route_metrics":"top:100"}}' >"$dir/load_top.json"
for _ in $(seq "$rounds"); do
	runtime off || status=1
	api DELETE /api/v1/plugins/stats >/dev/null || status=1
	without+=("$(tcp1)")
	api POST /api/v1/plugins "$dir/load_top.json" >/dev/null || status=1
	runtime on || status=1
	on+=("$(tcp1)")
	runtime off || status=1
	off+=("$(tcp1)")
done
daemon_stop "$srv" 3
mean() { printf '%s\n' "$@" | awk '{s += $1} END {printf "%.2f", NR ? s / NR : 0}'; }
m_off=$(mean "${off[@]}") m_on=$(mean "${on[@]}") m_without=$(mean "${without[@]}")
log "forwarding TCP 1 stream without the stats plugin (runtime off): ${without[*]} Gbit/s"
log "forwarding TCP 1 stream, stats loaded: runtime off ${off[*]} Gbit/s, on ${on[*]} Gbit/s"
api GET /api/v1/stats/runtime >"$dir/runtime.json"

# ---- 2. /metrics with 100,000 routes (batches under the API's 1 MiB body limit)
nroutes=100000 chunk=12500
for ((start = 0; start < nroutes; start += chunk)); do
	awk -v s=$start -v n=$chunk -v max=$nroutes 'BEGIN {
		printf "{\"operations\":["
		for (i = s; i < s + n && i < max; i++)
			printf "%s{\"op\":\"add\",\"prefix\":\"%d.%d.%d.0/24\",\"next_hop\":\"10.0.2.2\"}",
				(i > s ? "," : ""), 100 + int(i / 65536), int(i / 256) % 256, i % 256
		printf "]}" }' >"$dir/batch.json"
	api POST /api/v1/routes:batch "$dir/batch.json" >/dev/null || status=1
done
have=$(api GET /api/v1/routes | jq '.routes | length')
reload_stats() { # ROUTE_METRICS
	api DELETE /api/v1/plugins/stats >/dev/null
	echo "{\"name\":\"stats\",\"config\":{\"route_metrics\":\"$1\"}}" >"$dir/load.json"
	api POST /api/v1/plugins "$dir/load.json" >/dev/null
}
reload_stats none
none_ms=$(scrape_ms)
reload_stats top:100
top_ms=$(scrape_ms)
top_series=$(ns_exec "$r" curl -s -H "Authorization: Bearer $token" "http://127.0.0.1:$port/metrics" |
	grep -c '^shoal_route_packets_total')
reload_stats all
all_ms=$(scrape_ms)
all_bytes=$(ns_exec "$r" curl -s -H "Authorization: Bearer $token" "http://127.0.0.1:$port/metrics" | wc -c)
daemon_stop "$pid" 5

# ---- 3. one hour of history for 16 interfaces
ns_create r16 s-r16
{
	printf '{"interfaces": ['
	for i in $(seq 0 15); do
		printf '%s{"name": "tun%d", "kind": "tun", "address": "10.100.%d.1/24"}' \
			"$([[ $i -gt 0 ]] && echo ,)" "$i" "$i"
	done
	printf '], "plugin_dir": "%s", "api": {"listen": "127.0.0.1:%d", "token_file": "%s"},' \
		"$dir/plugins" $port "$dir/secret/api16.token"
	printf ' "plugins": [{"name": "stats", "config": {"history_s": 3600}}]}\n'
} >"$dir/shoald16.json"
r=$r16
daemon_start pid16 "$r16" shoald16 "$shoald" -c "$dir/shoald16.json"
mem=-
if wait_for_port "$r16" $port 10 && wait_for_file "$dir/secret/api16.token" 5; then
	token=$(cat "$dir/secret/api16.token")
	mem=$(api GET /api/v1/stats | jq '"\(.memory_bytes) bytes for \(.interfaces | length) interfaces x \(.history_s) s"')
else
	status=1
fi
daemon_stop "$pid16" 5

printf '\n%-58s %s\n' "stats benchmark ($(nproc) CPUs, $secs s/run, $rounds rounds)" value
printf '%-58s %s\n' "TCP 1 stream, no stats plugin, runtime off (mean Gbit/s)" "$m_without"
printf '%-58s %s\n' "TCP 1 stream, runtime off (mean Gbit/s)" "$m_off"
printf '%-58s %s\n' "TCP 1 stream, runtime on (mean Gbit/s)" "$m_on"
printf '%-58s %s\n' "stats + runtime on / without both (goal >= 0.98)" "$(awk -v a="$m_on" -v b="$m_without" 'BEGIN {printf "%.3f", (b > 0 ? a / b : 0)}')"
printf '%-58s %s\n' "runtime on / off, stats loaded" "$(awk -v a="$m_on" -v b="$m_off" 'BEGIN {printf "%.3f", (b > 0 ? a / b : 0)}')"
printf '%-58s %s\n' "/metrics, $have routes, none (reference), median ms" "$none_ms"
printf '%-58s %s\n' "/metrics, $have routes, top:100 ($top_series route series), median ms" "$top_ms (goal < 20)"
printf '%-58s %s\n' "/metrics, $have routes, all ($all_bytes bytes), median ms" "$all_ms"
printf '%-58s %s\n' "history memory, 16 interfaces, 1 h" "$mem"
printf 'runtime per stage (ns per sampled packet): %s\n' \
	"$(jq -c '[.stages[] | {(.name): .ns_per_packet}] | add' "$dir/runtime.json" 2>/dev/null)"
exit $status
