# shellcheck shell=bash
# Shoal integration-test library. Source it, never run it:
#
#   source "$(dirname "$0")/lib.sh"
#
# What it gives a script (conventions in tests/integration/README.md):
#   - uniquely named network namespaces (shoal-<pid>-<label>) that are deleted on exit, however the
#     script ends (normal exit, `set -e` failure, Ctrl-C, SIGTERM);
#   - background daemons started inside a namespace, their output captured to a log file that is
#     printed when the script fails, and that are stopped on exit;
#   - temporary directories removed on exit;
#   - wait_for* helpers that always give up after a timeout;
#   - sniffer_start/sniffer_stop/sniffer_read: tcpdump captures that are known to be running
#     (a marker frame was captured) before the test sends, and fenced by one before stopping;
#   - check/pass/fail counters and `finish`, which prints the closing line "N passed, N failed"
#     and exits non-zero when anything failed.
#
# Helpers that return a value take the NAME of a variable to set (VAR); avoid caller variables
# starting with an underscore (the helpers' own locals do).
#
# Invariants: nothing here touches the root namespace's links, addresses, routes or firewall;
# every device is created inside a namespace this library registered. Only processes registered
# here (and processes still running inside our own namespaces) are ever killed.

if [[ -n ${_SHOAL_LIB_LOADED:-} ]]; then
	return 0
fi
_SHOAL_LIB_LOADED=1

SHOAL_SRC=${SHOAL_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SHOAL_BUILD=${SHOAL_BUILD:-$SHOAL_SRC/build/test}
# Unique per sourcing process: $BASHPID differs in sub-shells and child scripts.
SHOAL_NS_PREFIX=${SHOAL_NS_PREFIX_OVERRIDE:-shoal-$BASHPID}
# Set SHOAL_LOGS_ON_FAILURE=0 to not print daemon logs when the script exits non-zero.
# Default timeout (seconds) for every wait_for* helper.
SHOAL_WAIT_TIMEOUT=${SHOAL_WAIT_TIMEOUT:-10}

SHOAL_PASSED=0
SHOAL_FAILED=0
_shoal_namespaces=()
_shoal_pids=()
_shoal_tmpdirs=()
_shoal_logs=() # "pid|label|path"
_shoal_cleaned=0
_shoal_logs_printed=0

# ---------------------------------------------------------------- messages and counters

log() {
	printf '# %s\n' "$*"
}

pass() {
	SHOAL_PASSED=$((SHOAL_PASSED + 1))
	printf 'ok   - %s\n' "$1"
}

# fail DESC [DETAILS...]: counts a failure and says what went wrong.
fail() {
	SHOAL_FAILED=$((SHOAL_FAILED + 1))
	printf 'FAIL - %s\n' "$1"
	shift
	local line
	for line in "$@"; do
		printf '       %s\n' "$line"
	done
}

# check DESC CMD...: runs CMD; passes if it exits 0, else fails showing the command and its output.
check() {
	local desc=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [[ $rc -eq 0 ]]; then
		pass "$desc"
		return 0
	fi
	fail "$desc" "command: $* (exit $rc)" "${out:0:2000}"
	return 1
}

# check_not DESC CMD...: passes if CMD fails.
check_not() {
	local desc=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [[ $rc -ne 0 ]]; then
		pass "$desc"
		return 0
	fi
	fail "$desc" "command unexpectedly succeeded: $*" "${out:0:2000}"
	return 1
}

# check_eq DESC EXPECTED ACTUAL
check_eq() {
	if [[ "$2" == "$3" ]]; then
		pass "$1"
		return 0
	fi
	fail "$1" "expected: $2" "actual:   $3"
	return 1
}

# finish: closing line "N passed, N failed" alone on its line; exit status 1 if any failed, or
# if nothing was checked at all (a script that asserted nothing is not a pass).
finish() {
	if [[ $SHOAL_PASSED -eq 0 && $SHOAL_FAILED -eq 0 ]]; then
		fail "the script checked nothing"
	fi
	if [[ $SHOAL_FAILED -gt 0 ]]; then
		_shoal_print_logs
	fi
	printf '%d passed, %d failed\n' "$SHOAL_PASSED" "$SHOAL_FAILED"
	if [[ $SHOAL_FAILED -gt 0 ]]; then
		exit 1
	fi
	exit 0
}

die() {
	printf 'ERROR: %s\n' "$*" >&2
	exit 1
}

require_root() {
	[[ $(id -u) -eq 0 ]] || die "must run as root (network namespaces)"
}

# require_cmd CMD...: dies naming the first missing command.
require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || die "missing command: $c (see scripts/install-deps.sh)"
	done
}

