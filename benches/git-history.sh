#!/usr/bin/env bash
# History scan speed: `burnkey scan --git` against the floor that enumerates what is reachable and
# reads only the blobs, single-threaded:
# `git rev-list --objects --all | cut -d' ' -f1 | git cat-file --batch-check='%(objectname)
# %(objecttype)' | awk '$2=="blob"{print $1}' | git cat-file --batch > /dev/null`.
# Also printed: "all objects" (the same without the blob filter: trees and commits read too), and
# "literal" (without the `cut`, cat-file takes each whole "<id> <path>" line as an object name and
# answers "missing" for every blob and tree: it reads almost nothing), for reference.
#
# Checks the findings: one per planted (token, path), with the commit that planted it and the last
# commit that changed the file (every later version keeps the token); --all-occurrences gives one
# per blob. The generator records what it planted in $REPO/.git/burnkey-planted.
#
# Generates (once) a repository with COMMITS commits (default 2000) with git fast-import: a first
# commit with FILES (5,000) real source files from ~/.cargo/registry/src, then commits that each
# change CHANGES (8) files (new blobs); every 100th commit plants a checksum-valid token in the
# files it changes, which their later versions keep.
# Then RUNS rounds alternating the two; prints medians, the ratio and burnkey's peak RSS.
#
# With BASELINE=/path/to/another/burnkey, each round also times that binary, alternating, and
# prints burnkey/baseline.
#
# With REAL_REPO=/path/to/a/clone of a real repository (for example `git clone --no-checkout` of
# rust-lang/cargo's mirror: 34k commits), the same rounds run on it too, with Kingfisher
# (`kingfisher scan --git-history full`) and Betterleaks (`betterleaks git`, which reads diffs only)
# when they are on PATH; without it, that part says it was skipped.
#
# Usage: benches/git-history.sh [REPO_DIR] ; env COMMITS (2000), FILES (5000), CHANGES (8), RUNS (5),
# BASELINE, REAL_REPO, REAL_RUNS (3)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
repo=${1:-/tmp/burnkey-history}
commits=${COMMITS:-2000}
runs=${RUNS:-5}
bk="$here/target/release/burnkey"
[ -x "$bk" ] || (cd "$here" && cargo build --release)

if [ ! -d "$repo/.git" ]; then
    rm -rf "$repo"; git init -q -b main "$repo"
    PLANTED="$repo/.git/burnkey-planted" python3 - "$commits" "${FILES:-5000}" "${CHANGES:-8}" <<'PY' | git -C "$repo" fast-import --quiet
import os, random, sys, zlib
commits, FILES, CHANGES = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(7)
src = os.path.expanduser("~/.cargo/registry/src")
files = []
for root, dirs, names in os.walk(src):
    dirs.sort()
    for n in sorted(names):
        if n.endswith((".rs", ".md", ".toml")):
            files.append(os.path.join(root, n))
files = files[:FILES]
contents = {os.path.relpath(p, src): open(p, "rb").read() for p in files}
paths = sorted(contents)
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
def token():
    body = "".join(rng.choice(ALNUM) for _ in range(40))
    return f"cfut_{body}{zlib.crc32(body.encode()) & 0xffffffff:08x}".encode()
out = sys.stdout.buffer
mark = 0
def blob(data):
    global mark
    mark += 1
    out.write(b"blob\nmark :%d\ndata %d\n" % (mark, len(data)) + data + b"\n")
    return mark
t = 1700000000
planted = []
import hashlib
held = {}  # path -> [(sha256, first commit)] of the tokens its content holds
last = {}  # path -> last commit that changed it
for c in range(commits):
    changes = paths if c == 0 else rng.sample(paths, CHANGES)
    marks = []
    for p in changes:
        data = contents[p] + (b"\n// change %d\n" % c)
        last[p] = c
        if c % 100 == 50:
            tok = token(); planted.append(tok)
            held.setdefault(p, []).append((hashlib.sha256(tok).hexdigest(), c))
            data += b"const K: &str = \"" + tok + b"\";\n"
        contents[p] = data
        marks.append((p, blob(data)))
    msg = b"commit %d" % c
    out.write(b"commit refs/heads/main\ncommitter bench <b@example.com> %d +0000\ndata %d\n%s\n" % (t + c, len(msg), msg))
    for p, m in marks:
        out.write(b"M 100644 :%d %s\n" % (m, p.encode()))
    out.write(b"\n")
with open(os.environ["PLANTED"], "w") as f:
    for p, toks in sorted(held.items()):
        for sha, first in toks:
            f.write(f"{sha} {first} {last[p]} {p}\n")
sys.stderr.write(f"{commits} commits, {len(planted)} tokens planted\n")
PY
    git -C "$repo" gc -q --aggressive 2>/dev/null || git -C "$repo" gc -q
fi

