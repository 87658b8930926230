//! Regression tests for what a local attacker or a hostile repository could
//! do (the hardening issue): each failed on the release before it.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use crate::common::*;
use crate::server::refused_addr;

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

/// Runs the real binary with umask 000, as a careless shell profile would.
fn burnkey_umask0(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let bin = crate::common::exe();
    Command::new("sh")
        .arg("-c")
        .arg("umask 000 && exec \"$0\" \"$@\"")
        .arg(bin)
        .args(args)
        .envs(env.iter().copied())
        .current_dir(cwd)
        .output()
        .unwrap()
}

/// Item 1: the atomic rewrite replaced a symlinked store with a new file,
/// so `verify` on the real store still allowed a "revoked" token; the rewrite
/// also reset 0600 to 0644.
#[test]
fn store_revoke_through_a_symlink_revokes_the_real_store_and_keeps_its_mode() {
    let t = Tree::new();
    std::fs::create_dir(t.join("real")).unwrap();
    let real = t.join("real/s.jsonl");
    let o = bin()
        .args([
            "mint",
            "--kind",
            "cfut",
            "--scope",
            "dns:read@zone/*",
            "--store",
        ])
        .arg(&real)
        .output()
        .unwrap();
    let tok = String::from_utf8(o.stdout).unwrap().trim().to_string();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).unwrap();
    let link = t.join("link.jsonl");
    std::os::unix::fs::symlink("real/s.jsonl", &link).unwrap();

    let o = bin()
        .args(["store", "revoke", &tok, "--store"])
        .arg(&link)
        .output()
        .unwrap();
    assert_eq!(parts(&o).0, 0, "{}", parts(&o).1);
    let o = bin()
        .args(["verify", &tok, "--scope", "dns:read@zone/a", "--store"])
        .arg(&real)
        .output()
        .unwrap();
    let (code, out, _) = parts(&o);
    assert_eq!(code, 1, "the real store must deny: {out}");
    assert!(out.contains("revoked"), "{out}");
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(mode(&real), 0o600, "the rewrite keeps the store's mode");
}

