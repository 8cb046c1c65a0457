#!/usr/bin/env bash
# HTTP API benchmark (run by `make bench` through scripts/run-benches.sh with
# SHOAL_BUILD=<release build>; as root). Every figure is the median of BENCH_API_RUNS (3) runs.
#   1. routes added per second through the API: one by one (POST /api/v1/routes, one keep-alive
#      connection, each answer after state.json was fsynced) and in batches of 1,000
#      (POST /api/v1/routes:batch) up to 10,000 routes;
#   2. GET /api/v1/routes requests/s with those 10,000 routes (wrk, 2 threads, 8 connections);
#   3. API latency (p50/p99 of sequential GET /api/v1/routes/lookup, which goes through the
#      command queue to the data plane) idle and while iperf3 saturates h1 -> h2 forwarding;
#   4. forwarding throughput (iperf3 TCP, 1 stream) idle and while wrk hammers the API
#      (1 thread, 4 connections) with GET /api/v1/routes/lookup (each one a command on the
#      data-plane thread) — must stay within 10% of idle, exit status 1 otherwise — and with
#      GET /api/v1/health (since issue 9 also one no-op command on the data-plane thread),
#      and with lookups paced at BENCH_API_PACE (1000) per second by one client.
# Every namespace is ours (shoal-<pid>-...), deleted on exit; the root namespace is not touched.
#
#   +---------------+        +----------------------------+        +---------------+
#   | shoal-<p>-h1  |  TAP   | shoal-<p>-r                |  TAP   | shoal-<p>-h2  |
#   | lan0 10.0.1.2 +--------+ shoald 10.0.1.1 | 10.0.2.1 +--------+ lan1 10.0.2.2 |
#   | iperf3 client |   fd   | API 127.0.0.1:8144         |   fd   | iperf3 server |
#   +---------------+        | wrk / api_client.py        |        +---------------+
#                            +----------------------------+
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SHOAL_BUILD=$(cd "${SHOAL_BUILD:-build/release}" 2>/dev/null && pwd) || {
	echo "bench_api: build directory ${SHOAL_BUILD:-build/release} not found" >&2
	exit 1
}
export SHOAL_BUILD
source "$here/../integration/lib.sh"
require_root
require_cmd ip iperf3 jq timeout wrk curl /usr/bin/python3

runs=${BENCH_API_RUNS:-3}
secs=${BENCH_API_SECONDS:-5}
shoald=$SHOAL_BUILD/router/shoald
client=$SHOAL_SRC/tests/integration/tools/api_client.py
port=8144
status=0
if [[ ! -x $shoald ]]; then
	echo "bench_api: $shoald not built" >&2
	exit 1
fi

# median V...: the middle value (numbers).
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

ns_create H1 h1
ns_create H2 h2
ns_create R r
tmpdir_create TMP
cat >"$TMP/r.json" <<EOF
{"interfaces": [{"name": "lan0", "kind": "tap", "address": "10.0.1.1/24"},
                {"name": "lan1", "kind": "tap", "address": "10.0.2.1/24"}],
 "state_dir": "$TMP/state",
 "api": {"listen": "127.0.0.1:$port", "token_file": "$TMP/secret/api.token"}}
EOF
daemon_start PID "$R" shoald "$shoald" -c "$TMP/r.json"
if ! { wait_for_link "$R" lan0 10 && wait_for_link "$R" lan1 10 &&
	ns_move "$R" lan0 "$H1" && ns_move "$R" lan1 "$H2" &&
	ns_addr "$H1" lan0 10.0.1.2/24 && ns_addr "$H2" lan1 10.0.2.2/24 &&
	ip -n "$H1" route add default via 10.0.1.1 && ip -n "$H2" route add default via 10.0.2.1 &&
	wait_for_port "$R" "$port" 10 && wait_for_file "$TMP/secret/api.token" 5; }; then
	log "setup failed"
	daemon_log shoald | sed 's/^/# | /'
	exit 1
