#!/usr/bin/env bash
# `make demo`: shoald between two network namespaces you can play with.
#
#   scripts/demo.sh [PATH/TO/shoald]      (default: build/release/router/shoald; run as root)
#
# Builds nothing (the Makefile target builds first). Starts shoald on its built-in default
# configuration (no -c: TAP lan0 10.0.1.1/24, TAP lan1 10.0.2.1/24, API on 127.0.0.1:8144), then
#
#   +------------------------+      +----------------------------+      +------------------------+
#   | netns h1               | TAP  | netns shoal-demo           | TAP  | netns h2               |
#   | lan0 10.0.1.2/24       +------+ shoald  10.0.1.1, 10.0.2.1 +------+ lan1 10.0.2.2/24       |
#   | default via 10.0.1.1   |  fd  | API 127.0.0.1:8144         |  fd  | default via 10.0.2.1   |
#   +------------------------+      +----------------------------+      +------------------------+
#
# and prints what to try. Ctrl-C (or SIGTERM) stops shoald and deletes the three namespaces.
#
# Where shoald runs: in its own namespace `shoal-demo`, not in the root namespace. shoald creates
# lan0/lan1 where it runs; in the root namespace they would exist there (briefly, before moving to
# h1/h2), and shoald attaches to an existing persistent TAP of the same name, so a machine that
# already has a lan0 would have it taken over and moved away. In shoal-demo nothing of the demo ever
# appears among the root namespace's links, addresses or routes. The price is that the API listens
# on shoal-demo's loopback: it is always reachable with `ip netns exec shoal-demo curl ...`, and the
# demo also starts a tiny relay (python3, best effort) listening on the root namespace's
# 127.0.0.1:8144 that forwards each connection into shoal-demo, so the URL works in a browser too.
# The relay is only a listening socket: it changes no link, address, route or firewall rule.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shoald=${1:-$root/build/release/router/shoald}
api_port=8144

if [[ ! -x $shoald ]]; then
	echo "demo: shoald not found at $shoald" >&2
	echo "demo: build it first (make build), or pass its path: scripts/demo.sh PATH/TO/shoald" >&2
	exit 1
fi
if [[ $(id -u) -ne 0 ]]; then
	echo "demo: must run as root (network namespaces): sudo make demo" >&2
	exit 1
fi
for ns in h1 h2 shoal-demo; do
	if [[ -e /var/run/netns/$ns ]]; then
		echo "demo: network namespace '$ns' already exists (another demo running?)." >&2
		echo "demo: not touching it; if it is a leftover, remove it with: ip netns del $ns" >&2
		exit 1
	fi
done

# lib.sh installs the cleanup trap: registered processes stopped (shoald gets SIGTERM and removes
# its devices), then the namespaces we created deleted, on any exit, Ctrl-C or SIGTERM.
# Daemon logs are shown live (below), so the library need not print them again on Ctrl-C.
SHOAL_LOGS_ON_FAILURE=0
source "$root/tests/integration/lib.sh"
require_cmd ip

ns_create_named shoal-demo || exit 1
ns_create_named h1 || exit 1
ns_create_named h2 || exit 1

# With the tcp plugin built next to shoald, the LAN reaches the API in-band through Shoal's own
# TCP: curl http://10.0.1.1/api/v1/health from h1 (plugins/tcp; echo 7, discard 9, chargen 19).
shoald_args=()
tcp_so=$(cd "$(dirname "$shoald")/.." && pwd)/plugins/tcp.so
if [[ -f $tcp_so ]]; then
	tmpdir_create demo_tmp
	cat >"$demo_tmp/shoald.json" <<-EOF
		{"interfaces": [{"name": "lan0", "kind": "tap", "address": "10.0.1.1/24"},
		                {"name": "lan1", "kind": "tap", "address": "10.0.2.1/24"}],
		 "plugin_dir": "$(dirname "$tcp_so")",
		 "plugins": [{"name": "tcp", "config": {"listen": [
		     {"port": 7, "service": "echo"}, {"port": 9, "service": "discard"},
		     {"port": 19, "service": "chargen"},
		     {"port": 80, "service": "proxy", "to": "127.0.0.1:$api_port"}]}}]}
	EOF
	shoald_args=(-c "$demo_tmp/shoald.json")
