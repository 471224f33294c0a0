#!/usr/bin/env bash
# Installs what building, serving and testing Kubarium needs, skipping
# whatever is already there. Idempotent; prints what it does.
#
#   scripts/setup.sh            everything (wasm toolchain, trunk, wasm-bindgen,
#                               wasm-opt, the editor bundle, rustfmt and clippy,
#                               Chromium, playwright-core)
#   scripts/setup.sh --build    only what building and serving the page needs
#   scripts/setup.sh --fuzz     only cargo-fuzz (make fuzz)
#
# Tools go into a cache outside the clone ($KUBARIUM_CACHE, default
# ~/.cache/kubarium), so a fresh clone on the same machine reuses them.
# It writes $KUBARIUM_CACHE/env.sh, which the Makefile sources.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
CACHE=${KUBARIUM_CACHE:-$HOME/.cache/kubarium}
TOOLS=$CACHE/tools
mkdir -p "$TOOLS" "$CACHE/logs"
MODE=${1:-all}

TRUNK_VERSION=0.22.1
BINARYEN_VERSION=132
# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly.
WBG_VERSION=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)

say() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }
have_root() { [ "$(id -u)" = 0 ] || command -v sudo >/dev/null; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

APT_UPDATED=
apt_install() {
    local missing=()
    for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
    [ ${#missing[@]} -eq 0 ] && return 0
    if ! command -v apt-get >/dev/null || ! have_root; then
        say "please install: ${missing[*]} (no apt-get or no root here)"; return 1
    fi
    if [ -z "$APT_UPDATED" ]; then
        say "apt-get update"
        as_root apt-get update -q >"$CACHE/logs/apt-update.log" 2>&1 || true
        APT_UPDATED=1
    fi
    say "apt-get install ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >"$CACHE/logs/apt-install.log" 2>&1 \
        || { tail -20 "$CACHE/logs/apt-install.log"; return 1; }
}

ENV_LINES=()

# --- 1. the wasm32 standard library -----------------------------------------
wasm_target() {
    local route_file=$CACHE/wasm-route
    # KUBARIUM_WASM_ROUTE=debian forces the Debian route (to test it where rustup works).
    if [ "${KUBARIUM_WASM_ROUTE:-}" = debian ]; then echo debian >"$route_file"; fi
    if [ "$(cat "$route_file" 2>/dev/null)" != debian ] && rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
        say "wasm32 target: rustup (installed)"; return 0
    fi
    if [ "$(cat "$route_file" 2>/dev/null)" != debian ]; then
        say "wasm32 target: trying rustup target add (60 s limit)"
        if timeout 60 rustup target add wasm32-unknown-unknown >"$CACHE/logs/rustup-target.log" 2>&1; then
            say "wasm32 target: rustup"; echo rustup >"$route_file"; return 0
        fi
        say "rustup cannot download here; using Debian's rustc-web with build-std"
        echo debian >"$route_file"
    fi
    apt_install rustc-web cargo-web rust-web-src rust-web-llvm lld-22
    if ! rustup toolchain list 2>/dev/null | grep -q '^debian-web'; then
        say "rustup toolchain link debian-web /usr"
        rustup toolchain link debian-web /usr
    fi
    ENV_LINES+=("export RUSTUP_TOOLCHAIN=debian-web" "export RUSTC_BOOTSTRAP=1" "export CARGO_UNSTABLE_BUILD_STD=std,panic_abort")
    say "wasm32 target: Debian rustc-web ($(rustc +debian-web --version 2>/dev/null || echo '?'))"
}

# --- 1b. rustfmt and clippy (make test-lint) -----------------------------------
lint_tools() {
    local missing=()
    cargo fmt --version >/dev/null 2>&1 || missing+=(rustfmt)
    cargo clippy --version >/dev/null 2>&1 || missing+=(clippy)
    if [ ${#missing[@]} -eq 0 ]; then
        say "rustfmt, clippy: installed"; return 0
    fi
    if command -v rustup >/dev/null && timeout 120 rustup component add "${missing[@]}" >"$CACHE/logs/rustup-component.log" 2>&1; then
        say "${missing[*]}: rustup component add"
    else
        say "${missing[*]}: not available on this toolchain (no rustup, or it cannot download): make test-lint skips them"
    fi
}

# --- 2. cargo-installed tools -------------------------------------------------
cargo_tool() { # name version binary extra-args...
    local name=$1 version=$2 bin=$3; shift 3
    local dir=$TOOLS/$name-$version
    if [ -x "$dir/bin/$bin" ]; then
        say "$name $version: cached"
    else
        say "$name $version: cargo install (several minutes the first time; log in $CACHE/logs/$name.log)"
        CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
            cargo install "$name" --version "$version" --root "$dir" "$@" >"$CACHE/logs/$name.log" 2>&1 \
            || { tail -30 "$CACHE/logs/$name.log"; exit 1; }
    fi
    ENV_LINES+=("export PATH=\"$dir/bin:\$PATH\"")
}

# --- 3. npm-installed tools ---------------------------------------------------
wasm_opt() {
    local dir=$TOOLS/binaryen-$BINARYEN_VERSION
    if [ -x "$dir/node_modules/.bin/wasm-opt" ]; then
        say "wasm-opt (binaryen $BINARYEN_VERSION): cached"
    else
        say "wasm-opt: npm install binaryen@$BINARYEN_VERSION"
        mkdir -p "$dir"
        (cd "$dir" && npm install --no-audit --no-fund --silent "binaryen@$BINARYEN_VERSION" >"$CACHE/logs/binaryen.log" 2>&1)
    fi
    ENV_LINES+=("export PATH=\"$dir/node_modules/.bin:\$PATH\"")
}

npm_deps() { # folder: install from its committed lockfile when it changed
    local dir=$1
    local stamp=$dir/node_modules/.kubarium-lock
    if [ -f "$stamp" ] && cmp -s "$dir/package-lock.json" "$stamp"; then
        say "npm packages in $dir: up to date"
        return 0
    fi
    say "npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --silent >"$CACHE/logs/npm-$(basename "$dir").log" 2>&1) \
        || { tail -20 "$CACHE/logs/npm-$(basename "$dir").log"; exit 1; }
    cp "$dir/package-lock.json" "$stamp"
}

editor_bundle() {
    [ -d www/editor ] || return 0
    npm_deps www/editor
    if [ -f www/editor.bundle.js ] && [ www/editor.bundle.js -nt www/editor/package-lock.json ] && [ www/editor.bundle.js -nt www/editor/src/editor.js ]; then
        say "editor bundle: up to date"
    else
        say "editor bundle: esbuild www/editor/src/editor.js"
        (cd www/editor && node build.mjs)
    fi
}

if [ "$MODE" = "--fuzz" ]; then
    # libFuzzer is built by the libfuzzer-sys crate (needs a C++ compiler);
    # -Z flags on stable through RUSTC_BOOTSTRAP=1 (set by make fuzz).
    command -v c++ >/dev/null || apt_install g++
    cargo_tool cargo-fuzz 0.13.1 cargo-fuzz
    exit 0
fi

wasm_target
cargo_tool trunk "$TRUNK_VERSION" trunk --ignore-rust-version
cargo_tool wasm-bindgen-cli "$WBG_VERSION" wasm-bindgen
wasm_opt
editor_bundle

if [ "$MODE" != "--build" ]; then
    lint_tools
    if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
        say "chromium: $(/usr/bin/chromium --version 2>/dev/null | head -1)"
    else
        apt_install chromium chromium-driver
    fi
    npm_deps tests/e2e
fi

ENV_LINES+=("export TRUNK_SKIP_VERSION_CHECK=true")
printf '%s\n' "# written by scripts/setup.sh" "${ENV_LINES[@]}" >"$CACHE/env.sh"
say "ready ($CACHE/env.sh)"
