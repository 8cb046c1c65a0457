#!/usr/bin/env bash
# Forwarding through one shoald (RFC 1812 behaviour, offloads, fragmentation, integrity), run twice:
#   run "offload":   lan0 and lan1 with offload (virtio-net headers, GSO super-frames pass whole),
#                    and the data plane busy-polls (forwarding.busy_poll_us 500)
#   run "nooffload": lan0 with offload, lan1 "offload": false (partial checksums completed and
#                    super-frames segmented in software by shoald); no busy polling (default)
# In both runs lan1 has MTU 1280, so 1400-byte datagrams from h1 must be fragmented (DF clear)
# or answered with fragmentation-needed, mtu 1280 (DF set).
#
#   +--------------------+      +------------------------------+      +---------------------+
#   | shoal-<pid>-X-h1   |      | shoal-<pid>-X-r              |      | shoal-<pid>-X-h2    |
#   | lan0 10.0.1.2/24 --+------+-- lan0 10.0.1.1   shoald     |      |                     |
#   | default 10.0.1.1   | TAP  |   02:00:00:00:01:01          | TAP  | default 10.0.2.1    |
#   |                    |      |   lan1 10.0.2.1 (mtu 1280) --+------+-- lan1 10.0.2.2/24   |
#   +--------------------+      +------------------------------+      +---------------------+
#   (X = run name; the TAPs are created by shoald in r and their kernel sides moved to h1/h2)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
source "$here/tools/shoald.sh"
require_root
require_cmd ip ping tcpdump timeout python3 /usr/bin/python3

XFER_BYTES=$((100 * 1024 * 1024))
tmpdir_create TMP

# xfer DESC SRC_NS DST_NS DST_ADDR PORT SEED: 100 MB over TCP; the digests of what was sent and
# what arrived must match.
xfer() {
	local desc=$1 src=$2 dst=$3 addr=$4 port=$5 seed=$6 rpid out_s out_r
	ns_exec "$dst" timeout 60 python3 "$NETTOOL" --timeout 30 tcp-recv "$addr" "$port" \
		>"$TMP/recv.$port" 2>&1 &
	rpid=$!
	register_pid "$rpid"
	if ! wait_for_port "$dst" "$port" 5; then
		fail "$desc: receiver listening"
		return
	fi
	out_s=$(ns_exec "$src" timeout 60 python3 "$NETTOOL" --timeout 30 tcp-send "$addr" "$port" \
		"$XFER_BYTES" "$seed" 2>&1)
	wait "$rpid"
	out_r=$(cat "$TMP/recv.$port")
	if [[ $out_s == "$XFER_BYTES "* && $out_s == "$out_r" ]]; then
		pass "$desc: 100 MB arrive intact (sha256 ${out_s#* })"
	else
		fail "$desc: 100 MB arrive intact" "sent:     $out_s" "received: $out_r"
	fi
}

