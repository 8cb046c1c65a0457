#!/usr/bin/env bash
# RFC 1812 filtering (issue 16): martian sources (the router's own addresses, directed
# broadcasts), reverse-path filtering per interface (rp_filter strict / loose / off), IPv4
# options (LSRR/SSRR dropped by default or source-routed with forwarding.source_route
# "forward"; Record Route and Timestamp filled in when forwarding). Three runs of one shoald:
#   run "strict": lan0 rp_filter strict, source_route drop (the default)
#   run "loose":  lan0 rp_filter loose (the default), source_route forward
#   run "off":    lan0 rp_filter off
# Probes are crafted by scapy in h1 (tools/rfc1812_probe.py) and read from a capture in h2.
#
#   +--------------------+      +------------------------------+      +---------------------+
#   | shoal-<pid>-X-h1   |      | shoal-<pid>-X-r              |      | shoal-<pid>-X-h2    |
#   | lan0 10.0.1.2/24 --+------+-- lan0 10.0.1.1   shoald     |      |                     |
#   | default 10.0.1.1   | TAP  |   02:00:00:00:01:01          | TAP  | default 10.0.2.1    |
#   |                    |      |   lan1 10.0.2.1 -------------+------+-- lan1 10.0.2.2/24   |
#   +--------------------+      |   10.9.0.0/16 via 10.0.2.99  |      +---------------------+
#                               +------------------------------+
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
source "$here/tools/shoald.sh"
require_root
require_cmd ip tcpdump timeout python3 /usr/bin/python3

PROBE="/usr/bin/python3 $here/tools/rfc1812_probe.py"
tmpdir_create TMP

# seen PORT: the line "PORT DST OPTIONS" read from h2's capture (empty when not seen)
seen() { grep "^$1 " "$TMP/$name.seen" || true; }

