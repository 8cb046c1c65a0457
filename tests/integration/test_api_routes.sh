#!/usr/bin/env bash
# HTTP API, routes: health, listing (sorted, ?prefix= filter), lookup, POST/PUT/DELETE with every
# success and error status, batches (all or nothing), and a route added through the API carries
# traffic while its deletion stops it. Every refused request leaves the table unchanged.
#
#   +--------------------+      +------------------------------+      +------------------------+
#   | shoal-<pid>-h1     |      | shoal-<pid>-r                |      | shoal-<pid>-h2         |
#   | lan0 10.0.1.2/24 --+------+-- lan0 10.0.1.1   shoald     +------+-- lan1 10.0.2.2/24     |
#   | default 10.0.1.1   | TAP  |   lan1 10.0.2.1              | TAP  | lo   10.0.9.2/24       |
#   +--------------------+      |   API 127.0.0.1:8144 (in r)  |      | default 10.0.2.1       |
#                               |   10.0.9.0/24 via 10.0.2.2   |      +------------------------+
#                               |   (added through the API)    |
#                               +------------------------------+
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
source "$here/tools/shoald.sh"
source "$here/tools/api_lib.sh"
require_root
require_cmd ip ping timeout curl jq

api_init
api_config "$TMP/r.json"
api_setup_or_finish "$TMP/r.json"

# unchanged DESC BEFORE: the routes table equals BEFORE.
unchanged() {
	check_eq "$1: routes unchanged" "$2" "$(api_routes)"
}

# --- health
API_AUTH=none api GET /api/v1/health
api_check_status "health answers 200 without a token" 200
check "health body: status ok, version string, uptime_s integer >= 0" jq -e \
	'.status == "ok" and (.version | type == "string" and length > 0) and
	 (.uptime_s | type == "number" and . >= 0 and floor == .)' <<<"$API_BODY"
check "health Content-Type is application/json" test "$(api_hdr Content-Type | cut -d';' -f1)" = application/json

# --- the connected routes
api GET /api/v1/routes
api_check_status "GET routes: 200" 200
check "GET routes: exactly the two connected routes" jq -e '(.routes | map(del(.packets, .bytes))) == [
	{"prefix":"10.0.1.0/24","next_hop":null,"interface":"lan0","origin":"connected"},
	{"prefix":"10.0.2.0/24","next_hop":null,"interface":"lan1","origin":"connected"}]' <<<"$API_BODY"
check "GET routes Content-Type is application/json" test "$(api_hdr Content-Type | cut -d';' -f1)" = application/json
check "before any API route 10.0.9.2 is net unreachable" api_unreachable 10.0.9.2

# --- POST a route: it carries traffic
api POST /api/v1/routes '{"prefix":"10.0.9.0/24","next_hop":"10.0.2.2"}'
api_check_status "POST 10.0.9.0/24 via 10.0.2.2: 201" 201
check "POST answer is the route, interface taken from the next hop's network" jq -e \
	'del(.packets, .bytes) == {"prefix":"10.0.9.0/24","next_hop":"10.0.2.2","interface":"lan1","origin":"static"}' <<<"$API_BODY"
check_eq "POST answer: Location header" /api/v1/routes/10.0.9.0/24 "$(api_hdr Location)"
check "ping h1 -> 10.0.9.2 through the API route" api_ping_ok 10.0.9.2

api GET /api/v1/routes
check "GET routes lists the new route, sorted by prefix" jq -e \
	'[.routes[].prefix] == ["10.0.1.0/24","10.0.2.0/24","10.0.9.0/24"]' <<<"$API_BODY"

# --- more routes for sorting and filtering (interface only = on-link; default route)
api POST /api/v1/routes '{"prefix":"10.0.9.128/25","interface":"lan1"}'
api_check_status "POST on-link 10.0.9.128/25 dev lan1: 201" 201
check "on-link route has next_hop null" jq -e '.next_hop == null and .interface == "lan1"' <<<"$API_BODY"
api POST /api/v1/routes '{"prefix":"0.0.0.0/0","next_hop":"10.0.2.2","interface":"lan1"}'
api_check_status "POST default route 0.0.0.0/0: 201" 201
api POST /api/v1/routes '{"prefix":"10.0.0.0/8","next_hop":"10.0.2.2"}'
api_check_status "POST 10.0.0.0/8: 201" 201
api GET /api/v1/routes
check "GET routes sorted by (prefix, length)" jq -e '[.routes[].prefix] == ["0.0.0.0/0",
	"10.0.0.0/8","10.0.1.0/24","10.0.2.0/24","10.0.9.0/24","10.0.9.128/25"]' <<<"$API_BODY"