# run_forward NAME LAN1_OFFLOAD(true|false)
run_forward() {
	local name=$1 off1=$2 h1 h2 r pid cfg cap cap_pid n out rc poll=0
	[[ $off1 == true ]] && poll=500
	ns_create h1 "$name-h1"
	ns_create h2 "$name-h2"
	ns_create r "$name-r"
	cfg=$TMP/$name.json
	cat >"$cfg" <<-EOF
		{"interfaces": [
		   {"name": "lan0", "kind": "tap", "address": "10.0.1.1/24", "mac": "02:00:00:00:01:01"},
		   {"name": "lan1", "kind": "tap", "address": "10.0.2.1/24", "mac": "02:00:00:00:02:01",
		    "mtu": 1280, "offload": $off1}],
		 "forwarding": {"busy_poll_us": $poll}}
	EOF
	if ! { sd_start pid "$r" "shoald-$name" "$cfg" lan0 lan1 &&
		sd_attach "$r" lan0 "$h1" 10.0.1.2/24 10.0.1.1 &&
		sd_attach "$r" lan1 "$h2" 10.0.2.2/24 10.0.2.1; }; then
		fail "$name: topology set up"
		return
	fi
	check_eq "$name: lan1 MTU set by shoald" 1280 "$(ip -n "$h2" -o link show lan1 | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')"

	# --- reachability
	check "$name: ping h1 -> h2" ns_exec "$h1" ping -c 3 -i 0.2 -W 2 10.0.2.2
	check "$name: ping h2 -> h1" ns_exec "$h2" ping -c 3 -i 0.2 -W 2 10.0.1.2
	check "$name: ping h1 -> router 10.0.1.1" ns_exec "$h1" ping -c 2 -i 0.2 -W 2 10.0.1.1
	check "$name: ping h1 -> router 10.0.2.1" ns_exec "$h1" ping -c 2 -i 0.2 -W 2 10.0.2.1
	check "$name: ping h2 -> router 10.0.2.1" ns_exec "$h2" ping -c 2 -i 0.2 -W 2 10.0.2.1
	check "$name: ping h2 -> router 10.0.1.1" ns_exec "$h2" ping -c 2 -i 0.2 -W 2 10.0.1.1

	# --- ICMP errors
	out=$(ns_exec "$h1" ping -c 1 -t 1 -W 2 10.0.2.2 2>&1)
	check "$name: TTL 1 gets time exceeded from 10.0.1.1" \
		grep -q "From 10.0.1.1 .*Time to live exceeded" <<<"$out"
	out=$(ns_exec "$h1" ping -c 1 -W 2 10.99.0.1 2>&1)
	check "$name: no route gets net unreachable from 10.0.1.1" \
		grep -q "From 10.0.1.1 .*Destination Net Unreachable" <<<"$out"
	check "$name: UDP to a router port gets port unreachable" \
		ns_exec "$h1" python3 "$NETTOOL" --timeout 3 udp-refused 10.0.1.1 9
	check "$name: UDP to the far router address gets port unreachable" \
		ns_exec "$h1" python3 "$NETTOOL" --timeout 3 udp-refused 10.0.2.1 9
	check "$name: TCP to a router port is refused" \
		ns_exec "$h1" python3 "$NETTOOL" --timeout 3 tcp-refused 10.0.1.1 80

	# --- fragmentation (DF clear) before DF set: the frag-needed teaches h1 a path MTU of 1280,
	# after which h1 would fragment by itself.
	cap=$TMP/$name-frag.pcap
	sniffer_start cap_pid "$h2" "tcpdump-frag-$name" lan1 "$cap" \
		'ip[6:2] & 0x3fff != 0 and src 10.0.1.2' || fail "$name: capture on lan1 (no marker seen)"
	check "$name: 1400-byte ping without DF h1 -> h2 is answered" \
		ns_exec "$h1" ping -c 3 -i 0.2 -W 2 -s 1400 -M dont 10.0.2.2
	check "$name: capture fenced and stopped" sniffer_stop "$cap_pid" "$h2" lan1 "$cap"
	n=$(sniffer_read "$cap" | wc -l)
	check "$name: fragments from h1 seen on lan1 (>= 6, got $n)" test "$n" -ge 6
	out=$(ns_exec "$h1" ping -c 1 -W 2 -M do -s 1400 10.0.2.2 2>&1)
	check "$name: DF + 1428 bytes gets fragmentation needed, mtu = 1280" \
		grep -q "From 10.0.1.1 .*Frag needed and DF set (mtu = 1280)" <<<"$out"

	# --- UDP with partial checksums from h1 (lan0 offload): h2's kernel drops bad checksums,
	# so every echo proves the checksum was completed on the way.
	daemon_start n "$h2" "udp-echo-$name" python3 "$NETTOOL" --timeout 10 udp-echo 10.0.2.2 7007
	if wait_for_port "$h2" 7007 5 udp; then
		check "$name: UDP (partial checksums) h1 -> h2 echoed, small" \
			ns_exec "$h1" python3 "$NETTOOL" udp-ping 10.0.2.2 7007 20 100
		check "$name: UDP (partial checksums) h1 -> h2 echoed, 1200 bytes" \
			ns_exec "$h1" python3 "$NETTOOL" udp-ping 10.0.2.2 7007 20 1200
		check "$name: UDP h1 -> h2 echoed, 3000 bytes (fragmented by h1)" \
			ns_exec "$h1" python3 "$NETTOOL" udp-ping 10.0.2.2 7007 5 3000
	else
		fail "$name: UDP echo listening in h2"
	fi

	# --- martians and broadcasts injected at lan0 must not reach h2
	cap=$TMP/$name-mart.pcap
	sniffer_start cap_pid "$h2" "tcpdump-mart-$name" lan1 "$cap" 'udp or icmp' ||
		fail "$name: capture on lan1 (no marker seen)"
	out=$(ns_exec "$h1" /usr/bin/python3 - <<-'EOF' 2>&1
		from scapy.all import Ether, IP, UDP, ICMP, sendp, conf
		conf.verb = 0
		r = Ether(src="02:00:00:00:01:02", dst="02:00:00:00:01:01")
		pkts = [r / IP(src="127.0.0.1", dst="10.0.2.2") / ICMP(id=4242),
		        r / IP(src="10.0.1.2", dst="10.0.2.255") / UDP(sport=4242, dport=4242),
		        r / IP(src="10.0.1.2", dst="255.255.255.255") / UDP(sport=4242, dport=4242),
		        r / IP(src="10.0.1.2", dst="10.0.2.2") / UDP(sport=4243, dport=4243)]
		sendp(pkts, iface="lan0")
		print("sent")
	EOF
	)
	# The control datagram was sent last, on the same link: once h2 has it, the router has
	# handled (forwarded or dropped) everything injected before it.
	check "$name: injected control datagram reached h2" wait_for "control datagram on lan1" 5 \
		sniffer_has "$cap" 'udp port 4243'
	check "$name: capture fenced and stopped" sniffer_stop "$cap_pid" "$h2" lan1 "$cap"
	check_eq "$name: martian source and broadcasts not forwarded" 0 \
		"$(sniffer_read "$cap" 'src 127.0.0.1 or udp port 4242 or icmp[4:2] = 4242' | wc -l)"
	[[ $out == *sent* ]] || fail "$name: scapy injection" "$out"

	# --- 100 MB both ways
	xfer "$name: TCP h1 -> h2" "$h1" "$h2" 10.0.2.2 5001 1
	xfer "$name: TCP h2 -> h1" "$h2" "$h1" 10.0.1.2 5002 2

	# --- counters at exit
	daemon_stop "$pid" 5
	rc=$?
	check_eq "$name: shoald exits 0 on SIGTERM" 0 "$rc"
	check "$name: no sanitizer report" sd_clean "shoald-$name"
	n=$(sd_total "shoald-$name" fragments)
	check "$name: shoald counted fragments out (${n:-none})" test "${n:-0}" -ge 6
	n=$(sd_drop "shoald-$name" lan0 martian_source)
	check "$name: martian source counted on lan0 ($n)" test "$n" -ge 1
	n=$(sd_drop "shoald-$name" lan0 broadcast)
	check "$name: broadcasts counted on lan0 ($n)" test "$n" -ge 2
	n=$(sd_drop "shoald-$name" lan0 ttl_expired)
	check "$name: ttl_expired counted on lan0 ($n)" test "$n" -ge 1
	n=$(sd_drop "shoald-$name" lan0 frag_needed)
	check "$name: frag_needed counted on lan0 ($n)" test "$n" -ge 1
	n=$(sd_total "shoald-$name" "busy polls")
	if [[ $poll -gt 0 ]]; then
		check "$name: the data plane busy-polled after traffic (${n:-none} polls)" test "${n:-0}" -gt 0
	else
		check_eq "$name: no busy polling unless configured" 0 "${n:-none}"
	fi
	if [[ $off1 == true ]]; then
		n=$(sd_total "shoald-$name" "gso whole")
		check "$name: GSO super-frames forwarded whole (${n:-none})" test "${n:-0}" -gt 0
	else
		n=$(sd_total "shoald-$name" "gso segments")
		check "$name: GSO super-frames segmented in software (${n:-none})" test "${n:-0}" -gt 0
		n=$(sd_total "shoald-$name" "gso whole")
		check_eq "$name: nothing forwarded whole to the non-offload lan1" 0 "${n:-0}"
	fi
}

run_forward offload true
run_forward nooffload false
finish
