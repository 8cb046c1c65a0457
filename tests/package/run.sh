#!/usr/bin/env bash
# make test-package: builds the Debian packages twice (an "old" version and the tree's
# version) and checks them:
#   - lintian on the .changes: no error, no warning (no overrides);
#   - hardening-check on shoald and every plugin;
#   - systemd-analyze verify, and security --offline=true with exposure <= 2.0;
#   - in a Debian 12 root made by debootstrap (cached as a tarball, see SHOAL_PKGTEST_CACHE):
#     apt install of the old .debs resolves the dependencies; shoald --version and
#     --check-config on /etc/shoal/shoald.json (which equals --print-default-config); the
#     files are where the package says; user shoal and /var/lib/shoal 0750; the service is
#     enabled; the out-of-tree example plugin builds against shoal-dev (pkg-config);
#     shoald runs as user shoal with only CAP_NET_ADMIN (setpriv, as the unit does) in a
#     network namespace of its own: it creates its TAP, loads the example and the
#     out-of-tree plugin, writes its token and state.db under /var/lib/shoal, answers the
#     API, sends READY=1 and watchdog keep-alives to a NOTIFY_SOCKET, stops on SIGTERM;
#     the upgrade to the new .debs keeps a changed conffile and the state; remove keeps
#     the configuration; purge leaves nothing of Shoal.
# systemd does not run in the chroot: the unit is checked with systemd-analyze, and its
# privileges are reproduced with setpriv.
#
#   host (root ns)                        chroot + `unshare --net --mount`
#   notify listener (python) <--AF_UNIX-- shoald (uid shoal, CAP_NET_ADMIN only)
#   curl via nsenter --net  ---- TCP ---> 127.0.0.1:8144 inside that namespace; TAP t0
#
# Environment: SHOAL_PKGTEST_REUSE=1 skips the two builds when a previous run left the .debs
# (for iterating on this script), SHOAL_PKGTEST_CACHE (default /var/cache/shoal-test), SHOAL_MIRROR (default
# the host's deb.debian.org), JOBS. Needs root. Prints "N passed, N failed"; exits non-zero
# when something failed.
set -euo pipefail
# Every mount below (the root's /proc and /dev) lives in a mount namespace of our own.
if [[ -z ${SHOAL_PKGTEST_UNSHARED:-} ]]; then
	SHOAL_PKGTEST_UNSHARED=1 exec unshare --mount --propagation private -- "$0" "$@"
