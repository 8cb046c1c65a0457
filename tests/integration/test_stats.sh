#!/usr/bin/env bash
# The stats plugin, per-route counters and GET /metrics: N pings move every involved counter
# (interfaces, routes) by exactly N and by the frame sizes; a route's counter moves only for
# the traffic it carried (two routes through the same next hop count apart; a replace keeps a
# route's counts, a delete and re-add starts it at zero); a TTL-expired and an unroutable datagram each move their drop
# counter once, in the API and in /metrics alike; /metrics needs the token, is text/plain
# 0.0.4 and passes `promtool check metrics`; the history ring is bounded (history_s) and its
# rates match an iperf3 UDP stream at a fixed rate (±5%); a real Prometheus scraping shoald
# every second with the token file answers a PromQL rate within ±10% of that stream; the
# per-stage runtime counts and can be switched off at run time.
# Quiet links for exact counts: IPv6 off in h1/h2, static ARP entries both ways.
#
#   +--------------------+      +------------------------------+      +------------------------+
#   | shoal-<pid>-h1     |      | shoal-<pid>-r                |      | shoal-<pid>-h2         |
#   | lan0 10.0.1.2/24 --+------+-- lan0 10.0.1.1   shoald     +------+-- lan1 10.0.2.2/24     |
#   | default 10.0.1.1   | TAP  |   lan1 10.0.2.1   + stats.so | TAP  | lo   10.0.9.2/24       |
#   | iperf3 -c -u       |      |   API 127.0.0.1:8144 (in r)  |      | default 10.0.2.1       |
#   +--------------------+      |   prometheus 127.0.0.1:9190  |      | iperf3 -s              |
#                               +------------------------------+      +------------------------+
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
source "$here/tools/shoald.sh"
source "$here/tools/api_lib.sh"
require_root
require_cmd ip ping timeout curl jq iperf3 promtool prometheus

api_init
ln -sf "$(realpath "$SHOAL_BUILD/plugins/example.so")" "$API_PLUGINS/" &&
	ln -sf "$(realpath "$SHOAL_BUILD/plugins/stats.so")" "$API_PLUGINS/" || {
	fail "stats plugin built"
	finish
}
HISTORY_S=6
api_config "$TMP/r.json" ', "plugins": [{"name": "stats", "config": {"history_s": '$HISTORY_S',
	"route_metrics": "top:100", "metrics_auth": true}}]'
api_setup_or_finish "$TMP/r.json"
for ns in "$H1" "$H2"; do
	ns_exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
