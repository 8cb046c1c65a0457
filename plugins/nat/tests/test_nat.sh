#!/usr/bin/env bash
# plugins/nat against Linux hosts: masquerade, endpoint-independent mapping, filtering (APDF and
# EIF), hairpin, port forwards, ICMP echo with one identifier from two hosts, traceroute beyond
# the NAT, 100 MB TCP each with offload on and off, TCP simultaneous open, timeouts, table and per-host limits, the
# /api/v1/nat resources, port forwards kept in state.db across restarts (config and API
# forwards coexist, the API wins), GET /metrics (promtool; shoal_nat_* equal to the API),
# and unloading with traffic flowing.
#
#   +------------------+    +-----------------------------+    +-----------------------------+
#   | h1 10.0.1.2/24 --+----+-- lan0 10.0.1.1             |    | inet                        |
#   |  default .1      |TAP |   shoald + nat              |TAP |  192.0.2.10/24 (server s1)  |
#   +------------------+    |   lan1 192.0.2.1  outside --+----+- 192.0.2.20/24 (server s2)  |
#   +------------------+    |   default via 192.0.2.10    |    |  192.0.2.30/24 (a stranger) |
#   | h2 10.0.3.2/24 --+----+-- lan2 10.0.3.1             |    |  198.51.100.1 --veth-- far  |
#   |  default .1      |TAP |   API 127.0.0.1:8144 (in r) |    |  (no route to 10.0.0.0/8)   |
#   +------------------+    +-----------------------------+    +--------------+--------------+
#                                                                 far 198.51.100.2, default .1
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SHOAL_SRC=${SHOAL_SRC:-$(cd "$here/../../.." && pwd)}
source "$SHOAL_SRC/tests/integration/lib.sh"
source "$SHOAL_SRC/tests/integration/tools/shoald.sh"
source "$SHOAL_SRC/tests/integration/tools/api_lib.sh"
require_root
require_cmd ip ping timeout python3 jq curl tracepath sqlite3 iptables unshare mount dd stat promtool
PROBE="python3 $here/nat_probe.py"

tmpdir_create TMP
ns_create H1 h1
ns_create H2 h2
ns_create R r
ns_create INET inet
ns_create FAR far
API_TOKEN_FILE=$TMP/secret/api.token
mkdir -p "$TMP/plugins"
if [[ ! -f $SHOAL_BUILD/plugins/nat.so ]]; then
	fail "nat.so built"
	finish
fi
ln -s "$(realpath "$SHOAL_BUILD/plugins/nat.so")" "$TMP/plugins/"

# inet: three addresses towards shoald, a router for far, no route to the inside networks
ns_veth "$INET" up0 "$FAR" up0
ns_addr "$INET" up0 198.51.100.1/24
ns_addr "$FAR" up0 198.51.100.2/24
ip -n "$FAR" route add default via 198.51.100.1
ns_exec "$INET" sysctl -qw net.ipv4.ip_forward=1

# config NAT_JSON OFFLOAD
write_config() {
	cat >"$TMP/r.json" <<-EOF
		{"interfaces": [{"name": "lan0", "kind": "tap", "address": "10.0.1.1/24", "offload": $2},
		                {"name": "lan1", "kind": "tap", "address": "192.0.2.1/24", "offload": $2},
		                {"name": "lan2", "kind": "tap", "address": "10.0.3.1/24", "offload": $2}],
		 "routes": [{"prefix": "0.0.0.0/0", "next_hop": "192.0.2.10"}],
		 "state_dir": "$TMP/state",
		 "api": {"listen": "127.0.0.1:$API_PORT", "token_file": "$API_TOKEN_FILE"},
		 "plugin_dir": "$TMP/plugins",
		 "plugins": [{"name": "nat", "config": $1}]}
	EOF
}

