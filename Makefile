# The front door. `make run` and `make test` are all a user needs; both install missing Debian
# packages first (scripts/install-deps.sh), so they work on a fresh Debian 12 machine.
.PHONY: all deps build build-ziggy run install test test-release test-asan test-tsan test-tsan-smoke fuzz-smoke fmt fmt-check tidy bench bench-compare stress clean

JOBS ?= $(shell nproc)
DATA_DIR ?= ./ziggy-data
PREFIX ?= /usr/local

all: build

deps:
	@scripts/install-deps.sh

# Everything: the library, the CLI, every test, fuzz replay driver and benchmark (the benchmark
# binaries are outside the default target, so that `make test` does not compile them).
BENCH_TARGETS = ziggy_micro_bench ziggy_capi_bench backup_bench
build: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS) --target all $(BENCH_TARGETS)

# Only what `run` and `install` need: the CLI and the two libraries.
build-ziggy: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS) --target ziggy ziggydb ziggydb_shared

# The demo; the binary stays at build/release/tools/ziggy.
run: build-ziggy
	build/release/tools/ziggy demo --db $(DATA_DIR)

# Installs the ziggy binary, the library, its headers, CMake package and pkg-config file under
# PREFIX (default /usr/local): e.g. `make install PREFIX=$$HOME/.local`.
install: build-ziggy
	cmake --install build/release --prefix $(PREFIX)

test: deps fmt-check test-release test-asan test-tsan-smoke fuzz-smoke

test-release: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)
	ctest --preset release

test-asan: deps
	cmake --preset asan >/dev/null
	cmake --build --preset asan -j $(JOBS)
	ctest --preset asan

test-tsan: deps
	cmake --preset tsan >/dev/null
	cmake --build --preset tsan -j $(JOBS)
	ctest --preset tsan

# The bounded ThreadSanitizer stage of `make test`: builds only the concurrency-relevant tests
# (CTest label `tsan`, listed in the tsan-smoke build preset) and runs them. Target: under ~4 min
# of build + run on 2 cores. `make test-tsan` runs the whole suite under TSan.
test-tsan-smoke: deps
	cmake --preset tsan >/dev/null
	cmake --build --preset tsan-smoke -j $(JOBS)
	ctest --preset tsan-smoke

# The C API as a user meets it (tests/c_api_test.sh: install, pkg-config, a C11 program linked to
# the shared and the static library, the shared library's exports), in the release build and under
# ASan with leak checking. `make test` runs the same ctest test `c_api` in test-release and test-asan.
.PHONY: test-c-api
test-c-api: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS) --target ziggydb ziggydb_shared ziggy
	ctest --preset release -R '^c_api$$'
	cmake --preset asan >/dev/null
	cmake --build --preset asan -j $(JOBS) --target ziggydb ziggydb_shared ziggy
	ctest --preset asan -R '^c_api$$'

# clang -Wthread-safety -Werror over the engine library and the tests with annotated helpers
# (compile only: the analysis is the point), then the checks that the analysis rejects
# lock-discipline mistakes (docs/design/concurrency.md).
.PHONY: test-thread-safety
test: test-thread-safety
test-thread-safety: deps
	cmake --preset thread-safety >/dev/null
	cmake --build --preset thread-safety -j $(JOBS)
	ctest --preset thread-safety

# libFuzzer targets built with clang, each run briefly (FUZZ_SECONDS, default 3) over a copy of
# its committed corpus. Without clang the script says so and the rule passes.
fuzz-smoke: deps
	@if command -v clang++ >/dev/null 2>&1; then \
	  cmake --preset fuzz >/dev/null && cmake --build --preset fuzz -j $(JOBS); fi
	scripts/fuzz-smoke.sh build/fuzz/fuzz

