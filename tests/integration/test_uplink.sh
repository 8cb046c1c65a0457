#!/usr/bin/env bash
# Host uplink (config "host" on a tun): shoald sets up its own way out — address, link, route
# rto_min, CONNMARK + MASQUERADE, ip_forward — inside the "host" namespace, with each firewall
# backend (iptables-legacy through libiptc, nftables through libnftnl); idempotent over
# restarts, SIGTERM removes exactly what it added, kill -9 leftovers are replaced, --cleanup,
# drift in GET /api/v1/host, a clashing host address is refused.
#
#   +--------------------+      +----------------------------------+      +-------------------+
#   | shoal-<pid>-h1     |      | shoal-<pid>-host                 |      | shoal-<pid>-inet  |
#   | lan0 10.0.1.2/24 --+------+-- lan0 10.0.1.1  shoald          |      |                   |
#   | default 10.0.1.1   | TAP  |   up0 169.254.144.9 (TUN, shoald)|      |                   |
#   +--------------------+      |   up0 169.254.144.1 (host side)  |      |                   |
#                               |   wan0 192.0.2.2/24 -------------+------+-- wan0 192.0.2.1   |
#                               |   API 127.0.0.1:8144             | veth |   TCP server :8080|
#                               +----------------------------------+      |   (echoes the     |
#                                                                         |    peer address)  |
#                                                                         +-------------------+
# Every iptables-legacy / nft / ip command runs inside these namespaces (ip netns exec / ip -n).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
source "$here/tools/shoald.sh"
require_root
require_cmd ip jq curl nft iptables-legacy python3 timeout

tmpdir_create TMP
ns_create H1 h1
ns_create HOST host
ns_create INET inet
ns_veth "$HOST" wan0 "$INET" wan0 || die "veth"
ip -n "$HOST" addr add 192.0.2.2/24 dev wan0
ip -n "$INET" addr add 192.0.2.1/24 dev wan0

# The "internet" server: answers each TCP connection with the address it came from.
cat >"$TMP/srv.py" <<'EOF'
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("192.0.2.1", 8080))
s.listen(16)
while True:
    c, a = s.accept()
    c.sendall((a[0] + "\n").encode())
    c.close()
EOF
daemon_start SRV "$INET" server python3 "$TMP/srv.py"
wait_for_port "$INET" 8080 10 tcp || die "internet server"

CFG=$TMP/shoald.json
STATE=$TMP/state
# write_config FIREWALL [HOST_ADDRESS]
write_config() {
	cat >"$CFG" <<-EOF
		{"interfaces": [{"name": "lan0", "kind": "tap", "address": "10.0.1.1/24"},
		  {"name": "up0", "kind": "tun", "address": "169.254.144.9/24",
		   "host": {"address": "${2:-169.254.144.1/24}", "owner": "nobody", "rto_min_ms": 10,
		            "masquerade": true, "mark": 144, "forwarding": true, "firewall": "$1"}}],
		 "routes": [{"prefix": "0.0.0.0/0", "next_hop": "169.254.144.1"}],
		 "state_dir": "$STATE",
		 "api": {"listen": "127.0.0.1:8144", "token_file": "$TMP/token"}}
	EOF
}

N=0
# start: shoald in HOST, lan0 moved to h1 (after the first start lan0 is created again).
start() {
	N=$((N + 1))
	sd_start PID "$HOST" "shoald-$N" "$CFG" lan0 up0 || return 1
	wait_for "shoald running" 10 grep -q "shoald .* running" "$(daemon_log_path "shoald-$N")" ||
		return 1
	ip -n "$H1" link del lan0 2>/dev/null
	sd_attach "$HOST" lan0 "$H1" 10.0.1.2/24 10.0.1.1
}

peer_seen() { # what the internet server saw as h1's address
	ip netns exec "$H1" timeout 5 python3 -c '
import socket; s = socket.create_connection(("192.0.2.1", 8080), timeout=3)
print(s.recv(64).decode().strip())'
}

api_host() {
	ip netns exec "$HOST" curl -s -m 5 -H "Authorization: Bearer $(cat "$TMP/token")" \
		http://127.0.0.1:8144/api/v1/host
}

# rules_of BACKEND: our rules as the host's own tools show them.
rules_of() {
	if [[ $1 == nftables ]]; then
		ip netns exec "$HOST" nft list table ip shoal 2>/dev/null | grep 'comment "shoald up0"'
	else
		ip netns exec "$HOST" iptables-legacy -t nat -S | grep -- '--comment "shoald up0"'
	fi
}
count_rules() { rules_of "$1" | wc -l; }
count_routes() { ip -n "$HOST" route show | grep -c "$1"; }
count_addr() { ip -n "$HOST" addr show | grep -c "inet 169.254.144.1/24"; }
forward() { ip netns exec "$HOST" cat /proc/sys/net/ipv4/ip_forward; }
# unrelated host rule added before shoald, in the same backend's nat table
foreign_rule() {
	if [[ $1 == nftables ]]; then
		ip netns exec "$HOST" nft list ruleset | grep -c 'ip saddr 10.77.0.0/16 .*masquerade'
	else
		ip netns exec "$HOST" iptables-legacy -t nat -S | grep -c -- '-s 10.77.0.0/16 -j MASQUERADE'
	fi
}

