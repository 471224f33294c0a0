#!/usr/bin/env bash
# Prints the raw and gzip sizes of what the page ships (wasm, JS, CSS).
set -euo pipefail
dir=${1:-dist}
[ -d "$dir" ] || { echo "no $dir/ (run make dist)"; exit 1; }
total=0
printf '%-44s %10s %10s\n' "file" "bytes" "gzip"
for f in "$dir"/*.wasm "$dir"/*.js "$dir"/*.css; do
    [ -f "$f" ] || continue
    raw=$(stat -c %s "$f")
    gz=$(gzip -9 -c "$f" | wc -c)
    total=$((total + gz))
    printf '%-44s %10d %10d\n' "$(basename "$f")" "$raw" "$gz"
done
printf '%-44s %10s %10d\n' "total (gzip)" "" "$total"