RUN=0
start_router() {
	RUN=$((RUN + 1))
	SD_LABEL=shoald-$RUN
	sd_start SD_PID "$R" "$SD_LABEL" "$TMP/r.json" lan0 lan1 lan2 || return 1
	sd_attach "$R" lan0 "$H1" 10.0.1.2/24 10.0.1.1 || return 1
	sd_attach "$R" lan2 "$H2" 10.0.3.2/24 10.0.3.1 || return 1
	ns_move "$R" lan1 "$INET" || return 1
	ns_addr "$INET" lan1 192.0.2.10/24 || return 1
	ip -n "$INET" addr add 192.0.2.20/24 dev lan1 || return 1
	ip -n "$INET" addr add 192.0.2.30/24 dev lan1 || return 1
	wait_for_port "$R" "$API_PORT" 10 || return 1
	wait_for_file "$API_TOKEN_FILE" 5 || return 1
	API_TOKEN=$(cat "$API_TOKEN_FILE")
}

stop_router() {
	daemon_stop "$SD_PID" 10
	check_eq "run $RUN: shoald exits 0" 0 "$?"
	check "run $RUN: no sanitizer report" sd_clean "$SD_LABEL"
}

# wait_line FILE PATTERN: polls (bounded) until FILE has a line matching PATTERN.
wait_line() {
	wait_for "line /$2/ in $1" 5 grep -qE "$2" "$1"
}

# tcp_bulk LABEL BYTES: BYTES from h1 to inet 192.0.2.10:9000 through the NAT, sha256 compared
tcp_bulk() {
	local out="$TMP/recv.$RUN"
	daemon_start RECV "$INET" "recv-$RUN" python3 "$NETTOOL" --timeout 60 tcp-recv 192.0.2.10 9000
	wait_for_port "$INET" 9000 5
	local sent
	sent=$(ns_exec "$H1" python3 "$NETTOOL" --timeout 60 tcp-send 192.0.2.10 9000 "$2" 7)
	wait_for_exit "$RECV" 60
	local got
	got=$(cat "$(daemon_log_path "recv-$RUN")")
	check_eq "$1: $2 bytes through the NAT arrive intact (sha256)" "$sent" "$got"
}

# ---------------------------------------------------------------- run 1: defaults (APDF)
NAT1='{"outside": ["lan1"],
       "port_forwards": [{"protocol": "tcp", "outside_port": 8080, "inside": "10.0.1.2:8000"}]}'
write_config "$NAT1" true
if ! start_router; then
	fail "run 1: topology set up"
	finish
fi
daemon_start S1 "$INET" s1 $PROBE --timeout 120 whoami-server 192.0.2.10 7000
daemon_start S2 "$INET" s2 $PROBE --timeout 120 whoami-server 192.0.2.20 7000
wait_for_port "$INET" 7000 5 udp

mapfile -t seen < <(ns_exec "$H1" $PROBE whoami 40000 192.0.2.10:7000 192.0.2.20:7000)
check_eq "masquerade: s1 sees the outside address, the port preserved" "192.0.2.1:40000" "${seen[0]:-}"
check_eq "EIM: s2 sees the same mapping from the same socket" "${seen[0]:-x}" "${seen[1]:-y}"

# APDF: a stranger's datagram to a live mapping is dropped
ns_exec "$H1" $PROBE wait-unsolicited 40001 192.0.2.10:7000 2 >"$TMP/unsol1" 2>&1 &
UNSOL=$!
register_pid $UNSOL
wait_line "$TMP/unsol1" '^MAPPED '
mapped=$(sed -n 's/^MAPPED 192.0.2.1:\([0-9]*\)$/\1/p' "$TMP/unsol1")
ns_exec "$INET" $PROBE send-from 192.0.2.30 5555 "192.0.2.1:${mapped:-1}"
wait "$UNSOL"
check_eq "APDF (default): an unsolicited datagram from a third endpoint is dropped" NONE \
	"$(tail -n 1 "$TMP/unsol1")"

# port forward from outside
daemon_start FWD "$H1" fwd-recv python3 "$NETTOOL" --timeout 20 tcp-recv 10.0.1.2 8000
wait_for_port "$H1" 8000 5
sent=$(ns_exec "$INET" python3 "$NETTOOL" --timeout 20 tcp-send 192.0.2.1 8080 200000 3)
wait_for_exit "$FWD" 20
check_eq "port forward tcp 8080 -> 10.0.1.2:8000 carries a transfer" "$sent" \
	"$(cat "$(daemon_log_path fwd-recv)")"

