#!/usr/bin/env bash
# Dashboard benchmark (run by `make bench` through scripts/run-benches.sh with
# SHOAL_BUILD=<release build>; as root), in Debian's headless Chromium (tests/bench/tools/web_bench.py):
#   1. the routes page with 100,000 real routes in shoald (BENCH_WEB_ROUTES, loaded through
#      POST /api/v1/routes:batch; the API takes up to 262,144): time to first render and to
#      interactive from the navigation start (performance marks), median of BENCH_WEB_RUNS (3),
#      next to the reference measured in the same run and browser (a bare fetch + JSON.parse
#      of GET /api/v1/routes) and curl's total time for the same GET; redraw after scrolling to
#      the middle and the end; a filter typed (server-side ?prefix=). Goal: interactive < 1 s.
#   2. memory of the interfaces page with live charts: BENCH_WEB_MEMORY_S (600) seconds at
#      BENCH_WEB_SPEED (10) times the 1 s clock, i.e. 100 minutes of samples with the default, so
#      the one-hour chart buffers fill after 360 s and the rest shows whether memory stays flat.
#      The JS heap (after a forced GC) and the DOM node count are sampled 11 times; exit status 1
#      when the heap's last sample exceeds the one taken when the buffers were full by more than 20%.
# Every namespace is ours (shoal-<pid>-...), deleted on exit; the root namespace is not touched.
#
#   +---------------+        +----------------------------+        +---------------+
#   | shoal-<p>-h1  |  TAP   | shoal-<p>-r                |  TAP   | shoal-<p>-h2  |
#   | lan0 10.0.1.2 +--------+ shoald 10.0.1.1 | 10.0.2.1 +--------+ lan1 10.0.2.2 |
#   | ping -i 0.2   |   fd   | API 127.0.0.1:8144         |   fd   |               |
#   +---------------+        | chromium --headless        |        +---------------+
#                            +----------------------------+
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SHOAL_BUILD=$(cd "${SHOAL_BUILD:-build/release}" 2>/dev/null && pwd) || {
	echo "bench_web: build directory ${SHOAL_BUILD:-build/release} not found" >&2
	exit 1
}
export SHOAL_BUILD
source "$here/../integration/lib.sh"
require_root
require_cmd ip jq timeout curl ping /usr/bin/python3 /usr/bin/chromium /usr/bin/chromedriver

n_routes=${BENCH_WEB_ROUTES:-100000}
runs=${BENCH_WEB_RUNS:-3}
mem_s=${BENCH_WEB_MEMORY_S:-600}
speed=${BENCH_WEB_SPEED:-10}
shoald=$SHOAL_BUILD/router/shoald
driver=$here/tools/web_bench.py
port=8144
status=0
if [[ ! -x $shoald ]]; then
	echo "bench_web: $shoald not built" >&2
	exit 1
fi

ns_create H1 h1
ns_create H2 h2
ns_create R r
tmpdir_create TMP
cat >"$TMP/r.json" <<EOF
{"interfaces": [{"name": "lan0", "kind": "tap", "address": "10.0.1.1/24"},
                {"name": "lan1", "kind": "tap", "address": "10.0.2.1/24"}],
 "state_dir": "$TMP/state", "web_dir": "$SHOAL_SRC/web",
 "api": {"listen": "127.0.0.1:$port", "token_file": "$TMP/secret/api.token"}}
EOF
daemon_start PID "$R" shoald "$shoald" -c "$TMP/r.json"
wait_for_link "$R" lan0 10 && wait_for_link "$R" lan1 10 || die "shoald did not start"
ns_move "$R" lan0 "$H1" && ns_addr "$H1" lan0 10.0.1.2/24 && ip -n "$H1" route add default via 10.0.1.1
ns_move "$R" lan1 "$H2" && ns_addr "$H2" lan1 10.0.2.2/24 && ip -n "$H2" route add default via 10.0.2.1
wait_for_port "$R" "$port" 10 || die "API port not open"
wait_for_file "$TMP/secret/api.token" 5 || die "no token file"
token=$(cat "$TMP/secret/api.token")
api_url=http://127.0.0.1:$port

# BENCH_WEB_ROUTES routes 30.0.0.0/24, 30.0.1.0/24, ... via h2, in batches of 10,000.
/usr/bin/python3 - "$n_routes" "$TMP" <<'EOF'
import json, sys
n, tmp = int(sys.argv[1]), sys.argv[2]
for b in range(0, n, 10000):
    ops = []
    for i in range(b, min(n, b + 10000)):
        a = (30 << 24) + (i << 8)
        ops.append({"op": "add", "prefix": f"{a >> 24}.{(a >> 16) & 255}.{(a >> 8) & 255}.0/24",
                    "next_hop": "10.0.2.2"})
    json.dump({"operations": ops}, open(f"{tmp}/batch-{b // 10000:03d}.json", "w"))
