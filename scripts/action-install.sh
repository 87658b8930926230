#!/usr/bin/env bash
# Installs burnkey for the GitHub Action: reuse a burnkey of the action's version already on
# PATH (or in the cached install root), else build it from the action's own checkout.
set -euo pipefail
action="${ACTION_PATH:-${GITHUB_ACTION_PATH:?}}"
root="${RUNNER_TEMP:-/tmp}/burnkey-install"
want=$(sed -n 's/^version = "\(.*\)"/\1/p' "$action/Cargo.toml" | head -n 1)

have_version() { "$1" --version 2>/dev/null | awk '{print $2}'; }

if command -v burnkey >/dev/null 2>&1 && [ "$(have_version burnkey)" = "$want" ]; then
    echo "burnkey $want is on PATH ($(command -v burnkey)): no build needed"
    exit 0
fi
if [ -x "$root/bin/burnkey" ] && [ "$(have_version "$root/bin/burnkey")" = "$want" ]; then
    echo "burnkey $want restored from the cache"
else
    echo "building burnkey $want from $action"
    cargo install --locked --path "$action" --root "$root"
fi
echo "$root/bin" >> "$GITHUB_PATH"