# ICMP echo from two hosts with one identifier
ns_exec "$H1" $PROBE icmp-echo 4242 192.0.2.10 5 >"$TMP/echo1" &
E1=$!
ns_exec "$H2" $PROBE icmp-echo 4242 192.0.2.10 5 >"$TMP/echo2" &
E2=$!
wait $E1
r1=$?
wait $E2
r2=$?
check_eq "ICMP echo id 4242 from h1 and h2 at once: both answered (h1)" "0 5" "$r1 $(cat "$TMP/echo1")"
check_eq "ICMP echo id 4242 from h1 and h2 at once: both answered (h2)" "0 5" "$r2 $(cat "$TMP/echo2")"

# traceroute from inside shows the hops beyond the NAT (their ICMP errors translated back)
trace=$(ns_exec "$H1" timeout 20 tracepath -n -m 5 198.51.100.2 2>&1)
check "tracepath from h1 sees shoald (10.0.1.1)" grep -q '10\.0\.1\.1' <<<"$trace"
check "tracepath from h1 sees the hop beyond the NAT (192.0.2.10)" grep -q '192\.0\.2\.10' <<<"$trace"
check "tracepath from h1 reaches far (198.51.100.2)" grep -qE 'Resume|reached|198\.51\.100\.2 ' <<<"$trace"

tcp_bulk "offload on" 100000000

# TCP simultaneous open through the NAT: h1 connects 10.0.1.2:45000 -> 192.0.2.10:45001 and s1
# connects 192.0.2.10:45001 -> 192.0.2.1:45000 (h1's mapping). inet drops h1's first SYN (a
# rule in the test's own inet namespace) so that s1's SYN crosses it: the NAT sees a SYN out
# and a SYN in, h1 answers s1's SYN with a SYN-ACK, s1 its own; both ends are connected.
ns_exec "$INET" iptables -I INPUT -p tcp --syn -s 192.0.2.1 --sport 45000 -j DROP
ns_exec "$H1" $PROBE --timeout 15 tcp-simopen --hold 3 10.0.1.2:45000 192.0.2.10:45001 >"$TMP/so1" 2>&1 &
SO1=$!
register_pid $SO1
h1_syn_dropped() {
	ns_exec "$INET" iptables -L INPUT -v -n -x | awk '/dpt:45001|spt:45000/ && $1 > 0 { f = 1 } END { exit !f }'
}
check "simultaneous open: h1's SYN went through the NAT (and was held back)" \
	wait_for "h1's SYN at inet" 10 h1_syn_dropped
ns_exec "$INET" $PROBE --timeout 15 tcp-simopen --hold 3 192.0.2.10:45001 192.0.2.1:45000 >"$TMP/so2" 2>&1 &
SO2=$!
register_pid $SO2
wait_line "$TMP/so1" '^ESTABLISHED'
wait_line "$TMP/so2" '^ESTABLISHED'
api GET '/api/v1/nat/sessions?inside=10.0.1.2&protocol=tcp'
check "simultaneous open: the NAT session 10.0.1.2:45000 <-> 192.0.2.10:45001 is established" jq -e \
	'[.sessions[] | select(.inside == "10.0.1.2:45000" and .outside == "192.0.2.1:45000"
	  and .remote == "192.0.2.10:45001" and .state == "established")] | length == 1' <<<"$API_BODY" ||
	printf '# %s\n' "$API_BODY" | head -c 2000
wait "$SO2"
r2=$?
wait "$SO1"
r1=$?
ns_exec "$INET" iptables -D INPUT -p tcp --syn -s 192.0.2.1 --sport 45000 -j DROP
check_eq "simultaneous open: s1 is connected to h1's mapping" "0 ESTABLISHED 10.0.1.2:45000" \
	"$r2 $(cat "$TMP/so2")"
check_eq "simultaneous open: h1 is connected to s1" "0 ESTABLISHED 192.0.2.10:45001" \
	"$r1 $(cat "$TMP/so1")"

# the API
api GET /api/v1/nat
api_check_status "GET /api/v1/nat: 200" 200
check "GET /api/v1/nat: settings, outside lan1 192.0.2.1, sessions counted" jq -e \
	'.settings.filtering == "address-and-port-dependent" and .settings.mapping == "endpoint-independent"
	 and .outside[0].interface == "lan1" and .outside[0].address == "192.0.2.1"
	 and .counts.sessions >= 3 and .counts.port_forwards == 1 and .drops.filtered >= 1
	 and .outside[0].ports_in_use.udp >= 2' <<<"$API_BODY"
