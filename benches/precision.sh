#!/usr/bin/env bash
# Precision of the keyword-anchored rules (pre-2026 Cloudflare keys): runs the default rules
# over the ~1 GiB tree of real source text that benches/compare.sh builds, and lists every
# finding whose confidence is below high (the keyword-anchored ones). The target is none that
# is not a real credential; on that tree (crate sources, no credentials) that means none.
#
# The tree's sources are named so the run can be repeated: the crates under
# ~/.cargo/registry/src that went into it are written to $corpus.sources (name-version, one per
# line), and their count and SHA-256 are printed.
#
# The opt-in families are measured the same way: RULES="patterns/opt-in/*.toml" adds each file
# with --rules, and every finding that is not a token compare.sh planted is listed (the target is
# none). compare.sh also plants decoys; its wrong-case ones (`Cfut_…`, checksum valid) are tokens
# burnkey reports at medium confidence with `prefix_as_written`: counted apart.
#
# Usage: benches/precision.sh [CORPUS_DIR] ; env SIZE_MB (1024), RULES (extra rule files)
# Needs: what benches/compare.sh needs to build the tree (python3), once.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
corpus=${1:-/tmp/burnkey-corpus}
bk="$here/target/release/burnkey"
[ -x "$bk" ] || (cd "$here" && cargo build --release)
if [ ! -f "$corpus/.manifest" ]; then
    RUNS=1 "$here/benches/compare.sh" "$corpus" >/dev/null
fi
find "$corpus"/copy00 -mindepth 2 -maxdepth 2 -type d -printf '%f\n' | sort -u >"$corpus.sources"
echo "tree: $corpus, $(du -sh "$corpus" | cut -f1), $(wc -l <"$corpus.sources") crates (list: $corpus.sources, sha256 $(sha256sum "$corpus.sources" | cut -c1-16))"
report=$(mktemp)
trap 'rm -f "$report"' EXIT
start=$(date +%s.%N)
status=0
extra=()
for r in ${RULES:-}; do extra+=(--rules "$r"); done
"$bk" scan "$corpus" --quiet -f json -o "$report" "${extra[@]}" || status=$?
end=$(date +%s.%N)
[ "$status" -le 1 ] || { echo "scan failed (exit $status)"; exit 2; }
if command -v rg >/dev/null; then
    # What the rules had to look at: lines that name a keyword at all.
    echo "lines naming cloudflare / CF_ / X-Auth-Key: $(rg -i -c --no-filename 'cloudflare|\bcf_|x-auth-key' "$corpus" | awk '{s+=$1} END{print s+0}')"
fi
python3 - "$report" "$start" "$end" "$corpus/.manifest" <<'PY'
import json, sys
from collections import Counter
d = json.load(open(sys.argv[1]))
secs = float(sys.argv[3]) - float(sys.argv[2])
fs = d["findings"]
planted = set(l.strip() for l in open(sys.argv[4]) if l.strip())
cased = [f for f in fs if "prefix_as_written" in f]
low = [f for f in fs if f["confidence"] != "high" and "prefix_as_written" not in f]
stray = [f for f in fs if f["secret_sha256"] not in planted and "prefix_as_written" not in f and f not in low]
print(f"scan: {secs:.2f} s, {d['stats']['files_scanned']} files, {d['stats']['bytes_scanned'] / 2**30:.2f} GiB")
print(f"findings: {len(fs)} ({dict(Counter(f['rule_id'] for f in fs))})")
print(f"keyword-anchored (confidence below high): {len(low)}")
for f in low:
    print(f"  {f['path']}:{f['line']} {f['rule_id']} {f['redacted']}")
print(f"wrong-case decoys reported at medium: {len(cased)}")
print(f"not planted, at high confidence: {len(stray)}")
for f in stray:
    print(f"  {f['path']}:{f['line']} {f['rule_id']} {f['redacted']}")
sys.exit(1 if low or stray else 0)
PY