for FW in iptables-legacy nftables; do
	log "backend $FW"
	write_config "$FW"
	if [[ $FW == nftables ]]; then
		ip netns exec "$HOST" nft add table ip hostnat
		ip netns exec "$HOST" nft 'add chain ip hostnat post { type nat hook postrouting priority 100; }'
		ip netns exec "$HOST" nft add rule ip hostnat post ip saddr 10.77.0.0/16 masquerade
	else
		ip netns exec "$HOST" iptables-legacy -t nat -A POSTROUTING -s 10.77.0.0/16 -j MASQUERADE
	fi
	check_eq "$FW: forwarding off before" 0 "$(forward)"
	start || {
		fail "$FW: shoald starts"
		continue
	}
	check_eq "$FW: h1 reaches the internet, seen as the host's address" 192.0.2.2 "$(peer_seen)"
	check_eq "$FW: both rules visible with the host's own tool" 2 "$(count_rules "$FW")"
	if [[ $FW == nftables ]]; then
		check "$FW: mark rule" grep -q 'iifname "up0" ct mark set 0x00000090' <(rules_of "$FW")
		check "$FW: masquerade rule" grep -q 'ct mark 0x00000090 .*masquerade' <(rules_of "$FW")
	else
		check "$FW: mark rule" grep -q -- '-A PREROUTING -i up0 .*-j CONNMARK --set-xmark 0x90/0xffffffff' <(rules_of "$FW")
		check "$FW: masquerade rule" grep -q -- '-A POSTROUTING -m connmark --mark 0x90 .*-j MASQUERADE' <(rules_of "$FW")
	fi
	check "$FW: connected route has rto_min 10ms" grep -q '169.254.144.0/24 dev up0 proto kernel scope link src 169.254.144.1 rto_min 10ms' <(ip -n "$HOST" route show)
	check "$FW: LAN route back through the TUN" grep -q '10.0.1.0/24 via 169.254.144.9 dev up0 .*rto_min 10ms' <(ip -n "$HOST" route show)
	check "$FW: TUN owned by nobody" grep -q "user nobody" <(ip -n "$HOST" -d link show up0)
	check_eq "$FW: forwarding on" 1 "$(forward)"
	body=$(api_host)
	check_eq "$FW: API shows no drift" "[]" "$(jq -c .drift <<<"$body")"
	check_eq "$FW: API backend" "$FW" "$(jq -r .firewall.backend <<<"$body")"
	check "$FW: API counters count h1's connection" test "$(jq '[.firewall.rules[] | select(.role=="masquerade") | .packets] | add' <<<"$body")" -ge 1
	check_eq "$FW: API rto_min read back" 10 "$(jq '.routes[] | select(.kind=="connected") | .rto_min_ms' <<<"$body")"

	# Drift: delete the masquerade rule behind shoald's back.
	if [[ $FW == nftables ]]; then
		h=$(ip netns exec "$HOST" nft -a list chain ip shoal postrouting | sed -n 's/.*masquerade.* handle \([0-9]*\)$/\1/p')
		ip netns exec "$HOST" nft delete rule ip shoal postrouting handle "$h"
	else
		n=$(ip netns exec "$HOST" iptables-legacy -t nat -S POSTROUTING | grep -v '^-P' |
			grep -n 'shoald up0' | cut -d: -f1)
		ip netns exec "$HOST" iptables-legacy -t nat -D POSTROUTING "$n"
	fi
	check "$FW: deleted rule shows as drift" grep -q 'the masquerade rule is missing' <(api_host | jq -r '.drift[]')
	# ... and so do a route whose rto_min was dropped and forwarding turned off.
	ip -n "$HOST" route change 169.254.144.0/24 dev up0 proto kernel scope link src 169.254.144.1
	echo 0 | ip netns exec "$HOST" tee /proc/sys/net/ipv4/ip_forward >/dev/null
	drift=$(api_host | jq -r '.drift[]')
	check "$FW: rto_min change shows as drift" grep -q 'route 169.254.144.0/24 has rto_min 0ms, not 10ms' <<<"$drift"
	check "$FW: forwarding off shows as drift" grep -q 'forwarding: .* is 0, not 1' <<<"$drift"

	# Restart twice (SIGTERM, start): no duplicates, the deleted rule is back.
	for i in 1 2; do
		daemon_stop "$PID" 10
		start || fail "$FW: restart $i"
	done
	check_eq "$FW: restarted twice: 2 rules" 2 "$(count_rules "$FW")"
	check_eq "$FW: restarted twice: one address" 1 "$(count_addr)"
	check_eq "$FW: restarted twice: one LAN route" 1 "$(count_routes '^10.0.1.0/24')"
	check_eq "$FW: restarted: h1 still reaches the internet" 192.0.2.2 "$(peer_seen)"

	# kill -9, then start: leftovers replaced, not duplicated.
	kill -KILL "$PID"
	wait_for_exit "$PID" 5
	check_eq "$FW: after kill -9 the rules are left over" 2 "$(count_rules "$FW")"
	start || fail "$FW: start after kill -9"
	check "$FW: start after kill -9 removed leftovers" grep -q "removed .* leftovers" "$(daemon_log_path "shoald-$N")"
	check_eq "$FW: after kill -9 + start: 2 rules" 2 "$(count_rules "$FW")"
	check_eq "$FW: after kill -9 + start: one LAN route" 1 "$(count_routes '^10.0.1.0/24')"
	check_eq "$FW: after kill -9 + start: h1 reaches the internet" 192.0.2.2 "$(peer_seen)"

	# SIGTERM: all gone, forwarding restored, the host's own rule untouched.
	daemon_stop "$PID" 10
	check_eq "$FW: SIGTERM exits 0" 0 "$?"
	check_eq "$FW: SIGTERM: no rules of ours" 0 "$(count_rules "$FW")"
	check_eq "$FW: SIGTERM: address gone" 0 "$(count_addr)"
	check_eq "$FW: SIGTERM: TUN gone" 0 "$(ip -n "$HOST" link show | grep -c up0)"
	check_eq "$FW: SIGTERM: forwarding restored" 0 "$(forward)"
	check_eq "$FW: SIGTERM: the host's own rule untouched" 1 "$(foreign_rule "$FW")"
	check_not "$FW: SIGTERM: record removed" test -e "$STATE/host.json"
	[[ $FW == nftables ]] && check_not "$FW: SIGTERM: table ip shoal gone" ip netns exec "$HOST" nft list table ip shoal

	# kill -9, then --cleanup: leftovers removed without starting.
	start || fail "$FW: start before --cleanup"
	kill -KILL "$PID"
	wait_for_exit "$PID" 5
	out=$(ip netns exec "$HOST" "$SHOALD" -c "$CFG" --cleanup 2>&1)
	check_eq "$FW: --cleanup exits 0" 0 "$?"
	check "$FW: --cleanup reports what it removed" grep -q "removed [1-9][0-9]* host settings" <<<"$out"
	check_eq "$FW: --cleanup: no rules of ours" 0 "$(count_rules "$FW")"
	check_eq "$FW: --cleanup: address gone" 0 "$(count_addr)"
	check_eq "$FW: --cleanup: LAN route gone" 0 "$(count_routes '^10.0.1.0/24')"
	check_eq "$FW: --cleanup: persistent TUN gone" 0 "$(ip -n "$HOST" link show | grep -c up0)"
	check_eq "$FW: --cleanup: forwarding restored" 0 "$(forward)"
	check_eq "$FW: --cleanup: the host's own rule untouched" 1 "$(foreign_rule "$FW")"
