#!/usr/bin/env bash
# HTTP API, auth and errors: the token file is created at start (64 hex characters, mode 0600,
# parent 0700); requests without the token or with a wrong one get 401 + WWW-Authenticate while
# health needs none; 404 for unknown API paths, 413 for bodies over 1 MiB, 415 for non-JSON
# bodies (500 storage_failed on a failed write: test_api_store.sh);
# static files come from web_dir and no path escapes it (../, %2e%2e, absolute, NUL, symlink).
# Every refused request leaves the routes table unchanged.
#
#   +--------------------+      +------------------------------+      +------------------------+
#   | shoal-<pid>-h1     |      | shoal-<pid>-r                |      | shoal-<pid>-h2         |
#   | lan0 10.0.1.2/24 --+------+-- lan0 10.0.1.1   shoald     +------+-- lan1 10.0.2.2/24     |
#   | default 10.0.1.1   | TAP  |   lan1 10.0.2.1              | TAP  | lo   10.0.9.2/24       |
#   +--------------------+      |   API 127.0.0.1:8144 (in r)  |      | default 10.0.2.1       |
#                               +------------------------------+      +------------------------+
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
source "$here/tools/shoald.sh"
source "$here/tools/api_lib.sh"
require_root
require_cmd ip ping timeout curl jq stat /usr/bin/python3

api_init
WEB=$TMP/web
mkdir -p "$WEB/sub" "$TMP/outside"
printf '<!doctype html><title>shoal test index</title>\n' >"$WEB/index.html"
printf 'nested file\n' >"$WEB/sub/page.txt"
printf 'SECRET-OUTSIDE-WEB-DIR\n' >"$TMP/outside/secret.txt"
ln -s "$TMP/outside/secret.txt" "$WEB/escape.txt"
ln -s "$TMP/outside" "$WEB/escapedir"
api_config "$TMP/r.json" ", \"web_dir\": \"$WEB\""
check_not "no token file before the first start" test -e "$API_TOKEN_FILE"
api_setup_or_finish "$TMP/r.json"

# --- the token file
check "token file: 64 lowercase hex characters" grep -qxE '[0-9a-f]{64}' "$API_TOKEN_FILE"
check_eq "token file mode 0600" 600 "$(stat -c %a "$API_TOKEN_FILE")"
check_eq "token file's directory (created by shoald) mode 0700" 700 "$(stat -c %a "$(dirname "$API_TOKEN_FILE")")"

before=$(api_routes)
check "routes readable with the token" jq -e '.routes | length == 2' <<<"$before"

# --- 401
ROUTE='{"prefix":"10.0.9.0/24","next_hop":"10.0.2.2"}'
for auth in none "Bearer ${API_TOKEN}x" "Bearer ${API_TOKEN:0:63}" "Bearer " \
	"Basic $(printf 'x:%s' "$API_TOKEN" | base64 -w0)" "bearer-$API_TOKEN" \
	"Bearer $(tr 0-9a-f a-f0-9 <<<"$API_TOKEN")"; do
	label=${auth:0:12}
	[[ $auth == none ]] && label="no header"
	API_AUTH=$auth api GET /api/v1/routes
	api_check_error "GET routes, Authorization '$label...': 401" 401
	check_eq "401 code unauthorized ($label)" unauthorized "$(api_jq .error.code)"
	check "401 carries WWW-Authenticate: Bearer ($label)" grep -q '^Bearer' <<<"$(api_hdr WWW-Authenticate)"
	API_AUTH=$auth api POST /api/v1/routes "$ROUTE"
	api_check_error "POST routes, Authorization '$label...': 401" 401
done
for p in /api/v1/interfaces /api/v1/arp /api/v1/plugins '/api/v1/routes/lookup?address=10.0.1.1' \
	/api/v1/nonexistent; do
	API_AUTH=none api GET "$p"
	api_check_error "GET $p without a token: 401" 401
done
API_AUTH=none api DELETE /api/v1/routes/10.0.1.0/24
api_check_error "DELETE without a token: 401" 401
# Without the token nothing is validated: a malformed path or body gets 401 too, not 400/404.
API_AUTH=none api DELETE /api/v1/routes/10.0.9.1/24
api_check_error "DELETE of a non-canonical prefix without a token: 401" 401
API_AUTH=none api GET /api/v1/routes/banana/99
api_check_error "GET a malformed route path without a token: 401" 401
API_AUTH=none api POST /api/v1/routes '{"prefix":'
api_check_error "POST malformed JSON without a token: 401" 401
API_AUTH=none api POST /api/v1/routes "" -H 'Content-Type: text/plain' --data-binary x
api_check_error "POST text/plain without a token: 401" 401
API_AUTH=none api GET /api/v1/health
api_check_status "health without a token: 200" 200
API_AUTH="Bearer wrong" api GET /api/v1/health
api_check_status "health with a wrong token: 200" 200
check_eq "unauthorized requests changed nothing" "$before" "$(api_routes)"
check "nothing unauthorized reached the data plane (10.0.9.2 unreachable)" api_unreachable 10.0.9.2