fi
cd "$(dirname "$0")/../.."
SRC=$PWD
CACHE=${SHOAL_PKGTEST_CACHE:-/var/cache/shoal-test}
MIRROR=${SHOAL_MIRROR:-http://deb.debian.org/debian}
TARBALL=$CACHE/debootstrap-bookworm.tar
WORK=$SRC/build/package-test
MULTIARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
T0=$(date +%s)

passed=0
failed=0
ok() { passed=$((passed + 1)); printf 'ok   - %s\n' "$1"; }
bad() { failed=$((failed + 1)); printf 'FAIL - %s\n' "$1"; shift; for l in "$@"; do printf '       %s\n' "$l"; done; }
# check DESC CMD...: passes when CMD succeeds.
check() { local d=$1; shift; if out=$("$@" 2>&1); then ok "$d"; else bad "$d" "$out"; fi; }
log() { printf '# %s\n' "$*"; }

ROOT=""
DAEMON_PID=""
LISTENER_PID=""
cleanup() {
	[[ -n $DAEMON_PID ]] && kill "$DAEMON_PID" 2>/dev/null || true
	[[ -n $LISTENER_PID ]] && kill "$LISTENER_PID" 2>/dev/null || true
	if [[ -n $ROOT && -d $ROOT ]]; then
		for m in proc dev; do umount -l "$ROOT/$m" 2>/dev/null || true; done
		rm -rf --one-file-system "$ROOT"
	fi
}
trap cleanup EXIT

[[ $(id -u) -eq 0 ]] || { echo "test-package: run as root" >&2; exit 1; }

# ---------------------------------------------------------------- build (twice)
VERSION=$(sed -n '1s/^shoal (\([^)]*\)).*/\1/p' packaging/debian/changelog)
OLD_VERSION="${VERSION}~pkgtest0"
if [[ ${SHOAL_PKGTEST_REUSE:-0} == 1 && -e $WORK/old && -n $(ls build/deb/shoal_*.deb 2>/dev/null) ]]; then
	log "SHOAL_PKGTEST_REUSE=1: reusing the .debs of the previous run (not a full test)"
	rm -rf "$WORK/extract"
else
	rm -rf "$WORK"
	mkdir -p "$WORK"
	log "building $OLD_VERSION (old) and $VERSION (new)"
	SHOAL_DEB_VERSION=$OLD_VERSION scripts/build-deb.sh "$WORK/old" >"$WORK/build-old.log" 2>&1 ||
		{ tail -40 "$WORK/build-old.log"; exit 1; }
	scripts/build-deb.sh build/deb >"$WORK/build-new.log" 2>&1 ||
		{ tail -40 "$WORK/build-new.log"; exit 1; }
fi
NEW=$SRC/build/deb
OLD=$WORK/old
log "built in $(( $(date +%s) - T0 )) s"

# ---------------------------------------------------------------- lintian
if out=$(lintian --fail-on error,warning "$NEW/shoal_${VERSION}_"*.changes 2>&1); then
	tags=$(grep -cE '^[EW]: ' <<<"$out" || true)
	if [[ $tags -eq 0 ]]; then ok "lintian: no errors, no warnings"; else bad "lintian" "$out"; fi
else
	bad "lintian: errors or warnings" "$out"
fi
[[ -n $out ]] && printf '%s\n' "$out" | sed 's/^/# lintian: /'

# ---------------------------------------------------------------- hardening-check
X=$WORK/extract
mkdir -p "$X"
dpkg-deb -x "$NEW/shoal_${VERSION}_"*.deb "$X"
plugins=("$X"/usr/lib/"$MULTIARCH"/shoal/plugins/*.so)
[[ -e ${plugins[0]} ]] || bad "the package has no plugins"
# --nocfprotection: bookworm's toolchain marks no binary with the IBT/SHSTK property (not even
# `int main(void){return 0;}` built with -fcf-protection: its crt objects lack the note), so
# that one check fails for every program on Debian 12. Everything else must pass.
for f in "$X/usr/sbin/shoald" "${plugins[@]}"; do
	check "hardening-check ${f#"$X"} (PIE, stack protector, fortify, relro, bindnow)" \
		hardening-check --nocfprotection "$f"
done

for m in "$X"/usr/share/man/man*/*.gz; do
	check "man page ${m#"$X"} formats without warnings" \
		bash -c "w=\$(MANWIDTH=80 man --warnings -l '$m' 2>&1 >/dev/null); printf '%s' \"\$w\"; [[ -z \$w ]]"
done

# ---------------------------------------------------------------- the Debian 12 root
mkdir -p "$CACHE"
if [[ ! -s $TARBALL ]]; then
	log "no cached root: debootstrap bookworm (cold run)"
	t=$(date +%s)
	tmproot=$(mktemp -d /tmp/shoal-debootstrap.XXXXXX)
	debootstrap --variant=minbase --include=systemd,iproute2,gcc,libc6-dev,make,pkgconf \
		bookworm "$tmproot" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
		{ tail -20 "$WORK/debootstrap.log"; rm -rf --one-file-system "$tmproot"; exit 1; }
	chmod 0755 "$tmproot" # mktemp made it 0700; the tarball's "./" keeps the mode
	tar -C "$tmproot" -cf "$TARBALL.tmp" . && mv "$TARBALL.tmp" "$TARBALL"
	rm -rf --one-file-system "$tmproot"
	log "debootstrap + cache: $(( $(date +%s) - t )) s"
else
	log "cached root: $TARBALL"
fi
ROOT=$(mktemp -d /tmp/shoal-pkgroot.XXXXXX)
tar -C "$ROOT" -xf "$TARBALL"
chmod 0755 "$ROOT" # "/" of the root: user shoal must traverse it
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
mount -t proc proc "$ROOT/proc"
# /dev as udev makes it on Debian 12 (/dev/net/tun 0666), whatever the host's is.
mount -t tmpfs -o mode=0755 dev "$ROOT/dev"
mkdir "$ROOT/dev/net" "$ROOT/dev/pts"
for d in "null 1 3" "zero 1 5" "full 1 7" "random 1 8" "urandom 1 9" "tty 5 0" "net/tun 10 200"; do
	set -- $d
	mknod -m 0666 "$ROOT/dev/$1" c "$2" "$3"
done
mkdir -p "$ROOT/debs/old" "$ROOT/debs/new"
cp "$OLD"/*.deb "$ROOT/debs/old/"
cp "$NEW"/*.deb "$ROOT/debs/new/"
in_root() { chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"; }
in_root apt-get update -qq >"$WORK/apt-update.log" 2>&1 || { cat "$WORK/apt-update.log"; exit 1; }

check "apt install ./shoal_*.deb ./shoal-dev_*.deb ($OLD_VERSION) resolves its dependencies" \
	in_root bash -c "cd /debs/old && apt-get install -y -q ./shoal_*.deb ./shoal-dev_*.deb"
check "shoald --version" bash -c "in_out=\$(chroot '$ROOT' shoald --version); [[ \$in_out == 'shoald $VERSION'* ]] || { echo \"\$in_out\"; false; }"
check "shoald --check-config -c /etc/shoal/shoald.json" in_root shoald --check-config -c /etc/shoal/shoald.json
check "/etc/shoal/shoald.json is the built-in default (--print-default-config)" \
	bash -c "diff <(chroot '$ROOT' shoald --print-default-config) '$ROOT/etc/shoal/shoald.json'"
check "the default listens on loopback only" \
	grep -q '"listen": "127.0.0.1:8144"' "$ROOT/etc/shoal/shoald.json"
check "the default plugin_dir is the installed one" \
	grep -q "\"plugin_dir\": \"/usr/lib/$MULTIARCH/shoal/plugins\"" "$ROOT/etc/shoal/shoald.json"
check "/etc/shoal/shoald.json is a conffile" \
	bash -c "chroot '$ROOT' dpkg-query -W -f='\${Conffiles}' shoal | grep -q '/etc/shoal/shoald.json'"
for f in /usr/sbin/shoald /usr/lib/"$MULTIARCH"/shoal/plugins/example.so /usr/share/shoal/web/index.html \
	/usr/share/man/man8/shoald.8.gz /usr/share/man/man5/shoald.json.5.gz \
	/lib/systemd/system/shoal.service /usr/lib/sysusers.d/shoal.conf \
	/usr/include/shoal/plugin.h /usr/lib/"$MULTIARCH"/pkgconfig/shoal-plugin.pc \
	/usr/share/doc/shoal-dev/examples/hello-plugin/Makefile; do
	check "installed: $f (and listed by dpkg -L)" \
		bash -c "[[ -e '$ROOT$f' ]] && chroot '$ROOT' dpkg -L shoal shoal-dev | grep -qx '$f'"
done
check "every file dpkg -L lists exists" bash -c \
	"chroot '$ROOT' dpkg -L shoal shoal-dev | while read -r f; do [[ -e '$ROOT'\$f ]] || { echo missing \$f; exit 1; }; done"
check "user shoal: system account, no login shell" bash -c \
	"e=\$(chroot '$ROOT' getent passwd shoal) && uid=\$(cut -d: -f3 <<<\"\$e\") && [[ \$uid -lt 1000 ]] && [[ \$(cut -d: -f7 <<<\"\$e\") == */nologin ]] || { echo \"\$e\"; false; }"
check "/var/lib/shoal is 0750 shoal:shoal" bash -c \
	"[[ \$(chroot '$ROOT' stat -c '%a %U:%G' /var/lib/shoal) == '750 shoal:shoal' ]]"
check "shoal.service is enabled" test -L "$ROOT/etc/systemd/system/multi-user.target.wants/shoal.service"
check "postinst left the network alone (no shoal interfaces in the root namespace)" \
	bash -c "! ip -o link show | grep -qE ': (lan0|lan1)[@:]'"

# The unit, checked where shoald and systemd's units are installed (systemd is in the root).
check "systemd-analyze verify shoal.service" bash -c \
	"out=\$(chroot '$ROOT' systemd-analyze verify --man=no shoal.service 2>&1); printf '%s' \"\$out\"; [[ -z \$out ]]"
sec=$(chroot "$ROOT" systemd-analyze security --offline=true /lib/systemd/system/shoal.service 2>&1 || true)
level=$(sed -n 's/.*Overall exposure level for shoal.service: \([0-9.]*\).*/\1/p' <<<"$sec")
log "systemd-analyze security: exposure ${level:-?}"
if [[ -n $level ]] && awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }'; then
	ok "systemd-analyze security --offline=true: exposure $level <= 2.0"