fi
daemon_start shoald_pid shoal-demo shoald "$shoald" "${shoald_args[@]}"
if ! wait_for_link shoal-demo lan0 10 || ! wait_for_link shoal-demo lan1 10; then
	echo "demo: shoald did not create lan0 and lan1 within 10 s; its output:" >&2
	daemon_log shoald >&2
	exit 1
fi
if ! { ns_move shoal-demo lan0 h1 && ns_move shoal-demo lan1 h2 &&
	ns_addr h1 lan0 10.0.1.2/24 && ns_addr h2 lan1 10.0.2.2/24 &&
	ip -n h1 route add default via 10.0.1.1 && ip -n h2 route add default via 10.0.2.1; }; then
	echo "demo: could not set up h1/h2; shoald's output:" >&2
	daemon_log shoald >&2
	exit 1
fi

# Best-effort API relay: root namespace 127.0.0.1:8144 -> shoal-demo 127.0.0.1:8144.
relay_py='
import ctypes, os, socket, sys, threading
ns, port = sys.argv[1], int(sys.argv[2])
lst = socket.socket()
lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lst.bind(("127.0.0.1", port))   # in the root namespace
lst.listen(16)
fd = os.open("/var/run/netns/" + ns, os.O_RDONLY)
if ctypes.CDLL(None, use_errno=True).setns(fd, 0x40000000) != 0:   # CLONE_NEWNET
    sys.exit("relay: setns failed")
print("relay: ready", flush=True)
def pump(a, b):
    try:
        while (data := a.recv(65536)):
            b.sendall(data)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
def serve(c):
    try:
        u = socket.create_connection(("127.0.0.1", port), timeout=5)   # inside ns
    except OSError:
        c.close()
        return
    u.settimeout(None)
    threading.Thread(target=pump, args=(u, c), daemon=True).start()
    pump(c, u)
while True:
    conn, _ = lst.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
'
api_here="ip netns exec shoal-demo curl http://127.0.0.1:$api_port/"
# The built-in default configuration's token file (api.token_file).
token_file=/var/lib/shoal/api.token
dashboard="not served by this build of shoald"
py=$(command -v /usr/bin/python3 python3 | head -n 1)
# Only relay (and advertise) the API when this shoald serves one.
if ! ip netns exec shoal-demo ss -Hltn "sport = :$api_port" 2>/dev/null | grep -q .; then
	api_here="not served by this build of shoald"
	py=
fi
if [[ -n $py ]]; then
	daemon_start relay_pid - api-relay "$py" -c "$relay_py" shoal-demo "$api_port"
	if wait_for "API relay" 3 grep -q "relay: ready" "$SHOAL_LOG_api_relay"; then
		api_here="http://127.0.0.1:$api_port/ (relayed into shoal-demo; or: $api_here)"
		dashboard="http://127.0.0.1:$api_port/  (log in with the token: sudo cat $token_file)"
	else
		daemon_stop "$relay_pid" 1
	fi
fi

cat <<EOF

Shoal demo is running: shoald (pid $shoald_pid) routes between namespaces h1 and h2.

  h1  lan0 10.0.1.2/24  default via 10.0.1.1      h2  lan1 10.0.2.2/24  default via 10.0.2.1

Try, in another terminal (as root):
  ip netns exec h1 ping 10.0.2.2            # h1 -> h2 through shoald
  ip netns exec h1 ping 10.0.1.1            # the router itself
  ip netns exec h1 ping -t 1 10.0.2.2       # time exceeded from the router
  ip netns exec h1 curl http://10.0.1.1/api/v1/health   # the API in-band, via Shoal's TCP
  ip netns exec h1 bash -c 'exec 3<>/dev/tcp/10.0.1.1/7; echo hi >&3; head -n1 <&3'  # TCP echo
  ip netns exec h1 tracepath -n 10.0.2.2
  ip netns exec h2 iperf3 -s &  ip netns exec h1 iperf3 -c 10.0.2.2
API: $api_here
Dashboard: $dashboard
Token file: $token_file

shoald's output follows. Ctrl-C stops shoald and removes h1, h2 and shoal-demo.
EOF

# Show shoald's output until it exits or Ctrl-C (the trap cleans up).
# tail runs in the background so that `wait` returns at once on Ctrl-C or SIGTERM.
tail -n +1 -f --pid="$shoald_pid" "$SHOAL_LOG_shoald" &
tail_pid=$!
register_pid "$tail_pid"
wait "$tail_pid"
wait "$shoald_pid"
rc=$?
echo "demo: shoald exited by itself (status $rc); cleaning up" >&2
exit 1
