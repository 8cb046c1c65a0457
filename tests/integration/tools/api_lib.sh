# shellcheck shell=bash
# Helpers for the HTTP API integration tests (source after lib.sh and tools/shoald.sh).
#
# Topology built by api_topology (every test_api_*.sh uses it; 10.0.9.0/24 lives on h2's lo and
# is reachable only through a route 10.0.9.0/24 via 10.0.2.2, which the tests add with the API):
#
#   +--------------------+      +------------------------------+      +------------------------+
#   | shoal-<pid>-h1     |      | shoal-<pid>-r                |      | shoal-<pid>-h2         |
#   | lan0 10.0.1.2/24 --+------+-- lan0 10.0.1.1   shoald     +------+-- lan1 10.0.2.2/24     |
#   | default 10.0.1.1   | TAP  |   lan1 10.0.2.1              | TAP  | lo   10.0.9.2/24       |
#   +--------------------+      |   API 127.0.0.1:8144 (in r)  |      | default 10.0.2.1       |
#                               +------------------------------+      +------------------------+
#
#   api_config FILE [EXTRA_JSON]  write shoald's config: lan0/lan1, state_dir $API_STATE,
#                                 api.token_file $API_TOKEN_FILE, plugin_dir $API_PLUGINS
#                                 (EXTRA_JSON is spliced in as further top-level keys, e.g.
#                                 ', "routes": [...]')
#   api_start CONFIG              start shoald in $R (label shoald-N, N counting restarts), move
#                                 the TAPs to h1/h2, wait for the API port and read the token;
#                                 PID in SD_PID
#   api METHOD PATH [BODY [CURL_ARGS...]]
#                                 one request from inside $R; sets API_CODE (HTTP status),
#                                 API_BODY (response body) and API_HDRS (header file path).
#                                 BODY "" = none; a non-empty BODY is sent as application/json.
#                                 API_AUTH=none (no header) or API_AUTH="Basic x" overrides the
#                                 Authorization header.
#   api_hdr NAME                  the value of response header NAME of the last request
#   api_jq FILTER                 jq -r FILTER on API_BODY
#   api_routes                    the routes table as canonical one-line JSON (GET /api/v1/routes)
#   api_ping_ok ADDR / api_unreachable ADDR
#                                 ping from h1 succeeds / gets "Net Unreachable" from 10.0.1.1

API_PORT=8144
API_CLIENT=${API_CLIENT:-$SHOAL_SRC/tests/integration/tools/api_client.py}
API_AUTH=${API_AUTH:-}
API_CODE=
API_BODY=
API_HDRS=
API_TOKEN=
SD_PID=
_api_runs=0

# api_init: namespaces h1, h2, r; temp dir $TMP with state/, secret/api.token, plugins/.
api_init() {
	tmpdir_create TMP
	ns_create H1 h1
	ns_create H2 h2
	ns_create R r
	API_STATE=$TMP/state
	API_TOKEN_FILE=$TMP/secret/api.token
	API_PLUGINS=$TMP/plugins
	mkdir -p "$API_PLUGINS"
	local p
	for p in example stats; do
		if [[ -f $SHOAL_BUILD/plugins/$p.so ]]; then
			ln -sf "$(realpath "$SHOAL_BUILD/plugins/$p.so")" "$API_PLUGINS/"
		fi
	done
}

api_config() {
	cat >"$1" <<-EOF
		{"interfaces": [{"name": "lan0", "kind": "tap", "address": "10.0.1.1/24",
		                 "mac": "02:00:00:00:01:01"},
		                {"name": "lan1", "kind": "tap", "address": "10.0.2.1/24",
		                 "mac": "02:00:00:00:02:01"}],
		 "state_dir": "$API_STATE",
		 "api": {"listen": "127.0.0.1:$API_PORT", "token_file": "$API_TOKEN_FILE"},
		 "plugin_dir": "$API_PLUGINS"${2:-}}
	EOF
}

api_start() {
	_api_runs=$((_api_runs + 1))
	SD_LABEL=shoald-$_api_runs
	sd_start SD_PID "$R" "$SD_LABEL" "$1" lan0 lan1 || return 1
	sd_attach "$R" lan0 "$H1" 10.0.1.2/24 10.0.1.1 || return 1
	sd_attach "$R" lan1 "$H2" 10.0.2.2/24 10.0.2.1 || return 1
	if [[ $(ip -n "$H2" addr show dev lo) != *10.0.9.2/24* ]]; then
		ip -n "$H2" addr add 10.0.9.2/24 dev lo || return 1
	fi
	wait_for_port "$R" "$API_PORT" 10 || return 1
	wait_for_file "$API_TOKEN_FILE" 5 || return 1
	API_TOKEN=$(cat "$API_TOKEN_FILE")
}

