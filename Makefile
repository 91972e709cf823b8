SHELL := /bin/bash
# journeys — build, test, demo and benchmark.
# The first target builds. `make help` lists them all.

PREFIX ?= /usr/local
SWIFT ?= swift
CONFIG ?= release
BIN := .build/$(CONFIG)/journeys
# The pseudonym key of the golden outputs and the tests (not a secret; see CLITests.swift).
TEST_PII_KEY := journeys-test-key-not-secret-0123456789
FUZZ_SECONDS ?= 60
TSAN_REPEAT ?= 10
# The tests that read, stitch or report on several threads.
TSAN_FILTER ?= EngineTests|ScannerTests|JourneyBuilderTests|StitcherTests|GoldenTests|RunCommandTests
# Arguments of journeys-microbench (e.g. --reps 9 --filter nginx) and its build directory.
MICROBENCH_ARGS ?=
MICROBENCH_BUILD_DIR ?= .build
# The installed binary: the Swift runtime and Foundation linked in, so it runs where Swift is not.
STATIC_BUILD_DIR ?= .build-static
STATIC_BIN := $(STATIC_BUILD_DIR)/release/journeys

.PHONY: build test demo bench microbench golden check-spreadsheet check-hostile fuzz test-asan test-tsan static man install uninstall deb check-install check-deb clean help

build: ## Build the journeys binary (release).
	$(SWIFT) build -c $(CONFIG) --product journeys

test: ## Run the test suite (Swift Testing).
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build 2>&1 | tee .build/test-output.txt; status=$${PIPESTATUS[0]}; \
	  grep -E "Test run with .* (passed|failed)" .build/test-output.txt | tail -1; [ $$status -eq 0 ] || exit $$status; \
	  bash Tests/tools/nightly-state.sh .build/debug/journeys

demo: build ## Run the shop pipeline over the bundled demo logs (fixtures/demo/) into demo-out/.
	@# The demo logs are synthetic; a fixed demo key shows how emails and IPs leave as pseudonyms.
	@# Real runs take the key from JOURNEYS_PII_KEY or the pipeline's privacy.key_file (see README).
	JOURNEYS_PII_KEY="$${JOURNEYS_PII_KEY:-demo-only-key-not-secret-0123456789abcdef}" $(BIN) run --pipeline pipelines/shop.yaml --out demo-out
	@echo "journeys demo: open demo-out/journeys.csv, funnel.csv, channels.csv, attribution.csv, paths.csv, pain_points.csv, daily.csv (and summary.json, rejects.ndjson)"

golden: build ## Regenerate the expected outputs of every shipped pipeline (review the diff before committing).
	rm -rf fixtures/expected
	for p in pipelines/*.yaml; do n=$$(basename $$p .yaml); [ $$n = default ] && continue; \
	  SOURCE_DATE_EPOCH=0 JOURNEYS_PII_KEY=$(TEST_PII_KEY) $(BIN) run --quiet --threads 1 --pipeline $$p --out fixtures/expected/$$n || exit 1; \
	  rm -f fixtures/expected/$$n/.journeys.lock; \
	  sed -i 's/"elapsed_seconds": [0-9.]*/"elapsed_seconds": 0/' fixtures/expected/$$n/summary.json; done
	git --no-pager diff --stat -- fixtures/expected || true

check-spreadsheet: demo ## Open the demo's CSV files in LibreOffice (headless) and check every cell's value and type.
	command -v soffice >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libreoffice-calc-nogui)
	python3 -c "import openpyxl" 2>/dev/null || pip install -q openpyxl
	python3 Tests/tools/check_spreadsheet.py demo-out

check-hostile: build ## Open the CSV outputs of fixtures/hostile/ (formula payloads, RFC 4180 specials, a 40,000-character value) in LibreOffice: no formula, every value the text.
	command -v soffice >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libreoffice-calc-nogui)
	python3 -c "import openpyxl" 2>/dev/null || pip install -q openpyxl
	rm -rf .build/hostile-out
	JOURNEYS_PII_KEY=$(TEST_PII_KEY) $(BIN) run --quiet --pipeline fixtures/hostile/pipeline.yaml --out .build/hostile-out
	JOURNEYS_PII_KEY=$(TEST_PII_KEY) $(BIN) events --quiet --csv --pipeline fixtures/hostile/pipeline.yaml > .build/hostile-out/events.csv
	python3 Tests/tools/check_spreadsheet.py --hostile .build/hostile-out

fuzz: ## Build the libFuzzer targets (each reader; gzip + lines; pipeline files) with ASan, run each FUZZ_SECONDS (default 60); crashes go to Tests/fuzz-corpus/.
	$(SWIFT) build --scratch-path .build-fuzz -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld --product journeys-fuzz
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_BIN=.build-fuzz/release/journeys-fuzz bash Tests/tools/fuzz.sh

test-asan: ## Run the test suite under AddressSanitizer (LeakSanitizer too; Foundation's and XCTest's own leaks suppressed).
	$(SWIFT) build --scratch-path .build-asan --build-tests --sanitize=address
	SWIFT_BACKTRACE=enable=no LSAN_OPTIONS=suppressions=$(CURDIR)/Tests/tools/lsan.supp:print_suppressions=0 \
	  $(SWIFT) test --scratch-path .build-asan --skip-build --sanitize=address

