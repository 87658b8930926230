#!/usr/bin/env bash
# Runs each fuzz target for SECONDS (default 600) on one core, seeding the corpus with minted
# tokens (made here, not committed). Needs cargo-fuzz; on a stable toolchain it builds with
# RUSTC_BOOTSTRAP=1. Usage: fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-600}; shift || true
targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=(token_parser scope_grammar stream_equals_slice decoders archives redact serve_report)
export RUSTC_BOOTSTRAP=1
bk=../target/release/burnkey
[ -x "$bk" ] || (cd .. && cargo build --release)
mkdir -p corpus/token_parser corpus/scope_grammar corpus/stream_equals_slice corpus/decoders corpus/archives corpus/redact corpus/serve_report
for k in cfut cfat cfk ghp gho npm; do "$bk" mint --kind "$k" | tr -d '\n' > "corpus/token_parser/seed-$k"; done
for s in 'dns:edit@zone/example.com' 'workers:read@account/*' '*:read@*/*'; do printf '%s' "$s" > "corpus/scope_grammar/seed-$(echo "$s" | md5sum | cut -c1-8)"; done
# Archives to mutate: gzip, tar, tar.gz, xz, lzma, bzip2, zstd, zip (stored and deflated), a
# gzip in base64, each holding a token.
tok=$("$bk" mint --kind cfut)
seed=$(mktemp -d); trap 'rm -rf "$seed"' EXIT
printf 'a\nTOKEN=%s\n' "$tok" > "$seed/t.txt"
gzip -c "$seed/t.txt" > corpus/archives/seed-gz
tar -C "$seed" -cf corpus/archives/seed-tar t.txt
tar -C "$seed" -czf corpus/archives/seed-tgz t.txt
for c in xz bzip2 zstd; do
    command -v "$c" >/dev/null && "$c" -c "$seed/t.txt" > "corpus/archives/seed-$c"
done
command -v xz >/dev/null && xz --format=lzma -c "$seed/t.txt" > corpus/archives/seed-lzma
printf 'data: %s\n' "$(gzip -c "$seed/t.txt" | base64 -w0)" > corpus/archives/seed-b64gz
python3 - "$seed/t.txt" corpus/archives/seed-zip <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[2], "w") as z:
    z.write(sys.argv[1], "stored.txt", compress_type=zipfile.ZIP_STORED)
    z.write(sys.argv[1], "deflated.txt", compress_type=zipfile.ZIP_DEFLATED)
PY
printf '%s' "$tok" > corpus/decoders/seed-token
printf '[{"token": "%s", "type": "t", "url": "a:1", "source": "file"}, {"token_hash": "%s", "type": "t"}]' "$tok" "$(printf '%s' "$tok" | sha256sum | cut -c1-64)" > corpus/serve_report/seed-report
printf 'Authorization: Bearer vGNWAMsI-z0oaWdfZp_lvi60ZIF8-qR38Ony1dHq\nHost: api.cloudflare.com\n%s\n' "$tok" > corpus/redact/seed-log
for t in "${targets[@]}"; do
    echo "== $t for ${secs}s"
    cargo fuzz run -O "$t" "corpus/$t" -- -max_total_time="$secs" -dict=dict.txt -max_len=4096 -print_final_stats=1 2>&1 | tail -n 12
done
