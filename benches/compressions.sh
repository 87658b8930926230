#!/usr/bin/env bash
# Compressed files: burnkey scanning a compressed file against the command-line decompressor
# alone (`gzip -dc`, `xz -dc`, `bzip2 -dc`, `zstd -dc` to /dev/null: the floor of reading it at
# all) and `cat` of the plain text, warm cache, RUNS rounds alternating, one thread each.
# The text is SIZE_MB of the crate sources cargo downloaded, with a token planted at its end,
# so that a scan that stops early is caught; burnkey must find it in every format.
#
# (benches/archive.sh reads a .tar.gz of the whole 1 GiB tree, with memory.)
#
# Usage: benches/compressions.sh [WORK_DIR] ; env SIZE_MB (200), RUNS (5)
# Needs: gzip, xz, bzip2, zstd, python3.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/burnkey-archives}
size_mb=${SIZE_MB:-200}
runs=${RUNS:-5}
bk="$here/target/release/burnkey"
[ -x "$bk" ] || (cd "$here" && cargo build --quiet --release)
mkdir -p "$work"
text=$work/text-$size_mb.txt
if [ ! -f "$text" ]; then
    echo "building $size_mb MiB of source text in $text"
    find ~/.cargo/registry/src -name '*.rs' -type f | sort | head -20000 | xargs cat 2>/dev/null \
        | head -c $((size_mb << 20)) > "$text.tmp" || true
    printf '\nCLOUDFLARE_API_TOKEN=%s\n' "$("$bk" mint --kind cfut)" >> "$text.tmp"
    mv "$text.tmp" "$text"
fi
for c in gzip xz bzip2 zstd; do
    [ -f "$text.$c" ] || { echo "compressing with $c"; "$c" -c "$text" > "$text.$c.tmp"; mv "$text.$c.tmp" "$text.$c"; }
done

now() { date +%s.%N; }
declare -A t
time_it() { # time_it KEY CMD...: appends the wall time of CMD to t[KEY]
    local key=$1; shift
    # (burnkey exits 1: it found the token.)
    local s e; s=$(now); "$@" > /dev/null || true; e=$(now)
    t[$key]="${t[$key]:-} $(echo "$e - $s" | bc)"
}
for c in gzip xz bzip2 zstd; do
    n=$({ "$bk" scan "$text.$c" --format json --max-decompressed 4G -j 1 || true; } \
        | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["findings"]))')
    [ "$n" = 1 ] || { echo "burnkey found $n tokens in $text.$c, not 1"; exit 1; }
done
for _ in $(seq "$runs"); do
    time_it cat cat "$text"
    time_it scan-text "$bk" scan "$text" -j 1 --format json
    for c in gzip xz bzip2 zstd; do
        time_it "dc-$c" "$c" -dc "$text.$c"
        time_it "scan-$c" "$bk" scan "$text.$c" -j 1 --format json --max-decompressed 4G
    done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '%-8s %10s %12s %14s %8s\n' format "size MiB" "decompress s" "burnkey scan s" ratio
printf '%-8s %10s %12s %14s %8s\n' text "$size_mb" "$(median <<<"${t[cat]}") (cat)" "$(median <<<"${t[scan-text]}")" \
    "$(echo "scale=2; $(median <<<"${t[scan-text]}") / $(median <<<"${t[cat]}")" | bc)"
for c in gzip xz bzip2 zstd; do
    d=$(median <<<"${t[dc-$c]}"); s=$(median <<<"${t[scan-$c]}")
    printf '%-8s %10s %12s %14s %8s\n' "$c" "$(( $(stat -c %s "$text.$c") >> 20 ))" "$d" "$s" \
        "$(echo "scale=2; $s / $d" | bc)"
done
