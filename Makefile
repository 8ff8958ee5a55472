SWIFT ?= swift
HOST ?= 127.0.0.1
PORT ?= 8080
DB ?= ./data/hearken.db

.PHONY: all deps build release run test clean bench

all: build

deps:
	@./scripts/ensure-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product hearken

## Runs the service on the embedded SQLite default (./data/hearken.db).
run: release
	@mkdir -p $(dir $(DB))
	.build/release/hearken serve --host $(HOST) --port $(PORT) --db $(DB)

## Runs the whole test suite (the integration tests start the real binary, so build it first).
test: deps
	$(SWIFT) build
	$(SWIFT) test

clean:
	rm -rf .build

## Benchmarks: release build, wrk pinned to a different core than the server; prints a Markdown report.
bench: deps
	./scripts/bench.sh
