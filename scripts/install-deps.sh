#!/usr/bin/env bash
# Installs the Debian packages Shoal needs for a given purpose, only the missing ones.
#   scripts/install-deps.sh build|test|bench|demo|package
# On a fresh Debian 12 machine with only git and make, `make test` calls this as root.
set -euo pipefail

build=(build-essential cmake pkg-config libcmocka-dev libjansson-dev libmicrohttpd-dev
       libmnl-dev libip4tc-dev libnftnl-dev libsqlite3-dev libseccomp-dev)
# Tools the integration tests drive.
test=(iproute2 iptables iperf3 iputils-ping iputils-tracepath jq tcpdump python3-scapy curl procps kmod
      python3-yaml nftables sqlite3 prometheus)
# The second compiler: libFuzzer harnesses (tests/fuzz), make build-matrix and the ctest
# build.clang_relwithdebinfo_san (libclang-rt-14-dev: clang's sanitizer and fuzzer runtimes,
# only a Recommends of clang).
test+=(clang libclang-rt-14-dev)
# The dashboard: Chart.js (served by shoald under /javascript/) and the headless browser that
# tests it (tests/integration/test_web.sh, tests/bench/bench_web.sh).
test+=(libjs-chart.js chromium chromium-driver python3-selenium)
# ... and in Firefox (Debian's firefox-esr, driven over Marionette: Debian 12 has no
# geckodriver). The largest test dependency (~70 MB download).
test+=(firefox-esr)
bench=(libdpdk-dev wrk)
# Building the .debs (make deb) and checking them (make test-package).
package=(debhelper dpkg-dev lintian devscripts debootstrap systemd iproute2 curl)

want=("${build[@]}")
case "${1:-build}" in
  build) ;;
  test|demo) want+=("${test[@]}") ;;
  bench) want+=("${test[@]}" "${bench[@]}") ;;
  package) want+=("${package[@]}") ;;
  *) echo "usage: $0 build|test|bench|demo|package" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run as root (or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