run() {
	local name=$1 rp=$2 sr=$3 h1 h2 r pid cap cap_pid icap icap_pid out n
	ns_create h1 "$name-h1"
	ns_create h2 "$name-h2"
	ns_create r "$name-r"
	cat >"$TMP/$name.json" <<-JSON
		{"interfaces": [
		   {"name": "lan0", "kind": "tap", "address": "10.0.1.1/24", "mac": "02:00:00:00:01:01",
		    "rp_filter": "$rp"},
		   {"name": "lan1", "kind": "tap", "address": "10.0.2.1/24", "mac": "02:00:00:00:02:01"}],
		 "routes": [{"prefix": "10.9.0.0/16", "next_hop": "10.0.2.99"}],
		 "forwarding": {"source_route": "$sr"}}
	JSON
	if ! { sd_start pid "$r" "shoald-$name" "$TMP/$name.json" lan0 lan1 &&
		sd_attach "$r" lan0 "$h1" 10.0.1.2/24 10.0.1.1 &&
		sd_attach "$r" lan1 "$h2" 10.0.2.2/24 10.0.2.1; }; then
		fail "$name: topology set up"
		return
	fi
	cap=$TMP/$name-h2.pcap
	icap=$TMP/$name-h1.pcap
	sniffer_start cap_pid "$h2" "tcpdump-h2-$name" lan1 "$cap" 'udp or arp' ||
		fail "$name: capture on lan1 (no marker seen)"
	sniffer_start icap_pid "$h1" "tcpdump-h1-$name" lan0 "$icap" 'icmp' ||
		fail "$name: capture on lan0 (no marker seen)"
	out=$(ns_exec "$h1" $PROBE send lan0 02:00:00:00:01:01 2>&1)
	[[ $out == sent* ]] || fail "$name: scapy injection" "$out"
	# the control datagram went last on the same link: once h2 has it, the rest was handled
	check "$name: control datagram reached h2" wait_for "control on lan1" 5 \
		sniffer_has "$cap" 'udp port 5099'
	check "$name: lan1 capture fenced and stopped" sniffer_stop "$cap_pid" "$h2" lan1 "$cap"
	check "$name: lan0 capture fenced and stopped" sniffer_stop "$icap_pid" "$h1" lan0 "$icap"
	$PROBE read "$cap" >"$TMP/$name.seen" 2>&1

	# martian sources: always dropped, never answered, no ARP for ourselves
	check_eq "$name: source = router's own address not forwarded" "" "$(seen 5003)"
	check_eq "$name: source = directed broadcast not forwarded" "" "$(seen 5004)"
	check_eq "$name: no ARP for the router's own address" "ARP-FOR-SELF 0" \
		"$(grep ARP-FOR-SELF "$TMP/$name.seen")"
	check_eq "$name: echo from our own address not answered" 0 \
		"$(sniffer_read "$icap" 'icmp[icmptype] = icmp-echoreply' | wc -l)"

	# reverse path
	case $rp in
	strict)
		check_eq "$name: lan1 source arriving on lan0 dropped" "" "$(seen 5001)"
		check_eq "$name: source without a route back dropped" "" "$(seen 5002)" ;;
	loose)
		check "$name: lan1 source arriving on lan0 forwarded (a route back exists)" \
			test -n "$(seen 5001)"
		check_eq "$name: source without a route back dropped" "" "$(seen 5002)" ;;
	off)
		check "$name: lan1 source arriving on lan0 forwarded" test -n "$(seen 5001)"
		check "$name: source without a route back forwarded" test -n "$(seen 5002)" ;;
	esac

	# options
	check_eq "$name: Record Route gets 10.0.2.1" "5009 10.0.2.2 070b080a0002010000000001" \
		"$(seen 5009)"
	check "$name: Timestamp flag 1 gets 10.0.2.1 and a stamp ($(seen 5010))" \
		grep -q "^5010 10.0.2.2 440c0d010a000201[0-9a-f]\{8\}$" "$TMP/$name.seen"
	check_eq "$name: full Timestamp: overflow count 1" "5011 10.0.2.2 4408091001020304" \
		"$(seen 5011)"
	if [[ $sr == drop ]]; then
		check_eq "$name: LSRR dropped" "" "$(seen 5006)"
		check_eq "$name: SSRR dropped" "" "$(seen 5007)"
		check_eq "$name: no source route failed for a dropped source route" 0 \
			"$(sniffer_read "$icap" 'icmp[icmptype] = icmp-unreach and icmp[icmpcode] = 5' | wc -l)"
	else
		check_eq "$name: LSRR: destination 10.0.2.2, route recorded 10.0.2.1, pointer 8" \
			"5006 10.0.2.2 8307080a00020101" "$(seen 5006)"
		check_eq "$name: SSRR: destination 10.0.2.2, route recorded 10.0.2.1, pointer 8" \
			"5007 10.0.2.2 8907080a00020101" "$(seen 5007)"
		check_eq "$name: SSRR to a next hop behind a gateway not forwarded" "" "$(seen 5008)"
		check_eq "$name: SSRR failure answered with source route failed (3/5)" 1 \
			"$(sniffer_read "$icap" 'icmp[icmptype] = icmp-unreach and icmp[icmpcode] = 5' | wc -l)"
	fi

	daemon_stop "$pid" 5
	check_eq "$name: shoald exits 0 on SIGTERM" 0 "$?"
	check "$name: no sanitizer report" sd_clean "shoald-$name"
	n=$(sd_drop "shoald-$name" lan0 martian_source)
	check "$name: martian sources counted on lan0 ($n >= 3)" test "$n" -ge 3
	n=$(sd_drop "shoald-$name" lan0 rp_filter)
	case $rp in
	strict) check_eq "$name: rp_filter drops counted" 2 "$n" ;;
	loose) check_eq "$name: rp_filter drops counted" 1 "$n" ;;
	off) check_eq "$name: rp_filter drops counted" 0 "$n" ;;
	esac
	n=$(sd_drop "shoald-$name" lan0 source_route)
	if [[ $sr == drop ]]; then
		check_eq "$name: source routes counted" 3 "$n"
	else
		check_eq "$name: source_route_failed counted" 1 \
			"$(sd_drop "shoald-$name" lan0 source_route_failed)"
	fi
}

run strict strict drop
run loose loose forward
run off off drop
finish
