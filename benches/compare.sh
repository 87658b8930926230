#!/usr/bin/env bash
# Whole-tree scan speed: burnkey against ripgrep on the same ~1 GiB corpus.
#
# Builds (once) a corpus of real source text from the crate sources cargo downloaded
# (~/.cargo/registry/src), copied until it reaches SIZE_MB, with checksum-valid tokens planted in
# some files and decoys (bad checksum, wrong case, glued to a word) in others. Hidden files are
# left out so that both tools read the same files (ripgrep skips them by default, burnkey does
# not). Then, warm cache, RUNS rounds alternating the two commands; prints median wall times, the
# ratio, burnkey's peak RSS, and checks that burnkey found every planted token and no decoy.
# Also measures burnkey's peak RSS on one 1 GiB file.
#
# Each round also times the read floor (benches/read_floor.rs: every file opened, read to its end
# and closed, one thread per core, no search): what no scanner of this tree can go below; and
# burnkey with nothing to find (benches/search_free.rs: the library's own walk and reads, a scanner
# with no rules and no decoders): burnkey's time less that is what its search costs.
#
# With BASELINE=/path/to/another/burnkey, each round also times that binary on the same tree, in
# the same alternation, and prints burnkey/baseline (a same-run ratio: unlike ratios to ripgrep it
# does not drift with the machine's load from hour to hour).
#
# Usage: benches/compare.sh [CORPUS_DIR] ; env SIZE_MB (1024), RUNS (5), RG (rg), BASELINE
# Needs: ripgrep (cargo install ripgrep), GNU time (/usr/bin/time), python3.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
corpus=${1:-/tmp/burnkey-corpus}
size_mb=${SIZE_MB:-1024}
runs=${RUNS:-5}
rg=${RG:-rg}
bk="$here/target/release/burnkey"
[ -x "$bk" ] || (cd "$here" && cargo build --release)
command -v "$rg" >/dev/null || { echo "ripgrep not found: cargo install ripgrep"; exit 2; }
. "$here/benches/bench_bin.sh"
floor=$(bench_bin read_floor)
[ -x "$floor" ] || { echo "benches/read_floor.rs did not build"; exit 2; }
free=$(bench_bin search_free)
[ -x "$free" ] || { echo "benches/search_free.rs did not build"; exit 2; }

if [ ! -f "$corpus/.manifest" ]; then
    echo "building a ${size_mb} MiB corpus in $corpus"
    rm -rf "$corpus"; mkdir -p "$corpus"
    python3 - "$corpus" "$size_mb" "$bk" <<'PY'
import os, random, shutil, subprocess, sys, zlib
corpus, size_mb, bk = sys.argv[1], int(sys.argv[2]), sys.argv[3]
src = os.path.expanduser("~/.cargo/registry/src")
rng = random.Random(42)
files = []
for root, dirs, names in os.walk(src):
    dirs[:] = sorted(d for d in dirs if not d.startswith("."))
    for n in sorted(names):
        if not n.startswith("."):
            p = os.path.join(root, n)
            if os.path.isfile(p) and not os.path.islink(p):
                with open(p, "rb") as f:
                    if b"\0" in f.read():
                        continue  # not source text: ripgrep would skip it as binary
                files.append(p)
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
def token(prefix):
    body = "".join(rng.choice(ALNUM) for _ in range(40))
    return f"{prefix}{body}{zlib.crc32(body.encode()) & 0xffffffff:08x}"