measure() { /usr/bin/time -f "%e %M" -o /tmp/gh-time.$$ "$@" >/dev/null 2>&1 || true; tail -n 1 /tmp/gh-time.$$; }
floor() { git -C "$repo" rev-list --objects --all | cut -d' ' -f1 | git -C "$repo" cat-file --batch-check='%(objectname) %(objecttype)' | awk '$2=="blob"{print $1}' | git -C "$repo" cat-file --batch > /dev/null; }
allobj() { git -C "$repo" rev-list --objects --all | cut -d' ' -f1 | git -C "$repo" cat-file --batch > /dev/null; }
literal() { git -C "$repo" rev-list --objects --all | git -C "$repo" cat-file --batch > /dev/null; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
export -f floor allobj literal

# RUNS rounds on $repo, alternating: the floors, burnkey, the baseline and (PEERS=1) Kingfisher and
# Betterleaks. Sets f, b, a, l, rss.
rounds() {
    local n=$1 peers=${2:-}
    export repo
    local objects
    objects=$(git -C "$repo" count-objects -v | awk '/in-pack/ {print $2}')
    echo "repository $repo: $(git -C "$repo" rev-list --count --all) commits, $objects objects, $(du -sh "$repo" | cut -f1) on disk"
    floor; "$bk" scan --git "$repo" -q --format json > /dev/null || true
    local fl=() al=() lit=() bt=() ot=() kt=() lt=() t m line
    rss=0
    for r in $(seq "$n"); do
        read -r t _ < <(measure bash -c floor); fl+=("$t")
        read -r t _ < <(measure bash -c allobj); al+=("$t")
        read -r t _ < <(measure bash -c literal); lit+=("$t")
        read -r t m < <(measure "$bk" scan --git "$repo" -q --format json); bt+=("$t"); [ "$m" -gt "$rss" ] && rss=$m
        line="round $r: floor ${fl[-1]}s  all objects ${al[-1]}s  literal ${lit[-1]}s  burnkey ${bt[-1]}s"
        if [ -n "$baseline" ]; then
            read -r t _ < <(measure "$baseline" scan --git "$repo" -q --format json); ot+=("$t")
            line+="  baseline ${ot[-1]}s"
        fi
        if [ -n "$peers" ] && command -v kingfisher >/dev/null; then
            read -r t _ < <(measure kingfisher scan "$repo" --git-history full --no-validate --format json); kt+=("$t")
            line+="  kingfisher ${kt[-1]}s"
        fi
        if [ -n "$peers" ] && command -v betterleaks >/dev/null; then
            read -r t _ < <(measure betterleaks git "$repo"); lt+=("$t")
            line+="  betterleaks ${lt[-1]}s"
        fi
        echo "$line"
    done
    f=$(median "${fl[@]}"); b=$(median "${bt[@]}"); l=$(median "${lit[@]}"); a=$(median "${al[@]}")
    if [ -n "$baseline" ]; then
        local o
        o=$(median "${ot[@]}")
        awk -v b="$b" -v o="$o" -v f="$f" 'BEGIN {
            printf "baseline %.2fs: burnkey/baseline = %.3fx; baseline/floor = %.2fx\n", o, b/o, o/f }'
    fi
    [ ${#kt[@]} -gt 0 ] && awk -v k="$(median "${kt[@]}")" -v b="$b" 'BEGIN { printf "kingfisher %.2fs: %.1fx burnkey'"'"'s time\n", k, k/b }'
    [ ${#lt[@]} -gt 0 ] && awk -v k="$(median "${lt[@]}")" -v b="$b" 'BEGIN { printf "betterleaks git %.2fs: %.1fx burnkey'"'"'s time\n", k, k/b }'
    awk -v f="$f" -v b="$b" -v l="$l" -v a="$a" -v rss="$rss" 'BEGIN {
        printf "floor %.2fs, burnkey --git %.2fs: ratio %.2fx; all objects %.2fs (ratio %.2fx); literal %.2fs\n", f, b, b/f, a, b/a, l;
        printf "peak RSS %.1f MiB, burnkey and its git children (the packs they map included)\n", rss/1024 }'
    echo "peak RssAnon $(python3 "$here/benches/peak-anon.py" "$bk" scan --git "$repo" -q --format json || true) MiB, burnkey and its git children (target < 128 MiB)"
}

baseline=${BASELINE:-}
if [ -n "${REAL_REPO:-}" ]; then
    echo "== a real repository"
    synthetic=$repo
    repo=$REAL_REPO
    rounds "${REAL_RUNS:-3}" peers
    repo=$synthetic
else
    echo "== a real repository: skipped (set REAL_REPO to a clone, e.g. git clone --no-checkout of rust-lang/cargo)"
fi
echo "== the synthetic repository"
rounds "$runs"
report=$(mktemp); trap 'rm -f "$report"' EXIT
"$bk" scan --git "$repo" -q --format json -o "$report" || true
every=$({ "$bk" scan --git "$repo" -q --format jsonl --all-occurrences || true; } | wc -l)
if [ -f "$repo/.git/burnkey-planted" ]; then
    git -C "$repo" log --all --format='%H %s' >"$report.log"
    python3 - "$report" "$repo/.git/burnkey-planted" "$report.log" "$every" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
commit_no = {}
for line in open(sys.argv[3]):
    h, subject = line.split(" ", 1)
    commit_no[h] = int(subject.split()[1])
want = {}
for line in open(sys.argv[2]):
    sha, first, last, path = line.rstrip("\n").split(" ", 3)
    want[(sha, path)] = (int(first), int(last))
got = {(f["secret_sha256"], f["path"]): (commit_no[f["commit"]], commit_no[f["last_commit"]]) for f in doc["findings"]}
wrong = {k: (got.get(k), v) for k in set(want) | set(got) if got.get(k) != want.get(k)}
print(f"findings {len(doc['findings'])} for {len(want)} planted (token, path) pairs; "
      f"{len(wrong)} wrong (commit, last commit); --all-occurrences: {sys.argv[4]} (one per blob)")
for k, (g, w) in sorted(wrong.items())[:10]:
    print(f"  {k[1]}: got {g}, planted {w}")
sys.exit(1 if wrong or len(doc["findings"]) != len(want) else 0)
PY
    rm -f "$report.log"
fi
