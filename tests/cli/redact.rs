//! `burnkey redact`: the real binary as a filter, on stdin, files and pipes.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use base64::Engine as _;
use serde_json::Value;

use crate::common::{bin, corrupt, mint, parts, sha, Tree};

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// Runs `burnkey redact ARGS` with `input` on stdin.
fn redact(args: &[&str], input: &[u8]) -> (i32, Vec<u8>, String) {
    let o = bin()
        .arg("redact")
        .args(args)
        .write_stdin(input.to_vec())
        .output()
        .unwrap();
    let code = o.status.code().unwrap_or(-1);
    (
        code,
        o.stdout,
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Whether `burnkey scan` finds anything in `data` (decoding included).
fn scan_finds(data: &[u8]) -> bool {
    let o = bin()
        .args(["scan", "-q", "-"])
        .write_stdin(data.to_vec())
        .output()
        .unwrap();
    match o.status.code() {
        Some(0) => false,
        Some(1) => true,
        c => panic!("scan failed: {c:?} {}", String::from_utf8_lossy(&o.stderr)),
    }
}

#[test]
fn masks_tokens_keeps_everything_else_and_exits_as_told() {
    let (t, g) = (mint("cfut"), mint("ghp"));
    let input = format!("start\nexport T={t}\n\tx={g};\nlast line, no newline");
    let (code, out, err) = redact(&[], input.as_bytes());
    assert_eq!(code, 0, "{err}");
    let want = input
        .replace(&t[5..], &"*".repeat(t.len() - 5))
        .replace(&g[4..], &"*".repeat(g.len() - 4));
    assert_eq!(String::from_utf8(out).unwrap(), want);
    assert!(err.is_empty(), "a filter says nothing: {err}");

    let (code, out, _) = redact(&["--fail-on-findings"], input.as_bytes());
    assert_eq!((code, out.len()), (1, input.len()));
    let (code, out, _) = redact(&["--fail-on-findings"], b"nothing here\n");
    assert_eq!((code, out), (0, b"nothing here\n".to_vec()));

    let (code, out, _) = redact(
        &["--mask", "[REDACTED {rule}]"],
        format!("a {t} b").as_bytes(),
    );
    assert_eq!(code, 0);
    assert_eq!(out, b"a [REDACTED cloudflare-user-api-token] b");
    let (code, _, err) = redact(&["--mask", "{secret}"], b"");
    assert_eq!(code, 2);
    assert!(err.contains("unknown placeholder"), "{err}");
}

#[test]
fn shapes_masks_checksum_invalid_lookalikes_only_when_asked() {
    let bad = corrupt(&mint("cfat"));
    let input = format!("x {bad}\n");
    assert_eq!(redact(&[], input.as_bytes()).1, input.as_bytes());
    let (_, out, _) = redact(&["--shapes"], input.as_bytes());
    assert_eq!(
        String::from_utf8(out).unwrap(),
        format!("x cfat_{}\n", "*".repeat(bad.len() - 5))
    );
}

#[test]
fn a_jsonl_transcript_stays_valid_json_line_by_line() {
    let (a, b, c, d) = (mint("cfut"), mint("github_pat"), mint("npm"), mint("cfat"));
    let env = format!("CLOUDFLARE_API_TOKEN={d}\n");
    let lines = [
        serde_json::json!({"role": "user", "content": format!("my token is {a}, keep it safe")}),
        serde_json::json!({"role": "tool", "name": "read_file", "output": format!("{env}GH={b}\n")}),
        serde_json::json!({"role": "tool", "output": format!("cat .env | base64 → {}", b64(&env))}),
        serde_json::json!({"role": "assistant", "content": "done", "meta": {"npm": c}}),
    ];
    let mut input = String::new();
    for l in &lines {
        input.push_str(&serde_json::to_string(l).unwrap());
        input.push('\n');
    }
    // JSON writes `\u005f` for nothing here; a tool that escapes more does.
    input.push_str(&format!(
        "{{\"escaped\":\"{}\"}}\n",
        mint("cfk").replacen('_', "\\u005f", 1)
    ));
    let (code, out, err) = redact(&["--fail-on-findings"], input.as_bytes());
    assert_eq!(code, 1, "{err}");
    assert_eq!(out.len(), input.len());
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), lines.len() + 1);
    for line in text.lines() {
        let v: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not JSON after redaction ({e}): {line}"));
        assert!(v.is_object());
    }
    for t in [&a, &b, &c, &d] {
        assert!(!text.contains(&t[8..]), "{t} survived");
    }
    assert!(
        !scan_finds(text.as_bytes()),
        "the scanner still finds a token"
    );
    assert!(scan_finds(input.as_bytes()));
}

