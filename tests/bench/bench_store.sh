#!/usr/bin/env bash
# State store benchmark (router/store.c, control's group commit), run by `make bench` through
# scripts/run-benches.sh with SHOAL_BUILD=<release build>; as root. Every route write is
# durable: the 2xx comes after the SQLite transaction holding it was fdatasync()ed.
#   0. reference: small appends + fdatasync per second in the state directory (the disk);
#   1. one client, one keep-alive connection, routes POSTed one by one: routes/s of the first
#      1,000 and of the last 1,000 of N (BENCH_STORE_N, default 100,000);
#   2. restart with those N API routes: time from exec until the API answers a lookup with an
#      API route (the routes are in the data plane's table), and until a ping goes through an
#      API route (this includes the benchmark moving the new TAPs into h1/h2);
#   3. 8 clients at once (one connection each), N/5 routes in all: routes/s (group commit);
#   4. batches of 1,000 (POST /api/v1/routes:batch), N routes: routes/s of the first and last
#      10% of the batches and overall.
# Goals (issue 9): 1. >= 2,500/s and the last 1,000 within 20% of the first; 2. < 2 s;
# 3. >= 10,000/s; 4. >= 200,000/s. Printed as OK / MISSED; the exit status is 1 only when a
# step fails (a non-2xx answer, shoald dying). Small N for a quick try: BENCH_STORE_N=5000.
# BENCH_STORE_DIR=DIR puts the state directory under DIR instead of the test's temporary
# directory (e.g. /dev/shm: no disk, to see what the CPU path alone costs).
#
#   +---------------+        +----------------------------+        +---------------+
#   | shoal-<p>-h1  |  TAP   | shoal-<p>-r                |  TAP   | shoal-<p>-h2  |
#   | lan0 10.0.1.2 +--------+ shoald 10.0.1.1 | 10.0.2.1 +--------+ lan1 10.0.2.2 |
#   |               |   fd   | API 127.0.0.1:8144         |   fd   | lo 10.0.9.2   |
#   +---------------+        | state_dir $TMP/state       |        +---------------+
#                            | store_client               |
#                            +----------------------------+
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SHOAL_BUILD=$(cd "${SHOAL_BUILD:-build/release}" 2>/dev/null && pwd) || {
	echo "bench_store: build directory ${SHOAL_BUILD:-build/release} not found" >&2
	exit 1
}
export SHOAL_BUILD
source "$here/../integration/lib.sh"
require_root
require_cmd ip jq curl ping timeout

N=${BENCH_STORE_N:-100000}
shoald=$SHOAL_BUILD/router/shoald
client=$SHOAL_BUILD/tests/bench/tools/store_client
port=8144
status=0
[[ -x $shoald && -x $client ]] || {
	echo "bench_store: $shoald or $client not built" >&2
	exit 1
}

ns_create H1 h1
ns_create H2 h2
ns_create R r
tmpdir_create TMP
if [[ -n ${BENCH_STORE_DIR:-} ]]; then
	STATE=$(mktemp -d "$BENCH_STORE_DIR/shoal-bench-store.XXXXXX") || exit 1
	trap 'rm -rf "$STATE"; _shoal_cleanup' EXIT
else
	STATE=$TMP/state
	mkdir -m 0700 "$STATE"
fi
printf '%s\n' '{"interfaces": [{"name": "lan0", "kind": "tap", "address": "10.0.1.1/24"},' \
	'                {"name": "lan1", "kind": "tap", "address": "10.0.2.1/24"}],' \
	" \"state_dir\": \"$STATE\"," \
	" \"api\": {\"listen\": \"127.0.0.1:$port\", \"token_file\": \"$TMP/secret/api.token\"}}" \
	>"$TMP/r.json"
