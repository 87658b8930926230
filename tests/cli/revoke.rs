//! `scan --revoke`, `revoke flush|status` against a real HTTP server on
//! 127.0.0.1 (tests/cli/server.rs): signatures, retries, the outbox.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::*;
use crate::server::{refused_addr, Act, Seen, Server};

const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

fn ok() -> Act {
    Act::Reply(202, vec![])
}

/// A tree with `tokens` (one file each) and a burnkey.toml for `url`.
fn setup(tokens: &[String], url: &str, extra: &str) -> Tree {
    let t = Tree::new();
    for (i, tok) in tokens.iter().enumerate() {
        t.write(&format!("src/f{i}.txt"), format!("token = {tok}\n"));
    }
    t.write(
        "burnkey.toml",
        format!("[[revoke]]\nrules = [\"cloudflare-*\", \"npm-*\"]\nurl = \"{url}\"\nsecret_env = \"TEST_REVOKE_SECRET\"\n{extra}"),
    );
    t
}

fn scan_revoke(t: &Tree, outbox: &Path, args: &[&str]) -> (i32, Value, String) {
    let o = bin()
        .current_dir(t.path())
        .env("TEST_REVOKE_SECRET", SECRET)
        .args(["scan", ".", "--format", "json", "--revoke", "--outbox"])
        .arg(outbox)
        .args(args)
        .output()
        .unwrap();
    let (code, out, err) = parts(&o);
    (code, serde_json::from_str(&out).unwrap_or(Value::Null), err)
}

/// `burnkey revoke flush --outbox DIR`, with or without the secret in the
/// environment, run in the tree that holds the outbox and its burnkey.toml.
fn flush(outbox: &Path, with_secret: bool) -> (i32, String, String) {
    let mut c = bin();
    c.current_dir(outbox.parent().unwrap());
    if with_secret {
        c.env("TEST_REVOKE_SECRET", SECRET);
    } else {
        c.env_remove("TEST_REVOKE_SECRET");
    }
    parts(
        &c.args(["revoke", "flush", "--outbox"])
            .arg(outbox)
            .output()
            .unwrap(),
    )
}

fn body_json(s: &Seen) -> Value {
    serde_json::from_slice(&s.body).unwrap()
}

fn outbox_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn assert_signed(s: &Seen) {
    // Our verifier, with the receiver's secret…
    s.assert_signed_by(SECRET);
    // …and the standardwebhooks crate, independently.
    let wh = standardwebhooks::Webhook::new(SECRET).unwrap();
    let mut h = http::HeaderMap::new();
    for k in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
        h.insert(k, s.header(k).parse().unwrap());
    }
    wh.verify(&s.body, &h)
        .expect("standardwebhooks verifies it too");
}

#[test]
fn token_mode_signed_payload_one_request_per_distinct_token() {
    let server = Server::start(|_, _| ok());
    let a = mint("cfut");
    let b = mint("npm");
    let ghp = mint("ghp"); // no endpoint for github rules
    let bad = corrupt(&mint("cfat")); // invalid checksum: never sent
    let t = setup(
        &[a.clone(), a.clone(), b.clone(), ghp.clone()],
        &server.url(),
        "",
    );
    t.write("src/bad.txt", format!("{bad}\n"));
    let outbox = t.join("outbox");
    let (code, doc, err) = scan_revoke(&t, &outbox, &["--report-invalid"]);
    assert_eq!(code, 1, "findings decide the status: {err}");
    let seen = server.seen();
    assert_eq!(
        seen.len(),
        2,
        "a token found twice is revoked once; ghp has no endpoint; invalid is never sent"
    );
    let mut tokens = HashSet::new();
    for s in &seen {
        assert_eq!((s.method.as_str(), s.path.as_str()), ("POST", "/revoke"));
        assert_eq!(s.header("content-type"), "application/json");
        assert!(s.header("webhook-id").starts_with("msg_"));
        assert_signed(s);
        let v = body_json(s);
        let item = &v.as_array().unwrap()[0];
        assert_eq!(v.as_array().unwrap().len(), 1);
        let tok = item["token"].as_str().unwrap().to_string();
        let rule = if tok.starts_with("cfut_") {
            "cloudflare-user-api-token"
        } else {
            "npm-access-token"
        };
        assert_eq!(item["type"], rule);
        assert_eq!(item["source"], "file");
        assert!(item["url"].as_str().unwrap().starts_with("src/f"), "{item}");
        assert!(item["url"].as_str().unwrap().ends_with(":1"), "{item}");
        tokens.insert(tok);
    }
    assert_eq!(tokens, HashSet::from([a.clone(), b.clone()]));
    let r = &doc["revocations"];
    assert_eq!(
        (
            r["delivered"].as_u64(),
            r["failed"].as_u64(),
            r["outbox"].as_u64()
        ),
        (Some(2), Some(0), Some(0))
    );
    assert!(
        outbox_files(&outbox).is_empty(),
        "delivered requests leave the outbox"
    );
    assert!(err.contains("2 delivered"), "{err}");
    for secret in [&a, &b] {
        assert!(
            !err.contains(secret.as_str()) && !doc.to_string().contains(secret.as_str()),
            "no full token in output"
        );
    }
}

