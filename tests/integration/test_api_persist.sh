#!/usr/bin/env bash
# HTTP API, durability: routes and static ARP entries changed through the API survive a restart
# (SIGTERM, start again) and a crash (kill -9 right after the 2xx); at start state.db is applied
# on top of the config file's routes (an API deletion of a config route stays deleted, an API PUT
# of a config prefix wins); SIGHUP re-applies the config but keeps the API state on top; the
# rows are readable with `sqlite3 state.db 'SELECT * FROM routes_text'` (the route tables are
# keyed by integers; the *_text views show them as text); a corrupt state.db makes shoald refuse to
# start naming the file; a busy API port makes shoald exit 1.
#
#   +--------------------+      +------------------------------+      +------------------------+
#   | shoal-<pid>-h1     |      | shoal-<pid>-r                |      | shoal-<pid>-h2         |
#   | lan0 10.0.1.2/24 --+------+-- lan0 10.0.1.1   shoald     +------+-- lan1 10.0.2.2/24     |
#   | default 10.0.1.1   | TAP  |   lan1 10.0.2.1              | TAP  | lo   10.0.9.2/24       |
#   +--------------------+      |   API 127.0.0.1:8144 (in r)  |      | default 10.0.2.1       |
#                               |   state_dir, token in $TMP   |      +------------------------+
#                               +------------------------------+
# (shoald is started several times in r; each start creates new TAPs that are moved again)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
source "$here/tools/shoald.sh"
source "$here/tools/api_lib.sh"
require_root
require_cmd ip ping timeout curl jq sqlite3 /usr/bin/python3

api_init
CFG=$TMP/r.json
# Config routes: 10.0.8.0/24 (to be deleted through the API) and 10.0.7.0/24 (to be replaced).
api_config "$CFG" ', "routes": [{"prefix": "10.0.8.0/24", "next_hop": "10.0.2.2"},
                                 {"prefix": "10.0.7.0/24", "next_hop": "10.0.2.2"}]'
api_setup_or_finish "$CFG"
token1=$API_TOKEN

api GET /api/v1/routes
check "config routes installed at start (static origin)" jq -e \
	'[.routes[] | select(.origin == "static") | .prefix] == ["10.0.7.0/24","10.0.8.0/24"]' <<<"$API_BODY"

api POST /api/v1/routes '{"prefix":"10.0.9.0/24","next_hop":"10.0.2.2"}'
api_check_status "POST 10.0.9.0/24: 201" 201
api POST /api/v1/routes '{"prefix":"10.60.0.0/16","interface":"lan1"}'
api_check_status "POST on-link 10.60.0.0/16: 201" 201
api DELETE /api/v1/routes/10.0.8.0/24
api_check_status "DELETE config route 10.0.8.0/24: 204" 204
api PUT /api/v1/routes/10.0.7.0/24 '{"next_hop":"10.0.2.3"}'
api_check_status "PUT config route 10.0.7.0/24 via 10.0.2.3: 200" 200
api POST /api/v1/arp '{"ip":"10.0.2.50","mac":"02:00:00:00:00:50"}'
api_check_status "POST static ARP 10.0.2.50: 201" 201
# the state as rows (the documented way to look at it), written before the 2xx
db_rows() {
	sqlite3 "$API_STATE/state.db" "SELECT 'route', prefix, next_hop, interface FROM routes_text
		UNION ALL SELECT 'deleted', prefix, '', '' FROM deleted_routes_text
		UNION ALL SELECT 'arp', interface, ip, mac FROM arp ORDER BY 1, 2, 3"
}
check_eq "state.db rows after the 2xx" "arp|lan1|10.0.2.50|02:00:00:00:00:50
deleted|10.0.8.0/24||
route|10.0.7.0/24|10.0.2.3|lan1
route|10.0.9.0/24|10.0.2.2|lan1
route|10.60.0.0/16||lan1" "$(db_rows)"
# the row itself: key 10.0.9.0 << 6 | 24, next hop 10.0.2.2 as an integer
check "sqlite3 .dump shows the routes row (integer key) and the routes_text view" bash -c \
	"sqlite3 '$API_STATE/state.db' .dump | grep -q \"INSERT INTO routes VALUES(10737565720,167772674,'lan1')\" &&
	 sqlite3 '$API_STATE/state.db' .dump | grep -q 'CREATE VIEW routes_text'"