fi
TOKEN=$(cat "$TMP/secret/api.token")
cli() {
	ns_exec "$R" /usr/bin/python3 "$client" --port "$port" --token "$TOKEN" "$@"
}
lua=$TMP/auth.lua
printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$TOKEN" >"$lua"
# wrk_rps PATH THREADS CONNS: requests/s (non-2xx answers make the figure invalid: prints 0).
wrk_rps() {
	local out
	out=$(ns_exec "$R" wrk -t "$2" -c "$3" -d "${secs}s" -s "$lua" "http://127.0.0.1:$port$1" 2>&1)
	if grep -q "Non-2xx" <<<"$out"; then
		log "wrk $1: non-2xx answers: $(grep Non-2xx <<<"$out")"
		echo 0
		return
	fi
	sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' <<<"$out"
}
# iperf_gbps: TCP 1 stream h1 -> h2, Gbit/s received.
iperf_gbps() {
	ns_exec "$H1" timeout $((secs + 20)) iperf3 -c 10.0.2.2 -t "$secs" -J |
		jq -r '.end.sum_received.bits_per_second / 1e9 * 100 | round / 100'
}
# fw_hammered PATH TAG: forwarding Gbit/s while wrk (1 thread, 4 connections) hammers PATH;
# wrk's requests/s in $TMP/wrk.TAG.
fw_hammered() {
	local wrk_pid
	ns_exec "$R" wrk -t 1 -c 4 -d "$((secs + 3))s" -s "$lua" "http://127.0.0.1:$port$1" >"$TMP/wrk.$2" 2>&1 &
	wrk_pid=$!
	sleep 1
	iperf_gbps
	wait "$wrk_pid"
}
# fw_paced RATE PATH TAG: forwarding Gbit/s while one client GETs PATH at RATE requests/s;
# the achieved rate in $TMP/pace.TAG.
fw_paced() {
	local pace_pid
	cli pace "$1" "$((secs + 3))" "$2" >"$TMP/pace.$3" 2>&1 &
	pace_pid=$!
	sleep 1
	iperf_gbps
	wait "$pace_pid"
}

t0=$SECONDS
log "API benchmark: shoald $shoald, $(nproc) CPUs, kernel $(uname -r), $runs runs per figure"

# --- 1. routes added per second
one=() batch=()
for r in $(seq 1 "$runs"); do
	one+=("$(cli add_one 2000)") || status=1
	cli del_batch 2000 1000 128 >/dev/null || status=1
	batch+=("$(cli add_batch 10000 1000)") || status=1
	[[ $r -lt $runs ]] && { cli del_batch 10000 1000 160 >/dev/null || status=1; }
