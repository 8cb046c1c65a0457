#!/usr/bin/env bash
# plugins/impair: seeded loss matches the generator's model datagram for datagram (egress);
# on ingress, loss, duplication, reordering and delay (held datagrams go back through the ABI
# 1.4 input_datagram) give exactly the model's arrival order and counts; delay and its changes
# at run time (GET|PUT /api/v1/impair/{interface}) show in ping both ways; bad settings
# refused without changing anything; GET /metrics (promtool, the loss counter as the API's);
# and the tcp plugin's echo through 1% loss, 5% reordering and 20 ms delay in BOTH directions
# of lan0 arrives intact, with Linux recovering by SACK (TcpExtTCPSackRecovery on h1). lan0
# runs without offload so that h1's datagrams carry complete checksums and can be held at
# ingress (GSO super-frames cannot).
# TCP_IMPAIR_BYTES sets the echo size (default 50 MB, the issue's; TCP_IMPAIR_BYTES=5000000 for a quick run).
#
#   +--------------------+      +-------------------------------------+      +--------------------+
#   | shoal-<pid>-h1     |      | shoal-<pid>-r                       |      | shoal-<pid>-h2     |
#   | lan0 10.0.1.2/24 --+------+-- lan0 10.0.1.1  shoald + impair    +------+-- lan1 10.0.2.2/24 |
#   | default 10.0.1.1   | TAP  |   lan1 10.0.2.1  (+ tcp: echo on 7) | TAP  | default 10.0.2.1   |
#   | UDP sender, client |      |   API 127.0.0.1:8144                |      | UDP receiver       |
#   +--------------------+      +-------------------------------------+      +--------------------+
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SHOAL_SRC=${SHOAL_SRC:-$(cd "$here/../../.." && pwd)}
source "$SHOAL_SRC/tests/integration/lib.sh"
source "$SHOAL_SRC/tests/integration/tools/shoald.sh"
source "$SHOAL_SRC/tests/integration/tools/api_lib.sh"
require_root
require_cmd ip curl jq ping timeout python3 nstat promtool

BYTES=${TCP_IMPAIR_BYTES:-50000000}
SEQ="python3 $here/udpseq.py"
api_init
for p in impair tcp; do
	if [[ ! -f $SHOAL_BUILD/plugins/$p.so ]]; then
		fail "plugin built: $p.so"
		finish
	fi
	ln -sf "$(realpath "$SHOAL_BUILD/plugins/$p.so")" "$API_PLUGINS/"
done
api_config "$TMP/r.json" ', "plugins": [
   {"name": "tcp", "config": {"listen": [{"port": 7, "service": "echo"}]}},
   {"name": "impair", "config": {"seed": 7, "queue_max": 4096,
      "interfaces": {"lan1": {"egress": {"loss": 30}}}}}]'
sed -i 's/"mac": "02:00:00:00:01:01"/&, "offload": false/' "$TMP/r.json"
if ! api_start "$TMP/r.json"; then
	fail "shoald with impair starts"
	finish
fi
pass "shoald with impair starts"

