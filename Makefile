# Thin wrapper around CMake. `make test` and `make demo` work on a fresh Debian 12 machine.
BUILD_TEST    ?= build/test
BUILD_RELEASE ?= build/release
BUILD_FUZZ    ?= build/fuzz
FUZZ_SECONDS  ?= 600
JOBS          ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all build test test-fuzz fuzz bench demo deps clean format

all: build

build:
	@scripts/install-deps.sh build
	cmake -S . -B $(BUILD_RELEASE) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD_RELEASE) -j $(JOBS)

# Sanitizer build (ASan+UBSan), every test through ctest.
test:
	@scripts/install-deps.sh test
	cmake -S . -B $(BUILD_TEST) -DCMAKE_BUILD_TYPE=Debug -DSHOAL_SANITIZE=ON -DSHOAL_DEV_PLUGINS=ON
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

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build
