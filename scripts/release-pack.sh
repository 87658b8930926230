#!/usr/bin/env bash
# Packs a release archive: burnkey-vVERSION-TARGET.tar.gz holding burnkey-vVERSION-TARGET/ with
# the binary, the README and the licences (the layout `cargo binstall` and the Action expect).
# Usage: scripts/release-pack.sh VERSION TARGET BINARY OUT_DIR
set -euo pipefail
version=$1 target=$2 binary=$3 out=$4
here=$(cd "$(dirname "$0")/.." && pwd)
name="burnkey-v$version-$target"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name" "$out"
install -m 0755 "$binary" "$stage/$name/burnkey"
cp "$here/README.md" "$here/LICENSE-MIT" "$here/LICENSE-APACHE" "$stage/$name/"
# Reproducible: sorted names, no owner, the commit's time.
mtime=$(git -C "$here" log -1 --format=%ct 2>/dev/null || echo 0)
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$mtime" -C "$stage" -cf - "$name" |
    gzip -n -9 > "$out/$name.tar.gz"
echo "$out/$name.tar.gz"
