#!/usr/bin/env bash
# Self-test of tests/integration/lib.sh: namespaces, veth, addresses, waits, daemons, counters, and
# that cleanup leaves nothing behind however a script ends.
#
#   +---------------------------+            +---------------------------+
#   | shoal-<pid>-a             |            | shoal-<pid>-b             |
#   |   ha<n> 10.200.0.1/24 ----+---- veth --+---- hb<n> 10.200.0.2/24   |
#   |   (ping, iperf3 client)   |            |   (iperf3 -s daemon)      |
#   +---------------------------+            +---------------------------+
#
# Children (sub-shells sourcing lib.sh with their own PIDs) create namespaces shoal-<childpid>-x/y,
# a daemon and a temp dir, then end badly (set -e failure, SIGTERM, failed check); the parent
# verifies every trace is gone.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
require_root
require_cmd ip ping ss iperf3 timeout

# Names unique to this run, so the root-namespace check cannot be confused by anybody else.
tag=$((BASHPID % 100000))
if_a=ha$tag
if_b=hb$tag

# --- two namespaces joined by a veth pair
ns_create NS_A a
ns_create NS_B b
check_eq "namespace name carries the prefix" "$SHOAL_NS_PREFIX-a" "$NS_A"
check "namespace a exists" test -e "/var/run/netns/$NS_A"
check_not "creating an existing namespace again is refused" ns_create_named "$NS_A"
check "veth pair between a and b" ns_veth "$NS_A" "$if_a" "$NS_B" "$if_b"
check "address in a" ns_addr "$NS_A" "$if_a" 10.200.0.1/24
check "address in b" ns_addr "$NS_B" "$if_b" 10.200.0.2/24
check "wait_for_link sees the veth in b" wait_for_link "$NS_B" "$if_b" 5
check "ping a -> b" ns_exec "$NS_A" ping -c 2 -i 0.2 -W 2 10.200.0.2
check "ping b -> a" ns_exec "$NS_B" ping -c 2 -i 0.2 -W 2 10.200.0.1
check_not "no veth end in the root namespace" ip link show dev "$if_a"
check_not "no veth peer in the root namespace" ip link show dev "$if_b"

# --- bounded waits
t0=$SECONDS
check_not "wait_for_link on a missing link times out" wait_for_link "$NS_A" nosuchlink 1
check "the timeout is honoured (< 4 s)" test $((SECONDS - t0)) -lt 4
tmpdir_create TMP
check "tmpdir exists" test -d "$TMP"
(
	sleep 0.3
	echo ready >"$TMP/flag"
) &
check "wait_for_file sees a file written later" wait_for_file "$TMP/flag" 5

# --- a daemon in a namespace, log captured
daemon_start SRV "$NS_B" iperf3-server iperf3 -s -B 10.200.0.2 -p 5299
check "wait_for_port: daemon listens in b" wait_for_port "$NS_B" 5299 5
check_not "the port is not open in a" wait_for_port "$NS_A" 5299 1
check "iperf3 a -> b through the veth" ns_exec "$NS_A" timeout 10 iperf3 -c 10.200.0.2 -p 5299 -t 1
check "the daemon's log is captured" grep -q "Server listening" "$SHOAL_LOG_iperf3_server"
daemon_stop "$SRV" 3
check_not "daemon_stop stopped it" daemon_alive "$SRV"

# --- children that end badly leave nothing behind
child_common='
source "$1/lib.sh"
ns_create X x
ns_create Y y
ns_veth "$X" cx0 "$Y" cy0
tmpdir_create T
daemon_start D "$Y" sleeper bash -c "echo sleeper-started; exec sleep 1000"
wait_for_file "$SHOAL_LOG_sleeper" 5
printf "%s %s %s %s\n" "$X" "$Y" "$T" "$D" >"$2"
'

# verify_gone DESC STATEFILE: the namespaces, temp dir and daemon recorded by a child are gone.
verify_gone() {
	local desc=$1 x y t d
	read -r x y t d <"$2" || {
		fail "$desc: child did not record its state"
		return
	}
	check_not "$desc: namespace $x deleted" test -e "/var/run/netns/$x"
	check_not "$desc: namespace $y deleted" test -e "/var/run/netns/$y"
	check_not "$desc: temp dir deleted" test -e "$t"
	check "$desc: daemon stopped" wait_for_exit "$d" 3
	check_not "$desc: child prefix differs from ours" test "${x%-x}" = "$SHOAL_NS_PREFIX"
}

# 1. `set -e` failure
out=$(bash -c "set -e
$child_common
false
echo unreachable" child "$here" "$TMP/state1" 2>&1)
rc=$?
check_eq "set -e child exits 1" 1 "$rc"
check "set -e child prints the daemon log on failure" grep -q "sleeper-started" <<<"$out"
verify_gone "set -e child" "$TMP/state1"

# 2. killed by SIGTERM while waiting
rm -f "$TMP/state2"
bash -c "$child_common
wait_for never 60 false" child "$here" "$TMP/state2" >"$TMP/out2" 2>&1 &
child=$!
register_pid "$child"
if wait_for_file "$TMP/state2" 10; then
	kill -TERM "$child"
	if wait_for_exit "$child" 10; then
		wait "$child"
		rc=$?
		check_eq "SIGTERM child exits 143" 143 "$rc"
		verify_gone "SIGTERM child" "$TMP/state2"
	else
		fail "SIGTERM child exits within 10 s" "$(cat "$TMP/out2")"
	fi
else
	fail "SIGTERM child records its state" "$(cat "$TMP/out2")"
fi

# 3. failed check, closing line
out=$(bash -c "$child_common
check good true
check bad false
finish" child "$here" \
	"$TMP/state3" 2>&1)
rc=$?
check_eq "child with a failed check exits 1" 1 "$rc"
check_eq "closing line counts the failure" "1 passed, 1 failed" "$(tail -n 1 <<<"$out")"
check "a failed check names the command" grep -q "command: false" <<<"$out"
verify_gone "failed-check child" "$TMP/state3"

# 4. all good
out=$(bash -c "source \"\$1/lib.sh\"; check one true; check_eq two a a; finish" child "$here" 2>&1)
rc=$?
check_eq "passing child exits 0" 0 "$rc"
check_eq "closing line of a passing child" "2 passed, 0 failed" "$(tail -n 1 <<<"$out")"

out=$(bash -c "source \"\$1/lib.sh\"; finish" child "$here" 2>&1)
rc=$?
check "a script that checked nothing fails (exit $rc)" test "$rc" -eq 1
check "... and says so" grep -q "checked nothing" <<<"$out"

finish
