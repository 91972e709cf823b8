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

demo: build ## Read the bundled sample logs (fixtures/) and print their touchpoints' summary.
	@mkdir -p demo-out
	$(BIN) events --rejects demo-out/rejects.ndjson fixtures/web/access.log.gz > demo-out/web-events.ndjson
	$(BIN) events --rejects demo-out/email-rejects.ndjson fixtures/email > demo-out/email-events.ndjson || test $$? -eq 3
	$(BIN) events fixtures/chat/chat.jsonl.gz > demo-out/chat-events.ndjson
	@echo "Touchpoints written to demo-out/ (web-events.ndjson, email-events.ndjson, chat-events.ndjson); rejected lines in demo-out/*rejects.ndjson"
	@head -3 demo-out/web-events.ndjson

bench: build ## Measure reading throughput against zcat and a zlib floor (see BENCHMARKS.md).
	bash Tests/bench/run.sh

install: build ## Install journeys into $(PREFIX)/bin.
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/journeys

clean: ## Remove build products and demo output.
	rm -rf .build demo-out

help: ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 12
