# Kubarium. The two commands a fresh machine needs:
#   make serve   install what is missing, then serve the page with live reload
#   make test    install what is missing, then run every test
SHELL := /bin/bash
CACHE ?= $(HOME)/.cache/kubarium
ENV := source $(CACHE)/env.sh
SHARED ?= ../shared
PORT ?= 8080

.PHONY: serve test setup setup-build dist package test-native test-transcripts test-wasm test-e2e bench bench-engine bench-page bench-embed sizes clean

setup:
	@scripts/setup.sh

setup-build:
	@scripts/setup.sh --build

serve: setup-build
	@$(ENV) && trunk serve index.html --port $(PORT)

# The static site for hosting, in dist/.
dist: setup-build
	@$(ENV) && trunk build index.html --release
	@scripts/sizes.sh --check dist

# The npm package (the <kubarium-cluster> element, its wasm and types) from
# the release build, as a folder and a tarball in target/npm/.
package: dist
	@node scripts/embed.mjs package dist target/npm/kubarium
	@cd target/npm && npm pack ./kubarium --silent

test: setup
	@$(MAKE) --no-print-directory test-native test-transcripts dist test-e2e

test-native:
	@echo "== native unit, integration and property tests"
	@cargo test --locked --quiet

test-transcripts:
	@echo "== transcripts"
	@cargo run --locked --quiet --release --bin kubarium -- test tests/transcripts $(wildcard $(SHARED)/transcripts)

test-e2e:
	@echo "== end-to-end tests in headless Chromium"
	@cd tests/e2e && node --test --test-concurrency=1 *.test.mjs

bench: bench-engine bench-page bench-embed

bench-engine:
	@cargo bench --locked --bench engine

# Transfer size, first frame and frame times of the built page in Chromium.
bench-page: dist
	@$(ENV) && cd tests/e2e && node bench-page.mjs

# Bytes and first frame of a docs page showing <kubarium-cluster> elements.
bench-embed: dist
	@$(ENV) && cd tests/e2e && node bench-embed.mjs

sizes:
	@scripts/sizes.sh --check dist

clean:
	cargo clean
	rm -rf dist
