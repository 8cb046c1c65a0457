#!/usr/bin/env bash
# Plugins: the example plugin loads and sees traffic (and its drop_protocol option acts on it);
# a plugin with the wrong ABI, one without the shoal_plugin symbol, one whose init fails and one
# whose file is missing are refused with clear messages while forwarding goes on.
# plugin_dir is a temp dir of symlinks to $SHOAL_BUILD/plugins/example.so and the fixtures in
# $SHOAL_BUILD/tests/fixtures/plugins.
#
#   +--------------------+      +--------------------------------+      +---------------------+
#   | shoal-<pid>-h1     |      | shoal-<pid>-r                  |      | shoal-<pid>-h2      |
#   | lan0 10.0.1.2/24 --+------+-- lan0 10.0.1.1   shoald       +------+-- lan1 10.0.2.2/24  |
#   | default 10.0.1.1   | TAP  |   lan1 10.0.2.1   + example.so | TAP  | default 10.0.2.1    |
#   +--------------------+      +--------------------------------+      +---------------------+
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
source "$here/tools/shoald.sh"
require_root
require_cmd ip ping timeout python3

fixtures=$SHOAL_BUILD/tests/fixtures/plugins
tmpdir_create TMP
mkdir -p "$TMP/plugins"
for p in "$SHOAL_BUILD/plugins/example.so" "$fixtures/bad_abi.so" "$fixtures/no_symbol.so" \
	"$fixtures/init_fails.so"; do
	if [[ ! -f $p ]]; then
		fail "plugin built: $p"
		finish
	fi
	ln -s "$p" "$TMP/plugins/"
done

ns_create H1 h1
ns_create H2 h2
ns_create R r
cat >"$TMP/r.json" <<EOF
{"interfaces": [{"name": "lan0", "kind": "tap", "address": "10.0.1.1/24"},
                {"name": "lan1", "kind": "tap", "address": "10.0.2.1/24"}],
 "plugins": [{"name": "bad_abi"},
             {"name": "example", "config": {"label": "integration test", "drop_protocol": 17}},
             {"name": "no_symbol"},
             {"name": "init_fails"},
             {"name": "absent"}],
 "plugin_dir": "$TMP/plugins"}
EOF

if ! { sd_start PID "$R" shoald "$TMP/r.json" lan0 lan1 &&
	sd_attach "$R" lan0 "$H1" 10.0.1.2/24 10.0.1.1 &&
	sd_attach "$R" lan1 "$H2" 10.0.2.2/24 10.0.2.1; }; then
	fail "topology set up (shoald starts despite the refused plugins)"
	finish
fi
LOG=$(daemon_log_path shoald)

check "example plugin loaded (its own message with the configured label)" \
	grep -q "example plugin loaded (integration test)" "$LOG"
check "bad_abi refused: the message names the ABI versions" \
	grep -qE "error: plugin bad_abi: .*bad_abi\.so: ABI [0-9]+\.[0-9]+ not supported by host ABI [0-9]+\.[0-9]+" "$LOG"
check "no_symbol refused: the message names the missing shoal_plugin symbol" \
	grep -q 'error: plugin no_symbol: .*no_symbol\.so: no "shoal_plugin" symbol' "$LOG"
check "init_fails refused: the message gives the plugin's own reason" \
	grep -q "error: plugin init_fails: .*init failed: refusing to start: the fixture always fails" "$LOG"
check "a missing plugin file is refused: the message names the file" \
	grep -q "error: plugin absent: .*absent\.so: cannot load: .*No such file" "$LOG"
check_not "no refused plugin is reported as loaded" \
	grep -qE "plugin (bad_abi|no_symbol|init_fails|absent) loaded" "$LOG"
check "shoald keeps running" daemon_alive "$PID"

check "ping h1 -> h2 with the plugins configured" ns_exec "$H1" ping -c 3 -i 0.2 -W 2 10.0.2.2
check "ping h1 -> router 10.0.1.1" ns_exec "$H1" ping -c 2 -i 0.2 -W 2 10.0.1.1
check "TCP to a router port is still refused" \
	ns_exec "$H1" python3 "$NETTOOL" --timeout 3 tcp-refused 10.0.1.1 80
daemon_start ECHO "$H2" udp-echo python3 "$NETTOOL" --timeout 10 udp-echo 10.0.2.2 7007
wait_for_port "$H2" 7007 5 udp
check_not "UDP h1 -> h2 is dropped by the example plugin (drop_protocol 17)" \
	ns_exec "$H1" python3 "$NETTOOL" udp-ping 10.0.2.2 7007 3 100

daemon_stop "$PID" 5
check_eq "shoald exits 0" 0 "$?"
check "no sanitizer report (failed loads roll back cleanly)" sd_clean shoald
read -r ing loc egr < <(sed -n 's/.*plugin example: ingress \([0-9]*\), local_delivery \([0-9]*\), egress \([0-9]*\).*/\1 \2 \3/p' "$LOG")
check "example saw ingress traffic (${ing:-none} >= 11)" test "${ing:-0}" -ge 11
check "example saw local deliveries (${loc:-none} >= 2)" test "${loc:-0}" -ge 2
check "example saw egress traffic (${egr:-none} >= 6)" test "${egr:-0}" -ge 6
n=$(sed -n 's/.*plugin example: counter ticks \([0-9]*\).*/\1/p' "$LOG")
check "example's tick ran (${n:-none})" test "${n:-0}" -gt 0
n=$(sd_drop shoald lan0 plugin)
check "UDP drops charged to the plugin on lan0 ($n >= 3)" test "$n" -ge 3
check_not "refused plugins have no exit summary" grep -qE "plugin (bad_abi|no_symbol|init_fails): ingress" "$LOG"
finish
