//! `burnkey serve`, the real binary on 127.0.0.1: burnkey's own signed
//! reports end to end from `scan --git --revoke`, GitHub's ECDSA-signed
//! alerts, refused signatures, replays, limits, slow clients and SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
use serde_json::{json, Value};

use crate::common::*;
use crate::git::{commit_all, repo};
use crate::server::{Act, Server};

const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const OTHER: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// A running `burnkey serve`, its log lines collected as they come.
pub(crate) struct Serving {
    child: Child,
    addr: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
}

impl Serving {
    fn start(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Serving {
        let mut c = Command::new(crate::common::exe());
        c.current_dir(dir).env_remove("BURNKEY_REVOKE_SECRET");
        for (k, v) in env {
            c.env(k, v);
        }
        Serving::spawn(c, args)
    }

    /// Runs `burnkey serve ARGS` on a free loopback port as `c` (the
    /// binary, its directory and environment) says.
    pub(crate) fn spawn(mut c: Command, args: &[&str]) -> Serving {
        c.arg("serve")
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        let log2 = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let at = line.split("addr=\"").nth(1);
                if let Some(a) = at.or_else(|| line.split("\"addr\":\"").nth(1)) {
                    let _ = tx.send(a.split('"').next().unwrap().to_string());
                }
                log2.lock().unwrap().push(line);
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("serve did not start: {:?}", log.lock().unwrap()));
        Serving {
            child,
            addr: addr.parse().unwrap(),
            log,
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub(crate) fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// Waits for a log line `pred` accepts (the line of a request is
    /// written after its answer).
    fn wait_log(&self, pred: impl Fn(&str) -> bool) -> String {
        let until = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(l) = self.log().into_iter().find(|l| pred(l)) {
                return l;
            }
            assert!(Instant::now() < until, "no such log line: {:?}", self.log());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn signal(&self, sig: &str) {
        let st = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(st.success());
    }

    fn wait(&mut self) -> ExitStatus {
        let until = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st;
            }
            assert!(Instant::now() < until, "serve did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A POST with the headers given; status and body (errors are answers too).
fn post(url: &str, headers: &[(&str, String)], body: &[u8]) -> (u16, Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let mut r = agent.post(url).header("content-type", "application/json");
    for (k, v) in headers {
        r = r.header(*k, v);
    }
    let mut resp = r.send(body).unwrap();
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Standard Webhooks headers for `body` under `secret`.
fn signed(secret: &str, id: &str, ts: u64, body: &[u8]) -> Vec<(&'static str, String)> {
    let s = burnkey::webhook::Secret::parse(secret).unwrap();
    vec![
        ("webhook-id", id.to_string()),
        ("webhook-timestamp", ts.to_string()),
        (
            "webhook-signature",
            burnkey::webhook::sign(&s, id, ts, body),
        ),
    ]
}

/// burnkey's report body for one token (token mode).
fn report(token: &str) -> Vec<u8> {
    json!([{"token": token, "type": "cloudflare-user-api-token", "url": "src/a.txt:1", "source": "file"}])
        .to_string()
        .into_bytes()
}

/// The path of a store named `name` in `t`, as `--store` takes it.
fn store_in(t: &Tree, name: &str) -> String {
    t.join(name).to_str().unwrap().to_string()
}

/// Mints `n` tokens of `kind` into `store`.
fn mint_into(dir: &Path, store: &str, kind: &str, n: u32, extra: &[&str]) -> Vec<String> {
    let o = bin()
        .current_dir(dir)
        .args([
            "mint",
            "--kind",
            kind,
            "--store",
            store,
            "--count",
            &n.to_string(),
        ])
        .args(["--scope", "dns:read@zone/x"])
        .args(extra)
        .output()
        .unwrap();
    let (code, out, err) = parts(&o);
    assert_eq!(code, 0, "{err}");
    out.lines().map(String::from).collect()
}

fn verify(dir: &Path, store: &str, token: &str, extra: &[&str]) -> String {
    let o = bin()
        .current_dir(dir)
        .args([
            "verify",
            token,
            "--store",
            store,
            "--scope",
            "dns:read@zone/x",
        ])
        .args(extra)
        .output()
        .unwrap();
    parts(&o).1
}

fn records(dir: &Path, store: &str) -> Vec<Value> {
    let o = bin()
        .current_dir(dir)
        .args(["store", "list", "--format", "json", "--store", store])
        .output()
        .unwrap();
    parts(&o)
        .1
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// A notify command that appends its stdin to `out`.
fn notify_script(t: &Tree, out: &Path) -> String {
    let p = t.write(
        "notify.sh",
        format!(
            "#!/bin/sh\n{{ cat; echo \"env=$BURNKEY_RECORD_ID\"; }} >> '{}'\n",
            out.display()
        ),
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p.display().to_string()
}

fn assert_no_token(log: &[String], tokens: &[String]) {
    for l in log {
        for t in tokens {
            assert!(!l.contains(t.as_str()), "a token in the log: {l}");
        }
    }
}

#[test]
fn mint_commit_scan_revoke_to_serve_then_verify_denies() {
    let t = repo();
    let rules = t.write(
        "acme.toml",
        "provider = \"Acme\"\n\n[[rules]]\nid = \"acme-api-token\"\nname = \"Acme API token\"\nprefix = \"acme_\"\nbody_len = 40\nchecksum = \"crc32-hex8\"\ndescription = \"An Acme token.\"\n",
    );
    let rules = rules.to_str().unwrap();
    let store = t.join("keys/tokens.db");
    std::fs::create_dir(t.join("keys")).unwrap();
    let store = store.to_str().unwrap();
    let toks = mint_into(t.path(), store, "acme-api-token", 2, &["--rules", rules]);
    let (leaked, kept) = (&toks[0], &toks[1]);
    let notified = t.join("notified.txt");
    let script = notify_script(&t, &notified);

    let serve = Serving::start(
        t.path(),
        &[
            "--store",
            store,
            "--rules",
            rules,
            "--notify-command",
            &script,
        ],
        &[("BURNKEY_REVOKE_SECRET", &format!("{OTHER} {SECRET}"))],
    );
    t.write("src/app.env", format!("ACME_TOKEN={leaked}\n"));
    t.write(
        "burnkey.toml",
        format!(
            "[[revoke]]\nrules = [\"acme-*\"]\nurl = \"{}\"\nsecret_env = \"SCANNER_SECRET\"\n",
            serve.url("/v1/revocations")
        ),
    );
    commit_all(&t, "config");
    assert!(verify(t.path(), store, leaked, &["--rules", rules]).starts_with("allowed"));

    // Twice: the second run carries the same webhook-id and is answered
    // from the first result; the record is revoked, and notified, once.
    for run in 0..2 {
        let o = bin()
            .current_dir(t.path())
            .env("SCANNER_SECRET", SECRET)
            .args([
                "scan", "--git", ".", "--rules", rules, "--revoke", "--outbox",
            ])
            .arg(t.join("outbox"))
            .output()
            .unwrap();
        let (code, _, err) = parts(&o);
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("1 delivered"), "run {run}: {err}");
    }
    let lines = serve.log();
    let posts: Vec<_> = lines
        .iter()
        .filter(|l| l.contains("POST /v1/revocations 200"))
        .collect();
    assert_eq!(posts.len(), 2, "{lines:?}");
    assert!(posts[0].contains("revoked=1") && !posts[0].contains("replayed"));
    assert!(posts[1].contains("replayed"), "{}", posts[1]);

    let denied = verify(t.path(), store, leaked, &["--rules", rules]);
    assert!(denied.starts_with("denied: token revoked"), "{denied}");
    assert!(verify(t.path(), store, kept, &["--rules", rules]).starts_with("allowed"));
    let recs = records(t.path(), store);
    assert_eq!(recs.iter().filter(|r| r["revoked"] == true).count(), 1);

    // The hook ran once, with the record and where it leaked; no token.
    let until = Instant::now() + Duration::from_secs(30);
    while !notified.exists() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    let text = std::fs::read_to_string(&notified).unwrap();
    let events: Vec<Value> = text
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 1, "{text}");
    let revoked = recs.iter().find(|r| r["revoked"] == true).unwrap();
    assert_eq!(events[0]["record_id"], revoked["id"]);
    assert_eq!(events[0]["reported_by"], "burnkey");
    assert_eq!(events[0]["type"], "token.revoked");
    assert!(events[0]["url"].as_str().unwrap().contains("src/app.env"));
    assert!(text.contains(&format!("env={}", revoked["id"].as_str().unwrap())));
    assert!(!text.contains(leaked.as_str()));
    assert_no_token(&serve.log(), &toks);
}

#[test]
fn bad_signatures_stale_timestamps_and_missing_headers_are_401_and_change_nothing() {
    let t = Tree::new();
    let store = &store_in(&t, "tokens.db");
    let tok = &mint_into(t.path(), store, "cfut", 1, &[])[0];
    let serve = Serving::start(
        t.path(),
        &["--store", store],
        &[("BURNKEY_REVOKE_SECRET", SECRET)],
    );
    let url = serve.url("/v1/revocations");
    let body = report(tok);
    let mut tampered = signed(SECRET, "msg_1", now(), &body);
    tampered[2].1 = signed(SECRET, "msg_1", now(), b"[]")[2].1.clone();
    let cases = [
        ("wrong secret", signed(OTHER, "msg_1", now(), &body)),
        ("signed another body", tampered),
        (
            "ten minutes old",
            signed(SECRET, "msg_1", now() - 600, &body),
        ),
        (
            "no signature",
            signed(SECRET, "msg_1", now(), &body)[..2].to_vec(),
        ),
    ];
    for (what, headers) in cases {
        let (status, answer) = post(&url, &headers, &body);
        assert_eq!(status, 401, "{what}: {answer}");
    }
    assert!(verify(t.path(), store, tok, &[]).starts_with("allowed"));
    // The refusals were not remembered for their webhook-id: the good one acts.
    let (status, answer) = post(&url, &signed(SECRET, "msg_1", now(), &body), &body);
    assert_eq!(status, 200);
    assert_eq!(answer[0]["label"], "true_positive");
    assert_eq!(answer[0]["token_hash"], sha(tok));
    assert!(verify(t.path(), store, tok, &[]).starts_with("denied"));
    assert_no_token(&serve.log(), std::slice::from_ref(tok));
}

#[test]
fn a_replayed_webhook_id_gets_the_first_answer_and_acts_once_even_at_once() {
    let t = Tree::new();
    let store = &store_in(&t, "tokens.jsonl");
    let toks = mint_into(t.path(), store, "cfut", 2, &[]);
    let notified = t.join("n.txt");
    let script = notify_script(&t, &notified);
    let serve = Serving::start(
        t.path(),
        &["--store", store, "--notify-command", &script],
        &[("BURNKEY_REVOKE_SECRET", SECRET)],
    );
    let url = serve.url("/v1/revocations");
    let body = report(&toks[0]);
    let headers = signed(SECRET, "msg_replayed", now(), &body);
    let answers: Vec<(u16, Value)> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..8)
            .map(|_| s.spawn(|| post(&url, &headers, &body)))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for a in &answers {
        assert_eq!(a, &answers[0]);
    }
    assert_eq!(answers[0].0, 200);
    assert_eq!(answers[0].1[0]["label"], "true_positive");
    let recs = records(t.path(), store);
    let at = recs.iter().find(|r| r["revoked"] == true).unwrap()["revoked_at"].clone();
    // The same token under a new id: the record was revoked already.
    let (_, again) = post(&url, &signed(SECRET, "msg_new", now(), &body), &body);
    assert_eq!(again[0]["label"], "false_positive");
    let recs = records(t.path(), store);
    assert_eq!(recs.iter().filter(|r| r["revoked"] == true).count(), 1);
    assert_eq!(
        recs.iter().find(|r| r["revoked"] == true).unwrap()["revoked_at"],
        at
    );
    serve.wait_log(|l| l.contains("already=1"));
    let lines = serve.log();
    assert_eq!(
        lines.iter().filter(|l| l.contains(" replayed")).count(),
        7,
        "{lines:?}"
    );
    // One notification.
    let until = Instant::now() + Duration::from_secs(30);
    while !notified.exists() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let n = std::fs::read_to_string(&notified).unwrap();
    assert_eq!(n.lines().filter(|l| l.starts_with('{')).count(), 1, "{n}");
}

/// A P-256 key of the test's own, as GitHub's keys document lists it.
struct TestKey {
    pair: EcdsaKeyPair,
    rng: SystemRandom,
}

impl TestKey {
    fn new() -> TestKey {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        TestKey { pair, rng }
    }

    fn pem(&self) -> String {
        // SubjectPublicKeyInfo: id-ecPublicKey, prime256v1, the point.
        let mut der = vec![
            0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
            0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
        ];
        der.extend_from_slice(self.pair.public_key().as_ref());
        format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            B64.encode(der)
        )
    }

    fn sign(&self, body: &[u8]) -> String {
        B64.encode(self.pair.sign(&self.rng, body).unwrap().as_ref())
    }
}

fn keys_doc(keys: &[(&str, &TestKey)]) -> String {
    json!({"public_keys": keys.iter().map(|(id, k)| json!({
        "key_identifier": id, "key": k.pem(), "is_current": true
    })).collect::<Vec<_>>()})
    .to_string()
}

fn alert(items: &[(&str, &str)]) -> Vec<u8> {
    Value::Array(
        items
            .iter()
            .map(|(tok, ty)| json!({"token": tok, "type": ty, "url": "https://github.com/o/r/blob/abc/x.env", "source": "content"}))
            .collect(),
    )
    .to_string()
    .into_bytes()
}

fn gh_headers(id: &str, sig: String) -> Vec<(&'static str, String)> {
    vec![
        ("Github-Public-Key-Identifier", id.to_string()),
        ("Github-Public-Key-Signature", sig),
    ]
}

#[test]
fn a_github_alert_signed_by_a_key_in_the_keys_file_revokes_and_gets_feedback() {
    let t = Tree::new();
    let store = &store_in(&t, "tokens.jsonl");
    let toks = mint_into(t.path(), store, "cfut", 2, &[]);
    let key = TestKey::new();
    let keys = t.write("github-keys.json", keys_doc(&[("k1", &key)]));
    let serve = Serving::start(
        t.path(),
        &["--store", store, "--github-keys", keys.to_str().unwrap()],
        &[],
    );
    let url = serve.url("/v1/github/secret-scanning");
    let stranger = mint("cfut");
    let bad = corrupt(&toks[1]);
    let body = alert(&[
        (&toks[0], "cloudflare_user_token"),
        (&stranger, "cloudflare_user_token"),
        (&bad, "cloudflare_user_token"),
    ]);

    // A bad signature changes nothing: 401.
    let (status, _) = post(&url, &gh_headers("k1", key.sign(b"other")), &body);
    assert_eq!(status, 401);
    let other = TestKey::new();
    let (status, _) = post(&url, &gh_headers("k1", other.sign(&body)), &body);
    assert_eq!(status, 401, "signed by a key that is not k1");
    let (status, _) = post(&url, &[], &body);
    assert_eq!(status, 401, "no signature headers");
    assert!(verify(t.path(), store, &toks[0], &[]).starts_with("allowed"));

    let (status, fb) = post(&url, &gh_headers("k1", key.sign(&body)), &body);
    assert_eq!(status, 200, "{fb}");
    assert_eq!(
        fb,
        json!([
            {"token_hash": sha(&toks[0]), "token_type": "cloudflare_user_token", "label": "true_positive"},
            {"token_hash": sha(&stranger), "token_type": "cloudflare_user_token", "label": "false_positive"},
            {"token_hash": sha(&bad), "token_type": "cloudflare_user_token", "label": "false_positive"},
        ])
    );
    assert!(verify(t.path(), store, &toks[0], &[]).starts_with("denied: token revoked"));
    assert!(
        verify(t.path(), store, &toks[1], &[]).starts_with("allowed"),
        "a wrong checksum is not looked up"
    );
    let line = serve.wait_log(|l| l.contains("/v1/github/secret-scanning 200"));
    assert!(
        line.contains("revoked=1 already=0 unknown=1 invalid=1"),
        "{line}"
    );
    let mut all = toks.clone();
    all.push(stranger);
    assert_no_token(&serve.log(), &all);
}

#[test]
fn an_unknown_key_id_fetches_the_keys_once_then_401_or_accepts() {
    let t = Tree::new();
    let store = &store_in(&t, "tokens.db");
    let toks = mint_into(t.path(), store, "cfut", 1, &[]);
    let (old, new) = (TestKey::new(), TestKey::new());
    let keys = t.write("github-keys.json", keys_doc(&[("old", &old)]));
    // GitHub's endpoint: the old key first, then old and new.
    let (first, both) = (
        keys_doc(&[("old", &old)]),
        keys_doc(&[("old", &old), ("new", &new)]),
    );
    let github = Server::start(move |_, n| {
        Act::Body(
            200,
            vec![],
            if n == 0 { first.clone() } else { both.clone() }.into_bytes(),
        )
    });
    let keys_url = format!("http://{}/meta/public_keys/secret_scanning", github.addr());
    t.write("burnkey.toml", "[serve]\ngithub_keys_refresh = \"0s\"\n");
    let keys = keys.to_str().unwrap();
    let start = || {
        Serving::start(
            t.path(),
            &[
                "--store",
                store,
                "--github-keys",
                keys,
                "--github-keys-url",
                &keys_url,
            ],
            &[],
        )
    };
    let serve = start();
    let url = serve.url("/v1/github/secret-scanning");
    let body = alert(&[(&toks[0], "cf")]);
    let (status, _) = post(&url, &gh_headers("new", new.sign(&body)), &body);
    assert_eq!(status, 401, "GitHub does not list it yet");
    assert_eq!(github.seen().len(), 1);
    assert!(verify(t.path(), store, &toks[0], &[]).starts_with("allowed"));
    let (status, fb) = post(&url, &gh_headers("new", new.sign(&body)), &body);
    assert_eq!(
        (status, fb[0]["label"].clone()),
        (200, json!("true_positive"))
    );
    assert_eq!(github.seen().len(), 2);
    assert_eq!(github.seen()[0].path, "/meta/public_keys/secret_scanning");
    // A known key needs no fetch.
    let (status, _) = post(&url, &gh_headers("old", old.sign(&body)), &body);
    assert_eq!(status, 200);
    assert_eq!(github.seen().len(), 2);
    drop(serve);

    // With the default interval, unknown ids fetch at most once a minute.
    std::fs::remove_file(t.join("burnkey.toml")).unwrap();
    let serve = start();
    let url = serve.url("/v1/github/secret-scanning");
    for id in ["nope1", "nope2", "nope3"] {
        let (status, _) = post(&url, &gh_headers(id, new.sign(&body)), &body);
        assert_eq!(status, 401);
    }
    assert_eq!(github.seen().len(), 3, "one fetch for three unknown ids");
}

/// Hardening 2, item 10: alerts with unknown key ids held every request
/// slot on the key-refresh lock while `--github-keys-url` was slow, so a
/// correctly signed report waited for GitHub's key server. The fetch runs
/// off the request path: while the key server has not answered at all,
/// one unknown-key alert waits for it (a bounded wait, then 401), the
/// others get 503 at once (GitHub retries), and a known key's alert and a
/// signed report are answered, even with only two request slots.
#[test]
fn a_slow_key_server_holds_up_no_other_request() {
    use std::sync::mpsc;
    let t = Tree::new();
    let store = &store_in(&t, "tokens.db");
    let toks = mint_into(t.path(), store, "cfut", 2, &[]);
    let (old, new) = (TestKey::new(), TestKey::new());
    let keys = t.write("github-keys.json", keys_doc(&[("old", &old)]));
    let (release, held) = mpsc::channel::<()>();
    let (asked, fetching) = mpsc::channel::<()>();
    let (held, asked) = (std::sync::Mutex::new(held), std::sync::Mutex::new(asked));
    let doc = keys_doc(&[("old", &old)]);
    // GitHub's key server answers only when the test says so.
    let github = Server::start(move |_, _| {
        let _ = asked.lock().unwrap().send(());
        let _ = held.lock().unwrap().recv();
        Act::Body(200, vec![], doc.clone().into_bytes())
    });
    let keys_url = format!("http://{}/meta/public_keys/secret_scanning", github.addr());
    let serve = Serving::start(
        t.path(),
        &[
            "--store",
            store,
            "--github-keys",
            keys.to_str().unwrap(),
            "--github-keys-url",
            &keys_url,
            "--max-requests",
            "2",
        ],
        &[("BURNKEY_REVOKE_SECRET", SECRET)],
    );
    let gh_url = serve.url("/v1/github/secret-scanning");
    let body = alert(&[(&toks[0], "cf")]);
    let unknown: Vec<_> = (0..8)
        .map(|i| {
            let (url, body, sig) = (gh_url.clone(), body.clone(), new.sign(&body));
            std::thread::spawn(move || post(&url, &gh_headers(&format!("new{i}"), sig), &body).0)
        })
        .collect();
    // Wait until the fetch has reached the key server (and hangs there).
    fetching
        .recv_timeout(Duration::from_secs(60))
        .expect("a fetch");
    let (status, fb) = post(&gh_url, &gh_headers("old", old.sign(&body)), &body);
    assert_eq!(
        (status, fb[0]["label"].clone()),
        (200, json!("true_positive"))
    );
    let report = report(&toks[1]);
    let url = serve.url("/v1/revocations");
    let (status, _) = post(
        &url,
        &signed(SECRET, "msg_slowkeys", now(), &report),
        &report,
    );
    assert_eq!(status, 200);
    // One waited and gave up; the others were told to come back.
    let mut codes: Vec<u16> = unknown.into_iter().map(|h| h.join().unwrap()).collect();
    codes.sort();
    assert_eq!(codes, [vec![401], vec![503; 7]].concat());
    assert!(
        fetching.try_recv().is_err() && github.seen().is_empty(),
        "one fetch for all of them, still unanswered"
    );
    release.send(()).unwrap();
}

/// Raw HTTP on a socket: what a client that misbehaves sends.
fn raw(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s
}

fn read_all(s: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn oversized_bodies_are_413_and_change_nothing() {
    let t = Tree::new();
    let store = &store_in(&t, "tokens.db");
    let tok = &mint_into(t.path(), store, "cfut", 1, &[])[0];
    let serve = Serving::start(
        t.path(),
        &["--store", store, "--max-body", "4K"],
        &[("BURNKEY_REVOKE_SECRET", SECRET)],
    );
    let url = serve.url("/v1/revocations");
    // A report padded past 4 KiB, correctly signed.
    let mut items = vec![json!({"token": tok, "type": "t", "url": "u", "source": "file"})];
    items.extend((0..100).map(|i| json!({"token_hash": format!("{i:064x}"), "type": "t"})));
    let body = Value::Array(items).to_string().into_bytes();
    assert!(body.len() > 4096);
    let (status, answer) = post(&url, &signed(SECRET, "msg_big", now(), &body), &body);
    assert_eq!(status, 413, "{answer}");
    // Chunked, so no Content-Length says it in advance.
    let mut s = raw(serve.addr);
    let h = signed(SECRET, "msg_big", now(), &body);
    let mut req =
        "POST /v1/revocations HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n".to_string();
    for (k, v) in &h {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    for chunk in body.chunks(1000) {
        if s.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
            .is_err()
            || s.write_all(chunk).is_err()
            || s.write_all(b"\r\n").is_err()
        {
            break;
        }
    }
    let _ = s.write_all(b"0\r\n\r\n");
    let answer = read_all(&mut s);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(verify(t.path(), store, tok, &[]).starts_with("allowed"));
}

#[test]
fn a_slow_client_is_cut_off_while_others_are_served() {
    let t = Tree::new();
    let store = &store_in(&t, "tokens.db");
    let tok = &mint_into(t.path(), store, "cfut", 1, &[])[0];
    let serve = Serving::start(
        t.path(),
        &[
            "--store",
            store,
            "--header-timeout",
            "1s",
            "--read-timeout",
            "1s",
            "--max-connections",
            "4",
        ],
        &[("BURNKEY_REVOKE_SECRET", SECRET)],
    );
    // Half a request head, then nothing; and a head whose body never comes.
    let mut stalled_head = raw(serve.addr);
    stalled_head
        .write_all(b"POST /v1/revocations HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let mut stalled_body = raw(serve.addr);
    stalled_body
        .write_all(b"POST /v1/revocations HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n[")
        .unwrap();
    let mut idle = raw(serve.addr);

    // Others are served meanwhile.
    let body = report(tok);
    let (status, fb) = post(
        &serve.url("/v1/revocations"),
        &signed(SECRET, "msg_s", now(), &body),
        &body,
    );
    assert_eq!(
        (status, fb[0]["label"].clone()),
        (200, json!("true_positive"))
    );

    // Each slow one is closed by the server, not by the 30 s client timeout.
    let started = Instant::now();
    assert_eq!(read_all(&mut stalled_head), "", "cut off without an answer");
    let answer = read_all(&mut stalled_body);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert_eq!(read_all(&mut idle), "");
    assert!(
        started.elapsed() < Duration::from_secs(25),
        "closed by the server"
    );
    // And the slots they held are free again: four at once are served.
    // (The server frees a slot when its connection's task ends, which a
    // loaded machine may run a moment after the close the client saw: a
    // few tries, a second apart. Slots that leaked would never come back.)
    let four_at_once = |round: u32| {
        std::thread::scope(|s| {
            let hs: Vec<_> = (0..4)
                .map(|i| {
                    let (url, body) = (serve.url("/v1/revocations"), body.clone());
                    s.spawn(move || {
                        post(
                            &url,
                            &signed(SECRET, &format!("msg_{round}_{i}"), now(), &body),
                            &body,
                        )
                        .0
                    })
                })
                .collect();
            hs.into_iter()
                .map(|h| h.join().unwrap())
                .collect::<Vec<_>>()
        })
    };
    let mut oks = four_at_once(0);
    for round in 1..=5 {
        if oks == vec![200; 4] {
            break;
        }
        std::thread::sleep(Duration::from_secs(1));
        oks = four_at_once(round);
    }
    assert_eq!(oks, vec![200; 4]);
}

#[test]
fn connections_past_the_limit_are_answered_503_at_once() {
    let t = Tree::new();
    let store = &store_in(&t, "tokens.db");
    mint_into(t.path(), store, "cfut", 1, &[]);
    let serve = Serving::start(
        t.path(),
        &["--store", store, "--max-connections", "1"],
        &[("BURNKEY_REVOKE_SECRET", SECRET)],
    );
    let holder = raw(serve.addr);
    // The holder's connection is accepted before the next one is.
    std::thread::sleep(Duration::from_millis(200));
    let mut second = raw(serve.addr);
    let _ = second.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    let answer = read_all(&mut second);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    drop(holder);
}

#[test]
fn sigterm_during_a_request_lets_it_finish_then_stops() {
    let t = Tree::new();
    let store = &store_in(&t, "tokens.db");
    let tok = &mint_into(t.path(), store, "cfut", 1, &[])[0];
    let mut serve = Serving::start(
        t.path(),
        &["--store", store],
        &[("BURNKEY_REVOKE_SECRET", SECRET)],
    );
    let body = report(tok);
    let mut s = raw(serve.addr);
    let mut req = format!(
        "POST /v1/revocations HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in signed(SECRET, "msg_term", now(), &body) {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    s.write_all(&body[..10]).unwrap();
    // The head is in; the body is not. Stop the server now.
    std::thread::sleep(Duration::from_millis(300));
    serve.signal("-TERM");
    serve.wait_log(|l| l.contains("shutdown") && l.contains("SIGTERM"));
    assert!(
        TcpStream::connect_timeout(&serve.addr, Duration::from_secs(2)).is_err(),
        "no new connections after SIGTERM"
    );
    s.write_all(&body[10..]).unwrap();
    let mut answer = String::new();
    let mut r = BufReader::new(&mut s);
    r.read_line(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let st = serve.wait();
    assert!(st.success(), "{st:?}");
    assert!(verify(t.path(), store, tok, &[]).starts_with("denied: token revoked"));
}

#[test]
fn routes_json_logs_and_refusals_to_start() {
    let t = Tree::new();
    let store = &store_in(&t, "tokens.db");
    let tok = &mint_into(t.path(), store, "cfut", 1, &[])[0];
    let serve = Serving::start(
        t.path(),
        &["--store", store, "--log-format", "json"],
        &[("BURNKEY_REVOKE_SECRET", SECRET)],
    );
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let health = agent.get(serve.url("/healthz")).call().unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(agent.get(serve.url("/nope")).call().unwrap().status(), 404);
    assert_eq!(
        agent
            .get(serve.url("/v1/revocations"))
            .call()
            .unwrap()
            .status(),
        405
    );
    let (status, _) = post(&serve.url("/v1/github/secret-scanning"), &[], b"[]");
    assert_eq!(status, 404, "no keys: the GitHub route is off");
    // Not JSON, and JSON that is not an array of reports (its text not echoed).
    let not_json = format!("[{{\"token\": {tok}");
    let (status, answer) = post(
        &serve.url("/v1/revocations"),
        &signed(SECRET, "m1", now(), not_json.as_bytes()),
        not_json.as_bytes(),
    );
    assert_eq!(status, 400);
    let wrong = format!("\"{tok}\"");
    let (status, answer2) = post(
        &serve.url("/v1/revocations"),
        &signed(SECRET, "m2", now(), wrong.as_bytes()),
        wrong.as_bytes(),
    );
    assert_eq!(status, 400);
    assert!(
        !answer.to_string().contains(tok.as_str()) && !answer2.to_string().contains(tok.as_str())
    );
    serve.wait_log(|l| l.contains("\"status\":400") && l.contains("/v1/revocations"));
    for l in serve.log() {
        let v: Value = serde_json::from_str(&l).unwrap_or_else(|_| panic!("not JSON: {l}"));
        assert!(v["time"].is_string(), "{l}");
    }
    assert_no_token(&serve.log(), std::slice::from_ref(tok));

    // Refusals to start: exit 2 and why.
    for (args, env, why) in [
        (vec!["--store", store], vec![], "nothing to receive"),
        (
            vec!["--store", store, "--secret-env", "UNSET_VAR"],
            vec![],
            "UNSET_VAR",
        ),
        (vec![], vec![("BURNKEY_REVOKE_SECRET", SECRET)], "--store"),
        (
            vec![
                "--store",
                store,
                "--github-keys-url",
                "http://example.com/keys",
            ],
            vec![],
            "http://",
        ),
        (
            vec!["--store", store],
            vec![("BURNKEY_REVOKE_SECRET", "whsec_!!")],
            "BURNKEY_REVOKE_SECRET",
        ),
    ] {
        let mut c = bin();
        c.current_dir(t.path())
            .env_remove("BURNKEY_REVOKE_SECRET")
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(&args);
        for (k, v) in env {
            c.env(k, v);
        }
        let o = c.timeout(Duration::from_secs(30)).output().unwrap();
        let (code, _, err) = parts(&o);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(why), "{args:?}: {err}");
    }
}

#[test]
fn the_notify_webhook_is_signed_and_called_once_per_revoked_record() {
    let t = Tree::new();
    let store = &store_in(&t, "tokens.db");
    let toks = mint_into(t.path(), store, "cfut", 2, &[]);
    let hook = Server::start(|_, _| Act::Reply(204, vec![]));
    t.write(
        "burnkey.toml",
        format!(
            "[serve]\nstore = \"tokens.db\"\n\n[serve.notify]\nurl = \"http://{}/revoked\"\nsecret_env = \"NOTIFY_SECRET\"\n",
            hook.addr()
        ),
    );
    let serve = Serving::start(
        t.path(),
        &[],
        &[("BURNKEY_REVOKE_SECRET", SECRET), ("NOTIFY_SECRET", OTHER)],
    );
    let url = serve.url("/v1/revocations");
    for (i, tok) in [&toks[0], &toks[0], &toks[1]].into_iter().enumerate() {
        let body = report(tok);
        let (status, _) = post(&url, &signed(SECRET, &format!("m{i}"), now(), &body), &body);
        assert_eq!(status, 200);
    }
    let until = Instant::now() + Duration::from_secs(30);
    while hook.seen().len() < 2 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let seen = hook.seen();
    assert_eq!(
        seen.len(),
        2,
        "two records revoked, the repeat not notified"
    );
    let recs = records(t.path(), store);
    for (s, rec) in seen.iter().zip(&recs) {
        s.assert_signed_by(OTHER);
        let ev: Value = serde_json::from_slice(&s.body).unwrap();
        assert_eq!(ev["record_id"], rec["id"]);
        assert!(!String::from_utf8_lossy(&s.body).contains(toks[0].as_str()));
    }
}