/// Item 12: reports with full tokens or hashes, record stores and the outbox
/// were created world-readable (0644 / 0755 with the usual umask, 0666 with
/// umask 000).
#[test]
fn files_holding_tokens_or_hashes_are_private_whatever_the_umask() {
    let t = Tree::new();
    let tok = mint("cfut");
    t.write("src/a.txt", format!("{tok}\n"));
    let o = burnkey_umask0(
        t.path(),
        &[
            "scan",
            "src",
            "--show-secret",
            "-o",
            "rep.json",
            "--format",
            "json",
            "--sarif",
            "rep.sarif",
        ],
        &[],
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(std::fs::read_to_string(t.join("rep.json"))
        .unwrap()
        .contains(&tok));
    assert_eq!(mode(&t.join("rep.json")), 0o600);
    assert_eq!(mode(&t.join("rep.sarif")), 0o600);

    let o = burnkey_umask0(
        t.path(),
        &["mint", "--kind", "cfat", "--store", "tokens.jsonl"],
        &[],
    );
    assert!(o.status.success());
    assert_eq!(mode(&t.join("tokens.jsonl")), 0o600);
    assert_eq!(mode(&t.join("tokens.jsonl.lock")), 0o600);

    let refused = refused_addr();
    t.write(
        "burnkey.toml",
        format!("[[revoke]]\nrules = [\"*\"]\nurl = \"http://{refused}/r\"\nsecret_env = \"TEST_REVOKE_SECRET\"\nsend = \"hash\"\nretry_for = \"100ms\"\nbackoff = \"10ms\"\n"),
    );
    let o = burnkey_umask0(
        t.path(),
        &[
            "scan",
            "src",
            "--revoke",
            "--config",
            "burnkey.toml",
            "--outbox",
            "state/outbox",
        ],
        &[(
            "TEST_REVOKE_SECRET",
            "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
        )],
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let outbox = t.join("state/outbox");
    assert_eq!(mode(&t.join("state")), 0o700);
    assert_eq!(mode(&outbox), 0o700);
    let files: Vec<_> = std::fs::read_dir(&outbox)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    assert_eq!(files.len(), 1, "one request waits");
    assert_eq!(mode(&files[0]), 0o600);
}

const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

/// An outbox entry as an attacker who can write the folder (but does not
/// know the webhook secret) would plant it.
fn planted(endpoint: &str, id: &str, mac: Option<&str>) -> String {
    let mut v = serde_json::json!({
        "version": 1, "webhook_id": id, "endpoint": endpoint,
        "secret_env": "TEST_REVOKE_SECRET", "send": "hash", "rule_id": "cloudflare-user-api-token",
        "location": "x:1", "source": "file", "token_sha256": "ab".repeat(32),
        "redacted": "cfut_abcd...", "attempts": 0, "created_at": "2026-01-01T00:00:00Z",
    });
    if let Some(m) = mac {
        v["mac"] = m.into();
    }
    v.to_string()
}

/// Item 7: `revoke flush` signed whatever the outbox held with the real
/// secret and sent it wherever the file said: a signing oracle.
#[test]
fn flush_sends_nothing_it_cannot_authenticate_to_an_endpoint_it_does_not_know() {
    use crate::server::{Act, Server};
    let configured = Server::start(|_, _| Act::Reply(202, vec![]));
    let attacker = Server::start(|_, _| Act::Reply(202, vec![]));
    let t = Tree::new();
    t.write(
        "burnkey.toml",
        format!(
            "[[revoke]]\nrules = [\"*\"]\nurl = \"{}\"\nsecret_env = \"TEST_REVOKE_SECRET\"\nsend = \"hash\"\n",
            configured.url()
        ),
    );
    let ob = t.join("outbox");
    std::fs::create_dir(&ob).unwrap();
    t.write(
        "outbox/msg_elsewhere.json",
        planted(&attacker.url(), "msg_elsewhere", None),
    );
    t.write(
        "outbox/msg_forged.json",
        planted(
            &configured.url(),
            "msg_forged",
            Some("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
        ),
    );
    std::os::unix::fs::symlink("/dev/zero", ob.join("msg_zero.json")).unwrap();
    let o = bin()
        .current_dir(t.path())
        .env("TEST_REVOKE_SECRET", SECRET)
        .args(["revoke", "flush", "--outbox", "outbox"])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let (code, out, err) = parts(&o);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        attacker.seen().is_empty(),
        "nothing goes to an endpoint burnkey.toml does not name"
    );
    assert!(
        configured.seen().is_empty(),
        "nothing unauthenticated is signed and sent"
    );
    assert_eq!(err.matches("quarantined").count(), 3, "{err}");
    assert!(
        err.contains("not configured") && err.contains("not authenticated"),
        "{err}"
    );
    let left: Vec<_> = std::fs::read_dir(&ob)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(left, vec!["quarantine"], "{left:?}");
    let o = bin()
        .args(["revoke", "status", "--format", "json", "--outbox"])
        .arg(&ob)
        .output()
        .unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        rows.as_array()
            .unwrap()
            .iter()
            .filter(|r| r["state"] == "quarantined")
            .count(),
        2,
        "the two readable entries; the link is listed as unreadable: {rows}"
    );

    // Without a burnkey.toml there is nowhere it may send to.
    let o = bin()
        .current_dir(t.path())
        .env("TEST_REVOKE_SECRET", SECRET)
        .args([
            "revoke",
            "flush",
            "--outbox",
            "outbox",
            "--config",
            "absent.toml",
        ])
        .output()
        .unwrap();
    let (code, _, err) = parts(&o);
    assert_eq!(code, 2);
    assert!(err.contains("--config"), "{err}");
}

/// Item 11: with the outbox unwritable and the endpoint failing, the summary
/// said "1 waiting in the outbox" although nothing was written.
#[test]
fn an_unwritable_outbox_is_not_reported_as_waiting() {
    let refused = refused_addr();
    let t = Tree::new();
    t.write("src/a.txt", format!("{}\n", mint("cfut")));
    t.write(
        "burnkey.toml",
        format!("[[revoke]]\nrules = [\"*\"]\nurl = \"http://{refused}/r\"\nsecret_env = \"TEST_REVOKE_SECRET\"\nretry_for = \"100ms\"\nbackoff = \"10ms\"\n"),
    );
    let blocker = t.write("not-a-dir", "x");
    let o = bin()
        .current_dir(t.path())
        .env("TEST_REVOKE_SECRET", SECRET)
        .args([
            "scan",
            "src",
            "--revoke",
            "--config",
            "burnkey.toml",
            "--outbox",
        ])
        .arg(blocker.join("outbox"))
        .output()
        .unwrap();
    let (code, _, err) = parts(&o);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("0 waiting in the outbox"), "{err}");
    assert!(!err.contains("1 waiting in the outbox"), "{err}");
    assert!(!err.contains("revoke flush"), "nothing to flush: {err}");
    assert!(
        err.contains("not journaled") && err.contains("lost unless"),
        "{err}"
    );
}