else
	bad "systemd-analyze security: exposure ${level:-unparsed} > 2.0" "$sec"
fi

# Out-of-tree plugin against shoal-dev.
check "the example plugin builds against shoal-dev (pkg-config --cflags shoal-plugin)" \
	in_root bash -c "cp -r /usr/share/doc/shoal-dev/examples/hello-plugin /root/hello &&
		make -C /root/hello && make -C /root/hello install &&
		test -f \$(pkg-config --variable=plugindir shoal-plugin)/hello.so"

# ---------------------------------------------------------------- shoald as user shoal
cat >"$ROOT/etc/shoal/pkgtest.json" <<JSON
{"interfaces": [{"name": "t0", "kind": "tap", "address": "10.0.1.1/24"}],
 "plugins": [{"name": "example"}, {"name": "hello"}]}
JSON
mkdir -p "$ROOT/run/shoal-test"
NOTIFY_LOG=$WORK/notify.log
: >"$NOTIFY_LOG"
/usr/bin/python3 - "$ROOT/run/shoal-test/notify" "$NOTIFY_LOG" <<'PY' &
import os, socket, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o777)
while True:
    msg = s.recv(4096).decode()
    with open(out, "a") as f:
        f.write(msg.replace("\n", " ") + "\n")
PY
LISTENER_PID=$!
for _ in $(seq 50); do [[ -S $ROOT/run/shoal-test/notify ]] && break; sleep 0.1; done
DAEMON_LOG=$WORK/shoald.log
# As the installed unit says: its User=, Group=, AmbientCapabilities= (also the bounding set,
# as CapabilityBoundingSet= is the same), NoNewPrivileges=; in a network namespace of its own
# (lo up first, as root).
unit=$ROOT/lib/systemd/system/shoal.service
u_user=$(sed -n 's/^User=//p' "$unit")
u_group=$(sed -n 's/^Group=//p' "$unit")
u_caps=$(sed -n 's/^AmbientCapabilities=//p' "$unit" | tr 'A-Z ' 'a-z\n' | sed -n 's/^cap_/+/p' | paste -sd, -)
log "running shoald as the unit does: user ${u_user:-?}, group ${u_group:-?}, capabilities ${u_caps:-none}"
unshare --net --mount -- chroot "$ROOT" /bin/sh -c "ip link set lo up && exec \
	/usr/bin/env -i PATH=/usr/sbin:/usr/bin NOTIFY_SOCKET=/run/shoal-test/notify WATCHDOG_USEC=400000 \
	setpriv --reuid=${u_user:-nobody} --regid=${u_group:-nogroup} --init-groups --no-new-privs \
	--inh-caps=-all${u_caps:+,$u_caps} --ambient-caps=-all${u_caps:+,$u_caps} \
	--bounding-set=-all${u_caps:+,$u_caps} /usr/sbin/shoald -c /etc/shoal/pkgtest.json" \
	>"$DAEMON_LOG" 2>&1 &
