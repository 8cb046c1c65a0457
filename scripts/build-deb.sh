#!/usr/bin/env bash
# Builds the Debian packages (shoal, shoal-dev) from a clean copy of the tree:
#   scripts/build-deb.sh [OUTDIR]        (default build/deb; `make deb` calls it)
# The copy holds the files git knows (tracked and untracked-not-ignored, as they are in the
# working tree; never build/), with packaging/debian/ as debian/; dpkg-buildpackage -us -uc -b
# builds it there and the .deb/.changes/.buildinfo land in OUTDIR.
# SHOAL_DEB_VERSION=V overrides the version of debian/changelog's top entry in the copy
# (make test-package builds twice to test an upgrade).
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
out=$(realpath -m "${1:-build/deb}")

tmp=$(mktemp -d /tmp/shoal-deb.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/shoal"
git -C "$src" ls-files --cached --others --exclude-standard -z |
	while IFS= read -r -d '' f; do [[ -e $f || -L $f ]] && printf '%s\0' "$f"; done |
	grep -zv '^build/' | tar --null -T - -cf - | tar -xf - -C "$tmp/shoal"
cp -a packaging/debian "$tmp/shoal/debian"
if [[ -n ${SHOAL_DEB_VERSION:-} ]]; then
	sed -i "1s/^shoal ([^)]*)/shoal ($SHOAL_DEB_VERSION)/" "$tmp/shoal/debian/changelog"
fi

(cd "$tmp/shoal" && dpkg-buildpackage -us -uc -b -j"${JOBS:-2}")

mkdir -p "$out"
rm -f "$out"/shoal*.deb "$out"/shoal_*.changes "$out"/shoal_*.buildinfo
mv "$tmp"/*.deb "$tmp"/*.changes "$tmp"/*.buildinfo "$out"/
ls -l "$out"