/// Item 6: `gen | burnkey scan - --format jsonl` printed nothing until EOF.
#[test]
fn findings_from_stdin_appear_before_the_input_ends() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::Stdio;
    let tok = mint("cfut");
    let mut child = Command::new(crate::common::exe())
        .args(["scan", "-", "--format", "jsonl"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // A token, then more input than one read holds behind it (so the
    // scanner can decide), and the stream stays open.
    writeln!(stdin, "export CLOUDFLARE_API_TOKEN={tok}").unwrap();
    stdin.write_all(&vec![b'.'; 300 * 1024]).unwrap();
    stdin.flush().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the finding is printed while stdin is still open");
    let f: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(f["secret_sha256"], sha(&tok));
    assert_eq!(f["path"], "<stdin>");
    drop(stdin);
    assert_eq!(child.wait().unwrap().code(), Some(1));
}

/// Item 9: `burnkey scan dir | head -1` exited 0 (a broken pipe was taken
/// for success) although it had found tokens.
#[test]
fn a_reader_that_goes_away_does_not_make_the_scan_clean() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let t = Tree::new();
    let tok = mint("cfat");
    // ~400 KiB of output: more than a pipe holds.
    t.write("many.txt", format!("{tok}\n").repeat(5000));
    for format in ["text", "jsonl", "json"] {
        let mut child = Command::new(crate::common::exe())
            .args(["scan", "-q", "--format", format])
            .arg(t.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        // The reader is gone (dropped with the BufReader).
        let o = child.wait_with_output().unwrap();
        assert_eq!(
            o.status.code(),
            Some(1),
            "{format}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

/// Item 6: SARIF past GitHub's 25,000 results per run was rejected on
/// upload; the rest are now counted in the run's properties and on stderr.
#[test]
fn sarif_respects_code_scannings_result_limit() {
    let t = Tree::new();
    let tok = mint("cfk");
    t.write("many.txt", format!("{tok}\n").repeat(25_010));
    let o = bin()
        .current_dir(t.path())
        .args([
            "scan",
            "many.txt",
            "--format",
            "sarif",
            "--sarif",
            "copy.sarif",
        ])
        .output()
        .unwrap();
    let (code, out, err) = parts(&o);
    assert_eq!(code, 1);
    crate::scan::validate_sarif(&out);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let run = &doc["runs"][0];
    assert_eq!(run["results"].as_array().unwrap().len(), 25_000);
    assert_eq!(run["properties"]["burnkey"]["omittedResults"], 10);
    assert!(err.contains("10 more are left out"), "{err}");
    let copy: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(t.join("copy.sarif")).unwrap()).unwrap();
    assert_eq!(copy["runs"][0]["results"].as_array().unwrap().len(), 25_000);
}

/// Items 2 and 3: a file named "x\n*\n#" made `--print-fingerprints >
/// .burnkeyignore` write a bare `*` line (allowing every later leak), and
/// ESC, BEL and CR in names reached terminals and CI logs raw.
#[test]
fn hostile_file_names_cannot_inject_lines_or_terminal_escapes() {
    let t = Tree::new();
    let tok = mint("cfut");
    std::fs::write(t.join("x\n*\n#"), format!("{tok}\n")).unwrap();
    std::fs::write(
        t.join("e\x1b[2J\x07vil\r.txt"),
        format!("{}\n", mint("npm")),
    )
    .unwrap();
    let raw = |s: &str| s.chars().any(|c| c.is_control() && c != '\n');
    let o = bin()
        .current_dir(t.path())
        .args(["scan", ".", "--print-fingerprints"])
        .output()
        .unwrap();
    let (_, out, _) = parts(&o);
    assert_eq!(out.lines().count(), 2, "{out:?}");
    for l in out.lines() {
        let fp = l.split_whitespace().next().unwrap();
        assert!(
            fp.len() == 32 && fp.bytes().all(|c| c.is_ascii_hexdigit()),
            "{l:?}"
        );
    }
    assert!(!raw(&out), "{out:?}");
    std::fs::write(t.join(".burnkeyignore"), &out).unwrap();
    let later = mint("cfat");
    t.write("later.txt", format!("{later}\n"));
    let (code, doc) = scan_json(t.path(), &["."]);
    assert_eq!(code, 1, "a later leak is still found");
    assert_eq!(hashes(&doc), vec![sha(&later)]);

    std::fs::remove_file(t.join(".burnkeyignore")).unwrap();
    for format in ["text", "github"] {
        let o = bin()
            .current_dir(t.path())
            .args(["scan", ".", "--color", "never", "--format", format])
            .output()
            .unwrap();
        let (_, out, err) = parts(&o);
        assert!(!raw(&out) && !raw(&err), "{format}: {out:?} {err:?}");
        assert!(out.contains("\\x1b[2J\\x07vil"), "{format}: {out:?}");
    }
}

/// Item 8: a root that cannot be read exited 0 with "0 findings".
#[test]
fn a_root_that_cannot_be_read_is_an_error_not_a_clean_scan() {
    use std::process::Stdio;
    let t = Tree::new();
    std::fs::set_permissions(t.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::os::unix::fs::symlink("nowhere.txt", t.join("dangling")).unwrap();
    let o = bin()
        .current_dir(t.path())
        .args(["scan", "dangling"])
        .output()
        .unwrap();
    assert_eq!(
        parts(&o).0,
        2,
        "a dangling link as the root: {}",
        parts(&o).2
    );
    // stdin is a folder, or closed.
    let o = Command::new(crate::common::exe())
        .args(["scan", "-"])
        .stdin(std::fs::File::open(t.path()).unwrap())
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = Command::new("sh")
        .arg("-c")
        .arg("exec \"$0\" scan - <&-")
        .arg(crate::common::exe())
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // A file nobody may read, as the root (run as nobody when we are root).
    let locked = t.write("locked.txt", mint("cfat"));
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let mut cmd = if unsafe { libc::geteuid() } == 0 {
        let mut c = assert_cmd::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(crate::common::exe());
        c
    } else {
        bin()
    };
    let o = cmd
        .current_dir(t.path())
        .args(["scan", "locked.txt"])
        .output()
        .unwrap();
    let (code, _, err) = parts(&o);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("locked.txt") && err.contains("ermission denied"),
        "{err}"
    );
    // A pipe named as a root is read (`burnkey scan <(cmd)`).
    let tok = mint("cfut");
    let o = Command::new("bash")
        .arg("-c")
        .arg(format!("exec \"$0\" scan -q --format jsonl <(echo {tok})"))
        .arg(crate::common::exe())
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains(&sha(&tok)));
}

/// Item 4: an entry swapped for a symlink (or a pipe, or another file)
/// between the walk listing it and burnkey opening it was followed: a token
/// from outside the tree was reported (and with --revoke, sent), and a link
/// to /dev/zero hung the scan. A debug-build pause makes the race certain.
#[test]
fn entries_swapped_during_the_walk_are_not_followed() {
    use std::process::Stdio;
    // The pause is in debug builds only, and under `cargo test --release`
    // the binary cargo built is a release one: the race cannot be forced,
    // and a test that passes or fails by timing proves nothing. `cargo test`
    // (the README's command, and CI's) runs it.
    if !cfg!(debug_assertions) {
        eprintln!("entries_swapped_during_the_walk_are_not_followed: needs a debug build");
        return;
    }
    let outside = Tree::new();
    let secret = outside.write("secret.txt", format!("{}\n", mint("cfk")));
    for swap in ["symlink", "hardlink", "fifo", "zero"] {
        let t = Tree::new();
        t.write("tree/a.txt", "nothing here\n");
        let a = t.join("tree/a.txt");
        let child = Command::new(crate::common::debug_exe())
            .args(["scan", "tree", "--format", "json", "-j", "1"])
            .current_dir(t.path())
            .env("BURNKEY_TEST_PAUSE_BEFORE_OPEN_MS", "1500")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(400));
        let tmp = t.join("tree/.swap");
        match swap {
            "symlink" => std::os::unix::fs::symlink(&secret, &tmp).unwrap(),
            "hardlink" => std::fs::hard_link(&secret, &tmp).unwrap(),
            "fifo" => assert!(Command::new("mkfifo").arg(&tmp).status().unwrap().success()),
            _ => std::os::unix::fs::symlink("/dev/zero", &tmp).unwrap(),
        }
        std::fs::rename(&tmp, &a).unwrap();
        let o = child.wait_with_output().unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("{swap}: {e}: {}", String::from_utf8_lossy(&o.stderr)));
        assert_eq!(o.status.code(), Some(0), "{swap}: {doc}");
        assert!(
            findings(&doc).is_empty(),
            "{swap}: read outside the tree: {doc}"
        );
        let skipped = &doc["stats"]["skipped"];
        let reason = match swap {
            "symlink" | "zero" => "symlink",
            "hardlink" => "changed",
            _ => "fifo",
        };
        assert_eq!(skipped[reason], 1, "{swap}: {doc}");
    }
}

