#!/usr/bin/env bash
# Validates a hook repository's .pre-commit-hooks.yaml with pre-commit itself and runs its
# `burnkey` hook through `pre-commit try-repo` on a sample repository: a staged token must fail
# the hook (with the guidance, never the whole token), a clean change must pass. The repository
# is this checkout (pre-commit builds burnkey with cargo), or the one given (scripts/check-wheel.sh
# passes the pre-commit mirror, whose hook installs the wheel).
# Usage: scripts/check-pre-commit.sh [HOOK_REPO]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
repo=${1:-$here}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PRE_COMMIT_HOME="$work/cache"

pre-commit validate-manifest "$repo/.pre-commit-hooks.yaml"

sample="$work/sample"
git init -q -b main "$sample"
git -C "$sample" config user.email ci@example.com
git -C "$sample" config user.name ci
echo "hello" > "$sample/README"
git -C "$sample" add README
git -C "$sample" commit -q -m init

token=$("$here/target/release/burnkey" mint --kind cfut)
printf 'CLOUDFLARE_API_TOKEN=%s\n' "$token" > "$sample/.env"
git -C "$sample" add .env
set +e
out=$(cd "$sample" && pre-commit try-repo "$repo" burnkey 2>&1)
rc=$?
set -e
echo "$out" | tail -n 20
if [ $rc -eq 0 ]; then echo "FAIL: the hook let a staged token through"; exit 1; fi
if ! grep -q "commit blocked" <<<"$out"; then echo "FAIL: no guidance in the hook's output"; exit 1; fi
if grep -qF "$token" <<<"$out"; then echo "FAIL: the full token was printed"; exit 1; fi

git -C "$sample" rm -q --cached .env
echo "just text" > "$sample/notes.txt"
git -C "$sample" add notes.txt
(cd "$sample" && pre-commit try-repo "$repo" burnkey) || { echo "FAIL: a clean change was blocked"; exit 1; }
echo "pre-commit manifest and try-repo: ok"