api() {
	local method=$1 path=$2 body=${3:-} auth
	shift 2
	[[ $# -gt 0 ]] && shift
	local args=(-sS --path-as-is --max-time 15 -X "$method" -o "$TMP/api.body" -D "$TMP/api.hdrs"
		-w '%{http_code}')
	auth=${API_AUTH:-Bearer $API_TOKEN}
	[[ $auth != none ]] && args+=(-H "Authorization: $auth")
	if [[ -n $body ]]; then
		args+=(-H 'Content-Type: application/json' --data-binary "$body")
	fi
	: >"$TMP/api.body"
	: >"$TMP/api.hdrs"
	API_CODE=$(ns_exec "$R" curl "${args[@]}" "$@" "http://127.0.0.1:$API_PORT$path" 2>"$TMP/api.err")
	API_BODY=$(cat "$TMP/api.body")
	API_HDRS=$TMP/api.hdrs
}

api_hdr() {
	tr -d '\r' <"$API_HDRS" | sed -n "s/^$1: *//Ip" | tail -n 1
}

api_jq() {
	jq -r "$1" <<<"$API_BODY" 2>/dev/null
}

api_routes() {
	api GET /api/v1/routes
	if [[ $API_CODE != 200 ]]; then
		printf 'GET /api/v1/routes failed: %s %s' "$API_CODE" "$API_BODY"
		return 1
	fi
	# the table itself: traffic counters (packets, bytes) move with every datagram
	jq -cS '.routes |= map(del(.packets, .bytes))' <<<"$API_BODY"
}

# api_check_status DESC EXPECTED_CODE [ERROR_CODE]: checks API_CODE (and the error object's
# "code" when given) of the last request, showing the body on failure.
api_check_status() {
	local desc=$1 want=$2 code=${3:-}
	if [[ $API_CODE != "$want" ]]; then
		fail "$desc" "expected HTTP $want, got $API_CODE" "body: ${API_BODY:0:500}"
		return 1
	fi
	if [[ -n $code && $(api_jq '.error.code') != "$code" ]]; then
		fail "$desc" "expected error code $code" "body: ${API_BODY:0:500}"
		return 1
	fi
	pass "$desc"
}

# api_check_error DESC EXPECTED_CODE: a 4xx/5xx with the documented error shape
# {"error":{"code":"...","message":"..."}} and Content-Type application/json.
api_check_error() {
	local desc=$1 want=$2
	if [[ $API_CODE != "$want" ]]; then
		fail "$desc" "expected HTTP $want, got $API_CODE" "body: ${API_BODY:0:500}"
		return 1
	fi
	if ! jq -e '(.error.code | type == "string" and length > 0) and
			(.error.message | type == "string" and length > 0)' <<<"$API_BODY" >/dev/null 2>&1; then
		fail "$desc" "error body is not {\"error\":{\"code\",\"message\"}}" "body: ${API_BODY:0:500}"
		return 1
	fi
	if [[ $(api_hdr Content-Type) != application/json* ]]; then
		fail "$desc" "Content-Type is '$(api_hdr Content-Type)', not application/json"
		return 1
	fi
	pass "$desc"
}

api_ping_ok() {
	ns_exec "$H1" ping -c 2 -i 0.2 -W 2 "$1"
}

api_unreachable() {
	local out
	out=$(ns_exec "$H1" ping -c 1 -W 2 "$1" 2>&1)
	grep -q "From 10.0.1.1 .*Destination Net Unreachable" <<<"$out"
}

# api_setup_or_finish CONFIG: api_start, or count a failure and end the script.
api_setup_or_finish() {
	if ! api_start "$1"; then
		fail "shoald with the API starts (topology, port $API_PORT, token file)"
		finish
	fi
}

# api_pin_router_macs: the hosts know the router's MACs for good (permanent neighbour entries in
# h1 for 10.0.1.1 and in h2 for 10.0.2.1, MACs read from GET /api/v1/interfaces). A host's
# kernel otherwise sends the router an ARP probe a few seconds after it last used the entry,
# and the router learns from it: a dynamic entry can come back between an ARP flush and the
# check that follows. With this, dynamic entries come only from the router's own requests.
api_pin_router_macs() {
	local m0 m1
	api GET /api/v1/interfaces
	m0=$(api_jq '.interfaces[] | select(.name == "lan0") | .mac')
	m1=$(api_jq '.interfaces[] | select(.name == "lan1") | .mac')
	ip -n "$H1" neigh replace 10.0.1.1 lladdr "$m0" dev lan0 nud permanent &&
		ip -n "$H2" neigh replace 10.0.2.1 lladdr "$m1" dev lan1 nud permanent
}