# --- 404 / 405
for p in /api/v1/nonexistent /api/v2/routes /api/v1/routes/10.0.9.0 /api/v1/routes/10.0.9.0/24/x \
	/api/v1/arp/10.0.1.2/extra /api/v1/plugins/example/x/y/../.. /api/v1/interfaces/lan0/x; do
	api GET "$p"
	check "GET $p: 400/404/405 with a JSON error (got $API_CODE)" \
		jq -e '.error.code | type == "string"' <<<"$API_BODY"
	[[ $API_CODE =~ ^40[045]$ ]] || fail "GET $p: status 400, 404 or 405" "got $API_CODE"
done
api GET /api/v1/nonexistent
api_check_error "GET /api/v1/nonexistent: 404" 404
api PUT /api/v1/health '{}'
api_check_error "PUT /api/v1/health: 405" 405
check "405 Allow lists GET" grep -q GET <<<"$(api_hdr Allow)"
api POST /api/v1/interfaces '{}'
api_check_error "POST /api/v1/interfaces: 405" 405

# --- 413: bodies over 1 MiB are refused, also when the prefix is valid JSON
big=$TMP/big.json
/usr/bin/python3 -c '
import sys
pad = "x" * (2 * 1024 * 1024)
sys.stdout.write("{\"prefix\":\"10.0.9.0/24\",\"next_hop\":\"10.0.2.2\",\"pad\":\"%s\"}" % pad)' >"$big"
api POST /api/v1/routes "" -H 'Content-Type: application/json' --data-binary "@$big"
api_check_error "POST routes with a 2 MiB body: 413" 413
api PUT /api/v1/routes/10.0.9.0/24 "" -H 'Content-Type: application/json' --data-binary "@$big"
api_check_error "PUT route with a 2 MiB body: 413" 413
api POST /api/v1/routes:batch "" -H 'Content-Type: application/json' --data-binary "@$big"
api_check_error "batch with a 2 MiB body: 413" 413
head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' ' ' >"$TMP/justover"
api POST /api/v1/routes "" -H 'Content-Type: application/json' --data-binary "@$TMP/justover"
api_check_error "POST routes with 1 MiB + 1 byte of whitespace: 413" 413
# A huge declared length is refused while receiving: the answer comes before the body is sent.
out=$(ns_exec "$R" timeout 10 /usr/bin/python3 "$API_CLIENT" --port "$API_PORT" \
	--token "$API_TOKEN" early413 2>&1)
check "Content-Length 1 GiB: 413 answered before the body is sent ($out)" grep -q '^413$' <<<"$out"
# Streaming (chunked) body without Content-Length over 1 MiB
api POST /api/v1/routes "" -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' \
	--data-binary "@$big"
api_check_error "chunked 2 MiB body: 413" 413
check_eq "huge bodies changed nothing" "$before" "$(api_routes)"
check "shoald still running after the huge bodies" daemon_alive "$SD_PID"

# --- 415: a body that is not declared as JSON
api POST /api/v1/routes "" -H 'Content-Type: text/plain' --data-binary "$ROUTE"
api_check_error "POST routes with Content-Type text/plain: 415" 415
api POST /api/v1/routes "" -H 'Content-Type: application/x-www-form-urlencoded' --data-binary "$ROUTE"
api_check_error "POST routes as a form: 415" 415
api PUT /api/v1/routes/10.0.9.0/24 "" -H 'Content-Type: text/xml' --data-binary '{"next_hop":"10.0.2.2"}'
api_check_error "PUT route with Content-Type text/xml: 415" 415
api POST /api/v1/arp "" -H 'Content-Type: text/plain' --data-binary '{"ip":"10.0.2.50","mac":"02:00:00:00:00:50"}'
api_check_error "POST arp with Content-Type text/plain: 415" 415
api POST /api/v1/routes "" -H 'Content-Type: application/json; charset=utf-8' --data-binary "$ROUTE"
api_check_status "POST routes with Content-Type application/json; charset=utf-8: 201" 201
api DELETE /api/v1/routes/10.0.9.0/24
api_check_status "and DELETE it: 204" 204

# --- malformed JSON / wrong types on every JSON-taking endpoint
for ep in "POST /api/v1/routes" "PUT /api/v1/routes/10.0.9.0/24" "POST /api/v1/routes:batch" \
	"POST /api/v1/arp" "POST /api/v1/plugins"; do
	for body in '{' '{"prefix":}' 'null' '"string"' '42' '[]' $'\xff\xfe{}' '{"a":1}{"b":2}'; do
		api ${ep% *} "${ep#* }" "$body"
		api_check_error "$ep with body $(printf '%q' "$body"): 400" 400
	done
done
api POST /api/v1/arp '{"ip":10,"mac":"02:00:00:00:00:50"}'
api_check_error "POST arp with ip of wrong type: 400" 400
api POST /api/v1/plugins '{"name":["example"]}'
api_check_error "POST plugins with name of wrong type: 400" 400
api POST /api/v1/routes:batch '{"operations":{"op":"add"}}'
api_check_error "batch with operations of wrong type: 400" 400
check_eq "malformed bodies changed nothing" "$before" "$(api_routes)"
api GET /api/v1/arp
check "no static ARP entry appeared" jq -e '[.entries[] | select(.state == "static")] == []' <<<"$API_BODY"

