# Sourced by the bench scripts. bench_bin NAME: builds benches/NAME.rs (release, as `cargo bench`
# does) and prints its executable's path. Needs $here (the crate) and python3.
bench_bin() {
    (cd "$here" && cargo bench --bench "$1" --no-run --message-format=json 2>/dev/null) |
        python3 -c 'import json, sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == sys.argv[1] and m.get("executable"):
        print(m["executable"])' "$1"
}
