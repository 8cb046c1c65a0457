#!/usr/bin/env bash
# Two shoald instances in a chain with static routes: h1 - r1 - r2 - h2. The routers' inner TAPs
# meet on a Linux bridge in a "switch" namespace.
#
#  +--------------+    +---------------------+    +-------------------+    +---------------------+    +--------------+
#  | <p>-h1       |    | <p>-r1  shoald      |    | <p>-sw            |    | <p>-r2  shoald      |    | <p>-h2       |
#  | r1a          |TAP | r1a 10.0.1.1/24     |TAP |  br0: r1b + r2a   |TAP | r2a 10.0.12.2/24    |TAP | r2b          |
#  | 10.0.1.2/24 -+----+ r1b 10.0.12.1/24 ---+----+--               --+----+ r2b 10.0.2.1/24 ----+----+- 10.0.2.2/24 |
#  | via 10.0.1.1 |    | 10.0.2.0/24         |    |                   |    | 10.0.1.0/24         |    | via 10.0.2.1 |
#  +--------------+    |   via 10.0.12.2     |    +-------------------+    |   via 10.0.12.1     |    +--------------+
#                      +---------------------+                             +---------------------+
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
source "$here/tools/shoald.sh"
require_root
require_cmd ip ping timeout python3

tmpdir_create TMP
ns_create H1 h1
ns_create H2 h2
ns_create R1 r1
ns_create R2 r2
ns_create SW sw

cat >"$TMP/r1.json" <<'EOF'
{"interfaces": [{"name": "r1a", "kind": "tap", "address": "10.0.1.1/24"},
                {"name": "r1b", "kind": "tap", "address": "10.0.12.1/24"}],
 "routes": [{"prefix": "10.0.2.0/24", "next_hop": "10.0.12.2"}]}
EOF
cat >"$TMP/r2.json" <<'EOF'
{"interfaces": [{"name": "r2a", "kind": "tap", "address": "10.0.12.2/24"},
                {"name": "r2b", "kind": "tap", "address": "10.0.2.1/24"}],
 "routes": [{"prefix": "10.0.1.0/24", "next_hop": "10.0.12.1", "interface": "r2a"}]}
EOF

if ! { sd_start P1 "$R1" shoald-r1 "$TMP/r1.json" r1a r1b &&
	sd_start P2 "$R2" shoald-r2 "$TMP/r2.json" r2a r2b &&
	sd_attach "$R1" r1a "$H1" 10.0.1.2/24 10.0.1.1 &&
	sd_attach "$R2" r2b "$H2" 10.0.2.2/24 10.0.2.1 &&
	ip -n "$SW" link add br0 type bridge && ip -n "$SW" link set br0 up &&
	ns_move "$R1" r1b "$SW" && ns_move "$R2" r2a "$SW" &&
	ip -n "$SW" link set r1b master br0 && ip -n "$SW" link set r2a master br0 &&
	ip -n "$SW" link set r1b up && ip -n "$SW" link set r2a up; }; then
	fail "topology set up"
	finish
fi

check "ping h1 -> h2 across both routers" ns_exec "$H1" ping -c 3 -i 0.2 -W 2 10.0.2.2
check "ping h2 -> h1 across both routers" ns_exec "$H2" ping -c 3 -i 0.2 -W 2 10.0.1.2
check "ping h1 -> r2's inner address 10.0.12.2" ns_exec "$H1" ping -c 2 -i 0.2 -W 2 10.0.12.2
check "ping h2 -> r1's inner address 10.0.12.1" ns_exec "$H2" ping -c 2 -i 0.2 -W 2 10.0.12.1
out=$(ns_exec "$H1" ping -c 1 -t 2 -W 2 10.0.2.2 2>&1)
check "TTL 2 gets time exceeded from r2's inner address 10.0.12.2" \
	grep -q "From 10.0.12.2 .*Time to live exceeded" <<<"$out"
out=$(ns_exec "$H1" ping -c 1 -t 1 -W 2 10.0.2.2 2>&1)
check "TTL 1 gets time exceeded from r1 (10.0.1.1)" \
	grep -q "From 10.0.1.1 .*Time to live exceeded" <<<"$out"
out=$(ns_exec "$H1" ping -c 1 -W 2 10.0.3.1 2>&1)
check "no route at r1 gets net unreachable from 10.0.1.1" \
	grep -q "From 10.0.1.1 .*Destination Net Unreachable" <<<"$out"

# 20 MB across both routers, digests compared.
ns_exec "$H2" timeout 40 python3 "$NETTOOL" --timeout 20 tcp-recv 10.0.2.2 5003 >"$TMP/recv" 2>&1 &
rpid=$!
register_pid "$rpid"
if wait_for_port "$H2" 5003 5; then
	sent=$(ns_exec "$H1" timeout 40 python3 "$NETTOOL" --timeout 20 tcp-send 10.0.2.2 5003 \
		20971520 3 2>&1)
	wait "$rpid"
	check_eq "TCP h1 -> h2, 20 MB intact across the chain" "$sent" "$(cat "$TMP/recv")"
	check "the sender sent 20 MB" test "${sent%% *}" = 20971520
else
	fail "receiver listening in h2"
fi

daemon_stop "$P1" 5
check_eq "r1 exits 0" 0 "$?"
daemon_stop "$P2" 5
check_eq "r2 exits 0" 0 "$?"
check "r1: no sanitizer report" sd_clean shoald-r1
check "r2: no sanitizer report" sd_clean shoald-r2
n=$(sed -n 's/.* r2b: rx .*, tx [0-9]* pkts \([0-9]*\) bytes.*/\1/p' "$(daemon_log_path shoald-r2)")
check "r2 sent the transfer to h2 (${n:-none} bytes > 20 MB)" test "${n:-0}" -gt 20971520
n=$(sd_drop shoald-r2 r2a ttl_expired)
check "r2 counted the TTL expiry on r2a ($n)" test "$n" -ge 1
finish
