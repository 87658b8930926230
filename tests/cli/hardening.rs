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
    let bin = assert_cmd::cargo::cargo_bin("burnkey");
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
