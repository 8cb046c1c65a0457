#!/usr/bin/env bash
# HTTP API, ARP cache, interfaces and plugins: the ARP cache fills after a ping (dynamic entries
# with the host's MAC and an expiry), pending entries show their queued datagrams, static entries
# are added (and steer traffic to their MAC), deleted and survive a flush that removes the
# dynamic ones; interfaces report addresses, MACs, MTU and counters that move with traffic, and
# every drop reason of the data plane and of the ARP layer; plugins load, list their hooks and
# counters, refuse a second load or a failing one with the host's message, and unload.
#
#   +--------------------+      +------------------------------+      +------------------------+
#   | shoal-<pid>-h1     |      | shoal-<pid>-r                |      | shoal-<pid>-h2         |
#   | lan0 10.0.1.2/24 --+------+-- lan0 10.0.1.1   shoald     +------+-- lan1 10.0.2.2/24     |
#   | default 10.0.1.1   | TAP  |   lan1 10.0.2.1              | TAP  | lo   10.0.9.2/24       |
#   +--------------------+      |   API 127.0.0.1:8144 (in r)  |      | default 10.0.2.1       |
#                               |   plugin_dir: example.so     |      +------------------------+
#                               +------------------------------+
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
source "$here/tools/shoald.sh"
source "$here/tools/api_lib.sh"
require_root
require_cmd ip ping timeout curl jq tcpdump

api_init
if [[ ! -e $API_PLUGINS/example.so ]]; then
	fail "example plugin built ($SHOAL_BUILD/plugins/example.so)"
	finish
