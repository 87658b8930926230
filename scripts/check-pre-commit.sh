#!/usr/bin/env bash
# Validates .pre-commit-hooks.yaml with pre-commit itself and runs the hook through
# `pre-commit try-repo` on a sample repository: a staged token must fail the hook (with the
# guidance), a clean change must pass. Needs `pre-commit` (pip) and network access to nothing:
# pre-commit builds burnkey from this checkout with cargo.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PRE_COMMIT_HOME="$work/cache"

pre-commit validate-manifest "$here/.pre-commit-hooks.yaml"

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
out=$(cd "$sample" && pre-commit try-repo "$here" burnkey 2>&1)
rc=$?
set -e
echo "$out" | tail -n 20
if [ $rc -eq 0 ]; then echo "FAIL: the hook let a staged token through"; exit 1; fi
if ! grep -q "commit blocked" <<<"$out"; then echo "FAIL: no guidance in the hook's output"; exit 1; fi
if grep -qF "$token" <<<"$out"; then echo "FAIL: the full token was printed"; exit 1; fi

git -C "$sample" rm -q --cached .env
echo "just text" > "$sample/notes.txt"
git -C "$sample" add notes.txt
(cd "$sample" && pre-commit try-repo "$here" burnkey) || { echo "FAIL: a clean change was blocked"; exit 1; }
echo "pre-commit manifest and try-repo: ok"
