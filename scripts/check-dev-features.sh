#!/usr/bin/env bash
# Fails when a crate the shipped binary links gains a feature only through the dev-dependencies.
#
# `cargo test` builds the binary it tests with the dev-dependencies' features unified in; users
# get it without them (`cargo install`, `cargo build --release`). A feature the product relies on
# that only a dev-dependency turns on makes a suite that passes and a binary that fails: that is
# how the released binary panicked under `--verify` while every test passed (`regex` without
# `unicode-case`). So every such feature must be listed in .ci/dev-only-features with the reason
# the product does not need it; anything new fails here until it is turned on in Cargo.toml or
# listed.
#
# Usage: scripts/check-dev-features.sh   (from anywhere; needs only cargo)
set -euo pipefail
cd "$(dirname "$0")/.."
allow=.ci/dev-only-features
tree() { # the resolved packages and their features: "name version [f,g]"
    cargo tree --locked -e "$1" --prefix none -f '{p} [{f}]' | sed -e 's/ (\*)$//' -e 's/ (proc-macro)$//' | sort -u
}
ship=$(mktemp); dev=$(mktemp); trap 'rm -f "$ship" "$dev"' EXIT
tree normal,build > "$ship"
tree normal,build,dev > "$dev"
# "crate feature" for each feature the dev side adds to a package the binary links.
added=$(awk '
    function split_line(line, out,   i) { i = index(line, " ["); out["p"] = substr(line, 1, i - 1); out["f"] = substr(line, i + 2, length(line) - i - 2) }
    NR == FNR { split_line($0, l); ship[l["p"]] = l["f"]; next }
    { split_line($0, l); if (!(l["p"] in ship)) next
      n = split(ship[l["p"]], a, ","); delete have; for (k = 1; k <= n; k++) have[a[k]] = 1
      m = split(l["f"], b, ",")
      for (k = 1; k <= m; k++) if (b[k] != "" && !(b[k] in have)) { split(l["p"], nv, " "); print nv[1], b[k] } }
' "$ship" "$dev" | sort -u)
# The allowed pairs: "crate: feature feature  # reason" lines.
allowed=$(sed -e 's/#.*//' "$allow" | awk -F: 'NF == 2 { n = split($2, f, " "); for (k = 1; k <= n; k++) print $1, f[k] }' | sort -u)
new=$(comm -23 <(printf '%s\n' "$added" | sed '/^$/d') <(printf '%s\n' "$allowed" | sed '/^$/d'))
stale=$(comm -13 <(printf '%s\n' "$added" | sed '/^$/d') <(printf '%s\n' "$allowed" | sed '/^$/d'))
echo "dev-dependencies add $(printf '%s\n' "$added" | sed '/^$/d' | wc -l) features to crates the binary links; all listed in $allow with a reason"
if [ -n "$stale" ]; then
    echo "note: listed in $allow but no longer added by a dev-dependency (remove them):"
    printf '  %s\n' "$stale"
fi
if [ -n "$new" ]; then
    echo "FAIL: the test build turns on features the shipped binary lacks, and they are not in $allow:"
    printf '  %s\n' "$new"
    echo "Turn each on in Cargo.toml if the product uses it, or list it in $allow with the reason it does not."
    exit 1
fi
