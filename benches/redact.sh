#!/usr/bin/env bash
# `burnkey redact` as a filter: 1 GiB of log lines (JSON and plain, with 2,000 planted tokens,
# some base64-encoded or escaped) through `burnkey redact FILE > /dev/null`, against `cat` (the
# floor) and `sed 's/cfut_/xxxx_/g'` (the regex filter a user would reach for), alternating, RUNS
# rounds, medians in GB/s. Also `burnkey redact -j1` (one thread), `burnkey redact < FILE` (a
# stream, one thread), `burnkey scan -q FILE` (the scan alone, writing nothing) and the same scan
# with nothing to find (benches/search_free.rs: no rules, no decoders; burnkey's scan less that is
# what its search costs). Then checks the output: as long as the input, and `burnkey scan` finds
# none of the planted tokens in it.
#
# With ripgrep on PATH, `rg -c` of the token regex on the same file (one big file, mapped, against
# `burnkey scan`); with BASELINE=/path/to/another/burnkey, its redact, redact < FILE and scan, in
# the same alternation.
#
# Usage: benches/redact.sh [FILE] ; env RUNS (5), SIZE_MB (1024), RG (rg), BASELINE
# Needs: python3, bc; builds FILE (default /tmp/burnkey-redact.log) once.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
file=${1:-/tmp/burnkey-redact.log}
runs=${RUNS:-5}
size_mb=${SIZE_MB:-1024}
bk="$here/target/release/burnkey"
[ -x "$bk" ] || (cd "$here" && cargo build --release)
. "$here/benches/bench_bin.sh"
free=$(bench_bin search_free)
[ -x "$free" ] || { echo "benches/search_free.rs did not build"; exit 2; }

if [ ! -f "$file" ]; then
    echo "building $file ($size_mb MiB)"
    tokens=$(mktemp); trap 'rm -f "$tokens"' EXIT
    for k in cfut cfat cfk ghp npm; do "$bk" mint --kind "$k" --count 400; done > "$tokens"
    python3 - "$tokens" "$file.tmp" "$size_mb" <<'PY'
import base64, json, random, sys
tokens = [t.strip() for t in open(sys.argv[1]) if t.strip()]
out, size = open(sys.argv[2], "w"), int(sys.argv[3]) << 20
rng = random.Random(7)
words = "GET POST request served cache miss upstream latency user session ok retry".split()
every = size // len(tokens)
written, t = 0, 0
while written < size:
    if t < len(tokens) and written >= t * every:
        tok = tokens[t]; t += 1
        kind = t % 4
        if kind == 0:
            line = json.dumps({"level": "info", "msg": f"auth with {tok}", "n": t})
        elif kind == 1:
            line = f"2026-11-29T12:00:00Z env dump: {base64.b64encode(f'API_TOKEN={tok}'.encode()).decode()}"
        elif kind == 2:
            line = json.dumps({"cmd": "curl", "url": f"https://x/?t={tok.replace('_', '%5F', 1)}"})
        else:
            line = f"export TOKEN={tok}"
    elif rng.random() < 0.5:
        line = json.dumps({"level": "debug", "msg": " ".join(rng.choices(words, k=12)),
                           "id": "%032x" % rng.getrandbits(128)})
    else:
        line = "%08d %s" % (written, " ".join(rng.choices(words, k=14)))
    out.write(line + "\n")
    written += len(line) + 1
PY
    mv "$file.tmp" "$file"
fi
bytes=$(stat -c %s "$file")
echo "$(du -h "$file" | cut -f1) of log lines"
cat "$file" > /dev/null

secs() { # command...: wall seconds
    local s e
    s=$(date +%s%N); "$@" > /dev/null 2>&1 || true; e=$(date +%s%N)
    echo "scale=3; ($e - $s) / 1000000000" | bc
}
# ripgrep (the token regex, counting: it maps the file) against `burnkey scan`: one big file.
names=(cat redact redact-j1 redact-stdin sed scan scan-free)
command -v "${RG:-rg}" >/dev/null && names+=(rg)
baseline=${BASELINE:-}
[ -n "$baseline" ] && names+=(redact-base redact-stdin-base scan-base)
declare -A t
for r in $(seq "$runs"); do
    line="round $r:"
    for n in "${names[@]}"; do
        case $n in
            cat) v=$(secs sh -c "cat '$file' > /dev/null") ;;
            redact) v=$(secs sh -c "'$bk' redact '$file' > /dev/null") ;;
            redact-j1) v=$(secs sh -c "'$bk' redact -j1 '$file' > /dev/null") ;;
            redact-stdin) v=$(secs sh -c "'$bk' redact < '$file' > /dev/null") ;;
            sed) v=$(secs sh -c "sed 's/cfut_/xxxx_/g' '$file' > /dev/null") ;;
            scan) v=$(secs "$bk" scan -q "$file") ;;
            scan-free) v=$(secs "$free" "$file") ;;
            rg) v=$(secs "${RG:-rg}" -c '(cfk|cfut|cfat)_[A-Za-z0-9]{40}[0-9a-f]{8}' "$file") ;;
            redact-base) v=$(secs sh -c "'$baseline' redact '$file' > /dev/null") ;;
            redact-stdin-base) v=$(secs sh -c "'$baseline' redact < '$file' > /dev/null") ;;
            scan-base) v=$(secs "$baseline" scan -q "$file") ;;
        esac
        t[$n]="${t[$n]:-} $v"
        line="$line $n ${v}s"
    done
    echo "$line"
done
median() { printf '%s\n' $@ | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
c=$(median ${t[cat]})
for n in "${names[@]}"; do
    m=$(median ${t[$n]})
    awk -v n="$n" -v m="$m" -v c="$c" -v b="$bytes" \
        'BEGIN { printf "%-13s %6.3fs  %5.2f GB/s  %5.2fx cat\n", n, m, b/m/1e9, m/c }'
done
awk -v m="$(median ${t[redact]})" -v c="$c" 'BEGIN { printf "redact: %.2fx the time of cat (target <= 2)\n", m/c }'
awk -v m="$(median ${t[redact-stdin]})" -v c="$c" 'BEGIN { printf "redact < FILE: %.2fx the time of cat (target <= 2)\n", m/c }'
[ -n "${t[rg]:-}" ] && awk -v s="$(median ${t[scan]})" -v r="$(median ${t[rg]})" \
    'BEGIN { printf "one big file: burnkey scan / ripgrep = %.2fx (target <= 1.0)\n", s/r }'
awk -v s="$(median ${t[scan]})" -v n="$(median ${t[scan-free]})" \
    'BEGIN { printf "one big file: nothing to find %.3fs, so the search costs %.3fs\n", n, s-n }'
[ -n "$baseline" ] && for n in redact redact-stdin scan; do
    awk -v n="$n" -v a="$(median ${t[$n]})" -v o="$(median ${t[$n-base]})" \
        'BEGIN { printf "%s: this / baseline = %.3fx\n", n, a/o }'
done

# The output: same length, and no planted token left in it.
out=$(mktemp); trap 'rm -f "$out"' EXIT
"$bk" redact "$file" > "$out"
[ "$(stat -c %s "$out")" = "$bytes" ] && echo "output is as long as the input" || echo "OUTPUT LENGTH DIFFERS"
count() { "$bk" scan -q --format json "$1" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["findings"]))'; }
echo "tokens the scanner finds: in the input $(count "$file"), in the output $(count "$out") (target 0)"
