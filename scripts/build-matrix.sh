#!/usr/bin/env bash
# Configures and builds every supported combination, each in its own build directory
# build/matrix/<cc>-<type>-<san>, with warnings as errors (SHOAL_WERROR=ON), and reports each.
#   scripts/build-matrix.sh [combination...]   e.g. clang-RelWithDebInfo-san
# With no argument: gcc and clang x Debug, Release, RelWithDebInfo x sanitizers off (nosan)
# and on (san, -fsanitize=address,undefined): 12 builds. Exit status 1 if any build failed;
# each build's full log is build/matrix/<name>/build.log.
#   JOBS (default: nproc) parallel jobs per build; MATRIX_DIR (default build/matrix).
set -uo pipefail
cd "$(dirname "$0")/.."

jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
root=${MATRIX_DIR:-build/matrix}

all=()
for cc in gcc clang; do
	for type in Debug Release RelWithDebInfo; do
		for san in nosan san; do
			all+=("$cc-$type-$san")
		done
	done
done
want=("$@")
[[ ${#want[@]} -eq 0 ]] && want=("${all[@]}")

declare -A cxx_of=([gcc]=g++ [clang]=clang++)
failed=()
for name in "${want[@]}"; do
	IFS=- read -r cc type san <<<"$name"
	if [[ -z ${cxx_of[$cc]:-} || ! $type =~ ^(Debug|Release|RelWithDebInfo)$ ||
		! $san =~ ^(san|nosan)$ ]]; then
		echo "build-matrix: unknown combination '$name' (want <gcc|clang>-<type>-<san|nosan>)" >&2
		exit 2
	fi
	if ! command -v "$cc" >/dev/null || ! command -v "${cxx_of[$cc]}" >/dev/null; then
		echo "build-matrix: $cc or ${cxx_of[$cc]} not installed (scripts/install-deps.sh test)" >&2
		exit 2
	fi
	dir=$root/$name
	mkdir -p "$dir"
	start=$SECONDS
	if {
		cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE="$type" -DCMAKE_C_COMPILER="$cc" \
			-DCMAKE_CXX_COMPILER="${cxx_of[$cc]}" -DSHOAL_WERROR=ON \
			-DSHOAL_SANITIZE=$([[ $san == san ]] && echo ON || echo OFF) &&
			cmake --build "$dir" -j "$jobs"
	} >"$dir/build.log" 2>&1; then
		printf 'build-matrix: %-28s ok     (%ds)\n' "$name" $((SECONDS - start))
	else
		printf 'build-matrix: %-28s FAILED (%ds), log: %s\n' "$name" $((SECONDS - start)) "$dir/build.log"
		grep -m 5 -E 'error|Error' "$dir/build.log" | sed 's/^/    /'
		failed+=("$name")
	fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
	echo "build-matrix: ${#failed[@]} of ${#want[@]} failed: ${failed[*]}"
	exit 1
fi
echo "build-matrix: all ${#want[@]} built"