api GET '/api/v1/nat/sessions?inside=10.0.1.2&protocol=udp'
api_check_status "GET /api/v1/nat/sessions?inside=&protocol=: 200" 200
check "the whoami session is listed with its mapping, remote and counters" jq -e \
	'[.sessions[] | select(.inside == "10.0.1.2:40000" and .outside == "192.0.2.1:40000"
	  and .remote == "192.0.2.10:7000" and .packets_out >= 1 and .packets_in >= 1
	  and .expires_in_ms > 0)] | length == 1' <<<"$API_BODY"
check "the filter keeps h2 and TCP out" jq -e \
	'all(.sessions[]; (.inside | startswith("10.0.1.2:")) and .protocol == "udp")' <<<"$API_BODY"
api GET '/api/v1/nat/sessions?limit=1'
check "paging: limit=1 gives one session and a next_cursor" jq -e \
	'(.sessions | length == 1) and (.next_cursor | type == "number")' <<<"$API_BODY"
api GET '/api/v1/nat/sessions?bogus=1'
api_check_error "unknown query key: 400" 400
api GET '/api/v1/nat/sessions?inside=10.0.1'
api_check_error "bad inside address: 400" 400
api POST /api/v1/nat/port-forwards '{"protocol":"udp","outside_port":5353,"inside":"10.0.3.2:53"}'
api_check_status "POST port-forwards: 201" 201
check "POST port-forwards answers the forward" jq -e \
	'.protocol == "udp" and .outside_port == 5353 and .inside == "10.0.3.2:53"' <<<"$API_BODY"
api POST /api/v1/nat/port-forwards '{"protocol":"udp","outside_port":5353,"inside":"10.0.1.2:53"}'
api_check_error "POST the same outside port again: 409" 409
api POST /api/v1/nat/port-forwards '{"protocol":"sctp","outside_port":1,"inside":"10.0.1.2:53"}'
api_check_error "POST a bad protocol: 400" 400
api POST /api/v1/nat/port-forwards '{"protocol":"udp","outside_port":70000,"inside":"10.0.1.2:53"}'
api_check_error "POST a bad port: 400" 400
api GET /api/v1/nat/port-forwards
check "GET port-forwards lists both" jq -e '.port_forwards | length == 2' <<<"$API_BODY"
api DELETE /api/v1/nat/port-forwards/udp/5353
api_check_status "DELETE port-forwards/udp/5353: 200" 200
api DELETE /api/v1/nat/port-forwards/udp/5353
api_check_error "DELETE it again: 404" 404
api DELETE '/api/v1/nat/sessions?inside=10.0.3.2'
api_check_status "DELETE sessions?inside=10.0.3.2: 200" 200
check "the flush removed h2's sessions only" jq -e '.flushed >= 1' <<<"$API_BODY"
api GET '/api/v1/nat/sessions?inside=10.0.3.2'
check "no session of h2 is left" jq -e '.sessions | length == 0' <<<"$API_BODY"
out=$(ns_exec "$R" timeout 60 /usr/bin/python3 "$API_CLIENT" --port "$API_PORT" \
	--token "$API_TOKEN" openapi --plugin nat "$SHOAL_SRC/api/openapi.yaml" 2>&1)
rc=$?
if [[ $rc -eq 0 && $(jq -r '.operations' <<<"$out" 2>/dev/null) -ge 6 ]]; then
	pass "api/openapi.yaml: every nat operation answers as documented"
else
	fail "api/openapi.yaml: every nat operation answers as documented" "${out:0:2000}"
fi
# durable port forwards (plugin ABI 1.3 records in state.db): one added through the API
api POST /api/v1/nat/port-forwards '{"protocol":"tcp","outside_port":9090,"inside":"10.0.3.2:9000"}'
api_check_status "POST port-forwards tcp 9090 -> h2: 201 (on disk)" 201
check_eq "the forward is a row of state.db's plugin_records" \
	'nat|pf/tcp/9090|{"protocol":"tcp","outside_port":9090,"inside":"10.0.3.2:9000"}' \
	"$(sqlite3 "$TMP/state/state.db" "SELECT plugin, key, CAST(value AS TEXT) FROM plugin_records")"
