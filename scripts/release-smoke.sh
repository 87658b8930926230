#!/usr/bin/env bash
# Smoke test of a release archive, run on the machine that built it before anything is
# published: it unpacks to burnkey-vVERSION-TARGET/ with the binary, the README and the licences;
# `--version` names the version; a scan finds a freshly minted token (exit 1) and passes a clean
# tree (exit 0); `--verify` asks a loopback fake of Cloudflare's API and reports the token active.
# Usage: scripts/release-smoke.sh ARCHIVE
set -euo pipefail
archive=$1
work=$(mktemp -d)
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
tar -xzf "$archive" -C "$work"
base=$(basename "$archive" .tar.gz)
dir="$work/$base"
for f in burnkey README.md LICENSE-MIT LICENSE-APACHE; do
    [ -f "$dir/$f" ] || fail "$f is not in $base/"
done
bk="$dir/burnkey"
version=${base#burnkey-v}
version=${version%%-*}
[ "$("$bk" --version)" = "burnkey $version" ] || fail "--version is not $version"

mkdir -p "$work/tree" "$work/clean"
tok=$("$bk" mint --kind cfut)
printf 'CLOUDFLARE_API_TOKEN=%s\n' "$tok" > "$work/tree/.env"
echo "nothing here" > "$work/clean/notes.txt"
set +e
"$bk" scan "$work/tree" --quiet > /dev/null
found=$?
"$bk" scan "$work/clean" --quiet > /dev/null
clean=$?
set -e
[ $found -eq 1 ] || fail "a scan of a minted token exited $found, not 1"
[ $clean -eq 0 ] || fail "a scan of a clean tree exited $clean, not 0"

# A loopback fake of Cloudflare's token verification.
cat > "$work/fake.py" <<'PY'
import http.server, json, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ok = self.path.endswith("/user/tokens/verify") and self.headers.get("Authorization", "").startswith("Bearer cfut_")
        body = json.dumps({"success": ok, "errors": [] if ok else [{"code": 1000, "message": "Invalid API Token"}],
                           "messages": [], "result": {"id": "0123456789abcdef", "status": "active"} if ok else None}).encode()
        self.send_response(200 if ok else 401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
PY
python3 "$work/fake.py" > "$work/port" &
server=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(cat "$work/port")
set +e
BURNKEY_CLOUDFLARE_API_URL="http://127.0.0.1:$port/client/v4" "$bk" scan "$work/tree" --verify --format json > "$work/verify.json"
rc=$?
set -e
[ $rc -eq 1 ] || fail "--verify exited $rc"
python3 - "$work/verify.json" "$tok" <<'PY' || fail "--verify did not report the token active"
import json, sys
doc = json.load(open(sys.argv[1]))
assert sys.argv[2] not in open(sys.argv[1]).read(), "the token is in the report"
assert doc["verification"]["active"] == 1, doc["verification"]
PY
echo "release smoke test: ok ($base)"
