#!/usr/bin/env bash
# Installs burnkey for the GitHub Action, without a compiler when it can:
# 1. a burnkey of the action's version already on PATH, or in the cached install root: used;
# 2. a released version (the SHA-256 of its archive for this runner is committed in the action's
#    repository, release/SHA256SUMS): the archive is downloaded from that version's release
#    (BURNKEY_RELEASE_URL overrides the base URL, for tests), checked against the committed
#    SHA-256 (never one downloaded beside it) and unpacked. A mismatch is an error: nothing is put
#    on PATH;
# 3. else (an unreleased ref, a platform with no archive, the asset missing or not downloadable,
#    or BURNKEY_INSTALL=source): built from the action's own checkout with cargo.
set -euo pipefail
action="${ACTION_PATH:-${GITHUB_ACTION_PATH:?}}"
root="${RUNNER_TEMP:-/tmp}/burnkey-install"
want=$(sed -n 's/^version = "\(.*\)"/\1/p' "$action/Cargo.toml" | head -n 1)

have_version() { "$1" --version 2>/dev/null | awk '{print $2}'; }

if command -v burnkey >/dev/null 2>&1 && [ "$(have_version burnkey)" = "$want" ]; then
    echo "burnkey $want is on PATH ($(command -v burnkey)): no build needed"
    exit 0
fi

# The release target of this runner, as the release workflow names its archives.
target() {
    case "$(uname -s)-$(uname -m)" in
        Linux-x86_64) echo x86_64-unknown-linux-musl ;;
        Linux-aarch64 | Linux-arm64) echo aarch64-unknown-linux-musl ;;
        Darwin-x86_64) echo x86_64-apple-darwin ;;
        Darwin-arm64) echo aarch64-apple-darwin ;;
    esac
}

sha256() {
    if command -v sha256sum >/dev/null; then sha256sum "$1" | awk '{print $1}'; else shasum -a 256 "$1" | awk '{print $1}'; fi
}

# Downloads and checks the release archive; 0 installed, 1 not available (build instead); a
# checksum mismatch exits the script.
download() {
    local t asset expected base url tmp
    t=$(target)
    [ -n "$t" ] || { echo "no release archive for $(uname -s) $(uname -m)"; return 1; }
    asset="burnkey-v$want-$t.tar.gz"
    expected=$(awk -v a="$asset" '$2 == a || $2 == "*" a {print $1; exit}' "$action/release/SHA256SUMS" 2>/dev/null || true)
    [ -n "$expected" ] || { echo "burnkey $want is not a release this action knows (no SHA-256 for $asset)"; return 1; }
    base="${BURNKEY_RELEASE_URL:-https://github.com/${GITHUB_ACTION_REPOSITORY:-burnkey/burnkey}/releases/download}"
    url="$base/v$want/$asset"
    tmp=$(mktemp -d)
    if ! curl --fail --silent --show-error --location --retry 3 --max-time 120 -o "$tmp/$asset" "$url"; then
        rm -rf "$tmp"
        echo "::warning::could not download $url: building burnkey from source instead"
        return 1
    fi
    local got
    got=$(sha256 "$tmp/$asset")
    if [ "$got" != "$expected" ]; then
        rm -rf "$tmp"
        echo "::error::$asset does not match the SHA-256 committed in the action (release/SHA256SUMS): expected $expected, got $got. Refusing to install it."
        exit 1
    fi
    tar -xzf "$tmp/$asset" -C "$tmp"
    mkdir -p "$root/bin"
    install -m 0755 "$tmp/burnkey-v$want-$t/burnkey" "$root/bin/burnkey.new"
    mv -f "$root/bin/burnkey.new" "$root/bin/burnkey"
    rm -rf "$tmp"
    echo "burnkey $want installed from the release archive $asset (SHA-256 $got, as committed)"
}

if [ -x "$root/bin/burnkey" ] && [ "$(have_version "$root/bin/burnkey")" = "$want" ]; then
    echo "burnkey $want restored from the cache"
elif [ "${BURNKEY_INSTALL:-}" != source ] && download; then
    :
else
    echo "building burnkey $want from $action"
    cargo install --locked --path "$action" --root "$root"
fi
echo "$root/bin" >> "$GITHUB_PATH"