stop_router
daemon_stop "$S1" 2
daemon_stop "$S2" 2

# ---------------------------------------------------------------- run 1b/1c: restarts, same state_dir
forwards_are() { # the sorted "proto/port>inside" list GET port-forwards answers
	api GET /api/v1/nat/port-forwards
	jq -r '[.port_forwards[] | "\(.protocol)/\(.outside_port)>\(.inside)"] | sort | join(" ")' \
		<<<"$API_BODY"
}
ip -n "$INET" link del lan1 2>/dev/null
if ! start_router; then
	fail "run 1b: topology set up"
	finish
fi
check_eq "after a restart the config's forward and the API's coexist" \
	"tcp/8080>10.0.1.2:8000 tcp/9090>10.0.3.2:9000" "$(forwards_are)"
daemon_start FWD2 "$H2" fwd2-recv python3 "$NETTOOL" --timeout 20 tcp-recv 10.0.3.2 9000
wait_for_port "$H2" 9000 5
sent=$(ns_exec "$INET" python3 "$NETTOOL" --timeout 20 tcp-send 192.0.2.1 9090 100000 3)
wait_for_exit "$FWD2" 20
check_eq "the restored forward tcp 9090 -> 10.0.3.2:9000 carries a transfer" "$sent" \
	"$(cat "$(daemon_log_path fwd2-recv)")"
api DELETE /api/v1/nat/port-forwards/tcp/8080
api_check_status "DELETE the config file's forward tcp/8080: 200" 200
stop_router
ip -n "$INET" link del lan1 2>/dev/null
if ! start_router; then
	fail "run 1c: topology set up"
	finish
fi
check_eq "after another restart the config's forward stays deleted (API wins)" \
	"tcp/9090>10.0.3.2:9000" "$(forwards_are)"
api DELETE /api/v1/nat/port-forwards/tcp/9090
api_check_status "DELETE the API's forward tcp/9090: 200" 200
check_eq "its row is gone; the config forward's deletion is kept as a tombstone" \
	'pf/tcp/8080|{"deleted":true}' \
	"$(sqlite3 "$TMP/state/state.db" "SELECT key, CAST(value AS TEXT) FROM plugin_records")"
stop_router

# ---------------------------------------------------------------- run 1d: a full disk
# shoald's state_dir is a 1 MiB tmpfs in its own mount namespace (as in test_api_store.sh);
# the real $TMP/state, hidden under it, is untouched.
REAL_SHOALD=$SHOALD
SHOALD=$TMP/shoald-tmpfs
cat >"$SHOALD" <<EOF2
#!/bin/sh
exec unshare -m --propagation private sh -c 'mount -t tmpfs -o size=1m,mode=0700 shoal-test "\$0" && exec "\$@"' "$TMP/state" "$REAL_SHOALD" "\$@"
EOF2
chmod +x "$SHOALD"
ip -n "$INET" link del lan1 2>/dev/null
if ! start_router; then
	fail "run 1d: topology set up"
	finish
fi
SHOALD=$REAL_SHOALD
STATE_IN=/proc/$SD_PID/root$TMP/state
check_eq "shoald's state dir is its own tmpfs" tmpfs "$(stat -f -c %T "$STATE_IN")"
api POST /api/v1/nat/port-forwards '{"protocol":"udp","outside_port":5300,"inside":"10.0.1.2:53"}'
api_check_status "POST udp/5300 on the tmpfs: 201" 201
before=$(forwards_are)
dd if=/dev/zero of="$STATE_IN/filler" bs=64k 2>/dev/null
check "the tmpfs is full" test "$(stat -f -c %a "$STATE_IN")" -eq 0
api POST /api/v1/nat/port-forwards '{"protocol":"tcp","outside_port":9191,"inside":"10.0.1.2:91"}'
api_check_status "disk full: POST answered 500 storage_failed" 500 storage_failed
api DELETE /api/v1/nat/port-forwards/udp/5300
api_check_status "disk full: DELETE answered 500 storage_failed" 500 storage_failed
check_eq "disk full: the forwards in force are unchanged" "$before" "$(forwards_are)"
api GET /api/v1/nat
check "disk full: the data plane counts the same forwards" jq -e '.counts.port_forwards == 2' \
	<<<"$API_BODY"