ip -n "$H2" addr add 10.0.9.2/24 dev lo
now_ms() { date +%s%3N; }
# cpu_ms: shoald's CPU time so far (user + system, all threads), ms. Per-route CPU is a figure
# that other load on the machine moves much less than the rates.
tck=$(getconf CLK_TCK)
cpu_ms() { awk -v t="$tck" '{ printf "%d", ($14 + $15) * 1000 / t }' "/proc/$PID/stat"; }
# us_per COUNT CPU_MS_BEFORE: shoald's CPU microseconds per route since CPU_MS_BEFORE.
us_per() { awk -v n="$1" -v a="$2" -v b="$(cpu_ms)" 'BEGIN { printf "%.1f", (b - a) * 1000 / n }'; }
# start_shoald: starts shoald in r; PID set; T_START (ms).
start_shoald() {
	T_START=$(now_ms)
	daemon_start PID "$R" shoald "$shoald" -c "$TMP/r.json"
}
# attach: moves the TAPs to h1/h2 and sets addresses and default routes.
attach() {
	wait_for_link "$R" lan0 10 && wait_for_link "$R" lan1 10 &&
		ns_move "$R" lan0 "$H1" && ns_move "$R" lan1 "$H2" &&
		ns_addr "$H1" lan0 10.0.1.2/24 && ns_addr "$H2" lan1 10.0.2.2/24 &&
		ip -n "$H1" route add default via 10.0.1.1 && ip -n "$H2" route add default via 10.0.2.1
}
start_shoald
if ! { attach && wait_for_port "$R" "$port" 10 && wait_for_file "$TMP/secret/api.token" 5; }; then
	log "setup failed"
	daemon_log shoald | sed 's/^/# | /'
	exit 1
fi
TOKEN=$(cat "$TMP/secret/api.token")
cli() { ns_exec "$R" "$client" -p "$port" -t "$TOKEN" "$@"; }
api_post() {
	ns_exec "$R" curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
		-H 'Content-Type: application/json' --data-binary "$2" "http://127.0.0.1:$port$1"
}
[[ $(api_post /api/v1/routes '{"prefix":"10.0.9.0/24","next_hop":"10.0.2.2"}') == 201 ]] || {
	log "POST 10.0.9.0/24 failed"
	exit 1
}
t0=$SECONDS
fstype=$(stat -f -c %T "$STATE")
log "store benchmark: shoald $shoald, $(nproc) CPUs, kernel $(uname -r), N=$N, state in $STATE ($fstype)"

# 0. the disk's reference
fsync_ref=$("$client" fsync_rate "$STATE" 2)
log "reference: $fsync_ref small appends + fdatasync per second in $STATE"

# 1. one by one
c0=$(cpu_ms)
read -r one_first one_last one_all < <(cli one "$N") || status=1
one_cpu=$(us_per "$N" "$c0")
log "one by one: first 1000 ${one_first:-?}/s, last 1000 ${one_last:-?}/s, all ${one_all:-?}/s"

# 2. restart with N API routes
daemon_stop "$PID" 10 || status=1
wait_for "the TAPs of the stopped shoald to disappear" 10 bash -c "! ip -n $H1 link show lan0"
start_shoald
api_ms=
for _ in $(seq 1 2000); do
	if [[ $(ns_exec "$R" curl -s --max-time 1 -H "Authorization: Bearer $TOKEN" \
		"http://127.0.0.1:$port/api/v1/routes/lookup?address=20.0.5.1" 2>/dev/null |
		jq -r '.prefix // empty' 2>/dev/null) == 20.0.5.0/24 ]]; then
		api_ms=$(($(now_ms) - T_START))
		break
	fi
	daemon_alive "$PID" || break
	sleep 0.005
done
fwd_ms=
if attach; then
	for _ in $(seq 1 400); do
		if ns_exec "$H1" ping -c 1 -W 0.2 10.0.9.2 >/dev/null 2>&1; then
			fwd_ms=$(($(now_ms) - T_START))
			break
		fi
	done
fi
[[ -n $api_ms && -n $fwd_ms ]] || status=1
log "restart with $N API routes: API answers with them after ${api_ms:-?} ms, ping through an API route after ${fwd_ms:-?} ms"

