#!/usr/bin/env bash
# plugins/tcp against Linux TCP: echo, discard and chargen on the router's LAN address, options
# negotiated (ss -ti on h1 and GET /api/v1/tcp/connections), RST for a port nobody listens on,
# the proxy serving the API in-band (curl http://10.0.1.1/api/v1/health from h1, and
# GET /api/v1/routes of over 10 MiB from the API itself, identical to the loopback one), 1,000
# concurrent connections, an RST with a wrong sequence number (challenge ACK, connection
# survives) and a flood of spoofed SYNs while a real client still connects; GET /metrics
# (promtool) with shoal_tcp_connections by state equal to the connections API.
# Sizes: TCP_ECHO_BYTES (100 MB), TCP_DISCARD_BYTES (1 GB) can be lowered for a quick run.
#
#   +--------------------+      +----------------------------------+      +--------------------+
#   | shoal-<pid>-h1     |      | shoal-<pid>-r                    |      | shoal-<pid>-h2     |
#   | lan0 10.0.1.2/24 --+------+-- lan0 10.0.1.1   shoald + tcp   +------+-- lan1 10.0.2.2/24 |
#   | default 10.0.1.1   | TAP  |   lan1 10.0.2.1                  | TAP  | default 10.0.2.1   |
#   | Linux clients      |      |   API 127.0.0.1:8144 <- proxy:80 |      |                    |
#   +--------------------+      +----------------------------------+      +--------------------+
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SHOAL_SRC=${SHOAL_SRC:-$(cd "$here/../../.." && pwd)}
source "$SHOAL_SRC/tests/integration/lib.sh"
source "$SHOAL_SRC/tests/integration/tools/shoald.sh"
source "$SHOAL_SRC/tests/integration/tools/api_lib.sh"
require_root
require_cmd ip curl jq ss timeout python3 promtool

ECHO_BYTES=${TCP_ECHO_BYTES:-100000000}
DISCARD_BYTES=${TCP_DISCARD_BYTES:-1000000000}
API_ROUTES=${TCP_API_ROUTES:-100000} # /24 routes (~108 bytes each) for a GET /api/v1/routes over 10 MiB
CLIENT="python3 $here/tcp_client.py"

api_init
if [[ ! -f $SHOAL_BUILD/plugins/tcp.so ]]; then
	fail "plugin built: $SHOAL_BUILD/plugins/tcp.so"
	finish
fi
ln -sf "$(realpath "$SHOAL_BUILD/plugins/tcp.so")" "$API_PLUGINS/"
api_config "$TMP/r.json" ', "plugins": [{"name": "tcp", "config": {
   "listen": [{"port": 7, "service": "echo"}, {"port": 9, "service": "discard"},
              {"port": 19, "service": "chargen"},
              {"port": 80, "service": "proxy", "to": "127.0.0.1:8144"},
              {"port": 8080, "service": "proxy", "to": "127.0.0.1:8081"}],
   "max_connections": 4096, "syn_backlog": 1024}}],
 "routes": [{"prefix": "172.16.0.0/16", "next_hop": "10.0.1.2"}]'
# (the SYN flood's spoofed 172.16.0.0/16 sources are routed back via h1, so the default
# loose reverse-path filter lets them in and the test reaches the SYN backlog)
if ! api_start "$TMP/r.json"; then
	fail "shoald with the tcp plugin starts"
	finish
fi
pass "shoald with the tcp plugin starts"

h1() { ns_exec "$H1" "$@"; }

check "echo: ${ECHO_BYTES} bytes come back intact" \
	h1 timeout 300 $CLIENT --timeout 280 echo 10.0.1.1 7 "$ECHO_BYTES"
check "discard: receives ${DISCARD_BYTES} bytes" \
	h1 timeout 300 $CLIENT --timeout 280 discard 10.0.1.1 9 "$DISCARD_BYTES"
check "chargen: 1 MB of the RFC 864 pattern" \
	h1 timeout 60 $CLIENT --timeout 50 chargen 10.0.1.1 19 1000000
api GET /api/v1/tcp
rst_before=$(api_jq .counters.rst_sent)
check "a port with no listener is refused" \
	h1 python3 "$NETTOOL" --timeout 3 tcp-refused 10.0.1.1 81
api GET /api/v1/tcp
check "... by an RST from the plugin (rst_sent counted), not the core's ICMP" \
	test "$(api_jq .counters.rst_sent)" -gt "$rst_before"

