#!/usr/bin/env bash
# The speed guard: instructions per byte, counted by callgrind, for this tree's burnkey and for a
# base commit's, built in the same run, on corpora that examples/corpus.rs makes the same on every
# machine (source text, the same text encoded and archived, a git history). Fails when this tree
# needs more than LIMIT percent (3) more instructions per byte than the base on any corpus.
#
# Wall time on this 2-core machine drifts 5-15% between series; an instruction count does not
# (the same binary on the same input counts within 0.02%, whatever else runs). burnkey runs alone
# (`--threads 1`); the git children of a history scan are not counted (valgrind does not follow
# them). Each count has the binary's own start-up taken off (the same scan of an empty folder,
# or for history of a repository with one empty commit: rules compiled, ignore files of the
# folders above read, git asked), so that the guard sees the cost per byte of scanning; start-up
# is printed beside, and not guarded (new rules and families legitimately add to it).
#
# The base: BASE (a commit), else the merge-base with main when this is a branch off it, else
# HEAD when the tree has uncommitted changes, else HEAD's parent (the last commit's own cost).
#
# Usage: benches/instructions.sh ; env BASE, LIMIT (3), GUARD_DIR (target/guard), THIS_BIN
# Needs: valgrind (apt-get install valgrind), git, cargo.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
limit=${LIMIT:-3}
dir=${GUARD_DIR:-$here/target/guard}
mkdir -p "$dir"
command -v valgrind >/dev/null || { echo "valgrind not found: apt-get install valgrind"; exit 2; }

if [ -n "${BASE:-}" ]; then
    base=$(git rev-parse --verify "$BASE^{commit}")
elif mb=$(git merge-base HEAD main 2>/dev/null) && [ "$mb" != "$(git rev-parse HEAD)" ]; then
    base=$mb
elif [ -n "$(git status --porcelain --untracked-files=no)" ]; then
    base=$(git rev-parse HEAD)
else
    base=$(git rev-parse --verify -q 'HEAD~1^{commit}') || { echo "HEAD has no parent to compare with: guard skipped"; exit 0; }
fi
echo "this tree: $(git rev-parse --short HEAD)$([ -n "$(git status --porcelain --untracked-files=no)" ] && echo ' with uncommitted changes'); base: $(git rev-parse --short "$base") ($(git log -1 --format=%s "$base" | cut -c1-60))"

cargo build --quiet --release --locked --bin burnkey --example corpus
# THIS_BIN measures another build of this tree in its place (the dist profile against release).
head_bin=${THIS_BIN:-$here/target/release/burnkey}
base_bin=$dir/base-$base/burnkey
if [ ! -x "$base_bin" ]; then
    echo "building the base $(git rev-parse --short "$base") (release)"
    src=$dir/base-src
    rm -rf "$src"; mkdir -p "$src"
    # -m: the files get this moment's time, not the commit's. With the commit's (older than the
    # last build in base-target), cargo would take the previous base's build as fresh.
    git archive "$base" | tar -xm -C "$src"
    (cd "$src" && CARGO_TARGET_DIR=$dir/base-target cargo build --quiet --release --locked --bin burnkey)
    mkdir -p "$dir/base-$base"
    cp "$dir/base-target/release/burnkey" "$base_bin"
    rm -rf "$src"
fi

corpus=$dir/corpus
rm -rf "$corpus"
"$here/target/release/examples/corpus" "$corpus"
git init -q -b main "$corpus/history"
git -C "$corpus/history" fast-import --quiet < "$corpus/history.fi"
mkdir "$corpus/empty"
git init -q -b main "$corpus/empty.git"
git -C "$corpus/empty.git" -c user.name=g -c user.email=g@example.com commit -q --allow-empty -m empty

count() { # binary args...: "instructions findings"
    local bin=$1; shift
    local out=$dir/callgrind.out
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" scan -q --format json --threads 1 "$@" \
        > "$out.json" 2> "$out.err" || [ $? -eq 1 ] || { echo "burnkey failed on $*:"; cat "$out.err"; exit 2; }
    local n
    n=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$out.err")
    [ -n "$n" ] || { echo "no count from callgrind:"; cat "$out.err"; exit 2; }
    echo "$n $(grep -o '"secret_sha256"' "$out.json" | wc -l)"
}
size() { du -sb --apparent-size "$1" | cut -f1; }

declare -A args bytes empty
args[text]="$corpus/text";            bytes[text]=$(size "$corpus/text");    empty[text]="$corpus/empty"
args[encoded]="$corpus/encoded";      bytes[encoded]=$(size "$corpus/encoded"); empty[encoded]="$corpus/empty"
args[history]="--git $corpus/history"; bytes[history]=$(size "$corpus/history.fi"); empty[history]="--git $corpus/empty.git"

printf '%-8s %12s %12s %10s %10s %8s %s\n' corpus bytes findings base/B this/B change ''
failed=0
starts=""
for c in text encoded history; do
    # shellcheck disable=SC2086
    read -r base_start _ < <(count "$base_bin" ${empty[$c]})
    # shellcheck disable=SC2086
    read -r head_start _ < <(count "$head_bin" ${empty[$c]})
    starts+=" $c: base $base_start, this $head_start;"
    # shellcheck disable=SC2086
    read -r b bf < <(count "$base_bin" ${args[$c]})
    # shellcheck disable=SC2086
    read -r h hf < <(count "$head_bin" ${args[$c]})
    verdict=$(awk -v b="$b" -v h="$h" -v b0="$base_start" -v h0="$head_start" -v n="${bytes[$c]}" -v lim="$limit" 'BEGIN {
        pb = (b - b0) / n; ph = (h - h0) / n; ch = (ph / pb - 1) * 100;
        printf "%10.3f %10.3f %+7.2f%% %s", pb, ph, ch, (ch > lim ? "FAIL" : "ok") }')
    printf '%-8s %12s %12s %s\n' "$c" "${bytes[$c]}" "$bf/$hf" "$verdict"
    case $verdict in *FAIL) failed=1 ;; esac
    if [ "$hf" -lt "$bf" ]; then
        echo "  note: this tree reports fewer findings than the base on $c ($hf < $bf)"
    fi
done
echo "start-up, instructions (not guarded):$starts"
if [ "$failed" -ne 0 ]; then
    echo "FAIL: instructions per byte rose more than ${limit}% over the base on a corpus above"
    exit 1
fi
echo "ok: within ${limit}% of the base on every corpus"
