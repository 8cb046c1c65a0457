# Thin wrapper around CMake. `make test` and `make demo` work on a fresh Debian 12 machine.
BUILD_TEST    ?= build/test
BUILD_RELEASE ?= build/release
BUILD_FUZZ    ?= build/fuzz
FUZZ_SECONDS  ?= 600
JOBS          ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all build test test-fuzz fuzz bench demo deps clean format deb test-package build-matrix

all: build

build:
	@scripts/install-deps.sh build
	cmake -S . -B $(BUILD_RELEASE) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD_RELEASE) -j $(JOBS)

# Sanitizer build (ASan+UBSan), warnings as errors, every test through ctest (one of them
# builds the clang RelWithDebInfo+sanitizers configuration too: tests/CMakeLists.txt).
test:
	@scripts/install-deps.sh test
	cmake -S . -B $(BUILD_TEST) -DCMAKE_BUILD_TYPE=Debug -DSHOAL_SANITIZE=ON -DSHOAL_DEV_PLUGINS=ON \
	  -DSHOAL_WERROR=ON
	cmake --build $(BUILD_TEST) -j $(JOBS)
	cd $(BUILD_TEST) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS)
	$(MAKE) test-fuzz

# libFuzzer harnesses (clang, ASan+UBSan) in their own build: each over its seed corpus plus a
# few seconds of random inputs (tests/fuzz/).
test-fuzz:
	@scripts/install-deps.sh test
	CC=clang cmake -S . -B $(BUILD_FUZZ) -DCMAKE_BUILD_TYPE=Debug -DSHOAL_FUZZ=ON
	cmake --build $(BUILD_FUZZ) -j $(JOBS)
	cd $(BUILD_FUZZ) && ctest --output-on-failure -j $(JOBS)

# Long fuzzing: every harness for FUZZ_SECONDS (default 600; FUZZ_RUNS=N stops at N
# executions), FUZZ_JOBS at a time; new inputs kept in $(BUILD_FUZZ)/work/, crashes in
# $(BUILD_FUZZ)/findings/.
fuzz:
	@scripts/install-deps.sh test
	CC=clang cmake -S . -B $(BUILD_FUZZ) -DCMAKE_BUILD_TYPE=Debug -DSHOAL_FUZZ=ON
	cmake --build $(BUILD_FUZZ) -j $(JOBS)
	scripts/fuzz.sh $(BUILD_FUZZ) $(FUZZ_SECONDS)

# Every compiler x build type x sanitizer combination, each in build/matrix/<cc>-<type>-<san>,
# warnings as errors; prints one line per build (scripts/build-matrix.sh).
build-matrix:
	@scripts/install-deps.sh test
	JOBS=$(JOBS) scripts/build-matrix.sh

# Release build, every benchmark; figures go to docs/performance.md by hand.
bench:
	@scripts/install-deps.sh bench
	cmake -S . -B $(BUILD_RELEASE) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD_RELEASE) -j $(JOBS)
	scripts/run-benches.sh $(BUILD_RELEASE)

# shoald on its built-in default between namespaces h1 and h2; Ctrl-C tears it down.
demo:
	@scripts/install-deps.sh demo
	cmake -S . -B $(BUILD_RELEASE) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD_RELEASE) -j $(JOBS)
	scripts/demo.sh $(BUILD_RELEASE)/router/shoald

# Debian packages shoal and shoal-dev from a clean copy of the tree, into build/deb/.
deb:
	@scripts/install-deps.sh package
	JOBS=$(JOBS) scripts/build-deb.sh build/deb

# Builds the packages (twice: the upgrade test) and checks them: lintian, hardening-check,
# the unit with systemd-analyze, install/remove/purge/upgrade in a cached Debian 12 root.
test-package:
	@scripts/install-deps.sh package
	JOBS=$(JOBS) tests/package/run.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build
