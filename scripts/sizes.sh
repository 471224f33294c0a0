#!/usr/bin/env bash
# Prints the raw and gzip -9 sizes of every file the page loads before its
# first cluster frame, and their total: everything in dist/ except what is
# fetched later (listed below with the reason). With --check, fails when the
# total is above the budget in scripts/size-budget (bytes, gzip): lower the
# budget when you win bytes; raise it only with a note in BENCHMARKS.md
# saying why.
set -euo pipefail
cd "$(dirname "$0")/.."
check=
if [ "${1:-}" = --check ]; then check=1; shift; fi
dir=${1:-dist}
[ -d "$dir" ] || { echo "no $dir/ (run make dist)"; exit 1; }

# Loaded after the first frame, or not by the page at all.
lazy() {
    case "$1" in
        sw.js) return 0 ;;                 # the service worker, registered after load
        explain_data.json) return 0 ;;     # kubectl explain's table, fetched after the first frame
        editor.bundle.js) return 0 ;;      # the YAML editor, imported after the first frame (never by embeds)
        embed-example.html) return 0 ;;    # a docs page, not part of the app
        examples/*) return 0 ;;            # files its elements read
        lessons/*) return 0 ;;             # the lessons' transcripts, fetched after the first frame (a ?lesson= link's before it starts)
        kubarium.js|kubarium.d.ts) return 0 ;;  # the <kubarium-cluster> element's script and types (docs pages load them)
        .trunk-lock|*.map) return 0 ;;
    esac
    return 1
}

total=0
later=0
printf '%-64s %10s %10s\n' "loaded before the first frame" "bytes" "gzip"
while IFS= read -r f; do
    rel=${f#"$dir"/}
    raw=$(stat -c %s "$f")
    gz=$(gzip -9 -c "$f" | wc -c)
    if lazy "$rel"; then
        later=$((later + gz))
        continue
    fi
    total=$((total + gz))
    printf '%-64s %10d %10d\n' "$rel" "$raw" "$gz"
done < <(find "$dir" -type f | sort)
printf '%-64s %10s %10d\n' "total before the first frame (gzip)" "" "$total"
printf '%-64s %10s %10d\n' "fetched later (gzip)" "" "$later"

if [ -n "$check" ]; then
    budget=$(grep -v '^#' scripts/size-budget | tr -d ' \n')
    if [ "$total" -gt "$budget" ]; then
        echo "size budget exceeded: $total bytes gzip > $budget (scripts/size-budget)." >&2
        echo "Win the bytes back, or raise the budget with a note in BENCHMARKS.md saying why." >&2
        exit 1
    fi
    echo "size budget: $total <= $budget bytes gzip ($((budget - total)) to spare)"
fi