/// Item 10: `url = "https://user:pw@host/..."` was accepted and echoed in
/// the dry run, stderr, the JSON report, `revoke status` and the outbox.
#[test]
fn credentials_in_an_endpoint_url_are_refused_and_never_echoed() {
    let t = Tree::new();
    t.write("src/a.txt", format!("{}\n", mint("cfut")));
    t.write(
        "burnkey.toml",
        "[[revoke]]\nrules = [\"*\"]\nurl = \"https://bob:hunter2@revoke.example/x\"\nsecret_env = \"TEST_REVOKE_SECRET\"\n",
    );
    let o = bin()
        .current_dir(t.path())
        .env("TEST_REVOKE_SECRET", SECRET)
        .args([
            "scan",
            "src",
            "--format",
            "json",
            "--revoke-dry-run",
            "--config",
            "burnkey.toml",
        ])
        .output()
        .unwrap();
    let (code, out, err) = parts(&o);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("credentials"), "{err}");
    assert!(
        !out.contains("hunter2") && !err.contains("hunter2"),
        "{out}{err}"
    );
}

/// Item 15: `k\xff` and `k\xfe` got the same path and fingerprint, so one
/// allowlist line suppressed both.
#[test]
fn names_that_are_not_utf8_keep_apart() {
    use std::os::unix::ffi::OsStrExt;
    let t = Tree::new();
    let tok = mint("cfut");
    for name in [&b"k\xff"[..], &b"k\xfe"[..]] {
        std::fs::write(
            t.path().join(std::ffi::OsStr::from_bytes(name)),
            format!("{tok}\n"),
        )
        .unwrap();
    }
    let (code, doc) = scan_json(t.path(), &["."]);
    assert_eq!(code, 1);
    let f = findings(&doc);
    assert_eq!(f.len(), 2);
    assert_ne!(f[0]["fingerprint"], f[1]["fingerprint"]);
    let mut bytes: Vec<&str> = f
        .iter()
        .map(|f| f["path_bytes"].as_str().unwrap())
        .collect();
    bytes.sort();
    assert_eq!(bytes, vec!["a/4=", "a/8="], "base64 of the exact names");
    // Allow one: the other is still reported.
    let one = f[0]["fingerprint"].as_str().unwrap().to_string();
    t.write(".burnkeyignore", format!("{one}\n"));
    let (code, doc) = scan_json(t.path(), &["."]);
    assert_eq!(code, 1);
    assert_eq!(findings(&doc).len(), 1);
    assert_ne!(findings(&doc)[0]["fingerprint"], one.as_str());
}

