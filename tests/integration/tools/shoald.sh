# shellcheck shell=bash
# Helpers for the integration tests that run shoald (source after lib.sh).
#
#   sd_start VAR RNS LABEL CONFIG IF...  start `shoald -v -c CONFIG` inside RNS (log label LABEL),
#                                        PID in VAR; returns 0 once every IF exists in RNS.
#                                        CONFIG gets a temporary state_dir and api.token_file
#                                        when it names none (sd_isolate): no test touches
#                                        /var/lib/shoal
#   sd_attach RNS IF HNS CIDR [GW]       move IF from RNS to HNS, address it, bring it up and
#                                        add a default route via GW (when given)
#   sd_total LABEL KEY                   a number from the exit summary line, e.g. KEY "forwarded",
#                                        "fragments", "gso whole", "gso segments" (empty if absent)
#   sd_drop LABEL IF REASON              the exit count "IF: drop REASON N" (0 if not logged)
#   sd_rx LABEL IF / sd_tx LABEL IF      the exit rx/tx packet counts of IF
#   sd_clean LABEL                       succeeds when the log has no sanitizer report
#
# The counters are printed when shoald stops: read them after daemon_stop.

SHOALD=${SHOALD:-$SHOAL_BUILD/router/shoald}
NETTOOL=${NETTOOL:-$SHOAL_SRC/tests/integration/tools/nettool.py}

# sd_isolate CONFIG: a configuration without state_dir or api.token_file would make shoald use
# the machine's own /var/lib/shoal; point both into a temporary directory of this test.
sd_isolate() {
	local _si_cfg=$1 _si_dir
	jq -e 'has("state_dir") and (.api.token_file? != null)' "$_si_cfg" >/dev/null 2>&1 && return 0
	tmpdir_create _si_dir || return 1
	jq --arg d "$_si_dir" \
		'.state_dir //= $d | .api = ((.api // {}) | .token_file //= ($d + "/api.token"))' \
		"$_si_cfg" >"$_si_cfg.isolated" && mv "$_si_cfg.isolated" "$_si_cfg"
}

sd_start() {
	local -n _sd_var=$1
	local _sd_ns=$2 _sd_label=$3 _sd_cfg=$4 _sd_if
	shift 4
	sd_isolate "$_sd_cfg" || return 1
	daemon_start _sd_var "$_sd_ns" "$_sd_label" "$SHOALD" -v -c "$_sd_cfg" || return 1
	for _sd_if in "$@"; do
		wait_for_link "$_sd_ns" "$_sd_if" 10 || return 1
	done
}

sd_attach() {
	ns_move "$1" "$2" "$3" || return 1
	ns_addr "$3" "$2" "$4" || return 1
	if [[ -n ${5:-} ]]; then
		ip -n "$3" route add default via "$5" || return 1
	fi
}

sd_total() {
	sed -n "s/.*[ ,]$2 \([0-9][0-9]*\).*/\1/p" "$(daemon_log_path "$1")" | tail -n 1
}

sd_drop() {
	local n
	n=$(sed -n "s/.* $2: drop $3 \([0-9][0-9]*\)$/\1/p" "$(daemon_log_path "$1")" | tail -n 1)
	printf '%s' "${n:-0}"
}

sd_rx() {
	sed -n "s/.* $2: rx \([0-9][0-9]*\) pkts.*/\1/p" "$(daemon_log_path "$1")" | tail -n 1
}

sd_tx() {
	sed -n "s/.* $2: rx .*, tx \([0-9][0-9]*\) pkts.*/\1/p" "$(daemon_log_path "$1")" | tail -n 1
}

sd_clean() {
	! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error' "$(daemon_log_path "$1")"
}
