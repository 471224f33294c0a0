# Kubarium. The two commands a fresh machine needs:
#   make serve   install what is missing, then serve the page with live reload
#   make test    install what is missing, then run every test
SHELL := /bin/bash
CACHE ?= $(HOME)/.cache/kubarium
ENV := source $(CACHE)/env.sh
SHARED ?= ../shared
PORT ?= 8080

.PHONY: serve test setup setup-build dist package test-lint test-native test-transcripts test-wasm test-e2e test-soak soak fuzz test-fuzz setup-fuzz bench bench-engine bench-wasm bench-page bench-map bench-embed sizes clean

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
	@$(MAKE) --no-print-directory test-lint test-native test-transcripts test-soak test-fuzz dist test-e2e

# Formatting (rustfmt.toml) and clippy's default lints as errors (less what
# Cargo.toml's [lints.clippy] allows, each with its reason), on every native
# target and on the page's wasm32-only code. Runs first, so a lint failure
# shows before the slow parts. Clippy's check builds share nothing with cargo
# test's: on a fresh clone this adds about 2.5 CPU-minutes (149 s user, 4 min
# wall on the 2 busy shared cores of 2026-12); afterwards a few seconds. A
# toolchain without rustfmt or clippy (the Debian packages; scripts/setup.sh
# adds them where rustup can) skips that check and says so.
test-lint:
	@echo "== lint: cargo fmt --check, cargo clippy -D warnings"
	@if cargo fmt --version >/dev/null 2>&1; then \
		cargo fmt --check || { echo "cargo fmt --check failed: run cargo fmt"; exit 1; }; \
	else \
		echo "== lint: no rustfmt on this toolchain (rustup component add rustfmt): formatting NOT checked"; \
	fi
	@if cargo clippy --version >/dev/null 2>&1; then \
		cargo clippy --locked --quiet --all-targets -- -D warnings || exit 1; \
		if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then \
			cargo clippy --locked --quiet --target wasm32-unknown-unknown --lib --bins -- -D warnings || exit 1; \
		else \
			echo "== lint: no rustup wasm32 target on this toolchain: the wasm32-only UI code NOT linted"; \
		fi; \
	else \
		echo "== lint: no clippy on this toolchain (rustup component add clippy): clippy NOT run"; \
	fi

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

# Coverage-guided fuzzing (cargo-fuzz, libFuzzer) of the YAML parser, kubectl,
# share links and transcripts: each target FUZZ_SECONDS long, from the
# committed seeds (fuzz/corpus/) and what earlier runs found (fuzz/work/,
# not committed; a crash is saved in fuzz/artifacts/: add it to the corpus).
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_TARGETS="yaml kubectl"]
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= yaml kubectl share_link transcript
FUZZ_ENV := export PATH="$$(ls -d $(CACHE)/tools/cargo-fuzz-*/bin 2>/dev/null | tail -1):$$PATH" RUSTC_BOOTSTRAP=1
setup-fuzz:
	@scripts/setup.sh --fuzz

fuzz: setup-fuzz
	@$(FUZZ_ENV) && cd fuzz && for t in $(FUZZ_TARGETS); do \
		echo "== fuzz $$t for $(FUZZ_SECONDS) s"; \
		mkdir -p work/$$t; \
		cargo fuzz run -s none -O $$t work/$$t corpus/$$t -- -max_total_time=$(FUZZ_SECONDS) -timeout=30 -rss_limit_mb=4096 -max_len=65536 -print_final_stats=1 2>&1 | grep -E "^#[0-9]+ +DONE|^stat::number_of_executed_units|SUMMARY|panicked|crash-" ; \
		test $${PIPESTATUS[0]} = 0 || exit 1; \
	done

# make test's fuzz part: every committed corpus input already runs through
# the targets in cargo test (tests/fuzz_corpus.rs). A short libFuzzer run is
# added where cargo-fuzz is installed and the targets are built (make fuzz
# once): installing cargo-fuzz and building the instrumented targets takes
# 15 minutes or more on a fresh clone, which CI does not spend.
test-fuzz:
	@if ls -d $(CACHE)/tools/cargo-fuzz-*/bin >/dev/null 2>&1 && ls fuzz/target/*/release/yaml >/dev/null 2>&1; then \
		$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=10 ; \
	else \
		echo "== fuzz: no fuzz build here (make fuzz makes one); the committed corpus ran through the targets in test-native"; \
	fi

test-transcripts:
	@echo "== transcripts"
	@cargo run --locked --quiet --release --bin kubarium -- test tests/transcripts $(wildcard $(SHARED)/transcripts)

test-e2e:
	@echo "== end-to-end tests in headless Chromium"
	@cd tests/e2e && node --test --test-concurrency=1 *.test.mjs

bench: bench-engine bench-wasm bench-page bench-map bench-embed

bench-engine:
	@cargo bench --locked --bench engine

# The settle scenario natively and in wasm (Node), alternated; prints the ratio.
bench-wasm: setup-build
	@cargo bench --locked --bench engine --no-run
	@cd benches/wasm && cargo build --locked --quiet --release --target wasm32-unknown-unknown && cargo build --locked --quiet --profile page --target wasm32-unknown-unknown
	@node benches/wasm/run.mjs

# Transfer size, first frame and frame times of the built page in Chromium.
bench-page: dist
	@$(ENV) && cd tests/e2e && node bench-page.mjs

# Main-thread CPU of a fixed 1,000-pod scenario, drawn (robust to a busy machine).
bench-map: dist
	@$(ENV) && cd tests/e2e && node bench-map.mjs

# Bytes and first frame of a docs page showing <kubarium-cluster> elements.
bench-embed: dist
	@$(ENV) && cd tests/e2e && node bench-embed.mjs

sizes:
	@scripts/sizes.sh --check dist

clean:
	cargo clean
	rm -rf dist