api GET '/api/v1/routes?prefix=10.0.9.0/24'
api_check_status "GET routes?prefix=10.0.9.0/24: 200" 200
check "?prefix=10.0.9.0/24: the prefix itself and the routes inside it" jq -e \
	'[.routes[].prefix] == ["10.0.9.0/24","10.0.9.128/25"]' <<<"$API_BODY"
api GET '/api/v1/routes?prefix=10.0.0.0/16'
check "?prefix=10.0.0.0/16: the four routes inside, not /8 nor /0" jq -e \
	'[.routes[].prefix] == ["10.0.1.0/24","10.0.2.0/24","10.0.9.0/24","10.0.9.128/25"]' <<<"$API_BODY"
api GET '/api/v1/routes?prefix=192.168.0.0/16'
check "?prefix with nothing inside: empty list" jq -e '.routes == []' <<<"$API_BODY"
for bad in 10.0.9.1/24 10.0.0.0/33 banana 10.0.0.0; do
	api GET "/api/v1/routes?prefix=$bad"
	api_check_error "?prefix=$bad: 400" 400
done

# --- lookup
api GET '/api/v1/routes/lookup?address=10.0.9.200'
api_check_status "lookup 10.0.9.200: 200" 200
check "lookup 10.0.9.200: longest match 10.0.9.128/25" jq -e '.prefix == "10.0.9.128/25"' <<<"$API_BODY"
api GET '/api/v1/routes/lookup?address=10.0.9.77'
check "lookup 10.0.9.77: 10.0.9.0/24 via 10.0.2.2" jq -e \
	'.prefix == "10.0.9.0/24" and .next_hop == "10.0.2.2"' <<<"$API_BODY"
api GET '/api/v1/routes/lookup?address=10.0.1.5'
check "lookup 10.0.1.5: connected 10.0.1.0/24" jq -e \
	'.prefix == "10.0.1.0/24" and .origin == "connected"' <<<"$API_BODY"
api GET '/api/v1/routes/lookup?address=192.0.2.1'
check "lookup 192.0.2.1: the default route" jq -e '.prefix == "0.0.0.0/0"' <<<"$API_BODY"
for bad in 10.0.9 300.1.1.1 x ''; do
	api GET "/api/v1/routes/lookup?address=$bad"
	api_check_error "lookup address='$bad': 400" 400
done
api GET '/api/v1/routes/lookup'
api_check_error "lookup without address: 400" 400
api DELETE /api/v1/routes/0.0.0.0/0
api_check_status "DELETE the default route: 204" 204
check "204 has an empty body" test -z "$API_BODY"
api GET '/api/v1/routes/lookup?address=192.0.2.1'
api_check_error "lookup 192.0.2.1 without a default route: 404" 404
check_eq "lookup miss: error code no_route" no_route "$(api_jq .error.code)"

# --- POST errors: 400/409 and nothing changes
before=$(api_routes)
api POST /api/v1/routes '{"prefix":"10.0.9.0/24","next_hop":"10.0.2.3"}'
api_check_error "POST an existing prefix: 409" 409
check_eq "POST existing: code route_exists" route_exists "$(api_jq .error.code)"
api POST /api/v1/routes '{"prefix":"10.2.3.0/16","next_hop":"10.0.2.2"}'
api_check_error "POST 10.2.3.0/16 (host bits): 400" 400
check_eq "host bits: code invalid_prefix" invalid_prefix "$(api_jq .error.code)"
check "host bits: message suggests 10.2.0.0/16" grep -q "did you mean 10.2.0.0/16" <<<"$(api_jq .error.message)"
declare -A bad_posts=(
	[prefix length 33]='{"prefix":"10.2.0.0/33","next_hop":"10.0.2.2"}'
	[negative prefix length]='{"prefix":"10.2.0.0/-1","next_hop":"10.0.2.2"}'
	[prefix without length]='{"prefix":"10.2.0.0","next_hop":"10.0.2.2"}'
	[prefix not an address]='{"prefix":"10.2.0.300/24","next_hop":"10.0.2.2"}'
	[unknown interface]='{"prefix":"10.3.0.0/16","next_hop":"10.0.2.2","interface":"eth7"}'
	[next hop outside every connected network]='{"prefix":"10.3.0.0/16","next_hop":"192.168.7.1"}'
	[next hop not on the given interface]='{"prefix":"10.3.0.0/16","next_hop":"10.0.2.2","interface":"lan0"}'
	[next hop not an address]='{"prefix":"10.3.0.0/16","next_hop":"10.0.2"}'
	[unknown field]='{"prefix":"10.3.0.0/16","next_hop":"10.0.2.2","metric":5}'
	[prefix of wrong type]='{"prefix":167903232,"next_hop":"10.0.2.2"}'
	[next_hop of wrong type]='{"prefix":"10.3.0.0/16","next_hop":["10.0.2.2"]}'
	[interface of wrong type]='{"prefix":"10.3.0.0/16","interface":1}'
	[neither next_hop nor interface]='{"prefix":"10.3.0.0/16"}'
	[missing prefix]='{"next_hop":"10.0.2.2"}'
	[body not an object]='["10.3.0.0/16"]'
	[malformed JSON]='{"prefix":"10.3.0.0/16","next_hop":'
	[trailing garbage]='{"prefix":"10.3.0.0/16","next_hop":"10.0.2.2"} x'
	[empty object]='{}'
)
for k in "${!bad_posts[@]}"; do
	api POST /api/v1/routes "${bad_posts[$k]}"
	api_check_error "POST with $k: 400" 400
