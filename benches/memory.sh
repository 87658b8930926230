#!/usr/bin/env bash
# Peak memory with many findings: one file holding the same token N times (default 1,000,000
# lines, ~51 MB), scanned in each output format, as a hostile pull request could make it. Prints
# peak RSS (GNU time) and wall time per format, and the output size; with BASELINE=/path/to/
# another/burnkey, the same for that binary, side by side.
#
# Usage: benches/memory.sh [DIR] ; env N (1000000), BASELINE
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-/tmp/burnkey-memory}
n=${N:-1000000}
bk="$here/target/release/burnkey"
[ -x "$bk" ] || (cd "$here" && cargo build --release)
mkdir -p "$dir"
file="$dir/tokens-$n.txt"
if [ ! -f "$file" ]; then
    tok=$("$bk" mint --kind cfut)
    { yes "$tok" || true; } | head -n "$n" > "$file"
fi
echo "$(du -h "$file" | cut -f1) file, $n findings"
measure() { # label binary args...: "label  rss MiB  secs  output MiB"
    local label=$1; shift
    /usr/bin/time -f "%M %e" -o "$dir/time" "$@" > "$dir/out" 2>/dev/null || true
    read -r kib secs < <(tail -n 1 "$dir/time")
    printf '%-28s %8.1f MiB %7.2fs %9.1f MiB out\n' "$label" "$(echo "$kib / 1024" | bc -l)" "$secs" \
        "$(echo "$(stat -c %s "$dir/out") / 1048576" | bc -l)"
}
for b in "$bk" ${BASELINE:+"$BASELINE"}; do
    name=$([ "$b" = "$bk" ] && echo this || echo baseline)
    for f in text json jsonl sarif; do
        measure "$name --format $f" "$b" scan -q "$file" --format "$f"
    done
    measure "$name github --sarif" "$b" scan -q "$file" --format github --sarif "$dir/out.sarif"
done
