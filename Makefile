SHELL := /bin/bash
# journeys — build, test, demo and benchmark.
# The first target builds. `make help` lists them all.

PREFIX ?= /usr/local
SWIFT ?= swift
CONFIG ?= release
BIN := .build/$(CONFIG)/journeys

.PHONY: build test demo bench install clean help

build: ## Build the journeys binary (release).
	$(SWIFT) build -c $(CONFIG) --product journeys

test: ## Run the test suite (Swift Testing).
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build 2>&1 | tee .build/test-output.txt; status=$${PIPESTATUS[0]}; \
	  grep -E "Test run with .* (passed|failed)" .build/test-output.txt | tail -1; exit $$status

demo: build ## Read every bundled sample log (fixtures/, pipelines/all-formats.yaml) into touchpoints.
	@mkdir -p demo-out
	$(BIN) events --pipeline pipelines/all-formats.yaml --rejects demo-out/rejects.ndjson > demo-out/touchpoints.ndjson
	$(BIN) events --csv --pipeline pipelines/all-formats.yaml > demo-out/touchpoints.csv
	@echo "journeys demo: touchpoints in demo-out/touchpoints.ndjson and demo-out/touchpoints.csv, rejected lines with reasons in demo-out/rejects.ndjson"

bench: build ## Measure reading throughput against zcat and a zlib floor (see BENCHMARKS.md).
	bash Tests/bench/run.sh

install: build ## Install journeys into $(PREFIX)/bin.
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/journeys

clean: ## Remove build products and demo output.
	rm -rf .build demo-out

help: ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 12
