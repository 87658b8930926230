//! `burnkey check`, `mint`, `verify` and `store` through the real binary.

use serde_json::Value;

use crate::common::*;

#[test]
fn check_valid_invalid_and_the_reason() {
    for kind in ["cfut", "cfat", "cfk", "ghp", "gho", "npm"] {
        let tok = mint(kind);
        let o = bin().args(["check", &tok]).output().unwrap();
        let (code, out, err) = parts(&o);
        assert_eq!(code, 0, "{kind}: {out}{err}");
        assert!(out.starts_with("valid: "), "{out}");
        assert!(!out.contains(&tok) && !err.contains(&tok));
        let bad = corrupt(&tok);
        let o = bin().args(["check", &bad]).output().unwrap();
        let (code, out, err) = parts(&o);
        assert_eq!(code, 1);
        assert!(out.contains("checksum mismatch"), "{out}");
        assert!(!out.contains(&bad) && !err.contains(&bad));
    }
}

#[test]
fn check_bad_input_never_panics_nor_echoes() {
    let tok = mint("cfut");
    let huge = format!("cfut_{}", "a".repeat(1 << 20));
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"".to_vec(), "empty"),
        (b"cfut_abc".to_vec(), "wrong length"),
        (
            format!("{}\0{}", &tok[..20], &tok[21..]).into_bytes(),
            "bad character",
        ),
        (
            format!("{}é{}", &tok[..20], &tok[22..]).into_bytes(),
            "bad character",
        ),
        (huge.clone().into_bytes(), "wrong length"),
        (b"hello".to_vec(), "no known prefix"),
        (vec![0xff, 0xfe, 0x00], "no known prefix"),
    ];
    for (input, why) in cases {
        let o = bin()
            .args(["check", "-"])
            .write_stdin(input.clone())
            .output()
            .unwrap();
        let (code, out, err) = parts(&o);
        assert_eq!(code, 1, "{why}: {out}{err}");
        assert!(out.contains(why), "{why}: {out}");
        assert!(err.is_empty(), "{err}");
        assert!(out.len() < 300, "the message does not echo the input");
    }
    // As an argument too (NUL cannot be one; Linux caps one at 128 KiB).
    let o = bin().args(["check", &huge[..100_000]]).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    // stdin with a trailing newline is fine.
    let o = bin()
        .args(["check", "-"])
        .write_stdin(format!("{tok}\n"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn mint_text_json_count_and_custom_kinds() {
    let o = bin()
        .args(["mint", "--kind", "ghp", "--count", "5"])
        .output()
        .unwrap();
    let (code, out, _) = parts(&o);
    assert_eq!(code, 0);
    let toks: Vec<&str> = out.lines().collect();
    assert_eq!(toks.len(), 5);
    let set = burnkey::FormatSet::builtin();
    for t in &toks {
        assert_eq!(set.check(t).unwrap().format.kind(), "ghp");
    }
    let o = bin()
        .args([
            "mint",
            "--kind",
            "cfat",
            "--scope",
            "dns:edit@zone/example.com",
            "--ttl",
            "90d",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let (code, out, _) = parts(&o);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    let tok = v["token"].as_str().unwrap();
    let r = &v["record"];
    assert_eq!(r["kind"], "cfat");
    assert_eq!(r["token_sha256"], sha(tok));
    assert_eq!(
        r["scopes"],
        serde_json::json!(["dns:edit@zone/example.com"])
    );
    assert_eq!(r["revoked"], false);
    let created = humantime::parse_rfc3339(r["created_at"].as_str().unwrap()).unwrap();
    let expires = humantime::parse_rfc3339(r["expires_at"].as_str().unwrap()).unwrap();
    assert_eq!(
        expires.duration_since(created).unwrap().as_secs(),
        90 * 86400
    );
    assert!(r["id"].as_str().unwrap().starts_with("rec_"));
    assert!(
        !r.to_string().contains(tok),
        "the record never holds the token"
    );

    // Unknown kind = custom prefix, Cloudflare layout by default.
    let o = bin().args(["mint", "--kind", "acme"]).output().unwrap();
    let tok = parts(&o).1.trim().to_string();
    assert!(tok.starts_with("acme_") && tok.len() == 5 + 40 + 8, "{tok}");
    let o = bin()
        .args(["check", "--kind", "acme", &tok])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let o = bin()
        .args(["mint", "--kind", "acme", "--scheme", "crc32-base62-6"])
        .output()
        .unwrap();
    let tok = parts(&o).1.trim().to_string();
    assert_eq!(tok.len(), 5 + 30 + 6);
    let o = bin()
        .args([
            "check",
            "--kind",
            "acme",
            "--scheme",
            "crc32-base62-6",
            &tok,
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));

    for bad in [
        &["mint", "--kind", "cfut", "--scope", "dns:write@zone/x"][..],
        &["mint", "--kind", "cfut", "--ttl", "ninety"][..],
        &["mint", "--kind", "a b"][..],
        &["mint", "--kind", "cfut", "--scheme", "crc32-base62-6"][..],
        &["mint", "--kind", "cfut", "--count", "0"][..],
    ] {
        let o = bin().args(bad).output().unwrap();
        let (code, out, err) = parts(&o);
        assert_eq!(code, 2, "{bad:?}");
        assert!(out.is_empty() && !err.is_empty(), "{bad:?}");
    }
}

#[test]
fn verify_and_revoke_through_a_store() {
    let t = Tree::new();
    let store = t.join("tokens.jsonl");
    let store_s = store.to_str().unwrap();
    let o = bin()
        .args([
            "mint",
            "--kind",
            "cfut",
            "--scope",
            "dns:edit@zone/example.com",
            "--scope",
            "workers:read@account/*",
        ])
        .args(["--store", store_s, "--format", "json"])
        .output()
        .unwrap();
    let (code, out, err) = parts(&o);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    let tok = v["token"].as_str().unwrap().to_string();
    let id = v["record"]["id"].as_str().unwrap().to_string();
    let on_disk = std::fs::read_to_string(&store).unwrap();
    assert!(!on_disk.contains(&tok));
    assert!(on_disk.contains(&sha(&tok)));

    let verify = |token: &str, scope: &str| {
        let o = bin()
            .args(["verify", token, "--store", store_s, "--scope", scope])
            .output()
            .unwrap();
        parts(&o)
    };
    assert_eq!(verify(&tok, "dns:edit@zone/example.com").0, 0);
    assert_eq!(
        verify(&tok, "dns:read@zone/example.com").0,
        0,
        "edit implies read"
    );
    assert_eq!(verify(&tok, "workers:read@account/a1").0, 0, "wildcard");
    let (code, out, _) = verify(&tok, "workers:edit@account/a1");
    assert_eq!(code, 1);
    assert!(out.contains("not granted"), "{out}");
    let (code, out, _) = verify(&corrupt(&tok), "dns:read@zone/example.com");
    assert_eq!(code, 1);
    assert!(
        out.contains("malformed") && out.contains("checksum"),
        "{out}"
    );
    let (code, out, _) = verify(&mint("cfut"), "dns:read@zone/example.com");
    assert_eq!(code, 1);
    assert!(out.contains("unknown token"), "{out}");
    assert_eq!(verify(&tok, "dns:bogus").0, 2, "a bad scope is an error");
    let o = bin()
        .args([
            "verify",
            &tok,
            "--store",
            "/nonexistent/s.jsonl",
            "--scope",
            "a:read@b/c",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));

    // A corrupt line is reported with its number; the rest still loads.
    let mut text = std::fs::read_to_string(&store).unwrap();
    text.insert_str(0, "{broken\n");
    std::fs::write(&store, text).unwrap();
    let (code, _, err) = verify(&tok, "dns:read@zone/example.com");
    assert_eq!(code, 0);
    assert!(err.contains("tokens.jsonl:1:"), "{err}");

    let o = bin()
        .args(["store", "list", "--store", store_s])
        .output()
        .unwrap();
    let (code, out, _) = parts(&o);
    assert_eq!(code, 0);
    assert!(
        out.contains(&id) && out.contains("active") && !out.contains(&tok),
        "{out}"
    );

    let o = bin()
        .args(["store", "revoke", "-", "--store", store_s])
        .write_stdin(tok.clone())
        .output()
        .unwrap();
    let (code, out, _) = parts(&o);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains(&tok));
    let (code, out, _) = verify(&tok, "dns:read@zone/example.com");
    assert_eq!(code, 1);
    assert!(out.contains("revoked"), "{out}");
    let o = bin()
        .args(["store", "list", "--store", store_s, "--format", "json"])
        .output()
        .unwrap();
    let rec: Value = serde_json::from_str(parts(&o).1.lines().next().unwrap()).unwrap();
    assert_eq!(rec["revoked"], true);
    let o = bin()
        .args(["store", "revoke", "rec_000", "--store", store_s])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        std::fs::read_to_string(&store)
            .unwrap()
            .starts_with("{broken\n"),
        "the corrupt line is kept"
    );
}

#[test]
fn expired_tokens_are_denied() {
    let t = Tree::new();
    let store = t.join("s.jsonl");
    let o = bin()
        .args([
            "mint",
            "--kind",
            "cfk",
            "--scope",
            "*:edit@*/*",
            "--ttl",
            "1s",
            "--format",
            "json",
            "--store",
        ])
        .arg(&store)
        .output()
        .unwrap();
    let v: Value = serde_json::from_str(parts(&o).1.trim()).unwrap();
    let tok = v["token"].as_str().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let o = bin()
        .args(["verify", tok, "--scope", "dns:read@zone/x", "--store"])
        .arg(&store)
        .output()
        .unwrap();
    let (code, out, _) = parts(&o);
    assert_eq!(code, 1);
    assert!(out.contains("expired"), "{out}");
}