test-tsan: ## Run the concurrent pipeline tests under ThreadSanitizer TSAN_REPEAT times (default 10): a race shows in few runs.
	$(SWIFT) build --scratch-path .build-tsan --build-tests --sanitize=thread
	for i in $$(seq $(TSAN_REPEAT)); do echo "TSan run $$i"; \
	  SWIFT_BACKTRACE=enable=no $(SWIFT) test --scratch-path .build-tsan --skip-build --sanitize=thread --filter '$(TSAN_FILTER)' || exit 1; done

bench: build ## Time events and the full run against zcat, a zlib floor and two DuckDB baselines (duckdb-2, duckdb-expert), with funnel checks, the memory-limit check and issue 10's target table (see BENCHMARKS.md; BENCH_SCALING=1 adds 1x-8x scaling).
	bash Tests/bench/run.sh

microbench: ## Microbenchmarks of the hot paths on one thread (gunzip + line split, each reader, stitching): MB/s, lines/s, allocations per line; MICROBENCH_ARGS="--reps 9 --filter nginx".
	$(SWIFT) build -c release --scratch-path $(MICROBENCH_BUILD_DIR) --product journeys-microbench
	$(MICROBENCH_BUILD_DIR)/release/journeys-microbench $(MICROBENCH_ARGS)

static: ## Build the release binary with the Swift runtime and Foundation linked in statically ($(STATIC_BIN)).
	$(SWIFT) build -c release --static-swift-stdlib --scratch-path $(STATIC_BUILD_DIR) --product journeys

# Where make install puts the manual page and the shell completions, under $(DESTDIR)$(PREFIX).
MAN1 := share/man/man1
BASH_COMPLETIONS := share/bash-completion/completions
ZSH_COMPLETIONS := share/zsh/site-functions
FISH_COMPLETIONS := share/fish/vendor_completions.d

man: ## Generate the manual page (swift-argument-parser's generate-manual) into $(STATIC_BUILD_DIR)/man/journeys.1.
	mkdir -p $(STATIC_BUILD_DIR)/man
	$(SWIFT) package --allow-writing-to-directory $(STATIC_BUILD_DIR)/man generate-manual --output-directory $(STATIC_BUILD_DIR)/man

install: static man ## Install the static journeys binary (runs on a server without Swift), its manual page and bash / zsh / fish completions under $(DESTDIR)$(PREFIX).
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/$(MAN1) $(DESTDIR)$(PREFIX)/$(BASH_COMPLETIONS) \
	  $(DESTDIR)$(PREFIX)/$(ZSH_COMPLETIONS) $(DESTDIR)$(PREFIX)/$(FISH_COMPLETIONS)
	install -m 0755 $(STATIC_BIN) $(DESTDIR)$(PREFIX)/bin/journeys
	install -m 0644 $(STATIC_BUILD_DIR)/man/journeys.1 $(DESTDIR)$(PREFIX)/$(MAN1)/journeys.1
	$(STATIC_BIN) --generate-completion-script bash > $(DESTDIR)$(PREFIX)/$(BASH_COMPLETIONS)/journeys
	$(STATIC_BIN) --generate-completion-script zsh > $(DESTDIR)$(PREFIX)/$(ZSH_COMPLETIONS)/_journeys
	$(STATIC_BIN) --generate-completion-script fish > $(DESTDIR)$(PREFIX)/$(FISH_COMPLETIONS)/journeys.fish

uninstall: ## Remove what make install put in $(DESTDIR)$(PREFIX).
	rm -f $(DESTDIR)$(PREFIX)/bin/journeys $(DESTDIR)$(PREFIX)/$(MAN1)/journeys.1 $(DESTDIR)$(PREFIX)/$(BASH_COMPLETIONS)/journeys \
	  $(DESTDIR)$(PREFIX)/$(ZSH_COMPLETIONS)/_journeys $(DESTDIR)$(PREFIX)/$(FISH_COMPLETIONS)/journeys.fish

deb: static man ## Build $(STATIC_BUILD_DIR)/journeys_VERSION_ARCH.deb with dpkg-deb (the static binary under /usr, its manual page and completions); install it with apt install ./journeys_*.deb.
	bash Tests/tools/make-deb.sh $(STATIC_BUILD_DIR)

check-deb: deb ## Install the .deb on a clean Debian bookworm made with debootstrap (DEBROOT= reuses one), run it there without Swift, and remove it (needs root).
	bash Tests/tools/check-deb.sh $$(ls -t $(STATIC_BUILD_DIR)/journeys_*.deb | head -1)

check-install: static ## Check make install: the binary links no libswift*, libFoundation* or libdispatch* and runs from another folder with an empty environment; man page, completions; uninstall removes it all.
	bash Tests/tools/check-install.sh $(STATIC_BIN)
	rm -rf $(STATIC_BUILD_DIR)/dest $(STATIC_BUILD_DIR)/dest-gone
	$(MAKE) --no-print-directory install uninstall DESTDIR=$(abspath $(STATIC_BUILD_DIR))/dest-gone >/dev/null
	$(MAKE) --no-print-directory install DESTDIR=$(abspath $(STATIC_BUILD_DIR))/dest >/dev/null
	bash Tests/tools/check-installed.sh $(abspath $(STATIC_BUILD_DIR))/dest$(PREFIX) $(abspath $(STATIC_BUILD_DIR))/dest-gone$(PREFIX)

clean: ## Remove build products and demo output.
	rm -rf .build $(STATIC_BUILD_DIR) demo-out

help: ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 12