mac_h1=$(ip -n "$H1" -o link show lan0 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
mac_h2=$(ip -n "$H2" -o link show lan1 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
ip -n "$H1" neigh replace 10.0.1.1 lladdr 02:00:00:00:01:01 dev lan0 nud permanent
ip -n "$H2" neigh replace 10.0.2.1 lladdr 02:00:00:00:02:01 dev lan1 nud permanent
api POST /api/v1/arp '{"ip":"10.0.1.2","mac":"'"$mac_h1"'"}'
api_check_status "static ARP entry for h1" 201
api POST /api/v1/arp '{"ip":"10.0.2.2","mac":"'"$mac_h2"'"}'
api_check_status "static ARP entry for h2" 201
api POST /api/v1/routes '{"prefix":"10.0.9.0/24","next_hop":"10.0.2.2"}'
api_check_status "route 10.0.9.0/24 via h2" 201
api POST /api/v1/routes '{"prefix":"10.0.8.0/24","next_hop":"10.0.2.2"}'
api_check_status "route 10.0.8.0/24 via h2 too (the same next hop)" 201

# counters FILE: interfaces and routes as "name value" lines
counters() {
	api GET /api/v1/interfaces
	jq -r '.interfaces[] | .name as $n | .counters | to_entries[] |
		select(.key | test("^(rx|tx)_(packets|bytes)$")) | "\($n).\(.key) \(.value)"' <<<"$API_BODY"
	api GET /api/v1/interfaces
	jq -r '.interfaces[] | .name as $n | .drops | to_entries[] | "\($n).drop.\(.key) \(.value)"' \
		<<<"$API_BODY"
	api GET /api/v1/routes
	jq -r '.routes[] | "route.\(.prefix).packets \(.packets)", "route.\(.prefix).bytes \(.bytes)"' \
		<<<"$API_BODY"
}
# delta BEFORE AFTER KEY
delta() {
	local a b
	a=$(awk -v k="$3" '$1 == k {print $2}' "$1")
	b=$(awk -v k="$3" '$1 == k {print $2}' "$2")
	echo $((${b:-0} - ${a:-0}))
}
quiet() { # the links carry nothing else: two reads 300 ms apart agree
	counters >"$TMP/q1"
	sleep 0.3
	counters >"$TMP/q2"
	cmp -s "$TMP/q1" "$TMP/q2"
}
wait_for "links quiet (IPv6 off, static ARP)" 10 quiet || fail "links quiet"

# ================================================================ exact counters
N=7
counters >"$TMP/c0"
check "$N pings h1 -> h2" ns_exec "$H1" ping -q -c $N -i 0.05 -W 2 -s 56 10.0.2.2
counters >"$TMP/c1"
frame=$((14 + 20 + 8 + 56)) # Ethernet + IPv4 + ICMP + payload
for k in lan0.rx_packets lan0.tx_packets lan1.rx_packets lan1.tx_packets; do
	check_eq "pings: $k moved by exactly $N" $N "$(delta "$TMP/c0" "$TMP/c1" $k)"
done
for k in lan0.rx_bytes lan0.tx_bytes lan1.rx_bytes lan1.tx_bytes; do
	check_eq "pings: $k moved by exactly $N frames of $frame bytes" $((N * frame)) \
		"$(delta "$TMP/c0" "$TMP/c1" $k)"
done
check_eq "route 10.0.2.0/24 carried the $N requests" $N "$(delta "$TMP/c0" "$TMP/c1" route.10.0.2.0/24.packets)"
check_eq "route 10.0.2.0/24: their IPv4 bytes" $((N * (frame - 14))) \
	"$(delta "$TMP/c0" "$TMP/c1" route.10.0.2.0/24.bytes)"
check_eq "route 10.0.1.0/24 carried the $N replies" $N "$(delta "$TMP/c0" "$TMP/c1" route.10.0.1.0/24.packets)"
check_eq "route 10.0.9.0/24 carried nothing" 0 "$(delta "$TMP/c0" "$TMP/c1" route.10.0.9.0/24.packets)"

M=3
check "$M pings h1 -> 10.0.9.2 (via the API route)" ns_exec "$H1" ping -q -c $M -i 0.05 -W 2 10.0.9.2
counters >"$TMP/c2"
check_eq "route 10.0.9.0/24 carried exactly the $M requests" $M \
	"$(delta "$TMP/c1" "$TMP/c2" route.10.0.9.0/24.packets)"
check_eq "route 10.0.9.0/24: their IPv4 bytes" $((M * (frame - 14))) \
	"$(delta "$TMP/c1" "$TMP/c2" route.10.0.9.0/24.bytes)"
check_eq "route 10.0.8.0/24 (same next hop) did not move: counters are per route" "0 0" \
	"$(delta "$TMP/c1" "$TMP/c2" route.10.0.8.0/24.packets) $(delta "$TMP/c1" "$TMP/c2" route.10.0.8.0/24.bytes)"
check_eq "route 10.0.2.0/24 did not move for them" 0 "$(delta "$TMP/c1" "$TMP/c2" route.10.0.2.0/24.packets)"
check_eq "route 10.0.1.0/24 carried the $M replies" $M "$(delta "$TMP/c1" "$TMP/c2" route.10.0.1.0/24.packets)"

# a replace keeps the route record's counters; a delete and re-add starts it at zero
api PUT /api/v1/routes/10.0.9.0/24 '{"next_hop":"10.0.2.3"}'
api_check_status "PUT 10.0.9.0/24 (replace its next hop): 200" 200
counters >"$TMP/c2r"
check_eq "after a replace 10.0.9.0/24 keeps its counts" $M "$(delta "$TMP/c1" "$TMP/c2r" route.10.0.9.0/24.packets)"
api PUT /api/v1/routes/10.0.9.0/24 '{"next_hop":"10.0.2.2"}'
api_check_status "PUT 10.0.9.0/24 back to h2: 200" 200
api DELETE /api/v1/routes/10.0.9.0/24
api_check_status "DELETE 10.0.9.0/24: 204" 204
api POST /api/v1/routes '{"prefix":"10.0.9.0/24","next_hop":"10.0.2.2"}'
api_check_status "POST 10.0.9.0/24 again: 201" 201
check_eq "deleted and added again: 10.0.9.0/24 starts at zero" "0 0" \
	"$(counters | awk '$1 == "route.10.0.9.0/24.packets" || $1 == "route.10.0.9.0/24.bytes" {printf "%s%s", s, $2; s = " "}')"
check "1 ping h1 -> 10.0.9.2 after the re-add" ns_exec "$H1" ping -q -c 1 -W 2 10.0.9.2
counters >"$TMP/c2"

# ================================================================ drops, once each
ns_exec "$H1" ping -c 1 -t 1 -W 1 10.0.2.2 >/dev/null 2>&1
ns_exec "$H1" ping -c 1 -W 1 10.0.77.1 >/dev/null 2>&1
counters >"$TMP/c3"
check_eq "one TTL-1 datagram: ttl_expired +1" 1 "$(delta "$TMP/c2" "$TMP/c3" lan0.drop.ttl_expired)"
check_eq "one unroutable datagram: no_route +1" 1 "$(delta "$TMP/c2" "$TMP/c3" lan0.drop.no_route)"
check_eq "no other drop moved" 2 "$(for k in $(awk '$1 ~ /\.drop\./ {print $1}' "$TMP/c3"); do
	delta "$TMP/c2" "$TMP/c3" "$k"; done | awk '{s += $1} END {print s}')"

# ================================================================ /metrics
mcurl() { ns_exec "$R" curl -sS --max-time 10 "$@"; }
code=$(mcurl -o /dev/null -w '%{http_code}' "http://127.0.0.1:$API_PORT/metrics")
check_eq "/metrics without the token: 401" 401 "$code"
mcurl -D "$TMP/m.hdrs" -o "$TMP/metrics.txt" -H "Authorization: Bearer $API_TOKEN" \
	"http://127.0.0.1:$API_PORT/metrics"
check "/metrics: Content-Type text/plain; version=0.0.4" \
	grep -qi '^content-type: text/plain; version=0.0.4' "$TMP/m.hdrs"
check "promtool check metrics passes on a live scrape" bash -c "promtool check metrics <'$TMP/metrics.txt'"
counters >"$TMP/c4"
mval() { awk -v k="$1" '$1 == k {print $2}' "$TMP/metrics.txt"; }
check_eq "/metrics lan0 receive packets = the API's" "$(awk '$1 == "lan0.rx_packets" {print $2}' "$TMP/c4")" \
	"$(mval 'shoal_interface_receive_packets_total{interface="lan0"}')"
check_eq "/metrics ttl_expired drops = the API's" "$(awk '$1 == "lan0.drop.ttl_expired" {print $2}' "$TMP/c4")" \
	"$(mval 'shoal_drops_total{module="dataplane",reason="ttl_expired",interface="lan0"}')"
check_eq "/metrics route 10.0.9.0/24 packets = the API's" "$(awk '$1 == "route.10.0.9.0/24.packets" {print $2}' "$TMP/c4")" \
	"$(mval 'shoal_route_packets_total{prefix="10.0.9.0/24",interface="lan1"}')"
check_eq "/metrics: the TTL-1 datagram's time exceeded and the unroutable one's net unreachable, once each" \
	"1 1" "$(mval 'shoal_icmp_sent_total{type="11",code="0"}') $(mval 'shoal_icmp_sent_total{type="3",code="0"}')"
check "/metrics has the stats plugin's rate gauges and build info" bash -c \
	"grep -q '^shoal_stats_receive_bytes_per_second{interface=\"lan0\"}' '$TMP/metrics.txt' &&
	 grep -q '^shoal_build_info{version=' '$TMP/metrics.txt' &&
	 grep -q '^process_resident_memory_bytes ' '$TMP/metrics.txt'"

# ================================================================ runtime
api POST /api/v1/plugins '{"name":"example","config":{}}'
api_check_status "example plugin (ingress and egress hooks) loaded" 201
api GET /api/v1/stats/runtime
hook_row() { jq -r --arg h "$1" '.hooks[] | select(.plugin == "example" and .hook == $h) |
	"\(.calls) \(.packets) \(.ns)"' <<<"$API_BODY"; }
read -r in0 _ _ < <(hook_row ingress)
read -r eg0 _ _ < <(hook_row egress)
check "a burst of 100 pings for the sampled runtime" ns_exec "$H1" ping -q -c 100 -i 0.002 -W 2 10.0.2.2
api GET /api/v1/stats/runtime
api_check_status "GET stats/runtime: 200" 200
read -r in1 inp ins < <(hook_row ingress)
read -r eg1 egp egs < <(hook_row egress)
check_eq "runtime hooks: example's ingress ran once per datagram received (100 requests + 100 replies)" \
	200 $((${in1:-0} - ${in0:-0}))
check_eq "runtime hooks: example's egress ran once per datagram sent" 200 $((${eg1:-0} - ${eg0:-0}))
check "runtime hooks: sampled calls timed (0 < packets <= calls, ns > 0)" \
	test "${inp:-0}" -gt 0 -a "${inp:-0}" -le "${in1:-0}" -a "${ins:-0}" -gt 0 -a "${egs:-0}" -gt 0
check "runtime hooks: one row per hook a plugin set (stats sets none), in hook order" jq -e \
	'[.hooks[] | "\(.plugin).\(.hook)"] == ["example.ingress", "example.local_delivery", "example.egress"]' \
	<<<"$API_BODY"
api DELETE /api/v1/plugins/example
api_check_status "example plugin unloaded" 204
check "runtime: on, every pipeline stage timed" jq -e '.enabled == true and
	([.stages[] | select(.name == "device_read" or .name == "lookup" or .name == "device_write") |
	  select(.calls > 0 and .packets > 0 and .ns > 0)] | length) == 3' <<<"$API_BODY"
api PUT /api/v1/stats/runtime '{"enabled": false}'
api_check_status "PUT stats/runtime off: 200" 200
calls_off=$(api_jq '[.stages[].calls] | add')
ns_exec "$H1" ping -q -c 3 -i 0.05 -W 2 10.0.2.2 >/dev/null
api GET /api/v1/stats/runtime
check_eq "runtime off: calls do not move" "$calls_off" "$(api_jq '[.stages[].calls] | add')"
api PUT /api/v1/stats/runtime '{"enabled": "maybe"}'
api_check_status "PUT stats/runtime with a bad body: 400" 400
api PUT /api/v1/stats/runtime '{"enabled": true}'
api_check_status "PUT stats/runtime on: 200" 200

# ================================================================ history and rates
api GET '/api/v1/stats/history?interface=lan0&seconds='$((HISTORY_S + 1))
api_check_status "history beyond history_s: 400" 400
api GET '/api/v1/stats/history?interface=nope'
api_check_status "history of an unknown interface: 404" 404
api GET '/api/v1/stats/history?interface=lan0&bogus=1'
api_check_status "history with an unknown parameter: 400" 400
samples_past_ring() {
	api GET /api/v1/stats
	[[ $(api_jq .samples) -gt $((HISTORY_S + 1)) ]]
}
wait_for "more samples than history_s" 15 samples_past_ring || fail "samples accumulate"
api GET "/api/v1/stats/history?interface=lan0&seconds=$HISTORY_S"
check "the ring is bounded: exactly history_s samples, oldest first, 1 s apart" jq -e '
	.interface == "lan0" and .step_s == 1 and (.samples | length) == '$HISTORY_S' and
	([.samples | range(1; length) as $i | .[$i].t - .[$i - 1].t] | all(. >= 500 and . <= 2500))' \
	<<<"$API_BODY"

RATE=20000000 LEN=1400
pps=$(awk -v r=$RATE -v l=$LEN 'BEGIN {printf "%.1f", r / 8 / l}')
bps=$(awk -v p="$pps" -v l=$LEN 'BEGIN {printf "%.0f", p * (l + 8 + 20 + 14) * 8}') # frames on lan0
daemon_start IPERF_S "$H2" iperf-server iperf3 -s -1 -B 10.0.2.2 -p 5201
wait_for_port "$H2" 5201 5 || fail "iperf3 server listening"
cat >"$TMP/prom.yml" <<EOF2
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: shoal
    authorization: {credentials_file: $API_TOKEN_FILE}
    static_configs: [{targets: ["127.0.0.1:$API_PORT"]}]
EOF2
daemon_start PROM "$R" prometheus prometheus --config.file="$TMP/prom.yml" \
	--storage.tsdb.path="$TMP/prom" --web.listen-address=127.0.0.1:9190
wait_for_port "$R" 9190 15 || fail "prometheus listening"
daemon_start IPERF_C "$H1" iperf-client iperf3 -c 10.0.2.2 -p 5201 -u -b $RATE -l $LEN -t 14
# history: the median of the last 4 samples once the stream has run for 5 s
hist_ok() {
	api GET "/api/v1/stats/history?interface=lan0&seconds=4"
	jq -e --argjson pps "$pps" --argjson bps "$bps" '
		[.samples[].rx_pps] | sort | .[length / 2 | floor] as $m | ($m - $pps | fabs) <= 0.05 * $pps' \
		<<<"$API_BODY" >/dev/null && jq -e --argjson bps "$bps" '
		[.samples[].rx_bps] | sort | .[length / 2 | floor] as $m | ($m - $bps | fabs) <= 0.05 * $bps' \
		<<<"$API_BODY" >/dev/null
}
check "history: lan0 rx rate matches the iperf3 stream ($pps pkt/s, $bps bit/s) within 5%" \
	wait_for "history rates at the stream's rate" 12 hist_ok
prom_ok() {
	local v
	v=$(ns_exec "$R" curl -s --max-time 3 http://127.0.0.1:9190/api/v1/query --data-urlencode \
		'query=rate(shoal_interface_receive_bytes_total{interface="lan0"}[4s]) * 8' |
		jq -r '.data.result[0].value[1] // empty')
	[[ -n $v ]] && awk -v v="$v" -v b="$bps" 'BEGIN {exit !((v - b) <= 0.1 * b && (b - v) <= 0.1 * b)}'
}
check "Prometheus (token file, 1 s scrapes): PromQL lan0 rate within 10% of the stream" \
	wait_for "PromQL rate at the stream's rate" 12 prom_ok
prom_up() {
	ns_exec "$R" curl -s --max-time 3 http://127.0.0.1:9190/api/v1/query \
		--data-urlencode 'query=up{job="shoal"}' | jq -e '.data.result[0].value[1] == "1"'
}
check "Prometheus scraped the target as up" prom_up
daemon_stop "$IPERF_C" 5
daemon_stop "$PROM" 5

api GET /api/v1/stats
check "GET stats: totals and rates per interface, bounded memory stated" jq -e '
	(.interfaces | map(.name)) == ["lan0","lan1"] and .history_s == '$HISTORY_S' and
	(.interfaces[0] | has("rx_packets") and has("drops") and (.rates | has("rx_bps"))) and
	.memory_bytes == '$HISTORY_S' * (8 + 2 * 20)' <<<"$API_BODY"

# ================================================================ command queue
# Each API request is one command. GET /stats reads the counters while its own command runs:
# two GETs in a row differ by exactly the first one (submitted, run), and its submitter
# blocked at least once.
api GET /api/v1/stats
read -r s0 r0 w0 < <(jq -r '.cmdq | "\(.commands_submitted) \(.commands_run) \(.waits)"' <<<"$API_BODY")
api GET /api/v1/stats
read -r s1 r1 w1 < <(jq -r '.cmdq | "\(.commands_submitted) \(.commands_run) \(.waits)"' <<<"$API_BODY")
check_eq "cmdq: one command submitted and run between two GET /stats" "1 1" "$((s1 - s0)) $((r1 - r0))"
check "cmdq: its submitter waited" test $((w1 - w0)) -ge 1
check "cmdq: full and timed_out present (0 here)" jq -e '.cmdq.full == 0 and .cmdq.timed_out == 0' <<<"$API_BODY"
mcurl -o "$TMP/metrics2.txt" -H "Authorization: Bearer $API_TOKEN" "http://127.0.0.1:$API_PORT/metrics"
m2() { awk -v k="$1" '$1 == k {print $2}' "$TMP/metrics2.txt"; }
check_eq "/metrics: shoal_cmdq_commands_run_total = the API's + 2 (that GET /stats, the scrape's own)" \
	$((r1 + 2)) "$(m2 shoal_cmdq_commands_run_total)"
check "/metrics: every cmdq series with HELP and TYPE counter" bash -c "
	for n in commands_submitted commands_run waits full timed_out; do
		grep -q \"^# TYPE shoal_cmdq_\${n}_total counter\" '$TMP/metrics2.txt' || exit 1
	done"

# ================================================================ ARP series
# h1 forgets the router's MAC: its ARP request moves requests_received and replies_sent on
# lan0 by one. The router forgets h2's: pinging h2 sends one request (requests_sent) and h2's
# reply moves replies_received. A destination on lan1 nobody has: the first datagram sends a
# request, the next two within request_interval_ms are throttled.
arp_of() { # IF NAME -> value from GET /stats
	api GET /api/v1/stats
	jq -r --arg i "$1" --arg n "$2" '.arp[$i][$n]' <<<"$API_BODY"
}
a_rq=$(arp_of lan0 requests_received) a_rp=$(arp_of lan0 replies_sent)
ip -n "$H1" neigh del 10.0.1.1 dev lan0
check "h1 pings the router after forgetting its MAC" ns_exec "$H1" ping -q -c 1 -W 2 10.0.1.1
check_eq "arp lan0: h1's request received once, answered once" "1 1" \
	"$(($(arp_of lan0 requests_received) - a_rq)) $(($(arp_of lan0 replies_sent) - a_rp))"
b_rs=$(arp_of lan1 requests_sent) b_rr=$(arp_of lan1 replies_received)
api DELETE /api/v1/arp/10.0.2.2
api_check_status "forget h2's static ARP entry" 204
check "ping h2 (the router must resolve it)" ns_exec "$H1" ping -q -c 1 -W 3 10.0.2.2
check_eq "arp lan1: one request sent, h2's reply received" "1 1" \
	"$(($(arp_of lan1 requests_sent) - b_rs)) $(($(arp_of lan1 replies_received) - b_rr))"
b_rs=$(arp_of lan1 requests_sent) b_th=$(arp_of lan1 requests_throttled)
ns_exec "$H1" ping -q -c 3 -i 0.2 -W 1 10.0.2.77 >/dev/null 2>&1
check_eq "arp lan1: nobody at 10.0.2.77: 1 request, then 2 datagrams throttled" "1 2" \
	"$(($(arp_of lan1 requests_sent) - b_rs)) $(($(arp_of lan1 requests_throttled) - b_th))"
mcurl -o "$TMP/metrics3.txt" -H "Authorization: Bearer $API_TOKEN" "http://127.0.0.1:$API_PORT/metrics"
check_eq "/metrics: shoal_arp_requests_throttled_total{lan1} = the API's" "$(arp_of lan1 requests_throttled)" \
	"$(awk '$1 == "shoal_arp_requests_throttled_total{interface=\"lan1\"}" {print $2}' "$TMP/metrics3.txt")"
check "/metrics: every ARP series per TAP" bash -c "
	for n in requests_received replies_received requests_sent replies_sent requests_throttled \
		queue_drops cache_evictions; do
		grep -q \"^shoal_arp_\${n}_total{interface=\\\"lan0\\\"} \" '$TMP/metrics3.txt' || exit 1
	done"

# route_metrics top:1: one route series, the busiest route (lan1's network carried the stream)
api DELETE /api/v1/plugins/stats
api POST /api/v1/plugins '{"name":"stats","config":{"route_metrics":"top:1","metrics_auth":false}}'
api_check_status "stats reloaded with route_metrics top:1, metrics_auth false" 201
mcurl -o "$TMP/metrics1.txt" "http://127.0.0.1:$API_PORT/metrics"
check "metrics_auth false: /metrics without a token" grep -q '^shoal_build_info' "$TMP/metrics1.txt"
check_eq "top:1: exactly one route series, the busiest route" \
	'shoal_route_packets_total{prefix="10.0.2.0/24",interface="lan1"}' \
	"$(grep '^shoal_route_packets_total' "$TMP/metrics1.txt" | cut -d' ' -f1)"
api DELETE /api/v1/plugins/stats
code=$(mcurl -o /dev/null -w '%{http_code}' "http://127.0.0.1:$API_PORT/metrics")
check_eq "stats unloaded: /metrics needs the token again" 401 "$code"

daemon_stop "$SD_PID" 5
check_eq "shoald exits 0" 0 "$?"
check "no sanitizer report" sd_clean "$SD_LABEL"
finish