done

# A host address that clashes (already on wan0's network) is refused, nothing is left behind.
write_config nftables 169.254.144.1/24
ip -n "$HOST" addr add 169.254.144.50/24 dev wan0
N=$((N + 1))
daemon_start PID "$HOST" "shoald-$N" "$SHOALD" -c "$CFG"
wait_for_exit "$PID" 10
wait "$PID"
check_eq "clash: shoald refuses to start" 1 "$?"
check "clash: message names the setting and the clash" grep -q 'interfaces\[1\].host.address: 169.254.144.1/24 clashes with 169.254.144.50/24 on wan0' "$(daemon_log_path "shoald-$N")"
check_eq "clash: no rules left" 0 "$(count_rules nftables)"
check_eq "clash: no TUN left" 0 "$(ip -n "$HOST" link show | grep -c up0)"
check_eq "clash: forwarding untouched" 0 "$(forward)"
check_not "clash: no record left" test -e "$STATE/host.json"

# A user that does not exist is refused naming the setting.
ip -n "$HOST" addr del 169.254.144.50/24 dev wan0
sed -i 's/"owner": "nobody"/"owner": "no-such-user-shoal"/' "$CFG"
N=$((N + 1))
daemon_start PID "$HOST" "shoald-$N" "$SHOALD" -c "$CFG"
wait_for_exit "$PID" 10
wait "$PID"
check_eq "owner: shoald refuses to start" 1 "$?"
check "owner: message names the setting" grep -q 'interfaces\[1\].host.owner: no user "no-such-user-shoal"' "$(daemon_log_path "shoald-$N")"
check_eq "owner: no TUN left" 0 "$(ip -n "$HOST" link show | grep -c up0)"

for label in $(seq 1 "$N"); do
	sd_clean "shoald-$label" || fail "shoald-$label: sanitizer report"
done
finish