#[test]
fn hash_mode_sends_only_the_hash_and_nothing_leaks() {
    let refused = refused_addr();
    let a = mint("cfat");
    let t = setup(
        std::slice::from_ref(&a),
        &format!("http://{refused}/revoke"),
        "send = \"hash\"\nretry_for = \"300ms\"\nbackoff = \"10ms\"\n",
    );
    let outbox = t.join("outbox");
    let (code, doc, err) = scan_revoke(&t, &outbox, &[]);
    assert_eq!(code, 1);
    assert_eq!(doc["revocations"]["outbox"], 1, "{err}");
    let files = outbox_files(&outbox);
    assert_eq!(files.len(), 1);
    let on_disk = std::fs::read_to_string(&files[0]).unwrap();
    assert!(!on_disk.contains(&a), "hash mode: no token in the outbox");
    assert!(on_disk.contains(&sha(&a)));
    assert!(!err.contains(&a) && !doc.to_string().contains(&a));
    // Now the server comes up and the flush delivers the hash.
    let server = Server::start_on(refused, |_, _| ok());
    let (code, out, err) = flush(&outbox, true);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!out.contains(&a) && !err.contains(&a));
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    let item = &body_json(&seen[0])[0];
    assert_eq!(item["token_hash"], sha(&a));
    assert!(item.get("token").is_none());
    assert!(!String::from_utf8_lossy(&seen[0].body).contains(&a));
    assert_signed(&seen[0]);
    assert!(outbox_files(&outbox).is_empty());
}

#[test]
fn refused_then_flush_in_token_mode_keeps_the_token_sealed_and_the_same_id() {
    let refused = refused_addr();
    let a = mint("cfut");
    let t = setup(
        std::slice::from_ref(&a),
        &format!("http://{refused}/revoke"),
        "retry_for = \"300ms\"\nbackoff = \"10ms\"\n",
    );
    let outbox = t.join("outbox");
    let o = bin()
        .current_dir(t.path())
        .env("TEST_REVOKE_SECRET", SECRET)
        .args(["scan", ".", "--revoke", "--outbox"])
        .arg(&outbox)
        .output()
        .unwrap();
    let (code, out, err) = parts(&o);
    assert_eq!(code, 1);
    assert!(
        out.starts_with("src/f0.txt:1:9 cloudflare-user-api-token"),
        "text format: {out}"
    );
    assert!(
        err.contains("1 waiting in the outbox") && err.contains("revoke flush"),
        "{err}"
    );
    let files = outbox_files(&outbox);
    assert_eq!(files.len(), 1);
    let rec: Value = serde_json::from_str(&std::fs::read_to_string(&files[0]).unwrap()).unwrap();
    assert!(rec["token_sealed"].is_string());
    assert!(!rec.to_string().contains(&a), "the token is sealed on disk");
    assert!(rec["attempts"].as_u64().unwrap() >= 1);
    // revoke status lists it, redacted.
    let o = bin()
        .args(["revoke", "status", "--outbox"])
        .arg(&outbox)
        .output()
        .unwrap();
    let (_, out, _) = parts(&o);
    assert!(
        out.contains("pending")
            && out.contains(rec["webhook_id"].as_str().unwrap())
            && !out.contains(&a),
        "{out}"
    );
    // Without the secret the flush cannot open or sign it: error, nothing lost.
    let (code, _, err) = flush(&outbox, false);
    assert_eq!(code, 2);
    assert!(err.contains("TEST_REVOKE_SECRET"), "{err}");
    assert_eq!(outbox_files(&outbox).len(), 1);
    // The server comes up; the flush delivers the real token with the same id.
    let server = Server::start_on(refused, |_, _| ok());
    let (code, _, err) = flush(&outbox, true);
    assert_eq!(code, 0, "{err}");
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].header("webhook-id"),
        rec["webhook_id"].as_str().unwrap()
    );
    assert_eq!(body_json(&seen[0])[0]["token"], a.as_str());
    assert!(outbox_files(&outbox).is_empty());
    let (code, out, _) = flush(&outbox, false);
    assert_eq!(code, 0, "an empty outbox needs no secret");
    assert!(out.contains("empty"));
}

