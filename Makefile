SHELL := /bin/bash
# journeys — build, test, demo and benchmark.
# The first target builds. `make help` lists them all.

PREFIX ?= /usr/local
SWIFT ?= swift
CONFIG ?= release
BIN := .build/$(CONFIG)/journeys

.PHONY: build test demo bench golden check-spreadsheet install clean help

build: ## Build the journeys binary (release).
	$(SWIFT) build -c $(CONFIG) --product journeys

test: ## Run the test suite (Swift Testing).
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build 2>&1 | tee .build/test-output.txt; status=$${PIPESTATUS[0]}; \
	  grep -E "Test run with .* (passed|failed)" .build/test-output.txt | tail -1; exit $$status

demo: build ## Run the shop pipeline over the bundled demo logs (fixtures/demo/) into demo-out/.
	$(BIN) run --pipeline pipelines/shop.yaml --out demo-out
	@echo "journeys demo: open demo-out/journeys.csv, funnel.csv, channels.csv, attribution.csv, paths.csv, pain_points.csv, daily.csv (and summary.json, rejects.ndjson)"

golden: build ## Regenerate the expected outputs of every shipped pipeline (review the diff before committing).
	rm -rf fixtures/expected
	for p in pipelines/*.yaml; do n=$$(basename $$p .yaml); [ $$n = default ] && continue; \
	  $(BIN) run --quiet --threads 1 --pipeline $$p --out fixtures/expected/$$n || exit 1; \
	  sed -i 's/"elapsed_seconds": [0-9.]*/"elapsed_seconds": 0/' fixtures/expected/$$n/summary.json; done
	git --no-pager diff --stat -- fixtures/expected || true

check-spreadsheet: demo ## Open the demo's CSV files in LibreOffice (headless) and check every cell's value and type.
	command -v soffice >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libreoffice-calc-nogui)
	python3 -c "import openpyxl" 2>/dev/null || pip install -q openpyxl
	python3 Tests/tools/check_spreadsheet.py demo-out

bench: build ## Measure reading throughput against zcat and a zlib floor (see BENCHMARKS.md).
	bash Tests/bench/run.sh

install: build ## Install journeys into $(PREFIX)/bin.
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/journeys

clean: ## Remove build products and demo output.
	rm -rf .build demo-out

help: ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 12