fi
api_config "$TMP/r.json"
api_setup_or_finish "$TMP/r.json"
mac_h1=$(ip -n "$H1" -o link show lan0 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
mac_h2=$(ip -n "$H2" -o link show lan1 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
check "the hosts' neighbour entries for the router pinned" api_pin_router_macs

# ================================================================ interfaces
api GET /api/v1/interfaces
api_check_status "GET interfaces: 200" 200
check "interfaces: lan0 and lan1 with kind, address, MAC, MTU, up, offload" jq -e '
	(.interfaces | map(.name) | sort) == ["lan0","lan1"] and
	(.interfaces[] | select(.name == "lan0") | .kind == "tap" and .address == "10.0.1.1/24" and
	 .mac == "02:00:00:00:01:01" and .mtu == 1500 and .up == true and (.offload | type == "boolean")) and
	(.interfaces[] | select(.name == "lan1") | .address == "10.0.2.1/24" and .mac == "02:00:00:00:02:01")' \
	<<<"$API_BODY"
check "interfaces: counters rx/tx packets/bytes are integers" jq -e '[.interfaces[].counters |
	(.rx_packets, .rx_bytes, .tx_packets, .tx_bytes) | type == "number" and . >= 0] | all' <<<"$API_BODY"
# Every generated drop name, from the data plane's and the netif's tables, zero ones included.
# the drop tables only (the headers hold other X-macro tables too)
names=$({ sed -n '/^#define SHOAL_DP_DROPS(X)/,/^$/p' "$SHOAL_SRC/router/include/shoal/dataplane.h"
	sed -n '/^#define SHOAL_NETIF_DROPS(X)/,/^$/p' "$SHOAL_SRC/stack/include/shoal/netif.h"; } |
	sed -n 's/^[[:space:]]*X([A-Z_0-9]*, "\([a-z_0-9]*\)".*/\1/p' | sort -u | jq -R . | jq -cs .)
check "drop names found in the headers ($(jq length <<<"$names"))" test "$(jq length <<<"$names")" -ge 20
check "interfaces: drops keyed by every data-plane and ARP drop name, integer values" jq -e --argjson n "$names" \
	'[.interfaces[] | .drops | (keys | sort) == $n and ([.[] | type == "number"] | all)] | all' <<<"$API_BODY"
rx0=$(api_jq '.interfaces[] | select(.name == "lan0") | .counters.rx_packets')
tx1=$(api_jq '.interfaces[] | select(.name == "lan1") | .counters.tx_packets')
nr0=$(api_jq '.interfaces[] | select(.name == "lan0") | .drops.no_route')
ns_exec "$H1" ping -c 5 -i 0.1 -W 2 10.0.2.2 >/dev/null
ns_exec "$H1" ping -c 2 -i 0.1 -W 1 10.99.0.1 >/dev/null 2>&1
api GET /api/v1/interfaces
rx0b=$(api_jq '.interfaces[] | select(.name == "lan0") | .counters.rx_packets')
tx1b=$(api_jq '.interfaces[] | select(.name == "lan1") | .counters.tx_packets')
nr0b=$(api_jq '.interfaces[] | select(.name == "lan0") | .drops.no_route')
check "lan0 rx_packets grew by >= 7 after 7 pings ($rx0 -> $rx0b)" test "$rx0b" -ge $((rx0 + 7))
check "lan1 tx_packets grew by >= 5 ($tx1 -> $tx1b)" test "$tx1b" -ge $((tx1 + 5))
check_eq "lan0 drops.no_route counts the 2 pings to 10.99.0.1" $((nr0 + 2)) "$nr0b"

# ================================================================ ARP
api DELETE /api/v1/arp
api_check_status "flush (DELETE /api/v1/arp): 200" 200
check "flush answer has a flushed count" jq -e '.flushed | type == "number"' <<<"$API_BODY"
api GET /api/v1/arp
check "after the flush: no dynamic entries" jq -e '[.entries[] | select(.state == "dynamic")] == []' <<<"$API_BODY"
ns_exec "$H1" ping -c 1 -W 2 10.0.2.2 >/dev/null
api GET /api/v1/arp
api_check_status "GET arp: 200" 200
check "after a ping: dynamic entries for h1 (lan0) and h2 (lan1) with their MACs" jq -e \
	--arg m1 "$mac_h1" --arg m2 "$mac_h2" '
	([.entries[] | select(.interface == "lan0" and .ip == "10.0.1.2" and .state == "dynamic" and .mac == $m1)] | length == 1) and
	([.entries[] | select(.interface == "lan1" and .ip == "10.0.2.2" and .state == "dynamic" and .mac == $m2)] | length == 1)' \
	<<<"$API_BODY"
check "dynamic entries have expires_in_ms > 0" jq -e \
	'[.entries[] | select(.state == "dynamic") | .expires_in_ms | type == "number" and . > 0] | all' <<<"$API_BODY"
api GET '/api/v1/arp?interface=lan1'
check "?interface=lan1: only lan1 entries, h2 among them" jq -e \
	'(.entries | length >= 1) and ([.entries[].interface] | all(. == "lan1")) and
	 ([.entries[].ip] | index("10.0.2.2") != null)' <<<"$API_BODY"
api GET '/api/v1/arp?interface=eth9'
check "?interface=eth9 (unknown): 400 or 404 ($API_CODE)" grep -qE '^40[04]$' <<<"$API_CODE"

# pending: datagrams to an absent neighbour wait for an ARP reply that never comes
ns_exec "$H1" ping -c 3 -i 0.2 -W 1 10.0.2.77 >/dev/null 2>&1 &
pinger=$!
register_pid "$pinger"
pending_seen() {
	api GET /api/v1/arp
	jq -e '[.entries[] | select(.ip == "10.0.2.77" and .state == "pending" and .mac == null and
		.interface == "lan1" and (.queued | type == "number" and . >= 1))] | length == 1' <<<"$API_BODY"
}
check "pending entry for 10.0.2.77 with mac null and queued >= 1" wait_for "pending ARP entry" 3 pending_seen
wait "$pinger" 2>/dev/null

# static entries
api POST /api/v1/arp '{"ip":"10.0.2.50","mac":"02:00:00:00:00:50"}'
api_check_status "POST static ARP 10.0.2.50 (interface deduced): 201" 201
check "POST arp answer: static entry on lan1" jq -e \
	'.ip == "10.0.2.50" and .mac == "02:00:00:00:00:50" and .state == "static" and .interface == "lan1"' <<<"$API_BODY"
api POST /api/v1/arp '{"ip":"10.0.1.60","mac":"02:00:00:00:00:60","interface":"lan0"}'
api_check_status "POST static ARP 10.0.1.60 on lan0: 201" 201
before=$(api GET /api/v1/arp && jq -cS '[.entries[] | select(.state == "static")]' <<<"$API_BODY")
for bad in '{"ip":"10.0.2.51","mac":"02:00:00:00:00"}' '{"ip":"10.0.2.51","mac":"zz:00:00:00:00:51"}' \
	'{"ip":"10.0.2.51","mac":"ff:ff:ff:ff:ff:ff"}' '{"ip":"10.0.2.51","mac":"01:00:5e:00:00:01"}' \
	'{"ip":"10.0.2.51","mac":"00:00:00:00:00:00"}' \
	'{"ip":"192.168.5.5","mac":"02:00:00:00:00:51"}' '{"ip":"10.0.2.51","mac":"02:00:00:00:00:51","interface":"lan0"}' \
	'{"ip":"10.0.2.51","mac":"02:00:00:00:00:51","interface":"eth9"}' '{"ip":"10.0.2.51"}' \
	'{"mac":"02:00:00:00:00:51"}' '{"ip":"10.0.2.51","mac":"02:00:00:00:00:51","ttl":5}' \
	'{"ip":"10.0.2.300","mac":"02:00:00:00:00:51"}'; do
	api POST /api/v1/arp "$bad"
	api_check_error "POST arp $bad: 400" 400