# 3. 8 clients
# store_ctr NAME: the group committer's counter shoal_store_NAME_total (GET /metrics).
store_ctr() {
	ns_exec "$R" curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$port/metrics" |
		awk -v n="shoal_store_$1_total" '$1 == n { print $2 }'
}
k0=$(store_ctr commits) m0=$(store_ctr committed_mutations)
c0=$(cpu_ms)
conc=$(cli concurrent 8 $((N / 5))) || status=1
conc_cpu=$(us_per $((N / 5)) "$c0")
k1=$(store_ctr commits) m1=$(store_ctr committed_mutations)
# routes per fdatasync: how many writers shared each commit (load moves it much less than
# the rate: it counts, it does not time)
conc_group=$(awk -v k=$((${k1:-0} - ${k0:-0})) -v m=$((${m1:-0} - ${m0:-0})) \
	'BEGIN { printf "%.2f", (k > 0 ? m / k : 0) }')
log "8 clients: ${conc:-?} routes/s, $((${m1:-0} - ${m0:-0})) routes in $((${k1:-0} - ${k0:-0})) commits ($conc_group per commit)"

# 4. batches of 1,000
c0=$(cpu_ms)
read -r b_first b_last b_all < <(cli batch "$N" 1000) || status=1
batch_cpu=$(us_per "$N" "$c0")
log "batches of 1000: first 10% ${b_first:-?}/s, last 10% ${b_last:-?}/s, all ${b_all:-?}/s"
daemon_alive "$PID" || {
	log "shoald died"
	status=1
}
daemon_stop "$PID" 10

goal() { # goal VALUE OP LIMIT
	awk -v v="${1:-0}" -v l="$3" -v op="$2" 'BEGIN { ok = op == ">=" ? v >= l : v < l
		printf "%s", ok ? "OK" : "MISSED" }'
}
ratio=$(awk -v a="${one_last:-0}" -v b="${one_first:-0}" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
printf '\nstore benchmark (N=%d, %d CPUs, state on %s)\n' "$N" "$(nproc)" "$fstype"
printf '%-62s %12s\n' "reference: appends + fdatasync per second (same dir)" "$fsync_ref"
printf '%-62s %12s %s\n' "one by one, first 1,000 (routes/s, goal >= 2500)" "${one_first:-?}" "$(goal "${one_first:-0}" '>=' 2500)"
printf '%-62s %12s %s\n' "one by one, last 1,000 of N (routes/s, goal >= 2500)" "${one_last:-?}" "$(goal "${one_last:-0}" '>=' 2500)"
printf '%-62s %12s %s\n' "one by one, last / first (goal >= 0.80)" "$ratio" "$(goal "$ratio" '>=' 0.8)"
printf '%-62s %12s %s\n' "8 clients, N/5 routes (routes/s, goal >= 10000)" "${conc:-?}" "$(goal "${conc:-0}" '>=' 10000)"
printf '%-62s %12s %s\n' "batches of 1,000, N routes (routes/s, goal >= 200000)" "${b_all:-?}" "$(goal "${b_all:-0}" '>=' 200000)"
printf '%-62s %12s\n' "batches of 1,000, first / last 10% (routes/s)" "${b_first:-?} / ${b_last:-?}"
printf '%-62s %12s\n' "8 clients: routes per commit (one fdatasync each)" "${conc_group:-?}"
printf '%-62s %12s %s\n' "restart, N routes: API answers with them (ms, goal < 2000)" "${api_ms:-?}" "$(goal "${api_ms:-99999}" '<' 2000)"
printf '%-62s %12s %s\n' "restart, N routes: ping through an API route (ms, < 2000)" "${fwd_ms:-?}" "$(goal "${fwd_ms:-99999}" '<' 2000)"
printf '%-62s %12s\n' "shoald CPU per route (us): one by one / 8 clients / batches" \
	"${one_cpu:-?} / ${conc_cpu:-?} / ${batch_cpu:-?}"
printf 'total %d s\n' $((SECONDS - t0))
exit $status
