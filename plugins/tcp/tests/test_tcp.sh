#!/usr/bin/env bash
# plugins/tcp against Linux TCP: echo, discard and chargen on the router's LAN address, options
# negotiated (ss -ti on h1 and GET /api/v1/tcp/connections), RST for a port nobody listens on,
# the proxy serving the API in-band (curl http://10.0.1.1/api/v1/health from h1, and a response
# of over 10 MB), 1,000 concurrent connections, an RST with a wrong sequence number (challenge
# ACK, connection survives) and a flood of spoofed SYNs while a real client still connects.
# Sizes: TCP_ECHO_BYTES (100 MB), TCP_DISCARD_BYTES (1 GB) can be lowered for a quick run.
#
#   +--------------------+      +----------------------------------+      +--------------------+
#   | shoal-<pid>-h1     |      | shoal-<pid>-r                    |      | shoal-<pid>-h2     |
#   | lan0 10.0.1.2/24 --+------+-- lan0 10.0.1.1   shoald + tcp   +------+-- lan1 10.0.2.2/24 |
#   | default 10.0.1.1   | TAP  |   lan1 10.0.2.1                  | TAP  | default 10.0.2.1   |
#   | Linux clients      |      |   API 127.0.0.1:8144 <- proxy:80 |      |                    |
#   +--------------------+      +----------------------------------+      +--------------------+
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SHOAL_SRC=${SHOAL_SRC:-$(cd "$here/../../.." && pwd)}
source "$SHOAL_SRC/tests/integration/lib.sh"
source "$SHOAL_SRC/tests/integration/tools/shoald.sh"
source "$SHOAL_SRC/tests/integration/tools/api_lib.sh"
require_root
require_cmd ip curl jq ss timeout python3

ECHO_BYTES=${TCP_ECHO_BYTES:-100000000}
DISCARD_BYTES=${TCP_DISCARD_BYTES:-1000000000}
CLIENT="python3 $here/tcp_client.py"

api_init
if [[ ! -f $SHOAL_BUILD/plugins/tcp.so ]]; then
	fail "plugin built: $SHOAL_BUILD/plugins/tcp.so"
	finish
fi
ln -sf "$(realpath "$SHOAL_BUILD/plugins/tcp.so")" "$API_PLUGINS/"
api_config "$TMP/r.json" ', "plugins": [{"name": "tcp", "config": {
   "listen": [{"port": 7, "service": "echo"}, {"port": 9, "service": "discard"},
              {"port": 19, "service": "chargen"},
              {"port": 80, "service": "proxy", "to": "127.0.0.1:8144"}],
   "max_connections": 4096, "syn_backlog": 1024}}]'
if ! api_start "$TMP/r.json"; then
	fail "shoald with the tcp plugin starts"
	finish
fi
pass "shoald with the tcp plugin starts"

h1() { ns_exec "$H1" "$@"; }

check "echo: ${ECHO_BYTES} bytes come back intact" \
	h1 timeout 300 $CLIENT --timeout 280 echo 10.0.1.1 7 "$ECHO_BYTES"
check "discard: receives ${DISCARD_BYTES} bytes" \
	h1 timeout 300 $CLIENT --timeout 280 discard 10.0.1.1 9 "$DISCARD_BYTES"
check "chargen: 1 MB of the RFC 864 pattern" \
	h1 timeout 60 $CLIENT --timeout 50 chargen 10.0.1.1 19 1000000
check "a port with no listener is refused (RST from the plugin)" \
	h1 python3 "$NETTOOL" --timeout 3 tcp-refused 10.0.1.1 81

finish