done
check_eq "refused ARP POSTs changed nothing" "$before" \
	"$(api GET /api/v1/arp && jq -cS '[.entries[] | select(.state == "static")]' <<<"$API_BODY")"

# a static entry steers traffic: frames to 10.0.2.50 leave lan1 with its MAC
ip -n "$H2" addr add 10.0.2.50/32 dev lan1 2>/dev/null
cap=$TMP/static.pcap
sniffer_start cap_pid "$H2" tcpdump-static lan1 "$cap" 'icmp and dst host 10.0.2.50' ||
	fail "capture on lan1 (no marker seen)"
ns_exec "$H1" ping -c 2 -i 0.2 -W 1 10.0.2.50 >/dev/null 2>&1
check "capture on lan1 fenced and stopped" sniffer_stop "$cap_pid" "$H2" lan1 "$cap"
check "datagrams to 10.0.2.50 leave with the static MAC 02:00:00:00:00:50" \
	grep -q "> 02:00:00:00:00:50" <<<"$(sniffer_read "$cap" "" -e)"
api GET /api/v1/arp
check "the static entry was not replaced by learning" jq -e \
	'.entries[] | select(.ip == "10.0.2.50") | .state == "static" and .mac == "02:00:00:00:00:50"' <<<"$API_BODY"

ns_exec "$H1" ping -c 1 -W 2 10.0.2.2 >/dev/null
api DELETE /api/v1/arp
api_check_status "flush: 200" 200
check "flush removed >= 2 dynamic entries ($(api_jq .flushed))" test "$(api_jq .flushed)" -ge 2
api GET /api/v1/arp
check "after the flush: both static entries remain, no dynamic ones" jq -e \
	'([.entries[] | select(.state == "static") | .ip] | sort) == ["10.0.1.60","10.0.2.50"] and
	 ([.entries[] | select(.state == "dynamic")] == [])' <<<"$API_BODY"
ns_exec "$H1" ping -c 1 -W 2 10.0.2.2 >/dev/null
api DELETE '/api/v1/arp?interface=lan0'
api_check_status "flush ?interface=lan0: 200" 200
api GET /api/v1/arp
check "flush of lan0 kept lan1's dynamic entry" jq -e \
	'[.entries[] | select(.state == "dynamic") | .interface] | all(. == "lan1") and length >= 1' <<<"$API_BODY"
api DELETE /api/v1/arp/10.0.2.50
api_check_status "DELETE static 10.0.2.50: 204" 204
api DELETE /api/v1/arp/10.0.2.50
api_check_error "DELETE 10.0.2.50 again: 404" 404
api DELETE /api/v1/arp/10.0.2.300
api_check_error "DELETE /api/v1/arp/10.0.2.300 (not an address): 400" 400
api GET /api/v1/arp
check "10.0.2.50 gone, 10.0.1.60 still static" jq -e \
	'([.entries[].ip] | index("10.0.2.50") == null) and
	 (.entries[] | select(.ip == "10.0.1.60") | .state == "static")' <<<"$API_BODY"
api PATCH /api/v1/arp '{}'
api_check_error "PATCH /api/v1/arp: 405" 405

# ================================================================ plugins
api GET /api/v1/plugins
api_check_status "GET plugins: 200" 200
check "no plugin loaded at start" jq -e '.plugins == []' <<<"$API_BODY"
api POST /api/v1/plugins '{"name":"example","config":{"label":"via api"}}'
api_check_status "POST plugins example: 201" 201
check "POST plugins answer: name, version, description, abi 1.4 (the host's, built in tree)" jq -e \
	'.name == "example" and (.version | type == "string") and (.description | type == "string") and .abi == "1.4"' <<<"$API_BODY"
check "the plugin's own load message carries the config label" \
	grep -q "example plugin loaded (via api)" "$(daemon_log_path "$SD_LABEL")"
