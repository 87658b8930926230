#!/usr/bin/env bash
# The Action's install step (scripts/action-install.sh) against a loopback HTTP server holding a
# fake release of this version: a matching archive is installed without compiling (cargo on PATH
# is a stub that records any call); a checksum mismatch is refused (exit non-zero, nothing on
# PATH); a missing asset and an unreleased version fall back to building (the stub shows it was
# called). Prints the time from nothing to a first scan by the download path.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin="$here/target/release/burnkey"
[ -x "$bin" ] || { echo "build first: cargo build --release"; exit 1; }
work=$(mktemp -d)
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$here/Cargo.toml" | head -n 1)
case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) t=x86_64-unknown-linux-musl ;;
    Linux-aarch64) t=aarch64-unknown-linux-musl ;;
    *) echo "skipped: the fake release is built for Linux runners"; exit 0 ;;
esac
asset="burnkey-v$version-$t.tar.gz"

# The fake release: the archive as the release workflow packs it.
rel="$work/srv/v$version"
bash "$here/scripts/release-pack.sh" "$version" "$t" "$bin" "$rel" > /dev/null
good=$(sha256sum "$rel/$asset" | awk '{print $1}')

# The action as checked out at a released ref: its SHA256SUMS committed beside the script.
action="$work/action"
mkdir -p "$action/scripts" "$action/release"
cp "$here/Cargo.toml" "$action/"
cp "$here/scripts/action-install.sh" "$action/scripts/"
printf '%s  %s\n' "$good" "$asset" > "$action/release/SHA256SUMS"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$work/srv" "$port" >/dev/null 2>&1 &
server=$!
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done

mkdir -p "$work/stub"
cat > "$work/stub/cargo" <<STUB
#!/bin/sh
echo "\$*" >> "$work/cargo.log"
while [ \$# -gt 0 ]; do [ "\$1" = --root ] && root=\$2; shift; done
mkdir -p "\$root/bin"
printf '#!/bin/sh\necho "burnkey $version"\n' > "\$root/bin/burnkey"
chmod +x "\$root/bin/burnkey"
STUB
chmod +x "$work/stub/cargo"

# One install on a runner with nothing on it: a fresh RUNNER_TEMP and GITHUB_PATH.
run() {
    local rt="$work/runner-$1"
    mkdir -p "$rt"
    env -i PATH="$work/stub:/usr/local/bin:/usr/bin:/bin" HOME="$work" RUNNER_TEMP="$rt" \
        GITHUB_PATH="$rt/path" ACTION_PATH="$action" BURNKEY_RELEASE_URL="http://127.0.0.1:$port" \
        bash "$action/scripts/action-install.sh"
}
fail() { echo "FAIL: $*"; exit 1; }

# 1. A matching archive: installed, no cargo, and it scans.
start=$(date +%s.%N)
run match > "$work/out" 2>&1 || { cat "$work/out"; fail "the matching archive was not installed"; }
installed="$(cat "$work/runner-match/path")/burnkey"
[ "$("$installed" --version)" = "burnkey $version" ] || fail "the installed binary is not $version"
cmp -s "$installed" "$bin" || fail "the installed binary is not the released one"
[ ! -e "$work/cargo.log" ] || fail "cargo ran although the release archive matched"
mkdir "$work/tree"
printf 'CLOUDFLARE_API_TOKEN=%s\n' "$("$bin" mint --kind cfut)" > "$work/tree/.env"
set +e; "$installed" scan "$work/tree" --quiet > /dev/null; rc=$?; set -e
[ $rc -eq 1 ] || fail "the installed binary's scan exited $rc, not 1"
end=$(date +%s.%N)
grep -q "installed from the release archive" "$work/out" || fail "no word of the archive: $(cat "$work/out")"

# 2. A mismatch: refused, nothing on PATH.
printf '%s  %s\n' "$(printf '0%.0s' $(seq 64))" "$asset" > "$action/release/SHA256SUMS"
set +e; run mismatch > "$work/out" 2>&1; rc=$?; set -e
[ $rc -ne 0 ] || fail "a checksum mismatch was installed"
grep -q "does not match the SHA-256 committed" "$work/out" || fail "no reason given: $(cat "$work/out")"
[ ! -s "$work/runner-mismatch/path" ] || fail "a mismatched archive was put on PATH"
[ ! -e "$work/runner-mismatch/burnkey-install/bin/burnkey" ] || fail "a mismatched binary was left installed"
[ ! -e "$work/cargo.log" ] || fail "cargo ran after a mismatch"

# 3. The asset missing from the release: built from source instead.
printf '%s  %s\n' "$good" "$asset" > "$action/release/SHA256SUMS"
mv "$rel/$asset" "$rel/$asset.gone"
run missing > "$work/out" 2>&1 || { cat "$work/out"; fail "a missing asset did not fall back"; }
grep -q "install --locked --path $action" "$work/cargo.log" || fail "cargo was not called for a missing asset"
[ -s "$work/runner-missing/path" ] || fail "the built burnkey was not put on PATH"
rm "$work/cargo.log"

# 4. An unreleased ref (no SHA256SUMS): built from source.
rm "$action/release/SHA256SUMS"
mv "$rel/$asset.gone" "$rel/$asset"
run unreleased > "$work/out" 2>&1 || { cat "$work/out"; fail "an unreleased ref did not build"; }
grep -q "install --locked" "$work/cargo.log" || fail "cargo was not called for an unreleased ref"

size=$(stat -c %s "$rel/$asset")
echo "action install from a release: ok (archive $((size / 1024)) KiB; download, check, unpack and a first scan in $(awk "BEGIN { printf \"%.2f\", $end - $start }") s over loopback)"