check "ping 10.0.9.2 through the API route" api_ping_ok 10.0.9.2
routes1=$(api_routes)
static_arp() {
	api GET /api/v1/arp
	jq -cS '[.entries[] | select(.state == "static") | {interface, ip, mac}]' <<<"$API_BODY"
}
arp1=$(static_arp)
check_eq "one static ARP entry" '[{"interface":"lan1","ip":"10.0.2.50","mac":"02:00:00:00:00:50"}]' "$arp1"

# --- SIGHUP: the config is re-applied, the API state stays on top
api_config "$CFG" ', "routes": [{"prefix": "10.0.8.0/24", "next_hop": "10.0.2.2"},
                                 {"prefix": "10.0.7.0/24", "next_hop": "10.0.2.2"},
                                 {"prefix": "10.0.6.0/24", "next_hop": "10.0.2.2"}]'
kill -HUP "$SD_PID"
wait_for "SIGHUP reload" 5 grep -q "SIGHUP: reloaded" "$(daemon_log_path "$SD_LABEL")"
api GET /api/v1/routes
check "after SIGHUP: new config route 10.0.6.0/24 present" jq -e \
	'[.routes[].prefix] | index("10.0.6.0/24") != null' <<<"$API_BODY"
check "after SIGHUP: API-deleted 10.0.8.0/24 still absent" jq -e \
	'[.routes[].prefix] | index("10.0.8.0/24") == null' <<<"$API_BODY"
check "after SIGHUP: API-replaced 10.0.7.0/24 still via 10.0.2.3" jq -e \
	'.routes[] | select(.prefix == "10.0.7.0/24") | .next_hop == "10.0.2.3"' <<<"$API_BODY"
check "after SIGHUP: API routes kept" jq -e \
	'[.routes[].prefix] | index("10.0.9.0/24") != null and index("10.60.0.0/16") != null' <<<"$API_BODY"
routes1=$(api_routes)

# --- restart (SIGTERM, start again)
daemon_stop "$SD_PID" 5
check_eq "shoald exits 0 on SIGTERM" 0 "$?"
check "no sanitizer report (run 1)" sd_clean "$SD_LABEL"
api_setup_or_finish "$CFG"
check_eq "the token file is reused across restarts" "$token1" "$API_TOKEN"
check_eq "routes identical after a restart" "$routes1" "$(api_routes)"
check_eq "static ARP entry restored after a restart" "$arp1" "$(static_arp)"
check "ping 10.0.9.2 through the restored API route" api_ping_ok 10.0.9.2

# --- crash right after the 2xx (kill -9)
api POST /api/v1/routes '{"prefix":"10.61.0.0/16","next_hop":"10.0.2.2"}'
code1=$API_CODE
api DELETE /api/v1/routes/10.60.0.0/16
code2=$API_CODE
api POST /api/v1/arp '{"ip":"10.0.2.51","mac":"02:00:00:00:00:51"}'
code3=$API_CODE
kill -KILL "$SD_PID"
wait "$SD_PID" 2>/dev/null
check_eq "POST, DELETE, POST arp answered 201 204 201 before kill -9" "201 204 201" "$code1 $code2 $code3"
expect_routes=$(jq -cS '.routes |= (map(select(.prefix != "10.60.0.0/16")) +
	[{"prefix":"10.61.0.0/16","next_hop":"10.0.2.2","interface":"lan1","origin":"static"}] |
	sort_by(.prefix | split("/") | (.[0] | split(".") | map(tonumber)) + [(.[1] | tonumber)]))' <<<"$routes1")
wait_for "the TAPs of the killed shoald to disappear" 5 bash -c "! ip -n $H1 link show lan0"
api_setup_or_finish "$CFG"
check_eq "after kill -9: every acknowledged change is there" "$expect_routes" "$(api_routes)"
api GET /api/v1/arp
check "after kill -9: both static ARP entries restored" jq -e \
	'[.entries[] | select(.state == "static") | .ip] | sort == ["10.0.2.50","10.0.2.51"]' <<<"$API_BODY"
check "ping 10.0.9.2 after the crash and restart" api_ping_ok 10.0.9.2
routes2=$(api_routes)