#[test]
fn retries_503_and_honours_retry_after() {
    let server = Server::start(|_, n| match n {
        0 => Act::Reply(503, vec![]),
        1 => Act::Reply(503, vec![("Retry-After", "1".into())]),
        _ => ok(),
    });
    let a = mint("cfut");
    let t = setup(
        &[a],
        &server.url(),
        "backoff = \"10ms\"\nretry_for = \"10s\"\n",
    );
    let outbox = t.join("outbox");
    let start = Instant::now();
    let (code, doc, err) = scan_revoke(&t, &outbox, &[]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(doc["revocations"]["delivered"], 1);
    let seen = server.seen();
    assert_eq!(
        seen.iter().map(|s| s.status).collect::<Vec<_>>(),
        vec![503, 503, 202]
    );
    let ids: HashSet<&str> = seen.iter().map(|s| s.header("webhook-id")).collect();
    assert_eq!(ids.len(), 1, "retries carry the same webhook-id");
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "waited for Retry-After"
    );
    assert_eq!(doc["revocations"]["requests"][0]["attempts"], 3);
}

#[test]
fn a_server_that_never_answers_times_out_into_the_outbox() {
    let server = Server::start(|_, _| Act::Hang(Duration::from_secs(5)));
    let a = mint("cfk");
    let t = setup(&[a], &server.url(), "");
    // A short request timeout and retry budget.
    t.write(
        "burnkey.toml",
        format!("[[revoke]]\nrules = [\"*\"]\nurl = \"{}\"\nsecret_env = \"TEST_REVOKE_SECRET\"\ntimeout = \"200ms\"\nretry_for = \"600ms\"\nbackoff = \"10ms\"\n", server.url()),
    );
    let outbox = t.join("outbox");
    let start = Instant::now();
    let (code, doc, err) = scan_revoke(&t, &outbox, &[]);
    assert_eq!(code, 1, "{err}");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "bounded by retry_for, not the server"
    );
    assert_eq!(doc["revocations"]["outbox"], 1);
    let reason = doc["revocations"]["requests"][0]["reason"]
        .as_str()
        .unwrap()
        .to_lowercase();
    assert!(
        reason.contains("timeout") || reason.contains("timed out"),
        "{reason}"
    );
    assert_eq!(outbox_files(&outbox).len(), 1);
}

#[test]
fn permanent_400_410_and_redirects_are_reported_not_retried() {
    for (code_sent, what) in [
        (400u16, "HTTP 400"),
        (410, "410 Gone"),
        (302, "redirects are not followed"),
    ] {
        let elsewhere = Server::start(|_, _| ok());
        let loc = elsewhere.url();
        let server =
            Server::start(move |_, _| Act::Reply(code_sent, vec![("Location", loc.clone())]));
        let toks = vec![mint("cfut"), mint("cfat")];
        let t = setup(&toks, &server.url(), "backoff = \"10ms\"\n");
        let outbox = t.join("outbox");
        let (code, doc, err) = scan_revoke(&t, &outbox, &[]);
        assert_eq!(code, 1, "{err}");
        let r = &doc["revocations"];
        assert_eq!(r["failed"], 2, "{code_sent}: {r}");
        assert_eq!(r["delivered"], 0);
        let sent = server.seen().len();
        if code_sent == 410 {
            assert!(
                sent <= 2,
                "after a 410 nothing more is sent… unless both were in flight"
            );
            assert!(doc.to_string().contains("410"), "{doc}");
        } else {
            assert_eq!(sent, 2, "one attempt each, no retries");
        }
        assert!(
            r["requests"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l["reason"].as_str().unwrap().contains(what)),
            "{r}"
        );
        assert!(elsewhere.seen().is_empty(), "redirect not followed");
        assert!(
            outbox_files(&outbox).is_empty(),
            "failed requests are not pending"
        );
        assert_eq!(
            outbox_files(&outbox.join("failed")).len(),
            2,
            "but they are kept, in failed/"
        );
        assert!(err.contains("2 failed"), "{err}");
    }
}