# metrics_match: one GET /metrics scrape (the tcp plugin's metrics hook) whose
# shoal_tcp_connections by state equals GET /api/v1/tcp/connections (each peer read
# separately) grouped by state, read right after. Connections in TIME-WAIT may expire between
# the two reads: the caller polls it with a bound. Leaves the scrape in $TMP/metrics.txt.
metrics_match() {
	api GET /metrics
	[[ $API_CODE == 200 ]] || return 1
	cp "$TMP/api.body" "$TMP/metrics.txt"
	api GET /api/v1/tcp/connections
	[[ $API_CODE == 200 ]] || return 1
	local want got
	want=$(jq -r '[.connections[].state] | group_by(.) | map("\(.[0]) \(length)") | .[]' \
		<<<"$API_BODY" | sort)
	got=$(sed -n 's/^shoal_tcp_connections{state="\([A-Z0-9-]*\)"} \([0-9]*\)$/\1 \2/p' \
		"$TMP/metrics.txt" | awk '$2 > 0' | sort)
	[[ -n $want && $want == "$got" ]] || { echo "API: $want / metrics: $got" >"$TMP/mismatch"; return 1; }
}
mval() { awk -v k="$1" '$1 == k {print $2}' "$TMP/metrics.txt"; }

# Options: a connection held open, seen from both sides.
ns_exec "$H1" bash -c "exec python3 $here/tcp_client.py --timeout 60 concurrent 10.0.1.1 7 1 100 --hold-file $TMP/hold.go" >"$TMP/hold.out" 2>&1 &
hold_pid=$!
register_pid "$hold_pid"
wait_for "held connection open" 10 grep -q "^open" "$TMP/hold.out" || fail "held connection opens"
ssline=$(h1 ss -tin state established dst 10.0.1.1 dport = :7 | tr '\n' ' ')
check "ss -ti on h1: window scaling negotiated (wscale:a,b)" grep -qE 'wscale:[0-9]+,[0-9]+' <<<"$ssline"
check "ss -ti on h1: MSS from the router's option (mss:1448 = 1460 - timestamps)" \
	grep -qE '\bmss:1448\b' <<<"$ssline"
# (this kernel's ss does not print "ts sack", even between two Linux sockets: the API says)
api GET /api/v1/tcp/connections
conn=$(api_jq '[.connections[] | select(.local_port == 7 and .state == "ESTABLISHED")][0]')
check "connections API: the held connection is ESTABLISHED with window scaling both ways" \
	jq -e '.snd_wscale >= 0 and .rcv_wscale > 0 and .sack and .timestamps and .mss > 1000' <<<"$conn"
check "GET /metrics: shoal_tcp_connections by state = the connections API (held connection)" \
	wait_for "metrics and API agree" 10 metrics_match
check "promtool check metrics passes with tcp loaded" bash -c "promtool check metrics <'$TMP/metrics.txt'"
check "... and shoal_tcp_connections{state=\"ESTABLISHED\"} counts the held connection" \
	test "$(mval 'shoal_tcp_connections{state="ESTABLISHED"}')" -ge 1
check_eq "shoal_tcp_listeners{service=\"proxy\"}: the two proxy listeners" 2 \
	"$(mval 'shoal_tcp_listeners{service="proxy"}')"
touch "$TMP/hold.go"
wait "$hold_pid"
check_eq "held connection echoed and closed" 0 "$?"

