#!/usr/bin/env bash
# RFC 1812 ICMP rules end to end: time exceeded for TTL 0 and 1 on arrival, no error to a
# directed-broadcast source (4.3.2.7), host unreachable when ARP gives up on a next hop
# (arp.give_up_ms, short here), and the per-destination rate limit (defaults: a burst of 6,
# then one per second) under the global bucket (defaults: 1000/s, burst 50).
#
#   +------------------+  TAP  +-----------------------------------+  TAP  +------------------+
#   | h1               +-------+ r: shoald                         +-------+ h2               |
#   | lan0 10.0.1.2/24 |       |  lan0 10.0.1.1/24 lan1 10.0.2.1/24|       | lan1 10.0.2.2/24 |
#   |      10.0.1.3/24 |       |  10.9.0.0/16 via 10.0.2.99 (none) |       |                  |
#   | default via .1   |       |  arp give_up_ms 300               |       | default via .1   |
#   +------------------+       +-----------------------------------+       +------------------+
#
# Probes are sent by scapy from h1 (tools/icmp_rules.py), which counts what the router sends
# back; its sniffer signals readiness with a marker frame and its count ends with an echo
# round trip through the router (no fixed sleeps).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
require_root
require_cmd ip ping /usr/bin/python3
shoald=${SHOAL_BUILD:?SHOAL_BUILD not set}/router/shoald
probe="/usr/bin/python3 $here/tools/icmp_rules.py"

tmpdir_create T
cat >"$T/r.json" <<JSON
{"interfaces": [{"name": "lan0", "kind": "tap", "address": "10.0.1.1/24"},
                {"name": "lan1", "kind": "tap", "address": "10.0.2.1/24"}],
 "routes": [{"prefix": "10.9.0.0/16", "next_hop": "10.0.2.99"}],
 "arp": {"give_up_ms": 300}}
JSON
ns_create R r
ns_create H1 h1
ns_create H2 h2
daemon_start RPID "$R" shoald "$shoald" -c "$T/r.json"
wait_for_link "$R" lan0 10 || die "shoald did not create lan0"
wait_for_link "$R" lan1 10 || die "shoald did not create lan1"
ns_move "$R" lan0 "$H1"
ns_move "$R" lan1 "$H2"
ns_addr "$H1" lan0 10.0.1.2/24
ip -n "$H1" addr add 10.0.1.3/24 dev lan0
ip -n "$H1" route add default via 10.0.1.1
ns_addr "$H2" lan1 10.0.2.2/24
ip -n "$H2" route add default via 10.0.2.1
check "h1 reaches h2 through the router" ns_exec "$H1" ping -c 1 -W 2 10.0.2.2

# field N of the probe's output: 1 errors, 2 time exceeded, 3 host unr., 4 net unr., 5 ARP for src
field() { awk -v n="$1" '{print $n}' <<<"$2"; }

out=$(ns_exec "$H1" $probe lan0 10.0.2.2 1 --ttl 0)
check_eq "TTL 0 on arrival: time exceeded ($out)" 1 "$(field 2 "$out")"
out=$(ns_exec "$H1" $probe lan0 10.0.2.2 1 --ttl 1)
check_eq "TTL 1 on arrival: time exceeded ($out)" 1 "$(field 2 "$out")"
out=$(ns_exec "$H1" $probe lan0 10.0.2.2 1 --ttl 2)
check_eq "TTL 2 is forwarded: no error ($out)" 0 "$(field 1 "$out")"

# 4.3.2.7: the same unroutable datagram gets net unreachable from a host source, nothing
# (not even an ARP request for it) from the directed broadcast of a connected network.
out=$(ns_exec "$H1" $probe lan0 10.8.0.1 1)
check_eq "no route from a host source: net unreachable ($out)" 1 "$(field 4 "$out")"
out=$(ns_exec "$H1" $probe lan0 10.8.0.1 3 --src 10.0.1.255)
check_eq "directed-broadcast source: no ICMP error ($out)" 0 "$(field 1 "$out")"
check_eq "directed-broadcast source: no ARP for it either ($out)" 0 "$(field 5 "$out")"

# The next hop 10.0.2.99 never answers ARP: after give_up_ms, host unreachable.
out=$(ns_exec "$H1" $probe lan0 10.9.0.5 1 --until 1 --deadline 5)
check_eq "ARP gives up: host unreachable ($out)" 1 "$(field 3 "$out")"

# Per destination: 400 TTL-1 probes in one burst from a fresh source address get the burst of
# 6 plus at most one per second of sending (plus one for a second boundary), not the global
# bucket's 50 + 1000/s.
out=$(ns_exec "$H1" $probe lan0 10.0.2.2 400 --ttl 1 --src 10.0.1.3)
n=$(field 1 "$out")
secs=$(field 6 "$out")
max=$(awk -v s="$secs" 'BEGIN { printf "%d", 6 + int(s) + 2 }')
check "400 probes from one host: at least the burst of 6 errors ($out)" test "$n" -ge 6
check "400 probes from one host: at most 6 + 1/s ($n <= $max, sent in ${secs}s)" test "$n" -le "$max"

daemon_stop "$RPID" 5
rc=$?
check_eq "shoald exits 0 on SIGTERM" 0 "$rc"
log=$(daemon_log shoald)
check "the per-destination limiter counted what it held back" \
	grep -Eq "by destination (39[0-9]|3[0-8][0-9])" <<<"$log"
check "lan0 counted the expired TTLs" grep -Eq "lan0: drop ttl_expired [0-9]+" <<<"$log"
finish