done
api POST /api/v1/routes "" -H 'Content-Type: application/json'
api_check_error "POST without a body: 400" 400
unchanged "refused POSTs" "$before"

# --- PUT: create (201), replace (200), errors
api PUT /api/v1/routes/10.0.8.0/24 '{"next_hop":"10.0.2.2"}'
api_check_status "PUT a new 10.0.8.0/24: 201" 201
check "PUT created: the route" jq -e \
	'del(.packets, .bytes) == {"prefix":"10.0.8.0/24","next_hop":"10.0.2.2","interface":"lan1","origin":"static"}' <<<"$API_BODY"
api PUT /api/v1/routes/10.0.8.0/24 '{"prefix":"10.0.8.0/24","next_hop":"10.0.2.3"}'
api_check_status "PUT replacing 10.0.8.0/24 (body prefix equal to the path's): 200" 200
check "PUT replaced: the new next hop" jq -e '.next_hop == "10.0.2.3"' <<<"$API_BODY"
api GET '/api/v1/routes?prefix=10.0.8.0/24'
check "GET shows the replaced route" jq -e \
	'(.routes | map(del(.packets, .bytes))) == [{"prefix":"10.0.8.0/24","next_hop":"10.0.2.3","interface":"lan1","origin":"static"}]' <<<"$API_BODY"
before=$(api_routes)
api PUT /api/v1/routes/10.0.8.0/24 '{"prefix":"10.0.7.0/24","next_hop":"10.0.2.2"}'
api_check_error "PUT with a body prefix different from the path's: 400" 400
api PUT /api/v1/routes/10.0.8.1/24 '{"next_hop":"10.0.2.2"}'
api_check_error "PUT on a path prefix with host bits: 400" 400
api PUT /api/v1/routes/10.0.8.0/40 '{"next_hop":"10.0.2.2"}'
api_check_error "PUT on a path prefix length 40: 400" 400
api PUT /api/v1/routes/10.0.8.0/24 '{"next_hop":"10.0.2.2","bogus":true}'
api_check_error "PUT with an unknown field: 400" 400
api PUT /api/v1/routes/10.0.8.0/24 '{"next_hop":"172.16.0.1"}'
api_check_error "PUT with a next hop outside every connected network: 400" 400
api PUT /api/v1/routes/10.0.2.0/24 '{"next_hop":"10.0.1.2"}'
api_check_error "PUT over a connected route: 409" 409
check_eq "PUT over connected: code connected_route" connected_route "$(api_jq .error.code)"
unchanged "refused PUTs" "$before"

# --- DELETE
api DELETE /api/v1/routes/10.0.2.0/24
api_check_error "DELETE a connected route: 409" 409
check_eq "DELETE connected: code connected_route" connected_route "$(api_jq .error.code)"
api DELETE /api/v1/routes/10.0.77.0/24
api_check_error "DELETE an absent route: 404" 404
check_eq "DELETE absent: code route_not_found" route_not_found "$(api_jq .error.code)"
api DELETE /api/v1/routes/10.0.9.1/24
api_check_error "DELETE with host bits in the path: 400" 400
unchanged "refused DELETEs" "$before"
api DELETE /api/v1/routes/10.0.9.128/25
api_check_status "DELETE 10.0.9.128/25: 204" 204
api DELETE /api/v1/routes/10.0.0.0/8
api_check_status "DELETE 10.0.0.0/8: 204" 204
check "10.0.9.2 still reachable through 10.0.9.0/24" api_ping_ok 10.0.9.2
api DELETE /api/v1/routes/10.0.9.0/24
api_check_status "DELETE 10.0.9.0/24: 204" 204
check "after the DELETE 10.0.9.2 is net unreachable again" api_unreachable 10.0.9.2
api DELETE /api/v1/routes/10.0.9.0/24
api_check_error "DELETE it again: 404" 404