#[test]
fn the_same_token_in_two_runs_carries_the_same_webhook_id() {
    let server = Server::start(|_, _| ok());
    let a = mint("cfut");
    let t1 = setup(std::slice::from_ref(&a), &server.url(), "");
    let t2 = setup(std::slice::from_ref(&a), &server.url(), "");
    t2.write("elsewhere/x.env", format!("\n\nA={a}\n"));
    scan_revoke(&t1, &t1.join("o"), &[]);
    scan_revoke(&t2, &t2.join("o"), &["--no-ignore"]);
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].header("webhook-id"), seen[1].header("webhook-id"));
    assert_ne!(seen[0].header("webhook-timestamp"), "");
}

#[test]
fn dry_run_sends_nothing_and_prints_redacted() {
    let server = Server::start(|_, _| ok());
    let a = mint("npm");
    let t = setup(std::slice::from_ref(&a), &server.url(), "");
    let o = bin()
        .current_dir(t.path())
        .args(["scan", ".", "--format", "json", "--revoke-dry-run"])
        .output()
        .unwrap();
    let (code, out, err) = parts(&o);
    assert_eq!(code, 1);
    assert!(server.seen().is_empty());
    assert!(
        err.contains("would POST to") && err.contains(&a[..8]) && !err.contains(&a),
        "{err}"
    );
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        doc["revocations"]["would_send"].as_array().unwrap().len(),
        1
    );
    assert!(!out.contains(&a));
}

#[test]
fn bad_config_missing_secret_and_unwritable_outbox_exit_2_with_findings_reported() {
    let a = mint("cfut");
    let t = setup(std::slice::from_ref(&a), "http://127.0.0.1:9/revoke", "");
    // Unknown key.
    t.write("bad.toml", "[[revoke]]\nrules = [\"*\"]\nurl = \"https://x.example/\"\nsecret_env = \"S\"\ncolour = \"red\"\n");
    let o = bin()
        .current_dir(t.path())
        .args([
            "scan", ".", "--format", "json", "--revoke", "--config", "bad.toml",
        ])
        .output()
        .unwrap();
    let (code, out, err) = parts(&o);
    assert_eq!(code, 2);
    assert!(
        err.contains("bad.toml") && err.contains("unknown field"),
        "{err}"
    );
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(hashes(&doc), vec![sha(&a)], "findings are still reported");
    // http to a non-loopback host.
    t.write(
        "bad.toml",
        "[[revoke]]\nrules = [\"*\"]\nurl = \"http://revoke.example.com/\"\nsecret_env = \"S\"\n",
    );
    let o = bin()
        .current_dir(t.path())
        .args(["scan", ".", "--revoke", "--config", "bad.toml"])
        .output()
        .unwrap();
    let (code, _, err) = parts(&o);
    assert_eq!(code, 2);
    assert!(err.contains("refusing plain http"), "{err}");
    // Missing secret variable.
    let o = bin()
        .current_dir(t.path())
        .env_remove("TEST_REVOKE_SECRET")
        .args(["scan", ".", "--format", "json", "--revoke", "--outbox"])
        .arg(t.join("ob"))
        .output()
        .unwrap();
    let (code, out, err) = parts(&o);
    assert_eq!(code, 2);
    assert!(
        err.contains("TEST_REVOKE_SECRET") && err.contains("not set"),
        "{err}"
    );
    assert_eq!(hashes(&serde_json::from_str(&out).unwrap()), vec![sha(&a)]);
    assert!(!err.contains(&a) && !out.contains(&a));
    // An outbox that cannot be written (a file where the folder should be).
    let server_refused = refused_addr();
    t.write("burnkey.toml", format!("[[revoke]]\nrules = [\"*\"]\nurl = \"http://{server_refused}/\"\nsecret_env = \"TEST_REVOKE_SECRET\"\nretry_for = \"100ms\"\nbackoff = \"10ms\"\n"));
    let blocker = t.write("not-a-dir", "x");
    let (code, doc, err) = scan_revoke(&t, &blocker.join("outbox"), &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("outbox") && err.contains("not-a-dir"), "{err}");
    assert_eq!(hashes(&doc), vec![sha(&a)]);
    // No config at all.
    std::fs::remove_file(t.join("burnkey.toml")).unwrap();
    let (code, _, err) = scan_revoke(&t, &t.join("ob"), &[]);
    assert_eq!(code, 2);
    assert!(err.contains("no burnkey.toml"), "{err}");
}