DAEMON_PID=$!
ready=0
for _ in $(seq 100); do
	grep -q 'READY=1' "$NOTIFY_LOG" && { ready=1; break; }
	kill -0 "$DAEMON_PID" 2>/dev/null || break
	sleep 0.1
done
if [[ $ready -eq 1 ]]; then ok "shoald (user shoal, CAP_NET_ADMIN only) sent READY=1"
else bad "shoald as user shoal did not get ready" "$(cat "$DAEMON_LOG")"; fi
check "shoald runs as shoal with exactly CAP_NET_ADMIN" bash -c "
	st=/proc/$DAEMON_PID/status; uid=\$(chroot '$ROOT' id -u shoal)
	grep -qP \"^Uid:\\t\$uid\\t\$uid\\t\$uid\\t\$uid\$\" \$st &&
	grep -qx 'CapEff:.*0000000000001000' \$st && grep -qx 'CapBnd:.*0000000000001000' \$st ||
	{ grep -E 'Uid|Cap' \$st; false; }"
check "its TAP t0 exists in its namespace" nsenter --net="/proc/$DAEMON_PID/ns/net" ip link show t0
check "both plugins loaded (packaged example, out-of-tree hello)" bash -c \
	"grep -q 'example plugin loaded' '$DAEMON_LOG' && grep -q 'hello' '$DAEMON_LOG' || { cat '$DAEMON_LOG'; false; }"
