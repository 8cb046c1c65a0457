#!/usr/bin/env bash
# HTTP API, OpenAPI: api/openapi.yaml is an OpenAPI 3.1 document and every path and method it
# documents answers on a running shoald (never 404/405), with a status listed among that
# operation's responses, errors as {"error":{...}} and 401 without the token where the operation
# is secured. The posts run before the deletes, so each delete finds what a post created.
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
require_cmd ip timeout curl jq /usr/bin/python3

SPEC=$SHOAL_SRC/api/openapi.yaml
check "api/openapi.yaml exists" test -f "$SPEC"
check "python3-yaml parses api/openapi.yaml" /usr/bin/python3 -c \
	'import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); assert d["paths"]' "$SPEC"
api_init
# the tcp, impair and stats plugins serve documented paths (/api/v1/tcp..., /impair..., /stats...)
for p in tcp impair stats; do
	[[ -f $SHOAL_BUILD/plugins/$p.so ]] && ln -sf "$(realpath "$SHOAL_BUILD/plugins/$p.so")" "$API_PLUGINS/"
done
api_config "$TMP/r.json" ", \"web_dir\": \"$SHOAL_SRC/web\", \"plugins\": [{\"name\": \"tcp\", \"config\": {\"listen\": [{\"port\": 7, \"service\": \"echo\"}]}}, {\"name\": \"impair\"}, {\"name\": \"stats\"}]"
api_setup_or_finish "$TMP/r.json"

out=$(ns_exec "$R" timeout 120 /usr/bin/python3 "$API_CLIENT" --port "$API_PORT" \
	--token "$API_TOKEN" openapi "$SPEC" 2>&1)
rc=$?
jq -r '.answers[]?' <<<"$out" 2>/dev/null | sed 's/^/# /'
n=$(jq -r '.operations // 0' <<<"$out" 2>/dev/null)
check "the document has operations ($n)" test "${n:-0}" -ge 15
if [[ $rc -eq 0 ]]; then
	pass "every documented path and method answers as documented ($n operations)"
else
	fail "every documented path and method answers as documented" \
		"$(jq -r '.problems[]?' <<<"$out" 2>/dev/null | head -30)" "${out:0:800}"
fi
for p in /api/v1/health /api/v1/routes /api/v1/routes/lookup /api/v1/routes:batch \
	/api/v1/arp /api/v1/interfaces /api/v1/plugins; do
	check "documented: $p" /usr/bin/python3 -c \
		'import sys, yaml; d = yaml.safe_load(open(sys.argv[1]))
p = sys.argv[2]; ps = d["paths"]; b = (d.get("servers") or [{}])[0].get("url", "")
assert p in ps or any(b.rstrip("/").endswith(p[: len(p) - len(k)].rstrip("/")) and p.endswith(k) for k in ps)' \
		"$SPEC" "$p"
done
daemon_stop "$SD_PID" 5
check_eq "shoald exits 0 on SIGTERM" 0 "$?"
check "no sanitizer report" sd_clean "$SD_LABEL"
finish