#[test]
fn report_lists_what_was_masked_without_the_tokens() {
    let tree = Tree::new();
    let t = mint("cfut");
    let f = tree.write("app.log", format!("ok\nauth {t}\n"));
    let rep = tree.join("masked.json");
    let o = bin()
        .arg("redact")
        .arg(&f)
        .arg("--report")
        .arg(&rep)
        .output()
        .unwrap();
    let (code, out, err) = parts(&o);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains(&t[5..]));
    let text = std::fs::read_to_string(&rep).unwrap();
    assert!(!text.contains(&t[5..]), "the report holds no token");
    let mode = std::fs::metadata(&rep).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let doc: Value = serde_json::from_str(&text).unwrap();
    let found = doc["findings"].as_array().unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["rule_id"], "cloudflare-user-api-token");
    assert_eq!(found[0]["secret_sha256"], sha(&t));
    assert_eq!(
        (found[0]["line"].as_u64(), found[0]["column"].as_u64()),
        (Some(2), Some(6))
    );
    assert_eq!(found[0]["path"], f.display().to_string());
    assert_eq!(doc["stats"]["findings"], 1);
}

#[test]
fn inputs_that_cannot_be_read_are_named_and_the_rest_still_done() {
    let tree = Tree::new();
    let t = mint("ghp");
    let good = tree.write("good.txt", format!("{t}\n"));
    let dir = tree.join("sub");
    std::fs::create_dir(&dir).unwrap();
    let missing = tree.join("gone\x1b[31m.txt");
    let o = bin()
        .arg("redact")
        .arg(&missing)
        .arg(&dir)
        .arg(&good)
        .output()
        .unwrap();
    let (code, out, err) = parts(&o);
    assert_eq!(code, 2);
    assert_eq!(out, format!("ghp_{}\n", "*".repeat(t.len() - 4)));
    assert!(err.contains("is a directory"), "{err}");
    assert!(err.contains("gone"), "{err}");
    assert!(!err.contains('\x1b'), "names are escaped: {err:?}");
}

#[test]
fn in_place_rewrites_only_files_with_tokens_and_keeps_their_mode() {
    let tree = Tree::new();
    let t = mint("cfat");
    let dirty = tree.write("dirty.env", format!("A=1\nT={t}\n"));
    std::fs::set_permissions(&dirty, std::fs::Permissions::from_mode(0o640)).unwrap();
    let clean = tree.write("clean.txt", "nothing\n");
    let link = tree.join("link.env");
    std::os::unix::fs::symlink(&dirty, &link).unwrap();
    let before = std::fs::metadata(&clean).unwrap();
    std::thread::sleep(Duration::from_millis(20));
    // A link is refused, never written through (the second hardening
    // round: a link in a log folder could name any file of the user's).
    let o = bin()
        .args(["redact", "--in-place"])
        .arg(&link)
        .output()
        .unwrap();
    let (code, _, err) = parts(&o);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("symlink"), "{err}");
    assert!(std::fs::read_to_string(&dirty).unwrap().contains(&t));
    let o = bin()
        .args(["redact", "--in-place"])
        .arg(&clean)
        .arg(&dirty)
        .output()
        .unwrap();
    let (code, out, err) = parts(&o);
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty(), "in place writes nothing to stdout");
    assert_eq!(
        std::fs::read_to_string(&dirty).unwrap(),
        format!("A=1\nT=cfat_{}\n", "*".repeat(t.len() - 5))
    );
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    let mode = std::fs::metadata(&dirty).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    let after = std::fs::metadata(&clean).unwrap();
    assert_eq!(
        (
            after.modified().unwrap(),
            std::os::unix::fs::MetadataExt::ino(&after)
        ),
        (
            before.modified().unwrap(),
            std::os::unix::fs::MetadataExt::ino(&before)
        ),
        "a file without tokens is not rewritten"
    );
    let leftovers: Vec<_> = std::fs::read_dir(tree.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let (code, _, err) = redact(&["--in-place"], b"");
    assert_eq!(code, 2);
    assert!(err.contains("--in-place"), "{err}");

    // A token that ends the file, with no line break after it, is the
    // last thing settled: still counted, still rewritten.
    let g = mint("ghp");
    let last = tree.write("last.txt", &g);
    let o = bin()
        .args(["redact", "--in-place", "--fail-on-findings"])
        .arg(&last)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(&last).unwrap(),
        format!("ghp_{}", "*".repeat(g.len() - 4))
    );
}