check "watchdog keep-alives arrive (WATCHDOG=1)" bash -c \
	"for _ in \$(seq 50); do [[ \$(grep -c WATCHDOG=1 '$NOTIFY_LOG') -ge 2 ]] && exit 0; sleep 0.1; done; cat '$NOTIFY_LOG'; false"
check "token file created in the state directory, 0600 shoal" bash -c \
	"[[ \$(chroot '$ROOT' stat -c '%a %U' /var/lib/shoal/api.token) == '600 shoal' ]]"
TOKEN=$(cat "$ROOT/var/lib/shoal/api.token" 2>/dev/null || true)
api() { nsenter --net="/proc/$DAEMON_PID/ns/net" curl -sS -m 5 -H "Authorization: Bearer $TOKEN" "$@"; }
check "API answers: the plugins (hello among them)" bash -c \
	"$(declare -f api); DAEMON_PID=$DAEMON_PID TOKEN=$TOKEN; api http://127.0.0.1:8144/api/v1/plugins | grep -q '\"hello\"'"
check "API change written to /var/lib/shoal/state.db (as shoal)" bash -c \
	"$(declare -f api); DAEMON_PID=$DAEMON_PID TOKEN=$TOKEN;
	 api -H 'Content-Type: application/json' -d '{\"prefix\":\"10.9.0.0/16\",\"next_hop\":\"10.0.1.2\"}' \
	   http://127.0.0.1:8144/api/v1/routes | grep -q 10.9.0.0/16 &&
	 [[ \$(chroot '$ROOT' stat -c '%U' /var/lib/shoal/state.db) == shoal ]] &&
	 [[ \$(sqlite3 -readonly '$ROOT/var/lib/shoal/state.db' \
	     \"SELECT prefix || ' ' || next_hop FROM routes_text\") == '10.9.0.0/16 10.0.1.2' ]]"
kill -TERM "$DAEMON_PID" 2>/dev/null || true
rc=0
wait "$DAEMON_PID" || rc=$?
DAEMON_PID=""
if [[ $rc -eq 0 ]] && grep -q 'STOPPING=1' "$NOTIFY_LOG"; then ok "SIGTERM: STOPPING=1, exit 0"
else bad "SIGTERM: exit $rc" "$(cat "$NOTIFY_LOG")" "$(tail -5 "$DAEMON_LOG")"; fi
kill "$LISTENER_PID" 2>/dev/null || true
LISTENER_PID=""
rm -rf "$ROOT/etc/shoal/pkgtest.json" "$ROOT/run/shoal-test"

# ---------------------------------------------------------------- upgrade, remove, purge
sed -i 's/"burst": 50/"burst": 51/' "$ROOT/etc/shoal/shoald.json"
conf_sum=$(sha256sum <"$ROOT/etc/shoal/shoald.json")
STATE_FILES="$ROOT/var/lib/shoal/api.token $ROOT/var/lib/shoal/state.db"
state_sum=$(cat $STATE_FILES | sha256sum)
check "upgrade $OLD_VERSION -> $VERSION" \
	in_root bash -c "cd /debs/new && apt-get install -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold ./shoal_*.deb ./shoal-dev_*.deb"
check "upgraded: dpkg has $VERSION" bash -c \
	"[[ \$(chroot '$ROOT' dpkg-query -W -f='\${Version}' shoal) == '$VERSION' ]]"
check "upgrade kept the changed conffile" bash -c \
	"[[ \$(sha256sum <'$ROOT/etc/shoal/shoald.json') == '$conf_sum' ]] && [[ ! -e '$ROOT/etc/shoal/shoald.json.dpkg-new' ]]"
check "upgrade kept the state (token, state.db)" bash -c \
	"[[ -s '$ROOT/var/lib/shoal/api.token' && -s '$ROOT/var/lib/shoal/state.db' ]] &&
	 [[ \$(cat $STATE_FILES | sha256sum) == '$state_sum' ]]"
check "upgrade kept /var/lib/shoal 0750 shoal:shoal" bash -c \
	"[[ \$(chroot '$ROOT' stat -c '%a %U:%G' /var/lib/shoal) == '750 shoal:shoal' ]]"

rm -f "$ROOT/usr/lib/$MULTIARCH/shoal/plugins/hello.so" # ours, not the package's
check "apt remove shoal shoal-dev" in_root apt-get remove -y -q shoal shoal-dev
check "remove: shoald gone" test ! -e "$ROOT/usr/sbin/shoald"
check "remove: kept the configuration and the state" bash -c \
	"[[ \$(sha256sum <'$ROOT/etc/shoal/shoald.json') == '$conf_sum' ]] && [[ -s '$ROOT/var/lib/shoal/state.db' ]]"
check "remove: shoal-dev (no conffiles) is gone entirely" bash -c \
	"! chroot '$ROOT' dpkg -s shoal-dev >/dev/null 2>&1 && [[ ! -e '$ROOT/usr/include/shoal' ]]"
check "apt purge shoal" in_root apt-get purge -y -q shoal
check "purge: nothing of Shoal is left (files, user, group, dpkg status)" bash -c "
	left=\$(find '$ROOT' -mindepth 1 -xdev \\( -path '$ROOT/debs' -o -path '$ROOT/root/hello' -o -path '$ROOT/proc' \
	  -o -path '$ROOT/var/cache/apt' -o -path '$ROOT/var/lib/apt' -o -path '$ROOT/var/log' \\) -prune -o \
	  -iname '*shoal*' -print)
	[[ -z \$left ]] || { echo \"left: \$left\"; exit 1; }
	! chroot '$ROOT' getent passwd shoal >/dev/null || { echo 'user shoal left'; exit 1; }
	! chroot '$ROOT' getent group shoal >/dev/null || { echo 'group shoal left'; exit 1; }
	! chroot '$ROOT' dpkg -s shoal >/dev/null 2>&1 || { echo 'dpkg still knows shoal'; exit 1; }"

log "test-package: $(( $(date +%s) - T0 )) s"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