planted, total, copy, i = [], 0, 0, 0
import hashlib
while total < size_mb << 20:
    for p in files:
        rel = os.path.relpath(p, src)
        dst = os.path.join(corpus, f"copy{copy:02d}", rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copyfile(p, dst)
        i += 1
        if i % 997 == 0:
            t = token(rng.choice(["cfk_", "cfut_", "cfat_"]))
            with open(dst, "a") as f:
                f.write(f"\nconst LEAKED: &str = \"{t}\";\n")
            planted.append(hashlib.sha256(t.encode()).hexdigest())
        elif i % 991 == 0:
            t = token("cfut_")
            decoy = rng.choice([t[:-1] + ("0" if t[-1] != "0" else "1"), "C" + t[1:], "x" + t])
            with open(dst, "a") as f:
                f.write(f"\n// decoy {decoy}\n")
        total += os.path.getsize(dst)
        if total >= size_mb << 20:
            break
    copy += 1
with open(os.path.join(corpus, ".manifest"), "w") as f:
    f.write("\n".join(planted) + "\n")
print(f"{total >> 20} MiB, {i} files, {len(planted)} planted tokens")
PY
fi

echo "warming the page cache"
"$rg" -c 'warmup' "$corpus" >/dev/null 2>&1 || true
"$bk" scan "$corpus" -q --format json >/dev/null || true

measure() { # prints "seconds max_rss_kib"
    # GNU time writes "Command exited with non-zero status 1" first when the
    # command exits 1 (burnkey does: it found the planted tokens).
    /usr/bin/time -f "%e %M" -o /tmp/bk-time.$$ "$@" >/dev/null 2>&1 || true
    tail -n 1 /tmp/bk-time.$$
}
baseline=${BASELINE:-}
bk_times=(); rg_times=(); base_times=(); floor_times=(); free_times=(); bk_rss=0
for r in $(seq "$runs"); do
    read -r t m < <(measure "$floor" "$corpus")
    floor_times+=("$t")
    read -r t m < <(measure "$free" "$corpus")
    free_times+=("$t")
    read -r t m < <(measure "$rg" -c '(cfk|cfut|cfat)_[A-Za-z0-9]{40}[0-9a-f]{8}' "$corpus")
    rg_times+=("$t")
    read -r t m < <(measure "$bk" scan "$corpus" -q --format json)
    bk_times+=("$t"); [ "$m" -gt "$bk_rss" ] && bk_rss=$m
    line="round $r: read floor ${floor_times[-1]}s  nothing to find ${free_times[-1]}s  ripgrep ${rg_times[-1]}s  burnkey ${bk_times[-1]}s"
    if [ -n "$baseline" ]; then
        read -r t m < <(measure "$baseline" scan "$corpus" -q --format json)
        base_times+=("$t"); line+="  baseline ${base_times[-1]}s"
    fi
    echo "$line"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
rg_med=$(median "${rg_times[@]}"); bk_med=$(median "${bk_times[@]}")
floor_med=$(median "${floor_times[@]}")
awk -v f="$floor_med" -v b="$bk_med" -v r="$rg_med" 'BEGIN {
    printf "read floor %.2fs: burnkey %.2fx the floor, ripgrep %.2fx; ripgrep at 0.9x would be %.2fx the floor\n", f, b/f, r/f, 0.9*r/f }'
free_med=$(median "${free_times[@]}")
awk -v n="$free_med" -v b="$bk_med" -v r="$rg_med" 'BEGIN {
    printf "burnkey with nothing to find %.2fs (%.2fx ripgrep): the search costs %.2fs; at 0.9x ripgrep it would have %.2fs\n", n, n/r, b-n, 0.9*r-n }'
if [ -n "$baseline" ]; then
    base_med=$(median "${base_times[@]}")
    awk -v b="$bk_med" -v o="$base_med" -v r="$rg_med" 'BEGIN {
        printf "baseline %.2fs: burnkey/baseline = %.3fx; baseline/ripgrep = %.2fx\n", o, b/o, o/r }'
fi
bytes=$(du -sb --exclude=.manifest "$corpus" | cut -f1)

# Correctness on the same corpus: every planted token, no decoy. (A wrong-case decoy, `Cfut_…` with
# its checksum valid, is a token reported at medium confidence: high only here.)
"$bk" scan "$corpus" -q --format json --min-confidence high > /tmp/bk-out.$$.json || true
python3 - "$corpus/.manifest" /tmp/bk-out.$$.json <<'PY'
import json, sys
planted = set(l.strip() for l in open(sys.argv[1]) if l.strip())
found = set(f["secret_sha256"] for f in json.load(open(sys.argv[2]))["findings"])
missing, extra = planted - found, found - planted
print(f"planted {len(planted)}, found {len(found)}, missing {len(missing)}, false alarms {len(extra)}")
sys.exit(1 if missing or extra else 0)
PY
rm -f /tmp/bk-out.$$.json

# One big file.
big=/tmp/burnkey-big-1g.txt
if [ ! -f "$big" ]; then
    find "$corpus" -type f -name '*.rs' -print0 | xargs -0 cat | head -c $((1 << 30)) > "$big"
fi
cat "$big" > /dev/null
read -r big_t big_m < <(measure "$bk" scan "$big" -q --format json)

anon_tree=$(python3 "$here/benches/peak-anon.py" "$bk" scan "$corpus" -q --format json || true)
anon_big=$(python3 "$here/benches/peak-anon.py" "$bk" scan "$big" -q --format json || true)
echo "burnkey peak RssAnon: tree $anon_tree MiB, one big file $anon_big MiB (target < 16 MiB)"
awk -v b="$bk_med" -v r="$rg_med" -v bytes="$bytes" -v rss="$bk_rss" -v bt="$big_t" -v bm="$big_m" 'BEGIN {
    printf "corpus %.0f MiB: ripgrep %.2fs (%.2f GB/s), burnkey %.2fs (%.2f GB/s)\n", bytes/1048576, r, bytes/r/1e9, b, bytes/b/1e9;
    printf "ratio burnkey/ripgrep = %.2fx (target <= 0.90x)\n", b/r;
    printf "burnkey peak RSS: tree %.1f MiB, one 1 GiB file %.1f MiB in %.2fs (the mapped file'"'"'s page-cache pages included: the target is RssAnon'"'"'s, above)\n", rss/1024, bm/1024, bt;
}'