done
n_routes=$(ns_exec "$R" curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$port/api/v1/routes" | jq '.routes | length')
log "routes added one by one (2,000, fsync each): ${one[*]} routes/s"
log "routes added in batches of 1,000 (10,000): ${batch[*]} routes/s"
log "table now holds $n_routes routes"

# --- 2. GET /api/v1/routes with 10,000 routes
get=()
for r in $(seq 1 "$runs"); do
	get+=("$(wrk_rps /api/v1/routes 2 8)")
done
log "GET /api/v1/routes ($n_routes routes): ${get[*]} requests/s"

# --- 3/4. forwarding vs API
daemon_start SRV "$H2" iperf3 iperf3 -s -B 10.0.2.2
wait_for_port "$H2" 5201 5 || { log "iperf3 server did not start"; exit 1; }
ns_exec "$H1" timeout 10 iperf3 -c 10.0.2.2 -t 1 >/dev/null 2>&1 || { log "no path h1 -> h2"; exit 1; }
LOOKUP='/api/v1/routes/lookup?address=10.0.2.2'
PACE=${BENCH_API_PACE:-1000}
idle_fw=() busy_fw=() health_fw=() paced_fw=() idle_p99=() busy_p99=() idle_p50=() busy_p50=()
for r in $(seq 1 "$runs"); do
	idle_fw+=("$(iperf_gbps)")
	read -r p50 p99 _ < <(cli latency "$secs" "$LOOKUP")
	idle_p50+=("$p50") idle_p99+=("$p99")
	# API latency while iperf3 saturates forwarding
	ns_exec "$H1" timeout $((secs + 20)) iperf3 -c 10.0.2.2 -t $((secs + 2)) >/dev/null 2>&1 &
	ip_pid=$!
	sleep 1
	read -r p50 p99 _ < <(cli latency "$secs" "$LOOKUP")
	busy_p50+=("$p50") busy_p99+=("$p99")
	wait "$ip_pid"
	# forwarding while wrk hammers the API: lookups (through the data plane's command queue)
	# and health (a no-op round trip through the command queue)
	busy_fw+=("$(fw_hammered "$LOOKUP" "lookup.$r")")
	health_fw+=("$(fw_hammered /api/v1/health "health.$r")")
	paced_fw+=("$(fw_paced "$PACE" "$LOOKUP" "$r")")
done
daemon_stop "$SRV" 3
m_idle=$(median "${idle_fw[@]}")
m_busy=$(median "${busy_fw[@]}")
m_health=$(median "${health_fw[@]}")
m_paced=$(median "${paced_fw[@]}")
rps_of() {
	sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$TMP"/wrk."$1".* | sort -g | tr '\n' ' '
}
log "forwarding idle: ${idle_fw[*]} Gbit/s"
log "forwarding, wrk hammering lookups ($(rps_of lookup)req/s): ${busy_fw[*]} Gbit/s"
log "forwarding, lookups paced at $PACE/s (achieved $(cat "$TMP"/pace.* | tr '\n' ' ')): ${paced_fw[*]} Gbit/s"
log "forwarding, wrk hammering health ($(rps_of health)req/s): ${health_fw[*]} Gbit/s"
log "lookup latency idle p50/p99: ${idle_p50[*]} / ${idle_p99[*]} ms; under iperf3: ${busy_p50[*]} / ${busy_p99[*]} ms"
if ! daemon_alive "$PID"; then
	log "shoald died during the benchmark"
	status=1
fi
daemon_stop "$PID" 5

ratio=$(awk -v b="$m_busy" -v i="$m_idle" 'BEGIN { printf "%.3f", (i > 0 ? b / i : 0) }')
printf '\nAPI benchmark (median of %d runs, %d s each, %d CPUs)\n' "$runs" "$secs" "$(nproc)"
printf '%-58s %12s\n' "routes added one by one (routes/s)" "$(median "${one[@]}")"
printf '%-58s %12s\n' "routes added in batches of 1,000 (routes/s)" "$(median "${batch[@]}")"
printf '%-58s %12s\n' "GET /api/v1/routes, $n_routes routes (requests/s)" "$(median "${get[@]}")"
printf '%-58s %12s\n' "lookup latency idle p50 / p99 (ms)" "$(median "${idle_p50[@]}") / $(median "${idle_p99[@]}")"
printf '%-58s %12s\n' "lookup latency under iperf3 p50 / p99 (ms)" "$(median "${busy_p50[@]}") / $(median "${busy_p99[@]}")"
printf '%-58s %12s\n' "forwarding TCP 1 stream idle (Gbit/s)" "$m_idle"
printf '%-58s %12s\n' "forwarding TCP 1 stream, lookups hammered (Gbit/s)" "$m_busy"
printf '%-58s %12s\n' "forwarding TCP 1 stream, health hammered (Gbit/s)" "$m_health"
printf '%-58s %12s\n' "forwarding TCP 1 stream, $PACE lookups/s (Gbit/s)" "$m_paced"
printf '%-58s %12s\n' "$PACE lookups/s / idle" \
	"$(awk -v b="$m_paced" -v i="$m_idle" 'BEGIN { printf "%.3f", (i > 0 ? b / i : 0) }')"
printf '%-58s %12s\n' "health hammered / idle" \
	"$(awk -v b="$m_health" -v i="$m_idle" 'BEGIN { printf "%.3f", (i > 0 ? b / i : 0) }')"
if awk -v r="$ratio" 'BEGIN { exit !(r >= 0.9) }'; then
	printf '%-58s %12s\n' "lookups hammered / idle (must be >= 0.90)" "$ratio OK"
else
	printf '%-58s %12s\n' "lookups hammered / idle (must be >= 0.90)" "$ratio FAIL"
	status=1
fi
printf 'total %d s\n' $((SECONDS - t0))
exit $status
