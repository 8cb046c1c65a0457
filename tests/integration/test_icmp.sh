#!/usr/bin/env bash
# ICMP errors as RFC 1812 wants them: rate-limited by a token bucket (icmp.rate_per_s, icmp.burst),
# never sent about ICMP errors, non-first fragments, broadcasts or bogus sources.
#
#   +---------------------+  TAP   +--------------------------------------+
#   | h1                  +--------+ r: shoald  lan0 10.0.1.1/24          |
#   | lan0 10.0.1.2/24    |        |    no route to 10.9.0.0/16           |
#   | default via .1      |        |    icmp rate_per_s 2, burst 3        |
#   +---------------------+        +--------------------------------------+
#
# Every probe goes to a destination without a route (net unreachable expected) or to the
# router itself (port unreachable), from scapy in h1; the replies are counted on h1's lan0.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
require_root
require_cmd ip ping /usr/bin/python3
shoald=${SHOAL_BUILD:?SHOAL_BUILD not set}/router/shoald
probe="/usr/bin/python3 $here/tools/icmp_probe.py"

start_router() { # start_router RATE BURST
	tmpdir_create T
	cat >"$T/r.json" <<JSON
{"interfaces": [{"name": "lan0", "kind": "tap", "address": "10.0.1.1/24"}],
 "icmp": {"rate_per_s": $1, "burst": $2},
 "state_dir": "$T/state", "api": {"token_file": "$T/api.token"}}
JSON
	ns_create R r
	ns_create H1 h1
	daemon_start RPID "$R" shoald "$shoald" -c "$T/r.json"
	wait_for_link "$R" lan0 10 || die "shoald did not create lan0"
	ns_move "$R" lan0 "$H1"
	ns_addr "$H1" lan0 10.0.1.2/24
	ip -n "$H1" route add default via 10.0.1.1
}

# --- rate limit: burst 3, then 2/s
start_router 2 3
check "router answers ping" ns_exec "$H1" ping -c 1 -W 2 10.0.1.1
sleep 1.6 # the bucket refills to its burst
n=$(ns_exec "$H1" $probe lan0 udp 10.9.0.1 20)
check "a burst of 20 gets at least the bucket's 3 errors (got $n)" test "$n" -ge 3
check "a burst of 20 gets at most 3 + refill (got $n)" test "$n" -le 6

sleep 2
n=$(ns_exec "$H1" $probe lan0 udp 10.9.0.1 1)
check_eq "a single datagram to an unrouted network gets net unreachable" 1 "$n"
n=$(ns_exec "$H1" $probe lan0 udp 10.0.1.1 1)
check_eq "UDP to the router gets port unreachable" 1 "$n"

sleep 2
n=$(ns_exec "$H1" $probe lan0 icmp-error 10.9.0.1 3)
check_eq "no ICMP error about an ICMP error" 0 "$n"
n=$(ns_exec "$H1" $probe lan0 frag 10.9.0.1 3)
check_eq "no ICMP error about a non-first fragment" 0 "$n"
n=$(ns_exec "$H1" $probe lan0 bcast 10.0.1.255 3)
check_eq "no ICMP error about a directed broadcast" 0 "$n"
n=$(ns_exec "$H1" $probe lan0 mcast-src 10.9.0.1 3)
check_eq "no ICMP error about a multicast source" 0 "$n"

daemon_stop "$RPID" 5
rc=$?
check_eq "shoald exits 0 on SIGTERM" 0 "$rc"
log=$(daemon_log shoald)
check "the limiter counted what it held back" grep -Eq "rate-limited [1-9]" <<<"$log"
check "the broadcast was dropped as such" grep -q "lan0: drop broadcast 3" <<<"$log"
check "the multicast source was dropped as martian" grep -q "lan0: drop martian_source 3" <<<"$log"
finish