/// Item 16, the store: a revoked record must deny even next to an active
/// one with the same hash; expired records are listed as expired; a store
/// that is a device (or has an endless line) is refused, not read forever.
#[test]
fn store_semantics_deny_when_revoked_and_bound_what_they_read() {
    let t = Tree::new();
    let store = t.join("s.jsonl");
    let o = bin()
        .args([
            "mint",
            "--kind",
            "cfut",
            "--scope",
            "dns:read@zone/*",
            "--format",
            "json",
            "--store",
        ])
        .arg(&store)
        .output()
        .unwrap();
    let minted: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let tok = minted["token"].as_str().unwrap();
    let mut revoked = minted["record"].clone();
    revoked["id"] = "rec_000000000000000000000001".into();
    revoked["revoked"] = true.into();
    let mut expired = minted["record"].clone();
    expired["id"] = "rec_000000000000000000000002".into();
    expired["token_sha256"] = sha("another").into();
    expired["expires_at"] = "2020-01-01T00:00:00Z".into();
    let active = std::fs::read_to_string(&store).unwrap();
    std::fs::write(&store, format!("{revoked}\n{active}{expired}\n")).unwrap();
    let o = bin()
        .args(["verify", tok, "--scope", "dns:read@zone/a", "--store"])
        .arg(&store)
        .output()
        .unwrap();
    let (code, out, _) = parts(&o);
    assert_eq!(code, 1, "a revoked record always denies: {out}");
    assert!(out.contains("revoked"), "{out}");
    let o = bin()
        .args(["store", "list", "--store"])
        .arg(&store)
        .output()
        .unwrap();
    let (_, out, _) = parts(&o);
    let line = out
        .lines()
        .find(|l| l.contains("rec_000000000000000000000002"))
        .unwrap();
    assert!(
        line.contains("expired") && !line.contains("active"),
        "{line}"
    );
    let o = bin()
        .args(["store", "list", "--store", "/dev/zero"])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(parts(&o).0, 2, "{}", parts(&o).2);
    let endless = t.write("endless.jsonl", vec![b'x'; 200 * 1024]);
    let o = bin()
        .args(["store", "list", "--store"])
        .arg(&endless)
        .output()
        .unwrap();
    let (code, _, err) = parts(&o);
    assert_eq!(code, 2);
    assert!(err.contains("longer than"), "{err}");
}