#[test]
fn in_place_is_atomic_under_kill() {
    let tree = Tree::new();
    // Big enough that the debug binary is still writing when killed.
    let t = mint("cfut");
    let mut original = String::new();
    let mut i = 0;
    while original.len() < 8 << 20 {
        original.push_str(&format!(
            "{i:08} some log text {t} and more text after it\n"
        ));
        i += 1;
    }
    let masked = original.replace(&t[5..], &"*".repeat(t.len() - 5));
    let f = tree.write("big.log", &original);
    let exe = crate::common::exe();
    let mut outcomes = (0, 0);
    for delay in [5u64, 30, 80, 150, 300, 600] {
        std::fs::write(&f, &original).unwrap();
        let mut child = Command::new(&exe)
            .args(["redact", "--in-place"])
            .arg(&f)
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay));
        let _ = child.kill();
        child.wait().unwrap();
        let now = std::fs::read(&f).unwrap();
        if now == original.as_bytes() {
            outcomes.0 += 1;
        } else {
            assert!(now == masked.as_bytes(), "killed after {delay} ms: a mix");
            outcomes.1 += 1;
        }
    }
    // Every kill left the old file or the new one, and landed mid-write:
    // the temporary file it was writing is still there.
    assert!(outcomes.0 >= 1, "{outcomes:?}");
    let tmp = std::fs::read_dir(tree.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".tmp")
        })
        .count();
    assert!(tmp >= 1, "no kill landed while the new file was written");
}

#[test]
fn a_line_comes_through_the_pipe_before_the_writer_closes_it() {
    let exe = crate::common::exe();
    let mut child = Command::new(exe)
        .arg("redact")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    let wait = Duration::from_secs(20);
    stdin.write_all(b"first line\n").unwrap();
    stdin.flush().unwrap();
    assert_eq!(
        rx.recv_timeout(wait)
            .expect("the line waited for more input"),
        "first line"
    );
    let t = mint("ghp");
    stdin.write_all(format!("token {t}\n").as_bytes()).unwrap();
    stdin.flush().unwrap();
    let got = rx.recv_timeout(wait).expect("the token's line waited");
    assert_eq!(got, format!("token ghp_{}", "*".repeat(t.len() - 4)));
    drop(stdin);
    assert!(child.wait().unwrap().success());
    reader.join().unwrap();
}

/// `redact < FILE`: standard input that is a regular file is read in
/// blocks side by side like a named file, with the same output; one that
/// someone has read from already is read on from where they stopped, and
/// left at its end for whoever shares it.
#[test]
fn a_regular_file_on_stdin_is_redacted_like_a_named_one_from_where_it_stands() {
    let t = Tree::new();
    let tok = mint("cfut");
    // Over the size where a named file is read in parallel blocks, a token
    // every few hundred lines, some across where the blocks fall.
    let mut text = String::new();
    let mut i = 0;
    while text.len() < 18 << 20 {
        text.push_str(&format!("{i:08} INFO served /api/items?page=3 in 12ms\n"));
        if i % 4000 == 0 {
            text.push_str(&format!("CLOUDFLARE_API_TOKEN={tok}\n"));
        }
        i += 1;
    }
    let path = t.write("big.log", &text);
    let named = bin().args(["redact"]).arg(&path).output().unwrap();
    let piped = std::process::Command::new(crate::common::exe())
        .arg("redact")
        .stdin(std::fs::File::open(&path).unwrap())
        .output()
        .unwrap();
    assert_eq!(named.status.code(), Some(0));
    assert_eq!(piped.status.code(), Some(0));
    assert!(
        named.stdout == piped.stdout,
        "stdin and the named file differ"
    );
    let want = text.replace(&tok, &format!("cfut_{}", "*".repeat(tok.len() - 5)));
    assert!(
        named.stdout == want.as_bytes(),
        "not masked as it should be"
    );
    // Read from where the offset stands, and leave it at the end.
    let o = std::process::Command::new("sh")
        .arg("-c")
        .arg(
            r#"{ dd bs=10 count=1 of=/dev/null 2>/dev/null; "$BK" redact; echo END; cat; } < "$F""#,
        )
        .env("BK", crate::common::exe())
        .env("F", &path)
        .output()
        .unwrap();
    let mut expect = want.as_bytes()[10..].to_vec();
    expect.extend_from_slice(b"END\n");
    assert!(
        o.stdout == expect,
        "{} bytes, not {}",
        o.stdout.len(),
        expect.len()
    );
}