# --- static files and path traversal
API_AUTH=none api GET /
api_check_status "GET / without a token: 200" 200
check "GET / serves web_dir/index.html" grep -q "shoal test index" <<<"$API_BODY"
check "GET / Content-Type text/html" grep -q '^text/html' <<<"$(api_hdr Content-Type)"
API_AUTH=none api GET /index.html
check "GET /index.html serves the file" grep -q "shoal test index" <<<"$API_BODY"
API_AUTH=none api GET /sub/page.txt
api_check_status "GET /sub/page.txt: 200" 200
check "nested file served" grep -q "nested file" <<<"$API_BODY"
API_AUTH=none api GET /missing.html
check_eq "GET /missing.html: 404" 404 "$API_CODE"
for p in '/../outside/secret.txt' '/../../../../etc/passwd' '/sub/../../outside/secret.txt' \
	'/%2e%2e/outside/secret.txt' '/%2E%2E/%2E%2E/%2E%2E/etc/passwd' '/sub/%2e%2e/%2e%2e/outside/secret.txt' \
	'/..%2foutside%2fsecret.txt' '/..%2Foutside%2Fsecret.txt' '/%2e%2e%2f%2e%2e%2fetc%2fpasswd' \
	'/%252e%252e/outside/secret.txt' '/..\..\outside\secret.txt' '/sub/..%5c..%5coutside%5csecret.txt' \
	"/$TMP/outside/secret.txt" '//etc/passwd' '/%2fetc%2fpasswd' '/index.html%00.txt' \
	'/escape.txt' '/escapedir/secret.txt' '/.%2e/outside/secret.txt' '/%c0%ae%c0%ae/outside/secret.txt'; do
	API_AUTH=none api GET "$p"
	if [[ $API_CODE =~ ^4[0-9][0-9]$ ]] && ! grep -qE 'SECRET-OUTSIDE|root:' <<<"$API_BODY"; then
		pass "GET $p: $API_CODE, nothing outside web_dir served"
	else
		fail "GET $p: 4xx and nothing outside web_dir served" "got $API_CODE" "${API_BODY:0:200}"
	fi
done
for p in '/api/v1/routes/..%2f..%2f..%2fetc%2fpasswd' '/api/v1/../../etc/passwd' \
	'/api/v1/routes/%2e%2e/%2e%2e' '/api/v1/plugins/..%2f..%2fexample' '/api/v1/arp/..%2f10.0.1.2'; do
	api GET "$p"
	check "GET $p: 4xx ($API_CODE)" grep -qE '^4[0-9][0-9]$' <<<"$API_CODE"
	api DELETE "$p"
	check "DELETE $p: 4xx ($API_CODE)" grep -qE '^4[0-9][0-9]$' <<<"$API_CODE"
done
api DELETE '/api/v1/routes/10.0.1.0%2f24'
check "DELETE with an encoded slash in the prefix: 4xx, not a delete ($API_CODE)" \
	grep -qE '^4[0-9][0-9]$' <<<"$API_CODE"
# Raw request lines curl cannot send: a literal NUL (libmicrohttpd hands the server the path up
# to the NUL, so "/index.html" may be served: nothing beyond the NUL may be), a raw absolute-form
# path, ../ and ./ without normalisation.
out=$(ns_exec "$R" timeout 10 /usr/bin/python3 "$API_CLIENT" --port "$API_PORT" raw_nul_static 2>&1)
if [[ $out =~ ^4[0-9][0-9] || $out == "200 <!doctype html><title>shoal test index</title> " ]] &&
	! grep -qE 'SECRET-OUTSIDE|root:' <<<"$out"; then
	pass "raw GET /index.html<NUL>/../../outside/secret.txt: ${out%% *}, nothing outside web_dir"
else
	fail "raw GET with a NUL: 4xx or index.html, nothing outside web_dir" "${out:0:300}"
fi
for raw in nul_api dotdot_static absolute_static; do
	out=$(ns_exec "$R" timeout 10 /usr/bin/python3 "$API_CLIENT" --port "$API_PORT" \
		--token "$API_TOKEN" "raw_$raw" 2>&1)
	if [[ $out =~ ^4[0-9][0-9] ]] && ! grep -qE 'SECRET-OUTSIDE|root:' <<<"$out"; then
		pass "raw request $raw: ${out%% *} and nothing outside web_dir"
	else
		fail "raw request $raw: 4xx and nothing outside web_dir" "${out:0:300}"
	fi
done
check_eq "traversal attempts changed nothing" "$before" "$(api_routes)"
check "shoald still running" daemon_alive "$SD_PID"

daemon_stop "$SD_PID" 5
check_eq "shoald exits 0 on SIGTERM" 0 "$?"
check "no sanitizer report" sd_clean "$SD_LABEL"
finish
