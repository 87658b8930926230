//! Record stores through the real binary: JSON lines and SQLite, the same
//! commands and answers, concurrent minting, and migration between them.

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;

use crate::common::{bin, parts, sha, Tree};

fn run(args: &[&str]) -> (i32, String, String) {
    parts(&bin().args(args).output().unwrap())
}

/// Mints `n` tokens into `store`; returns (token, record id) pairs.
fn mint(store: &str, n: u32) -> Vec<(String, String)> {
    let (code, out, err) = run(&[
        "mint",
        "--kind",
        "cfut",
        "--scope",
        "dns:edit@zone/example.com",
        "--format",
        "json",
        "--count",
        &n.to_string(),
        "--store",
        store,
    ]);
    assert_eq!(code, 0, "{err}");
    out.lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["token"].as_str().unwrap().into(),
                v["record"]["id"].as_str().unwrap().into(),
            )
        })
        .collect()
}

fn ids(store: &str) -> Vec<String> {
    let (code, out, err) = run(&["store", "list", "--store", store, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    out.lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .into()
        })
        .collect()
}

#[test]
fn both_stores_mint_verify_and_revoke_once() {
    let t = Tree::new();
    for name in ["tokens.jsonl", "tokens.db", "sqlite:custom.store"] {
        let store = match name.strip_prefix("sqlite:") {
            Some(p) => format!("sqlite:{}", t.join(p).display()),
            None => t.join(name).display().to_string(),
        };
        let minted = mint(&store, 3);
        let (tok, id) = &minted[1];
        let verify = |tok: &str| {
            run(&[
                "verify",
                tok,
                "--store",
                &store,
                "--scope",
                "dns:read@zone/example.com",
            ])
        };
        assert_eq!(verify(tok).0, 0, "{name}: {:?}", verify(tok));
        let (code, out, _) = run(&["store", "revoke", tok, "--store", &store]);
        assert_eq!(code, 0);
        assert!(out.starts_with(&format!("revoked: record {id}")), "{out}");
        // Again, by id: nothing changes, and it says so.
        let (code, out, _) = run(&["store", "revoke", id, "--store", &store]);
        assert_eq!(code, 0);
        assert!(
            out.starts_with(&format!("already revoked: record {id}")),
            "{out}"
        );
        assert!(out.contains("nothing changed"), "{out}");
        let (code, out, _) = verify(tok);
        assert_eq!(code, 1);
        assert!(out.contains("revoked"), "{name}: {out}");
        assert_eq!(verify(&minted[0].0).0, 0, "the others still verify");
        let (code, out, _) = run(&["store", "revoke", "rec_nope", "--store", &store]);
        assert_eq!(code, 1);
        assert!(out.starts_with("not found"), "{out}");
        let (_, list, _) = run(&["store", "list", "--store", &store]);
        assert_eq!(list.matches("revoked").count(), 1, "{list}");
        assert!(!list.contains(tok.as_str()));
        // A custom kind verifies from the same store.
        let (code, out, err) = run(&["mint", "--kind", "acme", "--store", &store]);
        assert_eq!(code, 0, "{err}");
        let acme = out.trim();
        assert!(acme.starts_with("acme_"));
        assert_eq!(verify(acme).0, 1, "minted without scopes: nothing granted");
        let (code, out, _) = run(&["verify", acme, "--store", &store, "--scope", "a:read@b/c"]);
        assert!(code == 1 && out.contains("not granted"), "{name}: {out}");
        let path = store.strip_prefix("sqlite:").unwrap_or(&store);
        let raw = std::fs::read(path).unwrap();
        assert!(
            !String::from_utf8_lossy(&raw).contains(tok.as_str()),
            "no token stored"
        );
    }
    let (code, _, err) = run(&[
        "store",
        "list",
        "--store",
        &t.join("missing.db").display().to_string(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("no such record store"), "{err}");
    assert!(
        !t.join("missing.db").exists(),
        "reading does not create a store"
    );
}

#[test]
fn eight_processes_minting_into_one_store_lose_nothing() {
    let t = Tree::new();
    let exe = crate::common::exe();
    for name in ["tokens.jsonl", "tokens.db"] {
        let store = t.join(name).display().to_string();
        let children: Vec<_> = (0..8)
            .map(|_| {
                Command::new(&exe)
                    .args([
                        "mint", "--kind", "cfat", "--count", "40", "--format", "json", "--store",
                        &store,
                    ])
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let mut hashes = BTreeSet::new();
        for c in children {
            let o = c.wait_with_output().unwrap();
            assert!(
                o.status.success(),
                "{name}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            for l in String::from_utf8_lossy(&o.stdout).lines() {
                let v: Value = serde_json::from_str(l).unwrap();
                hashes.insert(sha(v["token"].as_str().unwrap()));
            }
        }
        assert_eq!(hashes.len(), 320);
        let (code, out, err) = run(&["store", "list", "--store", &store, "--format", "json"]);
        assert_eq!(code, 0, "{err}");
        let stored: BTreeSet<String> = out
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["token_sha256"]
                    .as_str()
                    .unwrap()
                    .into()
            })
            .collect();
        assert_eq!(stored, hashes, "{name}: every minted record stored, once");
        assert!(err.is_empty(), "no unreadable record: {err}");
    }
}

#[test]
fn migrate_copies_every_record_once_and_keeps_revocations() {
    let t = Tree::new();
    let jsonl = t.join("tokens.jsonl").display().to_string();
    let db = t.join("tokens.db").display().to_string();
    let minted = mint(&jsonl, 4);
    assert_eq!(
        run(&["store", "revoke", &minted[2].0, "--store", &jsonl]).0,
        0
    );
    let (code, out, err) = run(&["store", "migrate", &jsonl, &db]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("migrated 4 record(s)"), "{out}");
    assert_eq!(ids(&db), ids(&jsonl), "the same records, in the same order");
    let (code, out, _) = run(&["store", "migrate", &jsonl, &db]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("migrated 0 record(s)") && out.contains("4 already there"),
        "{out}"
    );
    let verify = |tok: &str| {
        run(&[
            "verify",
            tok,
            "--store",
            &db,
            "--scope",
            "dns:read@zone/example.com",
        ])
        .0
    };
    assert_eq!(verify(&minted[0].0), 0);
    assert_eq!(
        verify(&minted[2].0),
        1,
        "revoked in the JSON lines, revoked in SQLite"
    );
    // And back: SQLite to JSON lines.
    let back = t.join("back.jsonl").display().to_string();
    assert_eq!(run(&["store", "migrate", &db, &back]).0, 0);
    assert_eq!(ids(&back), ids(&jsonl));
}
