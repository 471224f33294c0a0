# Kubarium. The two commands a fresh machine needs:
#   make serve   install what is missing, then serve the page with live reload
#   make test    install what is missing, then run every test
SHELL := /bin/bash
CACHE ?= $(HOME)/.cache/kubarium
ENV := source $(CACHE)/env.sh
SHARED ?= ../shared
PORT ?= 8080

.PHONY: serve test setup setup-build dist test-native test-transcripts test-wasm test-e2e test-soak soak bench bench-engine bench-page sizes clean

setup:
	@scripts/setup.sh

setup-build:
	@scripts/setup.sh --build

serve: setup-build
	@$(ENV) && trunk serve index.html --port $(PORT)

# The static site for hosting, in dist/.
dist: setup-build
	@$(ENV) && trunk build index.html --release
	@scripts/sizes.sh dist

test: setup
	@$(MAKE) --no-print-directory test-native test-transcripts test-soak dist test-e2e

test-native:
	@echo "== native unit, integration and property tests"
	@cargo test --locked --quiet

# Random sessions with the invariants checked after every step (tests/properties.rs).
#   make soak SOAK_SESSIONS=1000 [SOAK_STEPS=100] [SOAK_SEED=1]
SOAK_SESSIONS ?= 20
soak:
	@echo "== soak: $(SOAK_SESSIONS) random sessions"
	@SOAK_SESSIONS=$(SOAK_SESSIONS) cargo test --locked --quiet --profile soak --test properties soak -- --ignored --nocapture

# The short soak of `make test`: the test profile test-native has built
# already (no second build; slower to run, so fewer sessions).
test-soak:
	@echo "== soak: 10 random sessions (make soak runs more)"
	@SOAK_SESSIONS=10 cargo test --locked --quiet --test properties soak -- --ignored --nocapture

test-transcripts:
	@echo "== transcripts"
	@cargo run --locked --quiet --release --bin kubarium -- test tests/transcripts $(wildcard $(SHARED)/transcripts)

test-e2e:
	@echo "== end-to-end tests in headless Chromium"
	@cd tests/e2e && node --test --test-concurrency=1 *.test.mjs

bench: bench-engine bench-page

bench-engine:
	@cargo bench --locked --bench engine

# Transfer size, first frame and frame times of the built page in Chromium.
bench-page: dist
	@$(ENV) && cd tests/e2e && node bench-page.mjs

sizes:
	@scripts/sizes.sh dist

clean:
	cargo clean
	rm -rf dist
