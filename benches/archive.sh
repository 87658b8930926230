#!/usr/bin/env bash
# A .tar.gz of the ~1 GiB source tree (benches/compare.sh builds it): burnkey reading every member
# against the floor, `gzip -dc FILE > /dev/null`, alternating, RUNS rounds; peak RSS and peak
# anonymous memory (RssAnon, sampled from /proc) of burnkey; and a check that every planted token
# is found inside the archive. The decompression limit is raised to cover the archive with
# `--max-decompressed 2G` (the default, 256M, would stop at a quarter of it).
#
# Usage: benches/archive.sh [CORPUS_DIR] ; env RUNS (5)
# Needs: gzip, tar, GNU time (/usr/bin/time), python3; the corpus from benches/compare.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
corpus=${1:-/tmp/burnkey-corpus}
runs=${RUNS:-5}
bk="$here/target/release/burnkey"
[ -x "$bk" ] || (cd "$here" && cargo build --release)
[ -f "$corpus/.manifest" ] || { echo "no corpus: run benches/compare.sh first"; exit 2; }
archive=${ARCHIVE:-/tmp/burnkey-corpus.tar.gz}
if [ ! -f "$archive" ]; then
    echo "building $archive"
    tar -C "$corpus" --exclude=.manifest -cf - . | gzip -6 > "$archive.tmp"
    mv "$archive.tmp" "$archive"
fi
echo "$(du -h "$archive" | cut -f1) archive of $(du -sh --exclude=.manifest "$corpus" | cut -f1) of source"
cat "$archive" > /dev/null

secs() { # command...: wall seconds
    local s e
    s=$(date +%s%N); "$@" > /dev/null 2>&1 || true; e=$(date +%s%N)
    echo "scale=3; ($e - $s) / 1000000000" | bc
}
gz=(); bkt=()
for r in $(seq "$runs"); do
    gz+=("$(secs sh -c "gzip -dc '$archive' > /dev/null")")
    bkt+=("$(secs "$bk" scan "$archive" -q --format json --max-decompressed 2G)")
    echo "round $r: gzip -dc ${gz[-1]}s  burnkey ${bkt[-1]}s"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
g=$(median "${gz[@]}"); b=$(median "${bkt[@]}")
awk -v g="$g" -v b="$b" 'BEGIN { printf "gzip -dc %.2fs, burnkey %.2fs: burnkey runs at %.0f%% of the floor (target >= 90%%)\n", g, b, 100*g/b }'

# Memory: peak RSS from GNU time, peak RssAnon sampled every 10 ms.
out=$(mktemp); trap 'rm -f "$out"' EXIT
/usr/bin/time -f "%M" -o "$out.time" "$bk" scan "$archive" -q --format json --max-decompressed 2G > "$out" &
anon=0
while kill -0 $! 2>/dev/null; do
    for p in $(pgrep -f "burnkey scan $archive" || true); do
        a=$(awk '/RssAnon/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
        [ "${a:-0}" -gt "$anon" ] && anon=$a
    done
    sleep 0.01
done
wait $! || true
awk -v r="$(tail -n 1 "$out.time")" -v a="$anon" 'BEGIN { printf "burnkey peak RSS %.1f MiB, peak RssAnon %.1f MiB (target < 64 MiB)\n", r/1024, a/1024 }'
rm -f "$out.time"
python3 - "$corpus/.manifest" "$out" <<'PY'
import json, sys
planted = set(l.strip() for l in open(sys.argv[1]) if l.strip())
doc = json.load(open(sys.argv[2]))
found = set(f["secret_sha256"] for f in doc["findings"])
print(f"planted {len(planted)}, found in the archive {len(found)}, missing {len(planted - found)}, "
      f"false alarms {len(found - planted)}; members {doc['stats']['members_scanned']}, "
      f"skipped {doc['stats']['skipped']}")
sys.exit(1 if planted != found else 0)
PY