rm -f "$STATE_IN/filler"
api POST /api/v1/nat/port-forwards '{"protocol":"tcp","outside_port":9191,"inside":"10.0.1.2:91"}'
api_check_status "space back: the same POST answered 201" 201
stop_router

# ---------------------------------------------------------------- run 2: EIF, limits, offload off
NAT2='{"outside": ["lan1"], "filtering": "endpoint-independent", "hairpin": true,
       "max_sessions": 8, "max_sessions_per_host": 5,
       "timeouts": {"icmp": 2, "tcp_established": 60, "tcp_transitory": 5}}'
write_config "$NAT2" false
ip -n "$INET" link del lan1 2>/dev/null
if ! start_router; then
	fail "run 2: topology set up"
	finish
fi
check "a timeout below the RFC minimum is accepted with a warning" \
	grep -q "timeouts.icmp = 2 s is below the RFC minimum of 60 s" "$(daemon_log_path "$SD_LABEL")"
daemon_start S1 "$INET" s1b $PROBE --timeout 120 whoami-server 192.0.2.10 7000
wait_for_port "$INET" 7000 5 udp

ns_exec "$H1" $PROBE wait-unsolicited 40001 192.0.2.10:7000 5 >"$TMP/unsol2" 2>&1 &
UNSOL=$!
register_pid $UNSOL
wait_line "$TMP/unsol2" '^MAPPED '
mapped=$(sed -n 's/^MAPPED 192.0.2.1:\([0-9]*\)$/\1/p' "$TMP/unsol2")
ns_exec "$INET" $PROBE send-from 192.0.2.30 5555 "192.0.2.1:${mapped:-1}"
wait "$UNSOL"
check_eq "EIF: the datagram from a third endpoint reaches h1" "GOT 192.0.2.30:5555" \
	"$(tail -n 1 "$TMP/unsol2")"

# hairpin: h2 reaches h1's mapping through the outside address
daemon_start HP "$H1" hairpin-server $PROBE --timeout 20 whoami-server 0.0.0.0 40010 --prime 192.0.2.10:7000
wait_line "$(daemon_log_path hairpin-server)" '^PRIMED 192.0.2.1:40010$'
hp=$(ns_exec "$H2" $PROBE whoami 40011 192.0.2.1:40010)
check_eq "hairpin: h2 -> 192.0.2.1:40010 reaches h1, which sees h2's own mapping" "192.0.2.1:40011" "$hp"
daemon_stop "$HP" 2

# timeouts: icmp 2 s; the echo sessions expire once idle, the others stay
check "ICMP echo through the NAT" ns_exec "$H1" $PROBE icmp-echo 4243 192.0.2.10 2
api GET '/api/v1/nat/sessions?protocol=icmp'
check "an ICMP session exists before the timeout" jq -e '.sessions | length >= 1' <<<"$API_BODY"
icmp_idle() {
	api GET '/api/v1/nat/sessions?protocol=icmp'
	jq -e '.sessions | length == 0' <<<"$API_BODY" >/dev/null
}
check "icmp timeout 2 s: the echo session expires (polled)" wait_for "icmp sessions expired" 10 icmp_idle
api GET /api/v1/nat
check "expired counted; the UDP sessions (timeout 300 s) are still there" jq -e \
	'.counts.expired >= 1 and .counts.sessions >= 1' <<<"$API_BODY"

tcp_bulk "offload off" 100000000

stop_router
daemon_stop "$S1" 2

# ---------------------------------------------------------------- run 3: limits, unload
NAT3='{"outside": ["lan1"], "max_sessions": 8, "max_sessions_per_host": 5}'
write_config "$NAT3" true
if ! start_router; then
	fail "run 3: topology set up"
	finish
