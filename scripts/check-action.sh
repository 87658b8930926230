#!/usr/bin/env bash
# Checks the GitHub Action beyond the offline step tests in tests/cli/action.rs:
# action.yml against GitHub's schema, and the install step's build path for real
# (cargo install --locked from this checkout, reusing target/ so it takes seconds).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
check-jsonschema --builtin-schema vendor.github-actions "$here/action.yml"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: > "$tmp/path"
# A PATH without burnkey on it: the step must build and register it.
env -u BURNKEY PATH="$(dirname "$(command -v cargo)"):/usr/bin:/bin" \
    RUNNER_TEMP="$tmp" GITHUB_PATH="$tmp/path" ACTION_PATH="$here" CARGO_TARGET_DIR="$here/target" \
    bash "$here/scripts/action-install.sh"
bin="$(cat "$tmp/path")/burnkey"
want=$(sed -n 's/^version = "\(.*\)"/\1/p' "$here/Cargo.toml" | head -n 1)
[ "$("$bin" --version)" = "burnkey $want" ] || { echo "FAIL: installed burnkey is not $want"; exit 1; }
# A second run finds the cached install and builds nothing.
out=$(env PATH="$(dirname "$(command -v cargo)"):/usr/bin:/bin" RUNNER_TEMP="$tmp" GITHUB_PATH="$tmp/path2" \
    ACTION_PATH="$here" bash "$here/scripts/action-install.sh")
grep -q "restored from the cache" <<<"$out" || { echo "FAIL: the cached install was not reused: $out"; exit 1; }
echo "action.yml schema and install step: ok"
