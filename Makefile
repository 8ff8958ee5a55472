SWIFT ?= swift
HOST ?= 127.0.0.1
PORT ?= 8080
DB ?= ./data/hearken.db

.PHONY: all deps build release run test clean bench insight-eval fuzz test-reliability test-tsan test-api test-browser test-container

all: build

deps:
	@./scripts/ensure-deps.sh

build: deps
	$(SWIFT) build

## The Swift runtime is linked statically, as in the container image: the binary needs only libsqlite3 and libcurl.
release: deps
	$(SWIFT) build -c release --product hearken --static-swift-stdlib

## Runs the service on the embedded SQLite default (./data/hearken.db); prints the address and the first-token command.
run: release
	@mkdir -p $(dir $(DB))
	@echo "Open http://$(HOST):$(PORT)/ and sign in with an API token. Create the first one (shown once) with:"
	@echo "  .build/release/hearken token create --name me --scope admin --db $(DB)"
	.build/release/hearken serve --host $(HOST) --port $(PORT) --db $(DB)

## Runs the whole test suite (the integration tests start the real binary, so build it first).
test:
	@./scripts/ensure-deps.sh --tests
	$(SWIFT) build
	$(SWIFT) test

clean:
	rm -rf .build

## Benchmarks: release build, wrk pinned to a different core than the server; prints a Markdown report.
## DB=postgres: on a temporary PostgreSQL server instead (needs the `postgresql` package).
DB ?= sqlite
bench: deps
	$(if $(filter postgres,$(DB)),./scripts/bench-postgres.sh,./scripts/bench.sh)

## Measures the insight detectors (today's and the new one) on simulated traffic over SEEDS seeds
## (default 20); prints the Markdown tables of docs/insights.md. Needs no database or dependencies.
SEEDS ?= 20
insight-eval:
	$(SWIFT) build -c release --product insight-eval
	.build/release/insight-eval $(SEEDS)

## Fuzzes the request parser with libFuzzer for FUZZ_SECONDS (default 300); crashes land in fuzz/crashes/.
FUZZ_SECONDS ?= 300
fuzz: deps
	$(SWIFT) build --package-path fuzz --scratch-path .build-fuzz --sanitize fuzzer --sanitize address \
		-Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp
	mkdir -p fuzz/crashes .build-fuzz/corpus
	SWIFT_BACKTRACE=enable=no .build-fuzz/debug/fuzz-http .build-fuzz/corpus fuzz/corpus -dict=fuzz/http.dict \
		-max_len=16384 -timeout=5 -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=fuzz/crashes/ -print_final_stats=1

## Crash (kill -9), slow-client and disk-full tests against the release binary.
test-reliability: release
	python3 scripts/reliability/run.py

## The test suite under ThreadSanitizer (separate build folder).
test-tsan: deps
	$(SWIFT) build --scratch-path .build-tsan --sanitize=thread
	$(SWIFT) test --scratch-path .build-tsan --sanitize=thread

## Schemathesis against a live server using openapi/openapi.json (installs schemathesis from PyPI if missing).
test-api: deps
	./scripts/test-api.sh

## The widget, the vote-link pages and the dashboard (with axe-core) in headless Chromium (installs chromium, chromium-driver, selenium and axe-selenium-python if missing).
test-browser: deps
	./scripts/browser/run.sh

## docker/ checked without an engine: hadolint, compose schema, the runtime stage built and run by buildah.
test-container: deps
	./scripts/container/test.sh