fi
daemon_start S1 "$INET" s1c $PROBE --timeout 120 whoami-server 192.0.2.10 7000
wait_for_port "$INET" 7000 5 udp
# limits: per host 5, total 8; drops counted, existing flows go on
n1=$(ns_exec "$H1" $PROBE flows 41000 7 192.0.2.10:7000)
check_eq "per-host limit: 5 of h1's 7 new flows pass" 5 "$n1"
n2=$(ns_exec "$H2" $PROBE flows 42000 5 192.0.2.10:7000)
check_eq "table full (8): 3 of h2's 5 new flows pass" 3 "$n2"
again=$(ns_exec "$H1" $PROBE whoami 41000 192.0.2.10:7000)
check_eq "an existing flow goes on while the table is full" "192.0.2.1:41000" "$again"
api GET /api/v1/nat
check "drops counted: host_limit 2, table_full 2" jq -e \
	'.drops.host_limit >= 2 and .drops.table_full >= 2 and .counts.sessions == 8' <<<"$API_BODY"

# GET /metrics (the nat plugin's metrics hook) against the API, same table, nothing moving
cp "$TMP/api.body" "$TMP/nat.json"
api GET /metrics
api_check_status "GET /metrics with nat loaded: 200" 200
cp "$TMP/api.body" "$TMP/metrics.txt"
check "promtool check metrics passes with nat loaded" bash -c "promtool check metrics <'$TMP/metrics.txt'"
api GET '/api/v1/nat/sessions?limit=1000'
cp "$TMP/api.body" "$TMP/sessions.json"
mval() { awk -v k="$1" '$1 == k {print $2}' "$TMP/metrics.txt"; }
msum() { awk -v k="$1" 'index($1, k "{") == 1 {s += $2} END {print s + 0}' "$TMP/metrics.txt"; }
check_eq "sum of shoal_nat_sessions = the sessions the API lists" \
	"$(jq '.sessions | length' "$TMP/sessions.json")" "$(msum shoal_nat_sessions)"
check_eq "sum of shoal_nat_sessions = the API's counts.sessions (8)" \
	"$(jq .counts.sessions "$TMP/nat.json")" "$(msum shoal_nat_sessions)"
check_eq "shoal_nat_sessions{protocol=\"udp\"} = the UDP sessions listed" \
	"$(jq '[.sessions[] | select(.protocol == "udp")] | length' "$TMP/sessions.json")" \
	"$(mval 'shoal_nat_sessions{protocol="udp"}')"
for r in host_limit table_full; do
	check_eq "shoal_nat_drops_total{reason=\"$r\"} = the API's drops.$r" \
		"$(jq .drops.$r "$TMP/nat.json")" "$(mval "shoal_nat_drops_total{reason=\"$r\"}")"
done
check_eq "shoal_nat_mappings = the API's counts.mappings" \
	"$(jq .counts.mappings "$TMP/nat.json")" "$(mval shoal_nat_mappings)"
check_eq "shoal_nat_ports_in_use{interface=\"lan1\",protocol=\"udp\"} = the API's" \
	"$(jq '.outside[0].ports_in_use.udp' "$TMP/nat.json")" \
	"$(mval 'shoal_nat_ports_in_use{interface="lan1",protocol="udp"}')"

api DELETE '/api/v1/nat/sessions'
check "flush all: the table is empty again" jq -e '.flushed == 8' <<<"$API_BODY"
api GET /metrics
cp "$TMP/api.body" "$TMP/metrics.txt"
check_eq "after the flush every shoal_nat_sessions series is 0 (sum)" 0 "$(msum shoal_nat_sessions)"
check_eq "... and shoal_nat_sessions{protocol=\"udp\"} is 0" 0 "$(mval 'shoal_nat_sessions{protocol="udp"}')"

# unload with traffic flowing
ns_exec "$H1" ping -i 0.05 -c 200 -W 1 192.0.2.10 >"$TMP/ping.log" 2>&1 &
PING=$!
register_pid $PING
wait_for "pings answered through the NAT" 5 grep -q 'bytes from 192.0.2.10' "$TMP/ping.log"
api DELETE /api/v1/plugins/nat
api_check_status "DELETE /api/v1/plugins/nat with traffic flowing: 204" 204
check "shoald keeps running after the unload" daemon_alive "$SD_PID"
check_not "after the unload nothing is translated (inet has no route back)" \
	ns_exec "$H1" ping -c 2 -i 0.2 -W 1 192.0.2.10
kill "$PING" 2>/dev/null
stop_router
finish