# --- batches: all or nothing
api POST /api/v1/routes:batch '{"operations":[
	{"op":"add","prefix":"10.0.9.0/24","next_hop":"10.0.2.2"},
	{"op":"add","prefix":"10.50.0.0/16","next_hop":"10.0.2.2"},
	{"op":"put","prefix":"10.0.8.0/24","next_hop":"10.0.2.2"},
	{"op":"add","prefix":"10.51.0.0/16","interface":"lan1"}]}'
api_check_status "batch of 4 (add, add, put, add): 200" 200
check_eq "batch answer applied 4" 4 "$(api_jq .applied)"
check "the batch's route carries traffic" api_ping_ok 10.0.9.2
api GET '/api/v1/routes?prefix=10.0.0.0/8'
check "batch routes present" jq -e '([.routes[].prefix] | index("10.50.0.0/16") != null and
	index("10.51.0.0/16") != null) and
	(.routes[] | select(.prefix == "10.0.8.0/24") | .next_hop == "10.0.2.2")' <<<"$API_BODY"

before=$(api_routes)
api POST /api/v1/routes:batch '{"operations":[
	{"op":"delete","prefix":"10.0.9.0/24"},
	{"op":"add","prefix":"10.52.0.0/16","next_hop":"10.0.2.2"},
	{"op":"add","prefix":"10.50.0.0/16","next_hop":"10.0.2.2"},
	{"op":"add","prefix":"10.53.0.0/16","next_hop":"10.0.2.2"}]}'
api_check_error "batch whose 3rd op conflicts: 409" 409
check_eq "batch error names index 2" 2 "$(jq -r '.error.index // .index' <<<"$API_BODY")"
unchanged "failed batch (nothing applied, the delete undone)" "$before"
check "10.0.9.0/24 still carries traffic after the failed batch" api_ping_ok 10.0.9.2
api POST /api/v1/routes:batch '{"operations":[
	{"op":"add","prefix":"10.54.0.0/16","next_hop":"10.0.2.2"},
	{"op":"add","prefix":"10.55.1.0/16","next_hop":"10.0.2.2"}]}'
api_check_error "batch with an invalid prefix at index 1: 400" 400
check_eq "batch error names index 1" 1 "$(jq -r '.error.index // .index' <<<"$API_BODY")"
api POST /api/v1/routes:batch '{"operations":[{"op":"delete","prefix":"10.0.1.0/24"}]}'
api_check_error "batch deleting a connected route: 409" 409
api POST /api/v1/routes:batch '{"operations":[{"op":"move","prefix":"10.56.0.0/16"}]}'
api_check_error "batch with an unknown op: 400" 400
api POST /api/v1/routes:batch '{"operations":[{"op":"delete","prefix":"10.99.0.0/16"}]}'
api_check_error "batch deleting an absent route: 404" 404
api POST /api/v1/routes:batch '{"ops":[]}'
api_check_error "batch without operations: 400" 400
unchanged "refused batches" "$before"
api POST /api/v1/routes:batch '{"operations":[
	{"op":"delete","prefix":"10.0.9.0/24"},{"op":"delete","prefix":"10.50.0.0/16"},
	{"op":"delete","prefix":"10.51.0.0/16"},{"op":"delete","prefix":"10.0.8.0/24"}]}'
api_check_status "batch of 4 deletes: 200" 200
check "after the batch delete 10.0.9.2 is net unreachable" api_unreachable 10.0.9.2
api GET /api/v1/routes
check "table back to the connected routes" jq -e '[.routes[].prefix] == ["10.0.1.0/24","10.0.2.0/24"]' <<<"$API_BODY"

# --- methods not allowed (405 + Allow)
before=$(api_routes)
api PATCH /api/v1/routes '{"prefix":"10.0.9.0/24"}'
api_check_error "PATCH /api/v1/routes: 405" 405
check "405 carries an Allow header listing GET and POST" \
	grep -qE 'GET.*POST|POST.*GET' <<<"$(api_hdr Allow)"
api DELETE /api/v1/routes
api_check_error "DELETE /api/v1/routes (collection): 405" 405
api POST /api/v1/routes/10.0.9.0/24 '{"next_hop":"10.0.2.2"}'
api_check_error "POST on a route item: 405" 405
check "405 on an item: Allow lists PUT and DELETE" \
	grep -qE 'PUT.*DELETE|DELETE.*PUT' <<<"$(api_hdr Allow)"
API_AUTH=none api DELETE /api/v1/health
check "DELETE /api/v1/health: 405 (or 401 before the method check)" \
	grep -qE '^(405|401)$' <<<"$API_CODE"
api GET /api/v1/routes:batch
api_check_error "GET /api/v1/routes:batch: 405" 405
unchanged "405s" "$before"

daemon_stop "$SD_PID" 5
check_eq "shoald exits 0 on SIGTERM" 0 "$?"
check "no sanitizer report" sd_clean "$SD_LABEL"
finish