/// Item 16, the scan: overlapping roots reported a token once per root;
/// `check` printed the token's checksum characters; `--show-secret` is one
/// documented rule: the main report, never the `--sarif` file.
#[test]
fn scan_and_check_semantics() {
    let t = Tree::new();
    let tok = mint("cfat");
    t.write("f", format!("{tok}\n"));
    let (code, doc) = scan_json(t.path(), &["f", "./f", "."]);
    assert_eq!(code, 1);
    assert_eq!(findings(&doc).len(), 1, "one file, one finding: {doc}");

    let bad = corrupt(&tok);
    let o = bin().args(["check", &bad]).output().unwrap();
    let (code, out, err) = parts(&o);
    assert_eq!(code, 1);
    assert!(out.contains("checksum mismatch"), "{out}");
    assert!(
        !out.contains(&bad[bad.len() - 8..]) && !err.contains(&bad[bad.len() - 8..]),
        "{out}"
    );

    let o = bin()
        .current_dir(t.path())
        .args([
            "scan",
            "f",
            "--format",
            "sarif",
            "--show-secret",
            "--sarif",
            "side.sarif",
        ])
        .output()
        .unwrap();
    let (_, out, _) = parts(&o);
    assert!(out.contains(&tok), "the main report honours --show-secret");
    let side = std::fs::read_to_string(t.join("side.sarif")).unwrap();
    assert!(
        !side.contains(&tok),
        "the --sarif file, for upload, never holds a token"
    );
}

/// Item 14: SARIF columns were byte offsets without a columnKind, so
/// consumers read them as UTF-16 units: a token after `é` was placed one
/// column off.
#[test]
fn sarif_columns_are_utf16_units_and_say_so() {
    let t = Tree::new();
    let tok = mint("cfut");
    t.write("a.py", format!("name = 'é😀' ; key = '{tok}'\n"));
    let o = bin()
        .current_dir(t.path())
        .args(["scan", "a.py", "--format", "sarif"])
        .output()
        .unwrap();
    let (code, out, _) = parts(&o);
    assert_eq!(code, 1);
    crate::scan::validate_sarif(&out);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let run = &doc["runs"][0];
    assert_eq!(run["columnKind"], "utf16CodeUnits");
    let region = &run["results"][0]["locations"][0]["physicalLocation"]["region"];
    // "name = '" 8, é 1, 😀 2, "' ; key = '" 11: 22 units before the token.
    assert_eq!(region["startColumn"], 23);
    assert_eq!(region["endColumn"], 23 + tok.len());
    let (_, json) = scan_json(t.path(), &["a.py"]);
    assert_eq!(findings(&json)[0]["column"], 26, "JSON keeps byte columns");
}