# Every libFuzzer target for FUZZ_LONG_SECONDS (default 600) with no input cap; crash inputs land
# in build/fuzz/fuzz/artifacts/<name>/ (fuzz/README.md).
.PHONY: fuzz-long
FUZZ_LONG_SECONDS ?= 600
fuzz-long: deps
	cmake --preset fuzz >/dev/null && cmake --build --preset fuzz -j $(JOBS)
	FUZZ_SECONDS=$(FUZZ_LONG_SECONDS) FUZZ_RUNS=-1 scripts/fuzz-smoke.sh build/fuzz/fuzz

# Long randomized and crash runs, bounded in time (STRESS_SECONDS, default 600 per suite).
stress: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)
	ZIGGY_TEST_SCALE=$${ZIGGY_TEST_SCALE:-20} ctest --test-dir build/release -L stress --output-on-failure --timeout $${STRESS_SECONDS:-600}
	scripts/crash-stress.sh build/release/tools/ziggy $${STRESS_SECONDS:-600}
	# Whitebox kill points exist only in the test builds (ZIGGY_KILL_POINTS): the ASan CLI has them.
	cmake --preset asan >/dev/null
	cmake --build --preset asan -j $(JOBS) --target ziggy
	scripts/crash-stress.sh build/asan/tools/ziggy $${STRESS_SECONDS:-600}

bench: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS) --target ziggy_micro_bench
	build/release/bench/micro/ziggy_micro_bench

# ZiggyDB vs RocksDB/LevelDB/LMDB (those compiled in): db_bench family, fillsync, YCSB A-F, space
# amplification; tables, JSON lines and an HTML report in $(BENCH_OUT). Sizes: see the script.
BENCH_OUT ?= bench-results
bench-compare: build-ziggy
	OUT=$(BENCH_OUT) scripts/bench-compare.sh

# Issue 17's goal rows (threads 1-8, YCSB B/C/E, seekrandom, fillsync 8 threads, 10M keys, Get
# tails, bigger than memory under a cgroup cap: root) with ZiggyDB / best peer ratios in
# $(BENCH_OUT)/issue17/table.md. Hours at the issue's sizes; see the script for smaller ones.
.PHONY: bench-issue17
bench-issue17: build-ziggy
	OUT=$(BENCH_OUT)/issue17 scripts/bench-issue17.sh

FORMAT_FILES = $(shell git ls-files '*.h' '*.cc')
fmt:
	clang-format -i $(FORMAT_FILES)

fmt-check:
	@clang-format --dry-run --Werror $(FORMAT_FILES) && echo "fmt-check: all files formatted"

tidy: build
	clang-tidy -p build/release --quiet $(shell git ls-files 'src/*.cc' 'tools/*.cc')

# ---- The Python package (python/, docs/design/python.md) ----
# `make python` installs the ziggydb module for $(PYTHON) (default Debian's /usr/bin/python3): into
# its site-packages (/usr/local/lib/python3*/dist-packages on Debian), or under PYTHON_PREFIX as
# `pip install --prefix` lays it out. It links the release preset's static libziggydb.a.
# `make test-python` installs into a temporary prefix and runs pytest against that copy.
.PHONY: python test-python
PYTHON ?= /usr/bin/python3
PYTHON_PREFIX ?=
python: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS) --target ziggydb
	PYTHON=$(PYTHON) PYTHON_PREFIX=$(PYTHON_PREFIX) ZIGGYDB_LIBRARY_DIR=$(CURDIR)/build/release/src python/install.sh

test: test-python
test-python: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS) --target ziggydb
	PYTHON=$(PYTHON) ZIGGYDB_LIBRARY_DIR=$(CURDIR)/build/release/src python/run-tests.sh

# The same tests with the extension and the engine under ASan + UBSan (not part of `make test`:
# about two more minutes of build on 2 cores).
.PHONY: test-python-asan
test-python-asan: deps
	cmake --preset asan >/dev/null
	cmake --build --preset asan -j $(JOBS) --target ziggydb
	PYTHON=$(PYTHON) ZIGGYDB_SANITIZE=address,undefined ZIGGYDB_LIBRARY_DIR=$(CURDIR)/build/asan/src python/run-tests.sh

clean:
	rm -rf build