#[test]
fn kill_dash_nine_mid_run_loses_nothing() {
    let server = Server::start(|_, _| Act::Hang(Duration::from_secs(30)));
    let toks: Vec<String> = (0..5).map(|_| mint("cfut")).collect();
    let t = setup(
        &toks,
        &server.url(),
        "timeout = \"30s\"\nretry_for = \"60s\"\n",
    );
    let outbox = t.join("outbox");
    let mut child = std::process::Command::new(crate::common::exe())
        .current_dir(t.path())
        .env("TEST_REVOKE_SECRET", SECRET)
        .args(["scan", ".", "-q", "--revoke", "--outbox"])
        .arg(&outbox)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until every request is in flight, then kill -9.
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.seen().len() < 5 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(server.seen().len(), 5);
    child.kill().unwrap();
    child.wait().unwrap();
    let files = outbox_files(&outbox);
    assert_eq!(
        files.len(),
        5,
        "every request was journaled before its first attempt"
    );
    // The endpoint comes back (where burnkey.toml says it is).
    let addr = server.addr();
    drop(server);
    let good = Server::start_on(addr, |_, _| ok());
    let (code, _, err) = flush(&outbox, true);
    assert_eq!(code, 0, "{err}");
    let got: HashSet<String> = good
        .seen()
        .iter()
        .map(|s| body_json(s)[0]["token"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(got, toks.into_iter().collect::<HashSet<_>>());
}

#[test]
fn soak_2000_findings_against_a_flaky_server_lose_nothing() {
    // 30% of requests get a 503, 10% of connections are dropped unanswered.
    let server = Server::start(|_, _| {
        let mut r = [0u8; 1];
        getrandom::fill(&mut r).unwrap();
        match r[0] as u32 * 100 / 256 {
            0..=29 => Act::Reply(503, vec![]),
            30..=39 => Act::Drop,
            _ => ok(),
        }
    });
    let toks: Vec<String> = (0..2000)
        .map(|i| mint(if i % 2 == 0 { "cfut" } else { "npm" }))
        .collect();
    let t = Tree::new();
    let mut text = String::new();
    for tok in &toks {
        text.push_str(&format!("{tok}\n"));
    }
    t.write("dump.txt", &text);
    t.write(
        "burnkey.toml",
        format!("[[revoke]]\nrules = [\"*\"]\nurl = \"{}\"\nsecret_env = \"TEST_REVOKE_SECRET\"\nsend = \"hash\"\ntimeout = \"5s\"\nretry_for = \"20s\"\nbackoff = \"5ms\"\n", server.url()),
    );
    let outbox = t.join("outbox");
    let (code, doc, err) = scan_revoke(&t, &outbox, &[]);
    assert_eq!(code, 1, "{err}");
    let r = &doc["revocations"];
    let (delivered, outboxed) = (
        r["delivered"].as_u64().unwrap(),
        r["outbox"].as_u64().unwrap(),
    );
    assert_eq!(r["failed"], 0);
    assert_eq!(delivered + outboxed, 2000, "{r}");
    // Every distinct webhook-id was accepted by the server, or sits in the outbox.
    let mut accepted: HashMap<String, String> = HashMap::new();
    for s in server.seen() {
        if s.status == 202 {
            accepted.insert(
                s.header("webhook-id").to_string(),
                body_json(&s)[0]["token_hash"].as_str().unwrap().to_string(),
            );
        }
    }
    let pending: HashSet<String> = outbox_files(&outbox)
        .iter()
        .map(|p| {
            let v: Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
            v["token_hash"]
                .as_str()
                .map(String::from)
                .unwrap_or_else(|| v["token_sha256"].as_str().unwrap().to_string())
        })
        .collect();
    let want: HashSet<String> = toks.iter().map(|t| sha(t)).collect();
    let got: HashSet<String> = accepted
        .values()
        .cloned()
        .chain(pending.iter().cloned())
        .collect();
    assert_eq!(got, want, "zero lost");
    assert_eq!(
        accepted.len() as u64,
        delivered,
        "exactly the delivered ones, once per webhook-id"
    );
    assert_eq!(pending.len() as u64, outboxed);
    for tok in &toks[..20] {
        assert!(!doc.to_string().contains(tok.as_str()) && !err.contains(tok.as_str()));
    }
}

/// A keyword-anchored finding (no checksum: it may be something else) is
/// reported, but a glob never sends it: only an endpoint that names its rule
/// id does. Checksum-valid tokens go as before.
#[test]
fn keyword_findings_are_revoked_only_when_named_exactly() {
    let legacy = "Gq3vT7wLx9ZkP2mNbR4sY6uJc8dFh0aEiKo1-_Wz"; // burnkey:allow (made up)
    let valid = mint("cfut");
    let server = Server::start(|_, _| ok());
    for (rules, want) in [
        ("\"cloudflare-*\"", 1),
        ("\"*\"", 1),
        ("\"cloudflare-*\", \"cloudflare-legacy-api-token\"", 2),
    ] {
        let t = Tree::new();
        t.write(
            "a.env",
            format!("CLOUDFLARE_API_TOKEN={legacy}\nTOKEN={valid}\n"),
        );
        t.write(
            "burnkey.toml",
            format!("[[revoke]]\nrules = [{rules}]\nurl = \"{}\"\nsecret_env = \"TEST_REVOKE_SECRET\"\n", server.url()),
        );
        let o = bin()
            .current_dir(t.path())
            .env("TEST_REVOKE_SECRET", SECRET)
            .args(["scan", ".", "--format", "json", "--revoke-dry-run"])
            .output()
            .unwrap();
        let (code, out, err) = parts(&o);
        assert_eq!(code, 1, "{err}");
        let doc: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(findings(&doc).len(), 2, "both reported");
        let sent = doc["revocations"]["would_send"].as_array().unwrap();
        assert_eq!(sent.len(), want, "rules = [{rules}]: {sent:?}");
    }
    assert!(server.seen().is_empty(), "a dry run");
}

#[test]
fn decoded_and_archived_tokens_are_revoked_as_themselves() {
    use base64::Engine as _;
    use std::io::Write;
    let server = Server::start(|_, _| ok());
    let (a, b) = (mint("cfut"), mint("cfat"));
    let t = setup(&[], &server.url(), "");
    let enc = base64::engine::general_purpose::STANDARD.encode(&a);
    t.write("k8s/secret.yaml", format!("data:\n  token: {enc}\n"));
    let mut tar = tar::Builder::new(Vec::new());
    let env = format!("A=1\nCF={b}\n");
    let mut h = tar::Header::new_gnu();
    h.set_size(env.len() as u64);
    h.set_cksum();
    tar.append_data(&mut h, "conf/.env", env.as_bytes())
        .unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar.into_inner().unwrap()).unwrap();
    t.write("dist/bundle.tgz", gz.finish().unwrap());
    let (code, _, err) = scan_revoke(&t, &t.join("outbox"), &[]);
    assert_eq!(code, 1, "{err}");
    let mut got: Vec<(String, String)> = server
        .seen()
        .iter()
        .map(|s| {
            let item = body_json(s)[0].clone();
            (
                item["token"].as_str().unwrap().to_string(),
                item["url"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    let mut want = vec![
        (a.clone(), "k8s/secret.yaml:2".to_string()),
        (b.clone(), "dist/bundle.tgz!conf/.env:2".to_string()),
    ];
    want.sort();
    assert_eq!(got, want);
}
