#!/usr/bin/env bash
# Neighbour tables that floods cannot starve (issue 16): with an on-link route to a /16 on lan1,
# h1 sends to 5,000 (and more) addresses that never answer ARP while h1 <-> h2 ping runs: the
# pending entries stay within their budget and are evicted among themselves, so h2's resolved
# entry stays and the ping loses nothing. Then ARP learning: a gratuitous ARP for the router's
# own lan1 address and a reply from an off-network sender are refused and counted.
#
#   +--------------------+      +------------------------------+      +---------------------+
#   | shoal-<pid>-h1     |      | shoal-<pid>-r                |      | shoal-<pid>-h2      |
#   | lan0 10.0.1.2/24 --+------+-- lan0 10.0.1.1   shoald     |      |                     |
#   | default 10.0.1.1   | TAP  |   lan1 10.0.2.1 -------------+------+-- lan1 10.0.2.2/24   |
#   |                    |      |   10.9.0.0/16 on-link lan1   | TAP  | default 10.0.2.1    |
#   +--------------------+      +------------------------------+      +---------------------+
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
source "$here/tools/shoald.sh"
require_root
require_cmd ip ping timeout python3 /usr/bin/python3

tmpdir_create TMP
ns_create h1 h1
ns_create h2 h2
ns_create r r
cat >"$TMP/shoald.json" <<-JSON
	{"interfaces": [
	   {"name": "lan0", "kind": "tap", "address": "10.0.1.1/24", "mac": "02:00:00:00:01:01"},
	   {"name": "lan1", "kind": "tap", "address": "10.0.2.1/24", "mac": "02:00:00:00:02:01"}],
	 "routes": [{"prefix": "10.9.0.0/16", "interface": "lan1"}]}
JSON
if ! { sd_start pid "$r" shoald "$TMP/shoald.json" lan0 lan1 &&
	sd_attach "$r" lan0 "$h1" 10.0.1.2/24 10.0.1.1 &&
	sd_attach "$r" lan1 "$h2" 10.0.2.2/24 10.0.2.1; }; then
	fail "topology set up"
	finish
fi

# arp_drop IF REASON: the exit count "IF: arp drop REASON N" (0 if not logged)
arp_drop() {
	local n
	n=$(sed -n "s/.* $1: arp drop $2 \([0-9][0-9]*\)$/\1/p" "$(daemon_log_path shoald)" | tail -n 1)
	printf '%s' "${n:-0}"
}

# both directions resolved before the flood
check "ping h1 -> h2 (neighbours resolved)" ns_exec "$h1" ping -c 2 -i 0.2 -W 2 10.0.2.2

# 80 echoes over ~4 s while h1 floods at ~5,000 datagrams/s: rounds of 5,000 fresh unresolved
# destinations (at most 12 rounds, 60,000 addresses) until the ping ends.
ns_exec "$h1" ping -q -c 80 -i 0.05 -W 2 10.0.2.2 >"$TMP/ping.out" 2>&1 &
ping_pid=$!
register_pid "$ping_pid"
ns_exec "$h1" timeout 30 python3 - "$ping_pid" >"$TMP/flood.out" 2>&1 <<-'PY'
	import os, socket, sys, time
	pid = int(sys.argv[1])
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	sent = rounds = 0
	for r in range(12):
	    for i in range(5000):
	        a = r * 5000 + i + 1
	        s.sendto(b"flood", ("10.9.%d.%d" % (a // 256, a % 256), 9))
	        sent += 1
	        if sent % 10 == 0:
	            time.sleep(0.002)  # ~5,000/s: the ARP table is the target, not h1's TAP queue
	    rounds += 1
	    try:
	        os.kill(pid, 0)
	    except ProcessLookupError:
	        break
	print(sent, rounds)
PY
wait "$ping_pid"
ping_rc=$?
flood=$(cat "$TMP/flood.out")
check "flood sent at least 5,000 datagrams ($flood)" test "${flood%% *}" -ge 5000
check_eq "ping h1 -> h2 during the flood exits 0" 0 "$ping_rc"
if grep -q "80 packets transmitted, 80 received, 0% packet loss" "$TMP/ping.out"; then
	pass "ping h1 -> h2 during the flood: 80 sent, 80 received, 0% loss"
else
	fail "ping h1 -> h2 during the flood: 80 sent, 80 received, 0% loss" "$(cat "$TMP/ping.out")"
fi

# --- learning: a gratuitous ARP for 10.0.2.1 and a reply from 10.7.7.7 (off lan1's /24)
out=$(ns_exec "$h2" /usr/bin/python3 - <<-'PY' 2>&1
	from scapy.all import Ether, ARP, sendp, conf
	conf.verb = 0
	b = Ether(src="02:00:00:00:66:66", dst="ff:ff:ff:ff:ff:ff")
	sendp([b / ARP(op=1, hwsrc="02:00:00:00:66:66", psrc="10.0.2.1", pdst="10.0.2.1"),
	       b / ARP(op=2, hwsrc="02:00:00:00:66:66", psrc="10.7.7.7", pdst="10.0.2.1",
	               hwdst="02:00:00:00:02:01")], iface="lan1")
	print("sent")
PY
)
[[ $out == *sent* ]] || fail "scapy injection" "$out"
# fence: the echo goes out on the same link after them, so once it is answered, they were handled
check "ping h2 -> router after the injected ARPs" ns_exec "$h2" ping -c 1 -W 2 10.0.2.1

daemon_stop "$pid" 5
check_eq "shoald exits 0 on SIGTERM" 0 "$?"
check "no sanitizer report" sd_clean shoald
n=$(arp_drop lan1 evict_pending)
check "pending entries evicted among themselves on lan1 ($n)" test "$n" -ge 1
check_eq "no resolved entry evicted on lan1" 0 "$(arp_drop lan1 evict_resolved)"
check_eq "no datagram dropped for a full cache on lan1" 0 "$(arp_drop lan1 cache_full)"
check_eq "gratuitous ARP for our own address refused on lan1" 1 "$(arp_drop lan1 arp_own_address)"
check_eq "off-network ARP sender refused on lan1" 1 "$(arp_drop lan1 arp_off_subnet)"
finish