# Proxy: the API in-band through Shoal's TCP.
code=$(h1 curl -sS --max-time 10 -o "$TMP/health" -w '%{http_code}' http://10.0.1.1/api/v1/health)
check_eq "curl http://10.0.1.1/api/v1/health from h1 answers 200" 200 "$code"
check "... with the health document" jq -e '.status == "ok"' "$TMP/health"
# A 10 MB response from the API itself: enough routes (/24s, batches of 5,000) that
# GET /api/v1/routes is over 10 MiB, read in-band from h1 and on loopback in r.
if ! ns_exec "$R" timeout 240 /usr/bin/python3 "$API_CLIENT" --token "$API_TOKEN" \
	add_wide "$API_ROUTES" 5000 >/dev/null; then
	fail "$API_ROUTES routes added through POST /api/v1/routes:batch"
fi
h1 curl -sS --max-time 120 -H "Authorization: Bearer $API_TOKEN" -o "$TMP/routes.inband" \
	http://10.0.1.1/api/v1/routes
ns_exec "$R" curl -sS --max-time 120 -H "Authorization: Bearer $API_TOKEN" -o "$TMP/routes.direct" \
	http://127.0.0.1:8144/api/v1/routes
size=$(stat -c %s "$TMP/routes.inband" 2>/dev/null || echo 0)
check "GET /api/v1/routes in-band through the proxy is over 10 MiB ($size bytes)" \
	test "$size" -ge 10485760
check "... byte for byte the one read on loopback in r" cmp "$TMP/routes.inband" "$TMP/routes.direct"
check "... and lists the $API_ROUTES routes" \
	jq -e --argjson n "$API_ROUTES" '.routes | length >= $n' "$TMP/routes.inband"
# A 10 MB file too: the proxy's second listener (8080) relays to a Linux HTTP server in r.
mkdir -p "$TMP/www"
head -c 10485760 /dev/urandom >"$TMP/www/big"
daemon_start WWW "$R" www python3 -m http.server --bind 127.0.0.1 --directory "$TMP/www" 8081
wait_for_port "$R" 8081 10 || fail "web server in r listens"
h1 curl -sS --max-time 60 -o "$TMP/big.inband" http://10.0.1.1:8080/big
check "a 10 MB response through the proxy arrives intact" cmp "$TMP/www/big" "$TMP/big.inband"

# 1,000 concurrent connections.
rm -f "$TMP/many.go"
ns_exec "$H1" bash -c "ulimit -n 4096; exec python3 $here/tcp_client.py --timeout 120 concurrent 10.0.1.1 7 1000 2000 --hold-file $TMP/many.go" >"$TMP/many.out" 2>&1 &
many_pid=$!
register_pid "$many_pid"
wait_for "1000 connections open" 60 grep -q "^open 1000" "$TMP/many.out" || fail "1000 connections open"
api GET /api/v1/tcp
check "API counts 1000 established connections" test "$(api_jq '.states.ESTABLISHED // 0')" -ge 1000
check "GET /metrics: shoal_tcp_connections by state = the connections API (1000 open)" \
	wait_for "metrics and API agree" 10 metrics_match
check "... ESTABLISHED >= 1000 in /metrics" \
	test "$(mval 'shoal_tcp_connections{state="ESTABLISHED"}')" -ge 1000
touch "$TMP/many.go"
wait "$many_pid"
check_eq "1000 concurrent connections each echo 2000 bytes intact" 0 "$?"

# RFC 5961 §3.2: an in-window RST that is not at RCV.NXT.
check "injected RST with a wrong sequence number: challenge ACK, connection survives" \
	h1 timeout 30 /usr/bin/python3 "$here/tcp_attack.py" rstinject 10.0.1.1 7
api GET /api/v1/tcp
check "API counts the challenge ACK and the refused RST" \
	jq -e '.counters.challenge_acks >= 1 and .segment_drops.rst_in_window >= 1' <<<"$API_BODY"

# SYN flood: 50,000 spoofed SYNs while a real client connects.
ns_exec "$H1" /usr/bin/python3 "$here/tcp_attack.py" synflood 10.0.1.1 7 "${TCP_FLOOD:-50000}" >"$TMP/flood.out" 2>&1 &
flood_pid=$!
register_pid "$flood_pid"
flood_started() {
	api GET /api/v1/tcp
	[[ $(api_jq .counters.syns_accepted) -gt 2000 ]]
}
wait_for "flood under way" 30 flood_started || fail "the flood reaches the router"
check "a legitimate client connects and echoes during the SYN flood" \
	h1 timeout 60 $CLIENT --timeout 50 echo 10.0.1.1 7 100000
wait "$flood_pid"
check_eq "flood sent" 0 "$?"
api GET /api/v1/tcp
check "backlog bounded: drop-oldest evictions counted, SYN-RECEIVED <= syn_backlog" \
	jq -e '.drops.backlog_evicted > 0 and .syn_received <= .syn_backlog' <<<"$API_BODY"
evicted=$(api_jq .drops.backlog_evicted)
api GET /metrics
cp "$TMP/api.body" "$TMP/metrics.txt"
check "shoal_tcp_drops_total{reason=\"backlog_evicted\"} >= the API's count read before" \
	test "$(mval 'shoal_tcp_drops_total{reason="backlog_evicted"}')" -ge "$evicted"
check "promtool check metrics passes after the flood" bash -c "promtool check metrics <'$TMP/metrics.txt'"
check "shoald alive after the flood" daemon_alive "$SD_PID"
daemon_stop "$SD_PID" 10
check_eq "shoald exits 0" 0 "$?"
check "no sanitizer report" sd_clean "$SD_LABEL"

finish