EOF
t0=$(date +%s.%N)
for f in "$TMP"/batch-*.json; do
	code=$(ns_exec "$R" curl -s -o "$TMP/out" -w '%{http_code}' -H "Authorization: Bearer $token" \
		-H 'Content-Type: application/json' --data-binary @"$f" "$api_url/api/v1/routes:batch")
	[[ $code == 200 ]] || die "batch $f: HTTP $code $(head -c 300 "$TMP/out")"
done
got=$(ns_exec "$R" curl -s -H "Authorization: Bearer $token" "$api_url/api/v1/routes" | jq '.routes | length')
printf 'routes loaded: %s (%s s through routes:batch)\n' "$got" "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')"
[[ $got == $((n_routes + 2)) ]] || die "shoald holds $got routes, not $n_routes + 2 connected"
curl_t=$(ns_exec "$R" curl -s -o "$TMP/routes.json" -w '%{time_total}' -H "Authorization: Bearer $token" "$api_url/api/v1/routes")
printf 'GET /api/v1/routes with curl: %.0f ms, %s bytes\n' "$(awk -v t="$curl_t" 'BEGIN { print t * 1000 }')" "$(stat -c %s "$TMP/routes.json")"

out=$(HOME=$TMP ns_exec "$R" timeout 300 /usr/bin/python3 "$driver" "$api_url/" "$token" routes "$runs")
rc=$?
[[ $rc -eq 0 ]] || { echo "bench_web: routes run failed ($rc): $out" >&2; status=1; }
if [[ $rc -eq 0 ]]; then
	jq -r '"routes page, \(.routes) routes, median of \(.runs) (ms from navigation start):",
		"  first page fetched \(.fetched_ms_median)   first render \(.rendered_ms_median)   interactive \(.interactive_ms_median) \(.interactive_ms_all)   whole table \(.complete_ms_median)",
		"  reference (bare fetch + JSON.parse in the same browser): \(.reference_fetch_parse_ms_median)",
		"  redraw after scroll to middle \(.scroll_middle_ms_median), to end \(.scroll_end_ms_median); filter 30.1 (server-side) \(.filter_ms_median)"' <<<"$out"
	i=$(jq -r '.interactive_ms_median' <<<"$out")
	if awk -v i="$i" 'BEGIN { exit !(i < 1000) }'; then
		echo "  goal interactive < 1000 ms: met"
	else
		echo "  goal interactive < 1000 ms: NOT met"
	fi
fi

# Memory with live charts (h1 pings so the rates move).
ns_exec "$H1" ping -q -i 0.2 10.0.2.2 >/dev/null 2>&1 &
register_pid $!
ns_exec "$R" curl -s -o /dev/null -X DELETE -H "Authorization: Bearer $token" "$api_url/api/v1/routes/30.0.0.0/24"
echo "interfaces page with live charts: ${mem_s} s at ${speed}x (heap after GC, DOM nodes, chart points):"
out=$(HOME=$TMP ns_exec "$R" timeout $((mem_s + 120)) /usr/bin/python3 "$driver" "$api_url/" "$token" memory "$mem_s" "$speed")
rc=$?
if [[ $rc -ne 0 ]]; then
	echo "bench_web: memory run failed ($rc): $out" >&2
	status=1
else
	jq -r '.samples[] | "  t=\(.t_s) s  heap \(.heap / 1048576 * 100 | floor / 100) MiB  nodes \(.nodes)  samples \(.samples)  chart points \(.chart_points)"' <<<"$out"
	# Flat: the last heap sample against the first one taken with the one-hour buffers full.
	verdict=$(jq -r '[.samples[] | select(.samples >= 3600)] as $f |
		if ($f | length) < 2 then "buffers never filled (run longer or faster)"
		else ($f[0].heap) as $a | ($f[-1].heap) as $b |
			"heap when full \($a / 1048576 * 100 | floor / 100) MiB, at the end \($b / 1048576 * 100 | floor / 100) MiB (\((($b - $a) / $a * 1000 | floor) / 10)%)" +
			(if $b <= $a * 1.2 then ": flat" else ": GROWING" end) end' <<<"$out")
	echo "  $verdict"
	[[ $verdict == *": flat" ]] || status=1
fi
exit $status