# 1. Loss decided by the seeded generator: exactly the model's datagrams arrive.
N=300
daemon_start RECV "$H2" udprecv $SEQ recv 5005 $N 3
wait_for_port "$H2" 5005 5 udp || fail "UDP receiver ready"
ns_exec "$H1" $SEQ send 10.0.2.2 5005 $N
wait_for_exit "$RECV" 15 || fail "UDP receiver done"
got=$(grep -E '^[0-9,]*$' "$(daemon_log_path udprecv)" | tail -n 1)
want=$($SEQ model 7 30 $N)
check_eq "seed 7, 30% loss on lan1 egress: the datagrams that arrive are the model's" "$want" "$got"
api GET /api/v1/impair/lan1
lost=$(api_jq .egress.counters.lost)
check_eq "GET /api/v1/impair/lan1 counts the losses" "$((N - $(tr ',' '\n' <<<"$want" | grep -c .)))" "$lost"
seen=$(api_jq .egress.counters.seen)
api GET /metrics
api_check_status "GET /metrics with impair (and tcp) loaded: 200" 200
cp "$TMP/api.body" "$TMP/metrics.txt"
check "promtool check metrics passes with impair and tcp loaded" bash -c "promtool check metrics <'$TMP/metrics.txt'"
check_eq "shoal_impair_lost_packets_total{lan1, egress} = the API's lost" "$lost" \
	"$(awk '$1 == "shoal_impair_lost_packets_total{interface=\"lan1\",direction=\"egress\"}" {print $2}' "$TMP/metrics.txt")"

# 2. Ingress holds: seeded loss, duplication, reordering and a delay longer than the whole
#    send on lan0 ingress; the receiver sees the model's order (copies and reordered ones at
#    once, then the delayed ones in order). The generator continues from part 1 ($seen draws).
api PUT /api/v1/impair/lan1 '{}'
api_check_status "PUT {} clears lan1" 200
N=200
api PUT /api/v1/impair/lan0 '{"ingress": {"loss": 30, "duplicate": 20, "reorder": 25, "delay_ms": 3000}}'
api_check_status "PUT loss, duplicate, reorder and a 3 s delay on lan0 ingress" 200
daemon_start RECV2 "$H2" udprecvseq $SEQ recvseq 5006 6
wait_for_port "$H2" 5006 5 udp || fail "UDP receiver (arrival order) ready"
ns_exec "$H1" $SEQ send 10.0.2.2 5006 $N
wait_for_exit "$RECV2" 20 || fail "UDP receiver (arrival order) done"
got=$(grep -E '^[0-9,]*$' "$(daemon_log_path udprecvseq)" | tail -n 1)
model=$($SEQ model_held 7 "$seen" 30 20 25 $N)
check_eq "lan0 ingress: the datagrams arrive in the model's order (held ones re-injected)" \
	"$(head -n 1 <<<"$model")" "$got"
api GET /api/v1/impair/lan0
check_eq "ingress counters: lost duplicated reordered delayed as the model" \
	"$(tail -n 1 <<<"$model")" \
	"$(jq -r '.ingress.counters | "\(.lost) \(.duplicated) \(.reordered) \(.delayed)"' <<<"$API_BODY")"
check_eq "... none of them refused by the host (not_held, queue_full)" "0 0" \
	"$(jq -r '.ingress.counters | "\(.not_held) \(.queue_full)"' <<<"$API_BODY")"
api GET /api/v1/plugins/impair
check "the host counted impair's input_datagram calls (none refused)" \
	jq -e '.input_datagrams > 0 and .input_refused == 0' <<<"$API_BODY"

# 3. Run-time changes: delay on lan0 egress, then on ingress too, shows in ping's RTT; bad
#    settings change nothing.
api PUT /api/v1/impair/lan0 '{"egress": {"delay_ms": 60}}'
api_check_status "PUT a 60 ms delay on lan0 egress" 200
rtt=$(ns_exec "$H1" ping -c 3 -i 0.2 -W 2 10.0.1.1 | sed -n 's/.*= \([0-9.]*\)\/.*/\1/p')
check "ping RTT to the router is at least 60 ms (min $rtt ms)" awk -v r="$rtt" 'BEGIN{exit !(r >= 60)}'
api PUT /api/v1/impair/lan0 '{"ingress": {"delay_ms": 60}, "egress": {"delay_ms": 60}}'
api_check_status "PUT a 60 ms delay on lan0 ingress and egress" 200
rtt=$(ns_exec "$H1" ping -c 3 -i 0.2 -W 2 10.0.1.1 | sed -n 's/.*= \([0-9.]*\)\/.*/\1/p')
check "ping RTT to the router is at least 120 ms both ways delayed (min $rtt ms)" awk -v r="$rtt" 'BEGIN{exit !(r >= 120)}'
api PUT /api/v1/impair/lan0 '{"egress": {"delay_ms": 60}}'
api_check_status "back to 60 ms on egress only" 200
api PUT /api/v1/impair/lan0 '{"egress": {"loss": 101}}'
api_check_error "loss 101 refused" 400
api PUT /api/v1/impair/lan0 '{"ingress": {"delay_ms": 5, "jitter_ms": 6}}'
api_check_error "ingress jitter above its delay refused" 400
api PUT /api/v1/impair/lan0 '{"egress": {"bogus": 1}}'
api_check_error "unknown key refused" 400
api GET /api/v1/impair/lan0
check_eq "... and lan0 keeps its 60 ms delay" 60 "$(api_jq .egress.delay_ms)"
api GET /api/v1/impair/nosuch
api_check_error "unknown interface: 404" 404

# 4. TCP through 1% loss, 5% reordering and 20 ms delay, each in both directions.
api PUT /api/v1/impair/lan0 '{"ingress": {"loss": 1, "reorder": 5, "delay_ms": 20}, "egress": {"loss": 1, "reorder": 5, "delay_ms": 20}}'
api_check_status "PUT 1% loss, 5% reorder, 20 ms delay on lan0 ingress and egress" 200
ns_exec "$H1" nstat -n >/dev/null
check "echo of $BYTES bytes through the impaired link arrives intact" \
	ns_exec "$H1" timeout 400 python3 "$SHOAL_SRC/plugins/tcp/tests/tcp_client.py" --timeout 380 echo 10.0.1.1 7 "$BYTES"
api GET /api/v1/impair/lan0
check "impair lost, reordered and delayed segments both ways" \
	jq -e '[.ingress, .egress][].counters | .lost > 0 and .reordered > 0 and .delayed > 0' <<<"$API_BODY"
sackrec=$(ns_exec "$H1" nstat -az TcpExtTCPSackRecovery | awk '/TcpExtTCPSackRecovery/ {print $2}')
check "Linux recovered losses with the router's SACK blocks (TCPSackRecovery $sackrec)" test "${sackrec:-0}" -gt 0
api GET /api/v1/tcp
check "the router's TCP retransmitted what impair dropped" jq -e '.counters.retransmissions > 0' <<<"$API_BODY"

daemon_stop "$SD_PID" 10
check_eq "shoald exits 0" 0 "$?"
check "no sanitizer report" sd_clean "$SD_LABEL"
finish
