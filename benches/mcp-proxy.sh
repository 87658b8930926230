#!/usr/bin/env bash
# `burnkey mcp-proxy` latency per message: a stdio MCP server answers tools/call with a result of
# 1 KB or 1 MB of text (a token in the middle, so the proxy masks it), N round trips each,
# interleaved, through the proxy and straight to the server in the same run; prints the median and
# p99 in milliseconds and what the proxy adds. The server is a few lines of Python, the same for
# both paths, so the difference is the proxy's.
#
# Usage: benches/mcp-proxy.sh ; env N (500)
# Needs: python3.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bk="$here/target/release/burnkey"
[ -x "$bk" ] || (cd "$here" && cargo build --release)
server=$(mktemp --suffix=.py)
trap 'rm -f "$server"' EXIT
cat > "$server" <<'PY'
import json, os, sys
tok = os.environ["BENCH_TOKEN"]
filler = "0123456789 INFO request served in 12ms path=/api/v1/items?page=3 user=42\n"
for line in sys.stdin:
    m = json.loads(line)
    if "id" not in m:
        continue
    if m["method"] == "tools/call":
        a = m["params"]["arguments"]
        size = a["size"]
        body = (filler * (size // len(filler) + 1))[:size]
        text = body[: size // 2] + " " + tok + " " + body[size // 2 :]
        res = {"content": [{"type": "text", "text": text}], "isError": False}
    else:
        res = {}
    sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": m["id"], "result": res}) + "\n")
    sys.stdout.flush()
PY
N=${N:-500} BK=$bk SERVER=$server python3 - <<'PY'
import json, os, statistics, subprocess, time
bk, n, server = os.environ["BK"], int(os.environ["N"]), os.environ["SERVER"]
tok = subprocess.run([bk, "mint", "--kind", "cfut"], capture_output=True, text=True).stdout.split()[0]
paths = {
    "through burnkey mcp-proxy": [bk, "mcp-proxy", "--", "python3", server],
    "straight to the server": ["python3", server],
}
# The server holds the token (a call whose arguments held one would be refused).
env = dict(os.environ, BENCH_TOKEN=tok)
procs = {k: subprocess.Popen(v, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env) for k, v in paths.items()}
times = {(p, s): [] for p in paths for s in (1 << 10, 1 << 20)}
for i in range(n):
    for (p, size) in times:
        pr = procs[p]
        msg = {"jsonrpc": "2.0", "id": i, "method": "tools/call",
               "params": {"name": "dump", "arguments": {"size": size}}}
        t = time.perf_counter()
        pr.stdin.write((json.dumps(msg) + "\n").encode())
        pr.stdin.flush()
        line = pr.stdout.readline()
        times[(p, size)].append((time.perf_counter() - t) * 1000)
        if b'"result"' not in line or len(line) < size:
            raise SystemExit(f"{p}: not the result: {line[:200]!r}")
        masked = tok.encode() not in line
        if masked != p.startswith("through"):
            raise SystemExit(f"{p}: the token was {'masked' if masked else 'kept'}: wrong")
for pr in procs.values():
    pr.stdin.close()
    pr.wait()
print(f"{n} round trips each, interleaved; milliseconds a message")
print(f"{'path':28} {'result':>7} {'median':>8} {'p99':>8}")
med = {}
for (p, size), ts in times.items():
    s = sorted(ts)
    med[(p, size)] = statistics.median(s)
    print(f"{p:28} {'1 KB' if size < 1 << 20 else '1 MB':>7} {med[(p, size)]:8.2f} {s[int(len(s) * 0.99) - 1]:8.2f}")
for size in (1 << 10, 1 << 20):
    add = med[("through burnkey mcp-proxy", size)] - med[("straight to the server", size)]
    print(f"the proxy adds {add:.2f} ms a message ({'1 KB' if size < 1 << 20 else '1 MB'}, median)")
PY