# ---------------------------------------------------------------- namespaces

# ns_create VAR LABEL: creates namespace "$SHOAL_NS_PREFIX-LABEL" with lo up, registers it for
# deletion on exit and stores its name in VAR.
ns_create() {
	local -n _ns_var=$1
	local _ns_name=$SHOAL_NS_PREFIX-$2
	ns_create_named "$_ns_name" || return 1
	_ns_var=$_ns_name
}

# ns_create_named NAME: creates a namespace with exactly that name (refuses if it already exists:
# it is not ours), lo up, registered for deletion on exit.
ns_create_named() {
	local name=$1
	if [[ -e /var/run/netns/$name ]]; then
		printf 'ERROR: network namespace %s already exists; not touching it\n' "$name" >&2
		return 1
	fi
	ip netns add "$name" || return 1
	_shoal_namespaces+=("$name")
	ip -n "$name" link set lo up
}

# ns_exec NS CMD...: runs CMD inside namespace NS.
ns_exec() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# ns_veth NS_A IF_A NS_B IF_B: a veth pair created inside NS_A (IF_A) with its peer IF_B in NS_B,
# both brought up. Nothing is ever created in the root namespace.
ns_veth() {
	ip -n "$1" link add "$2" type veth peer name "$4" netns "$3" || return 1
	ip -n "$1" link set "$2" up && ip -n "$3" link set "$4" up
}

# ns_addr NS IF CIDR: brings IF up and adds the address.
ns_addr() {
	ip -n "$1" link set "$2" up && ip -n "$1" addr add "$3" dev "$2"
}

# ns_move NS_FROM IF NS_TO: moves a link between two namespaces (never to the root one).
ns_move() {
	ip -n "$1" link set "$2" netns "$3"
}

# ---------------------------------------------------------------- temp dirs and processes

# tmpdir_create VAR: a temporary directory removed on exit.
tmpdir_create() {
	local -n _td_var=$1
	local _td_dir
	_td_dir=$(mktemp -d "${TMPDIR:-/tmp}/$SHOAL_NS_PREFIX.XXXXXX") || return 1
	_shoal_tmpdirs+=("$_td_dir")
	_td_var=$_td_dir
}

# register_pid PID: killed (TERM, then KILL) on exit.
register_pid() {
	_shoal_pids+=("$1")
}

# daemon_start VAR NS LABEL CMD...: starts CMD in the background inside NS (NS may be "-" for the
# current namespace), stdout+stderr to a log file (printed on failure), registered for stopping
# on exit. VAR receives the PID (the command's own PID: `ip netns exec` execs it). The log path is
# in SHOAL_LOG_<LABEL> (label with non-alphanumerics replaced by _).
daemon_start() {
	local -n _ds_var=$1
	local _ds_ns=$2 _ds_label=$3 _ds_log _ds_pid
	shift 3
	if [[ -z ${_shoal_logdir:-} ]]; then
		tmpdir_create _shoal_logdir || return 1
	fi
	_ds_log=$_shoal_logdir/$_ds_label.log
	if [[ $_ds_ns == - ]]; then
		"$@" >"$_ds_log" 2>&1 </dev/null &
	else
		ip netns exec "$_ds_ns" "$@" >"$_ds_log" 2>&1 </dev/null &
	fi
	_ds_pid=$!
	register_pid "$_ds_pid"
	_shoal_logs+=("$_ds_pid|$_ds_label|$_ds_log")
	printf -v "SHOAL_LOG_${_ds_label//[^A-Za-z0-9]/_}" '%s' "$_ds_log"
	_ds_var=$_ds_pid
}

# daemon_alive PID
daemon_alive() {
	kill -0 "$1" 2>/dev/null
}

# daemon_stop PID [TIMEOUT]: SIGTERM, wait up to TIMEOUT s (default 5), then SIGKILL. Returns the
# daemon's exit status when it exited on its own, 137 if it had to be killed.
daemon_stop() {
	local pid=$1 timeout=${2:-5} deadline rc
	daemon_alive "$pid" || {
		wait "$pid" 2>/dev/null
		return $?
	}
	kill -TERM "$pid" 2>/dev/null
	deadline=$(_shoal_deadline "$timeout")
	while daemon_alive "$pid" && ! _shoal_past "$deadline"; do
		sleep 0.05
	done
	if daemon_alive "$pid"; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return 137
	fi
	wait "$pid" 2>/dev/null
	rc=$?
	return $rc
}

