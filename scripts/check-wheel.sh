#!/usr/bin/env bash
# The PyPI wheel and the pre-commit mirror, here: a wheel built with maturin (from PyPI) installs
# into a fresh venv, `burnkey --version` and a scan work from it; the mirror's hook (language:
# python, depending on burnkey==VERSION) passes `pre-commit try-repo` with that wheel found
# through PIP_FIND_LINKS and no index, a staged token blocked and a clean change let through.
# Prints the wheel's size and the time from nothing to a first scan by `pip install`.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$here/Cargo.toml" | head -n 1)
grep -qx "version = \"$version\"" "$here/pre-commit-mirror/pyproject.toml" ||
    fail "pre-commit-mirror/pyproject.toml is not at $version"
grep -qF "\"burnkey==$version\"" "$here/pre-commit-mirror/pyproject.toml" ||
    fail "pre-commit-mirror does not pin burnkey==$version"

python3 -m venv "$work/tools"
"$work/tools/bin/pip" install --quiet --disable-pip-version-check maturin==1.16.0
# The release profile: the build CI already made is reused (the release workflow uses dist).
(cd "$here" && "$work/tools/bin/maturin" build --locked --release --out "$work/wheels" --quiet)
wheel=$(ls "$work"/wheels/burnkey-"$version"-*.whl)
echo "wheel: $(basename "$wheel") ($(( $(stat -c %s "$wheel") / 1024 )) KiB)"

start=$(date +%s.%N)
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check --no-index --find-links "$work/wheels" burnkey
[ "$("$work/venv/bin/burnkey" --version)" = "burnkey $version" ] || fail "the wheel's burnkey is not $version"
mkdir "$work/tree"
tok=$("$work/venv/bin/burnkey" mint --kind cfut)
printf 'CLOUDFLARE_API_TOKEN=%s\n' "$tok" > "$work/tree/.env"
set +e; "$work/venv/bin/burnkey" scan "$work/tree" --quiet > /dev/null; rc=$?; set -e
end=$(date +%s.%N)
[ $rc -eq 1 ] || fail "a scan from the wheel exited $rc, not 1"
echo "venv, pip install of the wheel and a first scan: $(awk "BEGIN { printf \"%.2f\", $end - $start }") s"

# The mirror, as its own repository (pre-commit clones a hook repository).
mirror="$work/mirror"
cp -r "$here/pre-commit-mirror" "$mirror"
git -C "$mirror" init -q -b main
git -C "$mirror" add -A
git -C "$mirror" -c user.name=ci -c user.email=ci@example.com commit -q -m mirror
# No index: the wheel and the build backend come from here, so nothing is compiled or fetched.
"$work/tools/bin/pip" download --quiet --disable-pip-version-check -d "$work/wheels" "setuptools>=61"
PIP_NO_INDEX=1 PIP_FIND_LINKS="$work/wheels" bash "$here/scripts/check-pre-commit.sh" "$mirror"
echo "wheel and pre-commit mirror: ok"
