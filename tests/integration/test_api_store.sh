#!/usr/bin/env bash
# HTTP API, the state database (router/store.c): an existing state.json is imported into
# state.db on the first start and kept as state.json.migrated; 8 clients writing at once and a
# kill -9 in the middle lose no acknowledged route; a full disk answers 500 storage_failed,
# changes nothing (data plane and disk) and writes work again once space is back; a write whose
# outcome on disk is unknown (an I/O error, EFBIG past a file size limit, and the follow-up
# write failing too) is undone and turns shoald read-only: 503 read_only, reads still work,
# and after a restart the refused change is absent. A version 2 state.db (text keys) is upgraded
# at start and its state served.
#
#   +--------------------+      +------------------------------+      +------------------------+
#   | shoal-<pid>-h1     |      | shoal-<pid>-r                |      | shoal-<pid>-h2         |
#   | lan0 10.0.1.2/24 --+------+-- lan0 10.0.1.1   shoald     +------+-- lan1 10.0.2.2/24     |
#   | default 10.0.1.1   | TAP  |   lan1 10.0.2.1              | TAP  | lo   10.0.9.2/24       |
#   +--------------------+      |   API 127.0.0.1:8144 (in r)  |      | default 10.0.2.1       |
#                               |   state_dir: $TMP/state, or  |      +------------------------+
#                               |   a 1 MiB tmpfs mounted over |
#                               |   it in shoald's own mount   |
#                               |   namespace (unshare -m)     |
#                               +------------------------------+
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
source "$here/tools/shoald.sh"
source "$here/tools/api_lib.sh"
require_root
require_cmd ip ping timeout curl jq sqlite3 unshare nsenter mount dd prlimit stat /usr/bin/python3

api_init
CFG=$TMP/r.json
api_config "$CFG" ', "routes": [{"prefix": "10.0.8.0/24", "next_hop": "10.0.2.2"}]'

# --- migration of a state.json written by an older shoald
mkdir -m 0700 -p "$API_STATE"
cat >"$API_STATE/state.json" <<'JSON'
{"version": 1,
 "routes": [{"prefix": "10.0.9.0/24", "next_hop": "10.0.2.2", "interface": "lan1"},
            {"prefix": "10.60.0.0/16", "interface": "lan1"}],
 "deleted_routes": ["10.0.8.0/24"],
 "arp": [{"interface": "lan1", "ip": "10.0.2.50", "mac": "02:00:00:00:00:50"}]}
JSON
cp "$API_STATE/state.json" "$TMP/state.json.orig"
api_setup_or_finish "$CFG"
api GET /api/v1/routes
check "migrated: API routes present, API-deleted config route absent" jq -e \
	'[.routes[].prefix] | index("10.0.9.0/24") != null and index("10.60.0.0/16") != null
	 and index("10.0.8.0/24") == null' <<<"$API_BODY"
api GET /api/v1/arp
check "migrated: the static ARP entry" jq -e \
	'[.entries[] | select(.state == "static") | .ip] == ["10.0.2.50"]' <<<"$API_BODY"