# daemon_log_path LABEL: prints the path of a daemon's log file.
daemon_log_path() {
	local _dl_var=SHOAL_LOG_${1//[^A-Za-z0-9]/_}
	printf '%s' "${!_dl_var:-}"
}

# daemon_log PID|LABEL: prints the captured log of a daemon.
daemon_log() {
	local entry pid label file
	for entry in "${_shoal_logs[@]}"; do
		IFS='|' read -r pid label file <<<"$entry"
		if [[ $1 == "$pid" || $1 == "$label" ]]; then
			cat "$file" 2>/dev/null
		fi
	done
}

# ---------------------------------------------------------------- waiting (always bounded)

_shoal_deadline() {
	local now=${EPOCHREALTIME/[.,]/}
	printf '%d' $((now + ${1%%.*} * 1000000))
}

_shoal_past() {
	local now=${EPOCHREALTIME/[.,]/}
	[[ $now -ge $1 ]]
}

# wait_for DESC TIMEOUT CMD...: polls CMD every 50 ms until it succeeds (0) or TIMEOUT seconds
# pass (1, with a message naming DESC).
wait_for() {
	local desc=$1 timeout=$2 deadline
	shift 2
	deadline=$(_shoal_deadline "$timeout")
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		if _shoal_past "$deadline"; then
			printf '# timed out after %ss waiting for %s\n' "$timeout" "$desc" >&2
			return 1
		fi
		sleep 0.05
	done
}

_shoal_port_listening() {
	local ns=$1 port=$2 proto=$3 flag=-Hltn out
	[[ $proto == udp ]] && flag=-Hlun
	if [[ $ns == - ]]; then
		out=$(ss "$flag" "sport = :$port")
	else
		out=$(ip netns exec "$ns" ss "$flag" "sport = :$port")
	fi
	[[ -n $out ]]
}

# wait_for_port NS PORT [TIMEOUT] [tcp|udp]: something listens on PORT inside NS ("-" = here).
wait_for_port() {
	wait_for "port ${4:-tcp}/$2 in ${1}" "${3:-$SHOAL_WAIT_TIMEOUT}" \
		_shoal_port_listening "$1" "$2" "${4:-tcp}"
}

# wait_for_link NS IF [TIMEOUT]: link IF exists in NS.
wait_for_link() {
	wait_for "link $2 in $1" "${3:-$SHOAL_WAIT_TIMEOUT}" ip -n "$1" link show dev "$2"
}

# wait_for_file PATH [TIMEOUT]: PATH exists and is not empty.
wait_for_file() {
	wait_for "file $1" "${2:-$SHOAL_WAIT_TIMEOUT}" test -s "$1"
}

# wait_for_exit PID [TIMEOUT]: the process is gone.
wait_for_exit() {
	wait_for "exit of pid $1" "${2:-$SHOAL_WAIT_TIMEOUT}" _shoal_not_alive "$1"
}

_shoal_not_alive() {
	! kill -0 "$1" 2>/dev/null
}

# ---------------------------------------------------------------- sniffers (readiness by marker)

# A capture is ready when it has seen a frame, not after a fixed sleep: sniffer_start sends
# marker frames (tools/nettool.py marker: EtherType 0x88b5 to 02:73:6f:61:6c:21, which a router
# drops as not_for_us without answering) out of the sniffed interface until one is in the
# capture file; sniffer_stop sends one more and waits for it before stopping tcpdump, so every
# frame captured before it is in the file. Both are bounded; readers use sniffer_read, which
# leaves the markers out.
SHOAL_MARKER_FILTER='ether proto 0x88b5'
SHOAL_NETTOOL=${SHOAL_NETTOOL:-$SHOAL_SRC/tests/integration/tools/nettool.py}

_shoal_marker_count() {
	tcpdump -r "$1" -nn "$SHOAL_MARKER_FILTER" 2>/dev/null | wc -l
}

# _shoal_marker_fence NS IFACE PCAP TIMEOUT: sends markers out IFACE (in NS) until PCAP holds one
# more than it held before.
_shoal_marker_fence() {
	local ns=$1 iface=$2 pcap=$3 timeout=$4 before deadline
	before=$(_shoal_marker_count "$pcap")
	deadline=$(_shoal_deadline "$timeout")
	while :; do
		ns_exec "$ns" python3 "$SHOAL_NETTOOL" marker "$iface" >/dev/null 2>&1
		[[ $(_shoal_marker_count "$pcap") -gt $before ]] && return 0
		if _shoal_past "$deadline"; then
			printf '# timed out after %ss waiting for a marker in %s\n' "$timeout" "$pcap" >&2
			return 1
		fi
		sleep 0.05
	done
}

# sniffer_start VAR NS LABEL IFACE PCAP FILTER [TIMEOUT]: tcpdump on IFACE inside NS writes
# frames matching FILTER (and the markers) to PCAP; returns 0 once the capture is seen to work,
# 1 if no marker reached it within TIMEOUT s. VAR receives tcpdump's PID (a daemon: stopped on
# exit, its log printed on failure). Call it directly, not under check (a sub-shell: VAR and the
# daemon's registration would be lost): sniffer_start ... || fail "...".
sniffer_start() {
	local -n _sn_var=$1
	local ns=$2 label=$3 iface=$4 pcap=$5 filter=$6 timeout=${7:-$SHOAL_WAIT_TIMEOUT}
	daemon_start _sn_var "$ns" "$label" timeout 120 tcpdump --immediate-mode -i "$iface" -nn -U \
		-w "$pcap" "($filter) or $SHOAL_MARKER_FILTER" || return 1
	_shoal_marker_fence "$ns" "$iface" "$pcap" "$timeout"
}

# sniffer_stop PID NS IFACE PCAP [TIMEOUT]: fences the capture with a last marker (everything
# the sniffer saw before it is in PCAP), then stops tcpdump. 1 if the fence timed out.
sniffer_stop() {
	local pid=$1 ns=$2 iface=$3 pcap=$4 timeout=${5:-$SHOAL_WAIT_TIMEOUT} rc=0
	_shoal_marker_fence "$ns" "$iface" "$pcap" "$timeout" || rc=1
	kill -INT "$pid" 2>/dev/null
	wait_for_exit "$pid" 5 || rc=1
	return $rc
}

# sniffer_read PCAP [FILTER] [TCPDUMP-OPTIONS...]: the captured frames matching FILTER (all when
# empty), markers left out, one line each (tcpdump -r -nn plus the options, e.g. -e).
sniffer_read() {
	local pcap=$1 filter=${2:-}
	shift 2 2>/dev/null || shift
	if [[ -n $filter ]]; then
		tcpdump -r "$pcap" -nn "$@" "($filter) and not $SHOAL_MARKER_FILTER" 2>/dev/null
	else
		tcpdump -r "$pcap" -nn "$@" "not $SHOAL_MARKER_FILTER" 2>/dev/null
	fi
}

# sniffer_has PCAP FILTER: PCAP already holds a frame matching FILTER (for wait_for, while the
# capture runs).
sniffer_has() {
	[[ -n $(sniffer_read "$1" "$2") ]]
}

# ---------------------------------------------------------------- cleanup

_shoal_print_logs() {
	local entry pid label file
	_shoal_logs_printed=1
	for entry in "${_shoal_logs[@]}"; do
		IFS='|' read -r pid label file <<<"$entry"
		[[ -f $file ]] || continue
		printf '# ---- log of %s (pid %s, %s) ----\n' "$label" "$pid" "$file"
		tail -n 200 "$file" | sed 's/^/# | /'
		printf '# ---- end of log of %s ----\n' "$label"
	done
}

_shoal_cleanup() {
	local status=$? pid ns i deadline p
	set +e
	trap '' INT TERM
	[[ $_shoal_cleaned -eq 1 ]] && return
	_shoal_cleaned=1
	if [[ $status -ne 0 && $_shoal_logs_printed -eq 0 && ${SHOAL_LOGS_ON_FAILURE:-1} -eq 1 ]]; then
		_shoal_print_logs
	fi
	# Registered processes first (newest first), gracefully: a daemon removes its own devices.
	for ((i = ${#_shoal_pids[@]} - 1; i >= 0; i--)); do
		kill -TERM "${_shoal_pids[i]}" 2>/dev/null
	done
	deadline=$(_shoal_deadline 5)
	for pid in "${_shoal_pids[@]}"; do
		while kill -0 "$pid" 2>/dev/null && ! _shoal_past "$deadline"; do
			sleep 0.05
		done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	# Anything still running inside our namespaces would keep them alive.
	for ns in "${_shoal_namespaces[@]}"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
	done
	for ((i = ${#_shoal_namespaces[@]} - 1; i >= 0; i--)); do
		ip netns del "${_shoal_namespaces[i]}" 2>/dev/null
	done
	for i in "${_shoal_tmpdirs[@]}"; do
		[[ -n $i && $i == "${TMPDIR:-/tmp}"/shoal-* ]] && rm -rf -- "$i"
	done
	return "$status"
}

_shoal_on_signal() {
	printf '# interrupted (signal), cleaning up\n' >&2
	exit "$1"
}

trap _shoal_cleanup EXIT
trap '_shoal_on_signal 130' INT
trap '_shoal_on_signal 143' TERM
