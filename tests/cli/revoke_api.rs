//! Revocation through the providers' own APIs (`[[revoke]] via = "github"`
//! / `"cloudflare"`) against fakes on 127.0.0.1: GitHub's batches, the
//! Cloudflare verify → delete chain, its 403 fallback, consent, the dry
//! run, and kill -9 mid-revocation completed by `revoke flush`.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::*;
use crate::server::{Act, Seen, Server};

const KEY: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const HOOK_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const ACCOUNT: &str = "0123456789abcdef0123456789abcdef";

fn reply(code: u16, body: Value) -> Act {
    Act::Body(code, vec![], body.to_string().into_bytes())
}

/// A Cloudflare fake: `tokens` maps a token to its id, whether it may
/// delete itself, and whether it is an account token (under ACCOUNT).
/// Deleted ones are gone.
pub(crate) fn cloudflare(tokens: HashMap<String, (&'static str, bool, bool)>) -> Server {
    cloudflare_on("127.0.0.1:0".parse().unwrap(), tokens)
}

fn cloudflare_on(
    addr: std::net::SocketAddr,
    tokens: HashMap<String, (&'static str, bool, bool)>,
) -> Server {
    let deleted: Arc<Mutex<HashSet<String>>> = Default::default();
    Server::start_on(addr, move |s: &Seen, _| {
        let bearer = s
            .header("authorization")
            .trim_start_matches("Bearer ")
            .to_string();
        let known = tokens
            .get(&bearer)
            .filter(|_| !deleted.lock().unwrap().contains(&bearer));
        let Some(&(id, may_delete, account)) = known else {
            return reply(
                401,
                json!({"success": false, "errors": [{"code": 1000, "message": "Invalid API Token"}]}),
            );
        };
        let scope = if account {
            format!("/client/v4/accounts/{ACCOUNT}/tokens")
        } else {
            "/client/v4/user/tokens".to_string()
        };
        if s.method == "GET" && s.path == format!("{scope}/verify") {
            return reply(
                200,
                json!({"success": true, "result": {"id": id, "status": "active"}}),
            );
        }
        if s.method == "DELETE" && s.path == format!("{scope}/{id}") {
            if !may_delete {
                return reply(
                    403,
                    json!({"success": false, "errors": [{"code": 9109, "message": "Unauthorized to access requested resource"}]}),
                );
            }
            deleted.lock().unwrap().insert(bearer);
            return reply(200, json!({"success": true, "result": {"id": id}}));
        }
        reply(
            401,
            json!({"success": false, "errors": [{"code": 1000, "message": "Invalid API Token"}]}),
        )
    })
}

fn scan(dir: &Path, env: &[(&str, String)], args: &[&str]) -> (i32, Value, String) {
    let mut c = bin();
    c.current_dir(dir)
        .env("BURNKEY_OUTBOX_KEY", KEY)
        .env("HOOK_SECRET", HOOK_SECRET)
        .env_remove("CLOUDFLARE_ACCOUNT_ID")
        .args(["scan", ".", "--format", "json", "--outbox"])
        .arg(dir.join("outbox"))
        .args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    let (code, out, err) = parts(&c.output().unwrap());
    (code, serde_json::from_str(&out).unwrap_or(Value::Null), err)
}

fn outbox_files(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir.join("outbox"))
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn github_gets_unauthenticated_batches_of_1000_and_the_report_says_submitted() {
    let t = Tree::new();
    let toks: Vec<String> = (0..1001).map(|_| mint("ghp")).collect();
    let text: String = toks.iter().map(|t| format!("token: {t}\n")).collect();
    t.write("leaks.yml", text);
    t.write("npm.env", format!("T={}\n", mint("npm")));
    t.write(
        "burnkey.toml",
        "[[revoke]]\nvia = \"github\"\nrules = [\"*\"]\noutbox_key_env = \"BURNKEY_OUTBOX_KEY\"\n",
    );
    let server = Server::start(|s: &Seen, _| {
        if s.header("authorization").is_empty() {
            Act::Reply(202, vec![])
        } else {
            Act::Reply(403, vec![])
        }
    });
    let api = format!("http://{}", server.addr());
    let (code, doc, err) = scan(t.path(), &[("BURNKEY_GITHUB_API_URL", api)], &["--revoke"]);
    assert_eq!(code, 1, "{err}");
    let seen = server.seen();
    assert_eq!(seen.len(), 2, "1001 tokens: two requests");
    let mut sent = Vec::new();
    for s in &seen {
        assert_eq!(
            (s.method.as_str(), s.path.as_str()),
            ("POST", "/credentials/revoke")
        );
        assert_eq!(s.header("authorization"), "");
        let body: Value = serde_json::from_slice(&s.body).unwrap();
        let creds = body["credentials"].as_array().unwrap();
        assert!(creds.len() <= 1000);
        sent.extend(creds.iter().map(|c| c.as_str().unwrap().to_string()));
    }
    sent.sort();
    let mut want = toks.clone();
    want.sort();
    assert_eq!(sent, want, "every GitHub token once, and no npm token");
    let rev = &doc["revocations"];
    assert_eq!(rev["delivered"], 1001);
    assert!(rev["requests"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["outcome"] == "submitted"));
    assert!(
        err.contains("submitted") && !err.contains("revoked"),
        "{err}"
    );
    assert!(outbox_files(t.path()).is_empty());
}

#[test]
fn cloudflare_verify_then_delete_with_consent_and_the_403_fallback() {
    let t = Tree::new();
    let (able, unable, acct, dead) = (mint("cfut"), mint("cfut"), mint("cfat"), mint("cfut"));
    let gk = mint("cfk");
    let mut known = HashMap::new();
    known.insert(able.clone(), ("aaaa1111", true, false));
    known.insert(unable.clone(), ("bbbb2222", false, false));
    known.insert(acct.clone(), ("cccc3333", true, true));
    let server = cloudflare(known);
    let hook = Server::start(|_, _| Act::Reply(202, vec![]));
    t.write("able.env", format!("CLOUDFLARE_API_TOKEN={able}\n"));
    t.write("unable.env", format!("CLOUDFLARE_API_TOKEN={unable}\n"));
    t.write(
        "acct.env",
        format!("CLOUDFLARE_ACCOUNT_ID={ACCOUNT}\nCLOUDFLARE_API_TOKEN={acct}\n"),
    );
    t.write("dead.env", format!("CLOUDFLARE_API_TOKEN={dead}\n"));
    t.write("key.env", format!("CLOUDFLARE_API_KEY={gk}\n"));
    let config = |confirm: bool| {
        format!(
            "[[revoke]]\nvia = \"cloudflare\"\nrules = [\"cloudflare-*\"]\noutbox_key_env = \"BURNKEY_OUTBOX_KEY\"\nconfirm = {confirm}\nurl = \"{}\"\nsecret_env = \"HOOK_SECRET\"\n",
            hook.url()
        )
    };
    let env = [(
        "BURNKEY_CLOUDFLARE_API_URL",
        format!("http://{}/client/v4", server.addr()),
    )];

    // No consent: nothing is sent or journaled, and the run says why (exit 2).
    t.write("burnkey.toml", config(false));
    let (code, doc, err) = scan(t.path(), &env, &["--revoke"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("needs consent"), "{err}");
    assert_eq!(doc["revocations"]["skipped"], 4);
    assert!(server.seen().is_empty() && outbox_files(t.path()).is_empty());

    // The dry run shows the plan, and sends nothing.
    let (_, doc, err) = scan(t.path(), &env, &["--revoke-dry-run"]);
    assert!(
        err.contains(&format!(
            "GET http://{}/client/v4/accounts/{ACCOUNT}/tokens/verify, then DELETE",
            server.addr()
        )),
        "{err}"
    );
    assert!(err.contains("not without consent"));
    assert_eq!(
        doc["revocations"]["would_send"].as_array().unwrap().len(),
        4,
        "the Global API Key is not revocable by API"
    );
    assert!(server.seen().is_empty());

    // --yes: verify, then delete.
    let (code, doc, err) = scan(t.path(), &env, &["--revoke", "--yes"]);
    assert_eq!(code, 1, "{err}");
    let outcome = |tok: &str| {
        let red = &tok[..9];
        doc["revocations"]["requests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["redacted"].as_str().unwrap().starts_with(red))
            .unwrap()
            .clone()
    };
    assert_eq!(outcome(&able)["outcome"], "revoked");
    assert_eq!(outcome(&acct)["outcome"], "revoked");
    assert!(outcome(&dead)["outcome"]
        .as_str()
        .unwrap()
        .contains("invalid already"));
    let u = outcome(&unable);
    assert_eq!(u["status"], "delivered");
    assert!(
        u["outcome"]
            .as_str()
            .unwrap()
            .contains("cannot revoke itself"),
        "{u}"
    );
    let seen = server.seen();
    let paths: Vec<String> = seen
        .iter()
        .map(|s| format!("{} {}", s.method, s.path))
        .collect();
    assert!(
        paths.contains(&"DELETE /client/v4/user/tokens/aaaa1111".to_string()),
        "{paths:?}"
    );
    assert!(paths.contains(&format!(
        "DELETE /client/v4/accounts/{ACCOUNT}/tokens/cccc3333"
    )));
    assert!(paths.contains(&"DELETE /client/v4/user/tokens/bbbb2222".to_string()));
    // The fallback webhook heard of the one that could not revoke itself,
    // signed with its own secret.
    let h = hook.seen();
    assert_eq!(h.len(), 1);
    let body: Value = serde_json::from_slice(&h[0].body).unwrap();
    assert_eq!(body[0]["token"], unable.as_str());
    h[0].assert_signed_by(HOOK_SECRET);
    assert!(outbox_files(t.path()).is_empty());
    for tok in [&able, &unable, &acct, &dead] {
        assert!(!err.contains(tok.as_str()) && !doc.to_string().contains(tok.as_str()));
    }

    // confirm = true in the file is consent too; the revoked ones are dead now.
    t.write("burnkey.toml", config(true));
    let (_, doc, err) = scan(t.path(), &env, &["--revoke"]);
    assert_eq!(doc["revocations"]["skipped"], Value::Null, "{err}");
    assert!(err.contains("invalid already"));
}

#[test]
fn kill_dash_nine_during_api_revocation_then_flush_completes_it() {
    let t = Tree::new();
    let tok = mint("cfut");
    t.write("a.env", format!("CLOUDFLARE_API_TOKEN={tok}\n"));
    t.write(
        "burnkey.toml",
        "[[revoke]]\nvia = \"cloudflare\"\nrules = [\"cloudflare-*\"]\noutbox_key_env = \"BURNKEY_OUTBOX_KEY\"\ntimeout = \"60s\"\nretry_for = \"60s\"\n",
    );
    let mut known = HashMap::new();
    known.insert(tok.clone(), ("dddd4444", true, false));
    // Verify answers; the DELETE never does.
    let hang = Server::start(move |s: &Seen, _| {
        if s.method == "DELETE" {
            return Act::Hang(Duration::from_secs(60));
        }
        reply(
            200,
            json!({"success": true, "result": {"id": "dddd4444", "status": "active"}}),
        )
    });
    let api = format!("http://{}/client/v4", hang.addr());
    let mut child = std::process::Command::new(crate::common::exe())
        .current_dir(t.path())
        .env("BURNKEY_OUTBOX_KEY", KEY)
        .env("BURNKEY_CLOUDFLARE_API_URL", &api)
        .args(["scan", ".", "-q", "--revoke", "--yes", "--outbox"])
        .arg(t.join("outbox"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !hang.seen().iter().any(|s| s.method == "DELETE") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        hang.seen().iter().any(|s| s.method == "DELETE"),
        "the delete is in flight"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    let files = outbox_files(t.path());
    assert_eq!(files.len(), 1, "journaled before the first attempt");
    let entry = std::fs::read_to_string(&files[0]).unwrap();
    assert!(
        !entry.contains(tok.as_str()),
        "the token is sealed in the outbox"
    );
    let v: Value = serde_json::from_str(&entry).unwrap();
    assert_eq!(
        (v["endpoint"].as_str(), v["send"].as_str()),
        (Some("cloudflare"), Some("token"))
    );

    // Cloudflare answers again, at the same address.
    let addr = hang.addr();
    drop(hang);
    let good = cloudflare_on(addr, known);
    let flush = |yes: bool| {
        let mut c = bin();
        c.current_dir(t.path())
            .env("BURNKEY_OUTBOX_KEY", KEY)
            .env("BURNKEY_CLOUDFLARE_API_URL", &api)
            .args(["revoke", "flush", "--outbox"])
            .arg(t.join("outbox"));
        if yes {
            c.arg("--yes");
        }
        parts(&c.output().unwrap())
    };
    // Without consent it stays.
    let (code, _, err) = flush(false);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("needs consent") && outbox_files(t.path()).len() == 1,
        "{err}"
    );
    assert!(good.seen().is_empty());
    let (code, _, err) = flush(true);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("1 delivered"), "{err}");
    let seen = good.seen();
    assert_eq!(
        seen.last().map(|s| (s.method.as_str(), s.path.as_str())),
        Some(("DELETE", "/client/v4/user/tokens/dddd4444"))
    );
    assert_eq!(
        seen.last().unwrap().header("authorization"),
        format!("Bearer {tok}")
    );
    assert!(outbox_files(t.path()).is_empty());
}

#[test]
fn provider_entries_need_their_outbox_key_and_a_tampered_entry_is_quarantined() {
    let t = Tree::new();
    let tok = mint("cfat");
    t.write(
        "a.env",
        format!("account_id = \"{ACCOUNT}\"\ntoken = \"{tok}\"\n"),
    );
    t.write(
        "burnkey.toml",
        "[[revoke]]\nvia = \"cloudflare\"\nrules = [\"cloudflare-*\"]\noutbox_key_env = \"BURNKEY_OUTBOX_KEY\"\nconfirm = true\nretry_for = \"1s\"\n",
    );
    let down = Server::start(|_, _| Act::Reply(503, vec![]));
    let api = format!("http://{}/client/v4", down.addr());
    // No key: not sent, not journaled, exit 2.
    let o = bin()
        .current_dir(t.path())
        .env_remove("BURNKEY_OUTBOX_KEY")
        .env("BURNKEY_CLOUDFLARE_API_URL", &api)
        .args(["scan", ".", "--revoke", "--outbox"])
        .arg(t.join("outbox"))
        .output()
        .unwrap();
    let (code, _, err) = parts(&o);
    assert_eq!(code, 2);
    assert!(
        err.contains("BURNKEY_OUTBOX_KEY") && err.contains("outbox_key_env"),
        "{err}"
    );
    assert!(down.seen().is_empty() && outbox_files(t.path()).is_empty());

    // With it, but Cloudflare down: the request waits, with its account.
    let (code, doc, err) = scan(
        t.path(),
        &[("BURNKEY_CLOUDFLARE_API_URL", api.clone())],
        &["--revoke"],
    );
    assert_eq!(code, 1, "{err}");
    assert_eq!(doc["revocations"]["outbox"], 1);
    let files = outbox_files(t.path());
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&files[0]).unwrap()).unwrap();
    assert_eq!(v["account_id"], ACCOUNT);
    // Someone points it at another account: the flush refuses it.
    v["account_id"] = json!("fedcba9876543210fedcba9876543210");
    std::fs::write(&files[0], serde_json::to_vec(&v).unwrap()).unwrap();
    let before = down.seen().len();
    let o = bin()
        .current_dir(t.path())
        .env("BURNKEY_OUTBOX_KEY", KEY)
        .env("BURNKEY_CLOUDFLARE_API_URL", &api)
        .args(["revoke", "flush", "--outbox"])
        .arg(t.join("outbox"))
        .output()
        .unwrap();
    let (code, _, err) = parts(&o);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("quarantined"), "{err}");
    assert_eq!(
        down.seen().len(),
        before,
        "nothing sent for a tampered entry"
    );
}

/// `--revoke-dry-run` and `--revoke` on a lone `cfat_` in the binary users
/// get (pairing once panicked there, before anything was journaled): the
/// plan names its account route, and the real run revokes it there.
#[test]
fn a_cfat_is_paired_planned_and_revoked_by_the_binary_users_get() {
    let t = Tree::new();
    let acct = mint("cfat");
    let mut known = HashMap::new();
    known.insert(acct.clone(), ("dddd4444", true, true));
    let server = cloudflare(known);
    t.write(
        "terraform.tfvars",
        format!("cloudflare_account_id = \"{ACCOUNT}\"\ncloudflare_api_token  = \"{acct}\"\n"),
    );
    t.write(
        "burnkey.toml",
        "[[revoke]]\nvia = \"cloudflare\"\nrules = [\"cloudflare-*\"]\noutbox_key_env = \"BURNKEY_OUTBOX_KEY\"\nconfirm = true\n",
    );
    let env = [(
        "BURNKEY_CLOUDFLARE_API_URL",
        format!("http://{}/client/v4", server.addr()),
    )];
    let (code, doc, err) = scan(t.path(), &env, &["--revoke-dry-run"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!(
            "/client/v4/accounts/{ACCOUNT}/tokens/verify, then DELETE"
        )),
        "{err}"
    );
    assert_eq!(
        doc["revocations"]["would_send"].as_array().unwrap().len(),
        1
    );
    assert!(server.seen().is_empty() && outbox_files(t.path()).is_empty());

    let (code, doc, err) = scan(t.path(), &env, &["--revoke"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        doc["revocations"]["requests"][0]["outcome"], "revoked",
        "{doc}"
    );
    assert!(server.seen().iter().any(|s| s.method == "DELETE"
        && s.path == format!("/client/v4/accounts/{ACCOUNT}/tokens/dddd4444")));
    assert!(!err.contains(acct.as_str()) && !doc.to_string().contains(acct.as_str()));
}

/// A GitLab fake: `tokens` maps a token to whether it is active; a revoked
/// one reads back revoked and inactive, an unknown one is refused (401).
fn gitlab(tokens: HashMap<String, bool>) -> Server {
    let revoked: Arc<Mutex<HashSet<String>>> = Default::default();
    Server::start(move |s: &Seen, _| {
        let token = s.header("private-token").to_string();
        let Some(&active) = tokens.get(&token) else {
            return reply(401, json!({"message": "401 Unauthorized"}));
        };
        let gone = revoked.lock().unwrap().contains(&token);
        match (s.method.as_str(), s.path.as_str()) {
            ("GET", "/api/v4/personal_access_tokens/self") => reply(
                200,
                json!({"id": 42, "name": "ci", "revoked": gone, "active": active && !gone,
                       "scopes": ["api", "read_repository"], "expires_at": "2027-01-01"}),
            ),
            ("DELETE", "/api/v4/personal_access_tokens/self") if !gone => {
                revoked.lock().unwrap().insert(token);
                Act::Reply(204, vec![])
            }
            _ => reply(401, json!({"message": "401 Unauthorized"})),
        }
    })
}

/// GitLab is one file in `src/providers/` and its line in the list: its
/// tokens verify (`PRIVATE-TOKEN`, never in a URL) and revoke themselves
/// (`DELETE /personal_access_tokens/self`, with consent), and no token is
/// printed anywhere.
#[test]
fn gitlab_tokens_verify_and_revoke_through_their_own_api() {
    let t = Tree::new();
    let (live, expired, unknown) = (mint("glpat"), mint("glpat"), mint("glpat"));
    let server = gitlab(HashMap::from([
        (live.clone(), true),
        (expired.clone(), false),
    ]));
    t.write("live.env", format!("GITLAB_TOKEN={live}\n"));
    t.write("expired.env", format!("GITLAB_TOKEN={expired}\n"));
    t.write("unknown.env", format!("GITLAB_TOKEN={unknown}\n"));
    let env = [(
        "BURNKEY_GITLAB_API_URL",
        format!("http://{}/api/v4", server.addr()),
    )];
    let (code, doc, err) = scan(t.path(), &env, &["--verify"]);
    assert_eq!(code, 1, "{err}");
    let of = |file: &str| {
        findings(&doc)
            .iter()
            .find(|f| f["path"] == file)
            .unwrap_or_else(|| panic!("{file}: {doc}"))["verification"]
            .clone()
    };
    let v = of("live.env");
    assert_eq!(
        (&v["status"], &v["provider"], &v["scopes"], &v["token_id"]),
        (
            &json!("active"),
            &json!("gitlab"),
            &json!("api, read_repository"),
            &json!("42")
        ),
        "{v}"
    );
    assert_eq!(of("expired.env")["status"], "inactive");
    assert_eq!(of("unknown.env")["status"], "invalid");
    assert!(server
        .seen()
        .iter()
        .all(|s| s.path == "/api/v4/personal_access_tokens/self"));

    // Revocation destroys the token: not without consent.
    t.write(
        "burnkey.toml",
        "[[revoke]]\nvia = \"gitlab\"\nrules = [\"gitlab-*\"]\noutbox_key_env = \"BURNKEY_OUTBOX_KEY\"\n",
    );
    let before = server.seen().len();
    let (code, _, err) = scan(t.path(), &env, &["--revoke"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("needs consent"), "{err}");
    assert_eq!(server.seen().len(), before);
    let (_, _, err) = scan(t.path(), &env, &["--revoke-dry-run", "--yes"]);
    assert!(
        err.contains("through GitLab: DELETE http://")
            && err.contains("/personal_access_tokens/self"),
        "{err}"
    );
    let (code, doc, err) = scan(t.path(), &env, &["--revoke", "--yes"]);
    assert_eq!(code, 1, "{err}");
    let requests = doc["revocations"]["requests"].as_array().unwrap();
    let outcome = |tok: &str| {
        requests
            .iter()
            .find(|r| r["redacted"].as_str().unwrap().starts_with(&tok[..10]))
            .unwrap()["outcome"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(outcome(&live), "revoked");
    assert_eq!(outcome(&expired), "revoked");
    assert!(outcome(&unknown).contains("invalid already"));
    // Revoked: it now reads back as such.
    let (_, doc, _) = scan(t.path(), &env, &["--verify"]);
    let v = &findings(&doc)
        .iter()
        .find(|f| f["path"] == "live.env")
        .unwrap()["verification"];
    assert_eq!(
        (&v["status"], &v["token_status"]),
        (&json!("inactive"), &json!("revoked"))
    );
    for s in server.seen() {
        assert!(!s.path.contains("glpat-"), "a token in a URL: {}", s.path);
    }
    let out = std::fs::read_dir(t.join("outbox"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(out, 0, "nothing left waiting");
    assert!(!err.contains(&live) && !doc.to_string().contains(&live));
}

/// Runner tokens revoke through GitLab's runner API: the token goes in the
/// form of `DELETE /runners`, which deletes the runner; afterwards
/// `POST /runners/verify` refuses it.
#[test]
fn gitlab_runner_tokens_revoke_by_deleting_their_runner() {
    let runners: Arc<Mutex<HashSet<String>>> = Default::default();
    let live = "glrt-TSyCyg5aLnudBiLsqncE"; // burnkey:allow
    runners.lock().unwrap().insert(live.to_string());
    let known = runners.clone();
    let server = Server::start(move |s: &Seen, _| {
        let body = String::from_utf8_lossy(&s.body).into_owned();
        let token = body.strip_prefix("token=").unwrap_or("").to_string();
        let form = s.header("content-type") == "application/x-www-form-urlencoded";
        let mut set = known.lock().unwrap();
        match (s.method.as_str(), s.path.as_str()) {
            ("POST", "/api/v4/runners/verify") if form && set.contains(&token) => {
                reply(200, json!({"id": 7, "token": token}))
            }
            ("DELETE", "/api/v4/runners") if form && set.remove(&token) => Act::Reply(204, vec![]),
            _ => reply(403, json!({"message": "403 Forbidden"})),
        }
    });
    let t = Tree::new();
    t.write("runner.env", format!("RUNNER_TOKEN={live}\n"));
    t.write(
        "burnkey.toml",
        "[[revoke]]\nvia = \"gitlab\"\nrules = [\"gitlab-runner-*\"]\noutbox_key_env = \"BURNKEY_OUTBOX_KEY\"\n",
    );
    let env = [(
        "BURNKEY_GITLAB_API_URL",
        format!("http://{}/api/v4", server.addr()),
    )];
    let (_, doc, _) = scan(t.path(), &env, &["--verify"]);
    assert_eq!(
        findings(&doc)[0]["verification"]["status"],
        "active",
        "{doc}"
    );
    // A shape-only token is revoked only where its rule is named exactly.
    let (_, _, err) = scan(t.path(), &env, &["--revoke-dry-run", "--yes"]);
    assert!(!err.contains("/runners"), "{err}");
    t.write(
        "burnkey.toml",
        "[[revoke]]\nvia = \"gitlab\"\nrules = [\"gitlab-runner-authentication-token\"]\noutbox_key_env = \"BURNKEY_OUTBOX_KEY\"\n",
    );
    let (_, _, err) = scan(t.path(), &env, &["--revoke-dry-run", "--yes"]);
    assert!(
        err.contains("/runners, with the token in the form"),
        "{err}"
    );
    let (code, doc, err) = scan(t.path(), &env, &["--revoke", "--yes"]);
    assert_eq!(code, 1, "{err}");
    let r = &doc["revocations"]["requests"][0];
    assert_eq!(r["outcome"], "revoked (runner deleted)", "{doc}");
    assert!(runners.lock().unwrap().is_empty(), "the runner is gone");
    let (_, doc, _) = scan(t.path(), &env, &["--verify"]);
    assert_eq!(
        findings(&doc)[0]["verification"]["status"],
        "invalid",
        "{doc}"
    );
    for s in server.seen() {
        assert!(!s.path.contains("glrt-"), "a token in a URL: {}", s.path);
    }
    assert!(!err.contains(live) && !doc.to_string().contains(live));
}