check "migrated: the route carries traffic" api_ping_ok 10.0.9.2
check "state.json is gone" test ! -e "$API_STATE/state.json"
check "state.json.migrated is the old file" cmp -s "$TMP/state.json.orig" "$API_STATE/state.json.migrated"
check_eq "state.db holds the migrated rows" "10.0.9.0/24|10.0.2.2|lan1
10.60.0.0/16||lan1
deleted 10.0.8.0/24
arp lan1 10.0.2.50 02:00:00:00:00:50" "$(sqlite3 "$API_STATE/state.db" \
	"SELECT prefix, next_hop, interface FROM routes_text ORDER BY prefix;
	 SELECT 'deleted ' || prefix FROM deleted_routes_text;
	 SELECT 'arp ' || interface || ' ' || ip || ' ' || mac FROM arp")"
routes0=$(api_routes)

# writers BASE OUT [COUNT]: 8 clients in the background, client c POSTing 10.(BASE+c).i.0/24
# for i in 0..COUNT-1 (default 200) one by one; each acknowledged prefix goes to OUT.c; their
# pids in clients[].
writers() {
	local c
	clients=()
	for c in 1 2 3 4 5 6 7 8; do
		ns_exec "$R" bash -c '
			for i in $(seq 0 $(($6 - 1))); do
				p="10.$(($5 + $1)).$i.0/24"
				code=$(curl -s -o /dev/null -w "%{http_code}" --max-time 10 \
					-H "Authorization: Bearer $2" -H "Content-Type: application/json" \
					--data-binary "{\"prefix\":\"$p\",\"next_hop\":\"10.0.2.2\"}" \
					"http://127.0.0.1:$3/api/v1/routes") || break
				[[ $code == 201 ]] && printf "%s\n" "$p" >>"$4.$1"
			done' client "$c" "$API_TOKEN" "$API_PORT" "$2" "$1" "${3:-200}" &
		clients+=($!)
	done
}

# acked_present OUT WHAT: checks that every prefix the writers() of OUT saw acknowledged is in
# the table of the restarted shoald.
acked_present() {
	api GET /api/v1/routes
	jq -r '.routes[].prefix' <<<"$API_BODY" | sort >"$TMP/present"
	check_eq "every acknowledged POST of 8 clients survived $2 (none missing)" "" \
		"$(comm -23 <(cat "$1".* | sort) "$TMP/present" | tr '\n' ' ')"
}

# --- 8 clients at once, to the end: every POST is answered 201 within curl's 10 s (a writer
# left asleep behind a commit, with nobody to wake it, would time out and stop its client)
writers 140 "$TMP/acked0" 100
for p in "${clients[@]}"; do wait "$p"; done
check_eq "8 clients to the end: all 800 POSTs answered 201" 800 "$(cat "$TMP"/acked0.* | wc -l)"

# --- 8 clients at once, kill -9 after some answers: every 201 is in the restored table
writers 100 "$TMP/acked"
acked_count() { cat "$TMP"/acked.* 2>/dev/null | wc -l; }
wait_for "100 acknowledged POSTs from 8 clients" 60 bash -c "[[ \$(cat $TMP/acked.* 2>/dev/null | wc -l) -ge 100 ]]"
kill -KILL "$SD_PID"
wait "$SD_PID" 2>/dev/null
for p in "${clients[@]}"; do wait "$p"; done
n_acked=$(acked_count)
check "some POSTs were answered before the kill ($n_acked), not all" test "$n_acked" -ge 100 -a "$n_acked" -lt 1600
wait_for "the TAPs of the killed shoald to disappear" 5 bash -c "! ip -n $H1 link show lan0"
api_setup_or_finish "$CFG"
acked_present "$TMP/acked" "kill -9"
check_eq "state.db passes integrity_check" ok "$(sqlite3 "$API_STATE/state.db" 'PRAGMA integrity_check')"
daemon_stop "$SD_PID" 5
check_eq "shoald exits 0 on SIGTERM" 0 "$?"
check "no sanitizer report" sd_clean "$SD_LABEL"

# --- 8 clients at once, SIGTERM after some answers: writers queued behind a commit on the
# API's worker threads (api.h) are answered before the server stops; shoald exits 0, and
# every 201 is in the table after the restart
api_setup_or_finish "$CFG"
rm -f "$TMP"/acked2.*
writers 120 "$TMP/acked2"
wait_for "100 acknowledged POSTs from 8 clients" 60 bash -c "[[ \$(cat $TMP/acked2.* 2>/dev/null | wc -l) -ge 100 ]]"
daemon_stop "$SD_PID" 10
check_eq "SIGTERM under 8 writers: shoald exits 0" 0 "$?"
for p in "${clients[@]}"; do wait "$p"; done
check "no sanitizer report after SIGTERM under 8 writers" sd_clean "$SD_LABEL"
wait_for "the TAPs of the stopped shoald to disappear" 5 bash -c "! ip -n $H1 link show lan0"
api_setup_or_finish "$CFG"
acked_present "$TMP/acked2" SIGTERM
daemon_stop "$SD_PID" 5
check_eq "shoald exits 0 on SIGTERM" 0 "$?"

# --- a full disk: shoald's state_dir is a 1 MiB tmpfs in its own mount namespace
REAL_SHOALD=$SHOALD
SHOALD=$TMP/shoald-tmpfs
cat >"$SHOALD" <<EOF2
#!/bin/sh
exec unshare -m --propagation private sh -c 'mount -t tmpfs -o size=1m,mode=0700 shoal-test "\$0" && exec "\$@"' "$API_STATE" "$REAL_SHOALD" "\$@"
EOF2
chmod +x "$SHOALD"
api_setup_or_finish "$CFG"
SHOALD=$REAL_SHOALD
STATE_IN=/proc/$SD_PID/root$API_STATE
# sqlite3 resolves /proc/PID/root (a symlink) to our own view: run it in shoald's mounts
sd_sqlite() { nsenter -t "$SD_PID" -m -- sqlite3 "$API_STATE/state.db" "$@"; }
check_eq "shoald's state dir is its own tmpfs" tmpfs "$(stat -f -c %T "$STATE_IN")"
api POST /api/v1/routes '{"prefix":"10.0.9.0/24","next_hop":"10.0.2.2"}'
api_check_status "POST on the tmpfs: 201" 201
check "ping through it" api_ping_ok 10.0.9.2
# the group committer's counters (GET /metrics shoal_store_<name>_total)
store_ctr() {
	api GET /metrics
	awk -v n="shoal_store_$1_total" '$1 == n { print $2 }' <<<"$API_BODY"
}
c0=$(store_ctr commits) m0=$(store_ctr committed_mutations) f0=$(store_ctr commit_failures)
check "metrics: the POST was committed (commits $c0, mutations $m0, failures $f0)" \
	test "${c0:-0}" -ge 1 -a "${m0:-0}" -eq "${c0:-0}" -a "${f0:-x}" = 0
before=$(api_routes)
batch() { # batch OP N: N operations on 11.x.y.0/24
	local i ops=()
	for ((i = 0; i < $2; i++)); do
		ops+=("{\"op\":\"$1\",\"prefix\":\"11.$((i / 256)).$((i % 256)).0/24\",\"next_hop\":\"10.0.2.2\"}")
	done
	local IFS=,
	printf '{"operations":[%s]}' "${ops[*]}"
}
batch add 2000 >"$TMP/batch.json"
dd if=/dev/zero of="$STATE_IN/filler" bs=64k 2>/dev/null
check "the tmpfs is full" test "$(stat -f -c %a "$STATE_IN")" -eq 0
api POST /api/v1/routes:batch "@$TMP/batch.json"
if [[ $API_CODE == 507 ]]; then
	pass "disk full: batch answered 507"
else
	api_check_status "disk full: batch answered 500 storage_failed" 500 storage_failed ||
		cat "$TMP/api.err"
fi
check "disk full: the message says the disk is full" grep -qi "full" <<<"$API_BODY"
check_eq "disk full: metrics count one failed commit" "$((f0 + 1))" "$(store_ctr commit_failures)"
check_eq "disk full: metrics count no committed mutation" "$m0" "$(store_ctr committed_mutations)"
check_eq "disk full: the routes table is unchanged" "$before" "$(api_routes)"
api GET /api/v1/routes/lookup?address=11.0.0.1
check "disk full: the data plane has no batch route (lookup 11.0.0.1 finds no 11.0.0.0/24)" \
	test "$(api_jq '.prefix // "none"')" != "11.0.0.0/24"
check_eq "disk full: no batch row in state.db" 0 \
	"$(sd_sqlite "SELECT count(*) FROM routes_text WHERE prefix LIKE '11.%'")"
check "shoald still running" daemon_alive "$SD_PID"
rm -f "$STATE_IN/filler"
api POST /api/v1/routes:batch "@$TMP/batch.json"
api_check_status "space back: the same batch answered 200" 200
check_eq "space back: metrics count the batch as one mutation in one more commit" \
	"$((c0 + 1)) $((m0 + 1))" "$(store_ctr commits) $(store_ctr committed_mutations)"
check_eq "space back: 2000 batch rows in state.db" 2000 \
	"$(sd_sqlite "SELECT count(*) FROM routes_text WHERE prefix LIKE '11.%'")"
daemon_stop "$SD_PID" 5
check_eq "shoald exits 0 on SIGTERM" 0 "$?"
check "no sanitizer report" sd_clean "$SD_LABEL"

# --- an I/O error whose outcome is unknown: undone, then read-only until restart
api_setup_or_finish "$CFG"
api POST /api/v1/routes '{"prefix":"10.0.5.0/24","next_hop":"10.0.2.2"}'
api_check_status "POST 10.0.5.0/24 before the limit: 201" 201
before=$(api_routes)
# The WAL is given written room at open (store.c), so its size is not where writes end: a
# limit of 32 bytes (the WAL header) makes every frame write fail with EFBIG.
check "a file size limit at the WAL header (32 bytes)" \
	prlimit --pid "$SD_PID" --fsize=32:unlimited
api POST /api/v1/routes '{"prefix":"10.0.6.0/24","next_hop":"10.0.2.2"}'
api_check_status "POST past the limit: 503 read_only" 503 read_only
check "read_only: the message says why and to restart" grep -q "restart" <<<"$API_BODY"
check_eq "read_only: the refused route was undone" "$before" "$(api_routes)"
api POST /api/v1/arp '{"ip":"10.0.2.51","mac":"02:00:00:00:00:51"}'
api_check_status "read_only: a later change (ARP) is refused: 503 read_only" 503 read_only
api GET /api/v1/arp
check "read_only: no ARP entry was added" jq -e '[.entries[] | select(.ip == "10.0.2.51")] == []' <<<"$API_BODY"
api GET /api/v1/routes
api_check_status "read_only: reads still work" 200
prlimit --pid "$SD_PID" --fsize=unlimited:unlimited
daemon_stop "$SD_PID" 5
check_eq "shoald exits 0 on SIGTERM" 0 "$?"
check "no sanitizer report" sd_clean "$SD_LABEL"
api_setup_or_finish "$CFG"
check_eq "after a restart: the table is the acknowledged one (10.0.6.0/24 absent)" "$before" "$(api_routes)"
api POST /api/v1/routes '{"prefix":"10.0.6.0/24","next_hop":"10.0.2.2"}'
api_check_status "after a restart: writable again: 201" 201
daemon_stop "$SD_PID" 5
check_eq "shoald exits 0 on SIGTERM" 0 "$?"
check "no sanitizer report" sd_clean "$SD_LABEL"

# --- a version 2 state.db (text keys, an older shoald's) is upgraded at start: its routes,
# deleted config route and ARP entry are served and carry traffic; the file is version 3
rm -f "$API_STATE"/state.db*
sqlite3 "$API_STATE/state.db" "
	CREATE TABLE routes(prefix TEXT PRIMARY KEY NOT NULL, next_hop TEXT, interface TEXT) WITHOUT ROWID;
	CREATE TABLE deleted_routes(prefix TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID;
	CREATE TABLE arp(interface TEXT NOT NULL, ip TEXT NOT NULL, mac TEXT NOT NULL,
	                 PRIMARY KEY(interface, ip)) WITHOUT ROWID;
	CREATE TABLE meta(key TEXT PRIMARY KEY NOT NULL, value) WITHOUT ROWID;
	INSERT INTO meta(key, value) VALUES ('writes', 0);
	CREATE TABLE plugin_records(plugin TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,
	                            PRIMARY KEY(plugin, key)) WITHOUT ROWID;
	INSERT INTO routes VALUES ('10.0.9.0/24', '10.0.2.2', 'lan1'), ('10.61.0.0/16', NULL, 'lan1');
	INSERT INTO deleted_routes VALUES ('10.0.8.0/24');
	INSERT INTO arp VALUES ('lan1', '10.0.2.52', '02:00:00:00:00:52');
	PRAGMA user_version = 2;"
api_setup_or_finish "$CFG"
api GET /api/v1/routes
check "version 2 database: its routes are served, the deleted config route is absent" jq -e \
	'[.routes[] | select(.origin == "static") | .prefix] | index("10.0.9.0/24") != null
	 and index("10.61.0.0/16") != null and index("10.0.8.0/24") == null' <<<"$API_BODY"
api GET /api/v1/arp
check "version 2 database: its static ARP entry" jq -e \
	'[.entries[] | select(.state == "static") | .ip] == ["10.0.2.52"]' <<<"$API_BODY"
check "version 2 database: its route carries traffic" api_ping_ok 10.0.9.2
daemon_stop "$SD_PID" 5
check_eq "shoald exits 0 on SIGTERM" 0 "$?"
check_eq "version 2 database: now version 3" 3 "$(sqlite3 "$API_STATE/state.db" 'PRAGMA user_version')"
check_eq "version 2 database: the rows as text (routes_text)" "10.0.9.0/24|10.0.2.2|lan1
10.61.0.0/16||lan1
deleted 10.0.8.0/24" "$(sqlite3 "$API_STATE/state.db" \
	"SELECT prefix, next_hop, interface FROM routes_text ORDER BY prefix;
	 SELECT 'deleted ' || prefix FROM deleted_routes_text")"
check "no sanitizer report" sd_clean "$SD_LABEL"
finish