ns_exec "$H1" ping -c 3 -i 0.1 -W 2 10.0.2.2 >/dev/null
api GET /api/v1/plugins
check "GET plugins: example with hook calls, counters and drops" jq -e '
	(.plugins | length == 1) and (.plugins[0] | .name == "example" and .abi == "1.4" and
	 (.hooks.ingress >= 6) and (.counters.ingress >= 6) and (.drops | has("blocked_protocol")))' \
	<<<"$API_BODY"
# the plugin's own endpoints under /api/v1/example/ (ABI 1.1 http hook)
api GET /api/v1/example/stats
api_check_status "GET /api/v1/example/stats (plugin endpoint): 200" 200
check "plugin endpoint: the plugin's counters, ingress >= 6" jq -e \
	'(.ingress >= 6) and (.egress | type == "number") and (.ticks | type == "number")' <<<"$API_BODY"
check "plugin endpoint Content-Type application/json" grep -q '^application/json' <<<"$(api_hdr Content-Type)"
api GET /api/v1/example/other
api_check_error "GET /api/v1/example/other: the plugin's 404" 404
api GET '/api/v1/example/stats?limit=5'
api_check_error "GET /api/v1/example/stats?limit=5: a plugin without http_request sees no query: 400" 400
check "query refused with unknown_query_parameter" grep -qx unknown_query_parameter <<<"$(api_jq .error.code)"
api POST /api/v1/example/stats '{}'
api_check_error "POST /api/v1/example/stats: the plugin's 405" 405
API_AUTH=none api GET /api/v1/example/stats
api_check_error "plugin endpoint without a token: 401" 401
api POST /api/v1/plugins '{"name":"example"}'
api_check_error "POST plugins example again: 409" 409
api POST /api/v1/plugins '{"name":"absent"}'
check "POST plugins absent: 400 or 422 ($API_CODE)" grep -qE '^(400|422)$' <<<"$API_CODE"
check "absent: the host's message names the missing file" grep -q "absent" <<<"$(api_jq .error.message)"
api POST /api/v1/plugins '{"name":"example","config":{"drop_protocol":999}}'
check "POST a second example with a bad config: 4xx ($API_CODE)" grep -qE '^(400|409|422)$' <<<"$API_CODE"
api POST /api/v1/plugins '{"name":"Bad/Name"}'
api_check_error "POST plugins with an invalid name: 400" 400
api POST /api/v1/plugins '{"name":"example","config":"x"}'
api_check_error "POST plugins with config not an object: 400" 400
api POST /api/v1/plugins '{"name":"example","extra":1}'
api_check_error "POST plugins with an unknown field: 400" 400
api GET /api/v1/plugins
check "still exactly one plugin" jq -e '[.plugins[].name] == ["example"]' <<<"$API_BODY"
api DELETE /api/v1/plugins/example
api_check_status "DELETE plugins/example: 204" 204
check "the unload was logged" grep -q "plugin example: unloaded" "$(daemon_log_path "$SD_LABEL")"
api DELETE /api/v1/plugins/example
api_check_error "DELETE plugins/example again: 404" 404
api POST /api/v1/plugins '{"name":"example","config":{"drop_protocol":999}}'
check "POST example with drop_protocol 999: 400 or 422 ($API_CODE)" grep -qE '^(400|422)$' <<<"$API_CODE"
check "load failure: the plugin's own reason" grep -q "drop_protocol" <<<"$(api_jq .error.message)"
api GET /api/v1/plugins
check "no plugin after the failed load" jq -e '.plugins == []' <<<"$API_BODY"
api POST /api/v1/plugins '{"name":"example","config":{"drop_protocol":1}}'
api_check_status "load example dropping ICMP: 201" 201
check_not "ping is dropped by the plugin" ns_exec "$H1" ping -c 1 -W 1 10.0.2.2
api GET /api/v1/plugins
check "the plugin counted blocked_protocol" jq -e '.plugins[0].drops.blocked_protocol >= 1' <<<"$API_BODY"
api DELETE /api/v1/plugins/example
api_check_status "unload it: 204" 204
check "ping passes again after the unload" ns_exec "$H1" ping -c 2 -i 0.2 -W 2 10.0.2.2
api GET /api/v1/example/anything
check "/api/v1/example/... with the plugin unloaded: 404 ($API_CODE)" test "$API_CODE" = 404

daemon_stop "$SD_PID" 5
check_eq "shoald exits 0 on SIGTERM" 0 "$?"
check "no sanitizer report" sd_clean "$SD_LABEL"
finish