# --- kill -9 during a burst of changes: every answered 2xx is in the restored table
(sleep 0.4 && kill -KILL "$SD_PID") &
killer=$!
for i in $(seq 1 60); do
	api POST /api/v1/routes "{\"prefix\":\"10.70.$i.0/24\",\"next_hop\":\"10.0.2.2\"}"
	[[ $API_CODE == 201 ]] && printf '10.70.%d.0/24\n' "$i" >>"$TMP/acked"
done
wait "$killer"
wait "$SD_PID" 2>/dev/null
touch "$TMP/acked"
n_acked=$(wc -l <"$TMP/acked")
check "some POSTs were answered before the kill ($n_acked), not all" \
	test "$n_acked" -ge 1 -a "$n_acked" -lt 60
wait_for "the TAPs of the killed shoald to disappear" 5 bash -c "! ip -n $H1 link show lan0"
api_setup_or_finish "$CFG"
api GET '/api/v1/routes?prefix=10.70.0.0/16'
jq -r '.routes[].prefix' <<<"$API_BODY" | sort >"$TMP/present"
check_eq "every acknowledged POST survived kill -9 (none missing)" "" \
	"$(comm -23 <(sort "$TMP/acked") "$TMP/present" | tr '\n' ' ')"
check_eq "state.db passes integrity_check after the crash" ok \
	"$(sqlite3 "$API_STATE/state.db" 'PRAGMA integrity_check')"
api POST /api/v1/routes:batch "{\"operations\":[$(for p in $(cat "$TMP/present"); do
	printf '{"op":"delete","prefix":"%s"},' "$p"; done | sed 's/,$//')]}"
api_check_status "batch delete of the burst's routes: 200" 200
check_eq "table back to its state before the burst" "$routes2" "$(api_routes)"

# --- a corrupt state.db: shoald refuses to start and names the file
daemon_stop "$SD_PID" 5
check_eq "shoald exits 0 on SIGTERM" 0 "$?"
check "no sanitizer report" sd_clean "$SD_LABEL"
check "no WAL left behind after a clean stop (checkpointed)" test ! -s "$API_STATE/state.db-wal"
cp "$API_STATE/state.db" "$TMP/state.good"
printf 'this is not a database, just text long enough to fill a header page.....\n' \
	>"$API_STATE/state.db"
rm -f "$API_STATE/state.db-wal" "$API_STATE/state.db-shm"
cp "$API_STATE/state.db" "$TMP/state.bad"
daemon_start BAD "$R" shoald-corrupt "$SHOALD" -v -c "$CFG"
wait_for_exit "$BAD" 10
wait "$BAD"
rc=$?
check "corrupt state.db: shoald exits non-zero ($rc)" test "$rc" -ne 0
check "corrupt state.db: the error names the file" \
	grep -q "$API_STATE/state.db" "$(daemon_log_path shoald-corrupt)"
check "corrupt state.db: the file was left as it was" cmp -s "$TMP/state.bad" "$API_STATE/state.db"
cp "$TMP/state.good" "$API_STATE/state.db"

# --- the API port is taken: shoald exits 1 with a clear error
daemon_start squatter "$R" squatter /usr/bin/python3 -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 8144)); s.listen(1); time.sleep(30)'
wait_for_port "$R" "$API_PORT" 5
daemon_start BUSY "$R" shoald-busy "$SHOALD" -v -c "$CFG"
wait_for_exit "$BUSY" 10
wait "$BUSY"
check_eq "API port in use: shoald exits 1" 1 "$?"
check "API port in use: the error names the address" \
	grep -qi "127.0.0.1:8144" "$(daemon_log_path shoald-busy)"
daemon_stop "$squatter" 3
wait_for "the squatter to release the port" 5 bash -c "! ip netns exec $R ss -Hltn 'sport = :$API_PORT' | grep -q ."

# --- the good state is still restorable
api_setup_or_finish "$CFG"
check_eq "routes identical after the refused starts" "$routes2" "$(api_routes)"
daemon_stop "$SD_PID" 5
check_eq "shoald exits 0 on SIGTERM (last run)" 0 "$?"
check "no sanitizer report (last run)" sd_clean "$SD_LABEL"
finish
