# cmcc: the commands of the README.
#
#   make demo    install what is missing, build, and run the demo scenario
#   make check   install what is missing, build with warnings as errors, run
#                every test; then again under AddressSanitizer + UBSan (clang);
#                then each fuzz target for CHECK_FUZZ_SECONDS
#   make fuzz    build the libFuzzer targets (clang, build-fuzz) and run each
#                for FUZZ_SECONDS; fails on any crash (scripts/fuzz.sh)
#   make build | asan | format | format-check | bench | clean
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 30
CHECK_FUZZ_SECONDS ?= 20
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
DEMO_DIR ?= demo-log
DEMO_LISTEN ?= 127.0.0.1:8080
SOURCES = $(shell find src tests bench -name node_modules -prune -o -name '*.[ch]' -print 2>/dev/null)

.PHONY: all deps build demo check test asan asan-test fuzz fuzz-build format format-check bench \
	clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMCC_WERROR=ON
	cmake --build $(BUILD) -j$(JOBS)

demo: build
	$(BUILD)/cmcc demo $(DEMO_DIR) --listen $(DEMO_LISTEN)

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

asan: deps
	CC=clang cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCMCC_WERROR=ON \
	    -DCMCC_SANITIZE=ON
	cmake --build $(ASAN_BUILD) -j$(JOBS)

asan-test: asan
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j$(JOBS)

fuzz-build: deps
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMCC_WERROR=ON \
	    -DCMCC_FUZZ=ON
	cmake --build $(FUZZ_BUILD) -j$(JOBS) --target fuzz_all

fuzz: fuzz-build
	scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

check: format-check test asan-test
	$(MAKE) fuzz FUZZ_SECONDS=$(CHECK_FUZZ_SECONDS)

format:
	clang-format -i $(SOURCES)

format-check: deps
	clang-format --dry-run -Werror $(SOURCES)

bench: build
	bench/run.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
