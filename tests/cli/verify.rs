//! `scan --verify` against fakes of Cloudflare's, GitHub's and npm's APIs on
//! 127.0.0.1 that speak their documented JSON: every status, pairing,
//! caching, rate limiting, retries, `--only-active`, and no socket at all
//! without `--verify`.

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::common::*;
use crate::server::{Act, Seen, Server};

pub(crate) const ACCOUNT: &str = "0123456789abcdef0123456789abcdef";
const OTHER_ACCOUNT: &str = "fedcba9876543210fedcba9876543210";

/// What the fake providers know.
#[derive(Default, Clone)]
pub(crate) struct Known {
    /// Cloudflare tokens: (status word, the account for cfat_).
    pub cloudflare: HashMap<String, (&'static str, Option<&'static str>)>,
    /// Global API keys and their email.
    pub keys: HashMap<String, &'static str>,
    /// GitHub tokens and their login.
    pub github: HashMap<String, &'static str>,
    /// npm tokens and their user.
    pub npm: HashMap<String, &'static str>,
    /// GitHub tokens an organisation's SAML enforcement keeps from /user.
    pub saml: Vec<String>,
    /// GitHub tokens whose rate limit is spent.
    pub limited: Vec<String>,
}

fn json_reply(code: u16, headers: Vec<(&'static str, String)>, body: Value) -> Act {
    Act::Body(code, headers, body.to_string().into_bytes())
}

fn cf_invalid() -> Act {
    json_reply(
        401,
        vec![],
        json!({"success": false, "errors": [{"code": 1000, "message": "Invalid API Token"}], "messages": [], "result": null}),
    )
}

/// The three APIs, as documented, on one server.
pub(crate) fn fake(known: Known) -> Server {
    Server::start(move |s: &Seen, _| {
        let bearer = s
            .header("authorization")
            .strip_prefix("Bearer ")
            .unwrap_or("");
        let path = s.path.as_str();
        if path == "/client/v4/user/tokens/verify" || path.ends_with("/tokens/verify") {
            let Some((word, acct)) = known.cloudflare.get(bearer) else {
                return cf_invalid();
            };
            if let Some(a) = acct {
                if path != format!("/client/v4/accounts/{a}/tokens/verify") {
                    return cf_invalid();
                }
            } else if path != "/client/v4/user/tokens/verify" {
                return cf_invalid();
            }
            return json_reply(
                200,
                vec![],
                json!({"success": true, "errors": [], "messages": [], "result": {
                    "id": "ed17574386854bf78a67040be0a770b0", "status": word,
                    "not_before": "2026-01-01T00:00:00Z", "expires_on": "2027-01-01T00:00:00Z"}}),
            );
        }
        if path == "/client/v4/user" {
            let (key, email) = (s.header("x-auth-key"), s.header("x-auth-email"));
            if known.keys.get(key) == Some(&email) {
                return json_reply(
                    200,
                    vec![],
                    json!({"success": true, "result": {"id": "u1", "email": email}}),
                );
            }
            return json_reply(
                403,
                vec![],
                json!({"success": false, "errors": [{"code": 9103, "message": "Unknown X-Auth-Key or X-Auth-Email"}]}),
            );
        }
        if path == "/gh/user" {
            if known.saml.iter().any(|t| t == bearer) {
                return json_reply(
                    403,
                    vec![],
                    json!({"message": "Resource protected by organization SAML enforcement."}),
                );
            }
            if known.limited.iter().any(|t| t == bearer) {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_secs();
                return json_reply(
                    403,
                    vec![
                        ("X-RateLimit-Remaining", "0".into()),
                        ("X-RateLimit-Reset", now.to_string()),
                    ],
                    json!({"message": "API rate limit exceeded"}),
                );
            }
            return match known.github.get(bearer) {
                Some(login) => json_reply(
                    200,
                    vec![("X-OAuth-Scopes", "repo, read:org".into())],
                    json!({"login": login, "id": 1}),
                ),
                None => json_reply(401, vec![], json!({"message": "Bad credentials"})),
            };
        }
        if path == "/npm/-/whoami" {
            return match known.npm.get(bearer) {
                Some(u) => json_reply(200, vec![], json!({"username": u})),
                None => json_reply(401, vec![], json!({"error": "unauthorized"})),
            };
        }
        json_reply(404, vec![], json!({"message": "Not Found"}))
    })
}

/// `scan --verify --format json` in `dir` against `server`.
fn verify_scan(dir: &Path, server: &Server, args: &[&str]) -> (i32, Value, String) {
    let base = format!("http://{}", server.addr());
    let o = bin()
        .current_dir(dir)
        .env("BURNKEY_CLOUDFLARE_API_URL", format!("{base}/client/v4"))
        .env("BURNKEY_GITHUB_API_URL", format!("{base}/gh"))
        .env("BURNKEY_NPM_REGISTRY_URL", format!("{base}/npm"))
        .env_remove("CLOUDFLARE_ACCOUNT_ID")
        .env_remove("CLOUDFLARE_EMAIL")
        .args(["scan", ".", "--verify", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let (code, out, err) = parts(&o);
    (code, serde_json::from_str(&out).unwrap_or(Value::Null), err)
}

/// The verification of the finding in `file`.
fn of<'d>(doc: &'d Value, file: &str) -> &'d Value {
    &findings(doc)
        .iter()
        .find(|f| f["path"] == file)
        .unwrap_or_else(|| panic!("no finding in {file}: {doc}"))["verification"]
}

fn assert_no_secret(tokens: &[&str], texts: &[&str]) {
    for t in tokens {
        for x in texts {
            assert!(!x.contains(t), "a token in the output");
        }
    }
}

#[test]
fn every_status_of_every_family() {
    let t = Tree::new();
    let (live, disabled, dead) = (mint("cfut"), mint("cfut"), mint("cfut"));
    let (gh_live, gh_dead, npm_live) = (mint("ghp"), mint("ghp"), mint("npm"));
    let (gl, ghr) = (mint("glsa"), mint("ghr"));
    let (saml, limited, npm_dead) = (mint("ghp"), mint("ghp"), mint("npm"));
    let mut known = Known::default();
    known.saml.push(saml.clone());
    known.limited.push(limited.clone());
    known.cloudflare.insert(live.clone(), ("active", None));
    known
        .cloudflare
        .insert(disabled.clone(), ("disabled", None));
    known.github.insert(gh_live.clone(), "octocat");
    known.npm.insert(npm_live.clone(), "npmuser");
    let server = fake(known);
    for (f, tok) in [
        ("live.env", &live),
        ("disabled.env", &disabled),
        ("dead.env", &dead),
        ("gh_live.env", &gh_live),
        ("gh_dead.env", &gh_dead),
        ("npm.env", &npm_live),
        ("grafana.env", &gl),
        ("refresh.env", &ghr),
        ("saml.env", &saml),
        ("limited.env", &limited),
        ("npm_dead.env", &npm_dead),
    ] {
        t.write(f, format!("TOKEN={tok}\n"));
    }
    let (code, doc, err) = verify_scan(t.path(), &server, &[]);
    assert_eq!(code, 1, "{err}");
    let v = of(&doc, "live.env");
    assert_eq!(v["status"], "active");
    assert_eq!(v["provider"], "cloudflare");
    assert_eq!(v["token_id"], "ed17574386854bf78a67040be0a770b0");
    assert_eq!(v["token_status"], "active");
    assert_eq!(v["expires_on"], "2027-01-01T00:00:00Z");
    assert_eq!(v["not_before"], "2026-01-01T00:00:00Z");
    let v = of(&doc, "disabled.env");
    assert_eq!(
        (&v["status"], &v["token_status"]),
        (&json!("inactive"), &json!("disabled"))
    );
    let v = of(&doc, "dead.env");
    assert_eq!(v["status"], "invalid");
    assert!(v["message"]
        .as_str()
        .unwrap()
        .contains("1000 Invalid API Token"));
    let v = of(&doc, "gh_live.env");
    assert_eq!(
        (&v["status"], &v["account"], &v["scopes"]),
        (
            &json!("active"),
            &json!("octocat"),
            &json!("repo, read:org")
        )
    );
    assert_eq!(of(&doc, "gh_dead.env")["status"], "invalid");
    let v = of(&doc, "npm.env");
    assert_eq!(
        (&v["status"], &v["account"]),
        (&json!("active"), &json!("npmuser"))
    );
    let v = of(&doc, "grafana.env");
    assert_eq!(v["status"], "unknown");
    assert!(v["message"].as_str().unwrap().contains("no verifier"));
    assert!(of(&doc, "refresh.env")["message"]
        .as_str()
        .unwrap()
        .contains("refresh token"));
    // 403 without a spent rate limit: the token works, the route is refused.
    let v = of(&doc, "saml.env");
    assert_eq!(v["status"], "active");
    assert!(v["message"].as_str().unwrap().contains("403"));
    // 403 with a spent rate limit: retried as X-RateLimit-Reset says, then an error.
    let v = of(&doc, "limited.env");
    assert_eq!(v["status"], "error");
    assert!(v["message"].as_str().unwrap().contains("rate limit"), "{v}");
    assert_eq!(of(&doc, "npm_dead.env")["status"], "invalid");
    assert_eq!(doc["verification"]["active"], 4);
    assert_eq!(doc["verification"]["invalid"], 3);
    assert_eq!(doc["verification"]["inactive"], 1);
    assert_eq!(doc["verification"]["unknown"], 2);
    assert_eq!(doc["verification"]["error"], 1);
    assert!(
        err.contains("verified 11 distinct tokens (12 requests)"),
        "{err}"
    );
    // The requests carried the tokens the way each API wants them.
    let seen = server.seen();
    assert_eq!(
        seen.len(),
        12,
        "nine tokens asked, the rate-limited one four times"
    );
    let gh = seen
        .iter()
        .find(|s| s.path == "/gh/user" && s.header("authorization").contains(&gh_live))
        .unwrap();
    assert_eq!(gh.header("accept"), "application/vnd.github+json");
    let out = doc.to_string();
    assert_no_secret(
        &[
            &live, &disabled, &dead, &gh_live, &gh_dead, &npm_live, &gl, &saml, &limited, &npm_dead,
        ],
        &[&out, &err],
    );
}

#[test]
fn one_request_per_distinct_token_and_every_report_shows_it() {
    let t = Tree::new();
    let tok = mint("cfut");
    let mut known = Known::default();
    known.cloudflare.insert(tok.clone(), ("active", None));
    let server = fake(known);
    for i in 0..20 {
        t.write(
            &format!("d/f{i}.txt"),
            format!("a = {tok}\nb = {tok}\nc = {tok}\nd = {tok}\ne = {tok}\n"),
        );
    }
    let (code, doc, _) = verify_scan(t.path(), &server, &[]);
    assert_eq!(code, 1);
    assert_eq!(findings(&doc).len(), 100);
    assert!(findings(&doc)
        .iter()
        .all(|f| f["verification"]["status"] == "active"));
    assert_eq!(
        server.seen().len(),
        1,
        "one request for 100 findings of one token"
    );

    // Text, SARIF and the GitHub annotations carry the status too.
    let (_, _, _) = verify_scan(
        t.path(),
        &server,
        &["--sarif", "out.sarif", "--markdown-summary", "summary.md"],
    );
    let sarif: Value =
        serde_json::from_slice(&std::fs::read(t.join("out.sarif")).unwrap()).unwrap();
    assert_eq!(
        sarif["runs"][0]["results"][0]["properties"]["verification"]["status"],
        "active"
    );
    let md = std::fs::read_to_string(t.join("summary.md")).unwrap();
    assert!(
        md.contains("| Verified |") && md.contains("| active, expires 2027-01-01T00:00:00Z |"),
        "{md}"
    );
    let base = format!("http://{}", server.addr());
    for (format, want) in [
        ("text", "[active, expires 2027-01-01T00:00:00Z]"),
        ("github", "Verified: active"),
    ] {
        let o = bin()
            .current_dir(t.path())
            .env("BURNKEY_CLOUDFLARE_API_URL", format!("{base}/client/v4"))
            .args(["scan", "d/f1.txt", "--verify", "--format", format])
            .output()
            .unwrap();
        let (code, out, _) = parts(&o);
        assert_eq!(code, 1);
        assert_eq!(out.matches(want).count(), 5, "{format}: {out}");
        assert!(!out.contains(tok.as_str()));
    }
}

#[test]
fn account_ids_and_emails_are_paired_nearby_by_flag_or_not_at_all() {
    let t = Tree::new();
    let (near, url, ambiguous, missing, flagged) = (
        mint("cfat"),
        mint("cfat"),
        mint("cfat"),
        mint("cfat"),
        mint("cfat"),
    );
    let (key, lonely_key) = (mint("cfk"), mint("cfk"));
    let mut known = Known::default();
    for tok in [&near, &url, &ambiguous, &missing] {
        known
            .cloudflare
            .insert(tok.clone(), ("active", Some(ACCOUNT)));
    }
    known
        .cloudflare
        .insert(flagged.clone(), ("active", Some(OTHER_ACCOUNT)));
    known.keys.insert(key.clone(), "ops@example.com");
    known.keys.insert(lonely_key.clone(), "ops@example.com");
    let server = fake(known);
    t.write("near.env", format!("CLOUDFLARE_ACCOUNT_ID={ACCOUNT}\nZONE_ID={OTHER_ACCOUNT}\nCLOUDFLARE_API_TOKEN={near}\n"));
    t.write("url.sh", format!("curl https://api.cloudflare.com/client/v4/accounts/{ACCOUNT}/workers/scripts \\\n  -H 'Authorization: Bearer {url}'\n"));
    t.write("ambiguous.json", format!("{{\n  \"account_id\": \"{ACCOUNT}\",\n  \"token\": \"{ambiguous}\",\n  \"accountId\": \"{OTHER_ACCOUNT}\"\n}}\n"));
    t.write(
        "missing.env",
        format!("# a zone id is 32 hex too, and never taken\nZONE_ID={ACCOUNT}\nTOKEN={missing}\n"),
    );
    t.write("key.sh", format!("curl -H 'X-Auth-Email: ops@example.com' \\\n  -H 'X-Auth-Key: {key}' https://api.cloudflare.com/client/v4/zones\n"));
    t.write("lonely.txt", format!("key {lonely_key}\n"));
    let (_, doc, err) = verify_scan(t.path(), &server, &[]);
    let v = of(&doc, "near.env");
    assert_eq!(v["status"], "active", "{v}");
    assert_eq!(
        v["paired"],
        json!({"what": "account_id", "value": ACCOUNT, "how": "nearby", "line": 1})
    );
    assert_eq!(of(&doc, "url.sh")["paired"]["line"], 1);
    assert_eq!(of(&doc, "url.sh")["status"], "active");
    let v = of(&doc, "ambiguous.json");
    assert_eq!(v["status"], "unknown");
    assert!(
        v["message"].as_str().unwrap().contains("ambiguous")
            && v["message"].as_str().unwrap().contains("lines 2, 4"),
        "{v}"
    );
    let v = of(&doc, "missing.env");
    assert_eq!(v["status"], "unknown");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("--cloudflare-account"),
        "{v}"
    );
    // The flagged token's account is not the one near it: it is invalid there.
    assert_eq!(of(&doc, "key.sh")["status"], "active");
    assert_eq!(of(&doc, "key.sh")["paired"]["how"], "nearby");
    let v = of(&doc, "lonely.txt");
    assert_eq!(v["status"], "unknown");
    assert!(v["message"].as_str().unwrap().contains("email"), "{v}");
    // Neither the ambiguous, the missing nor the lonely one was sent.
    let seen = server.seen();
    for tok in [&ambiguous, &missing, &lonely_key] {
        assert!(!seen
            .iter()
            .any(|s| s.header("authorization").contains(tok.as_str())
                || s.header("x-auth-key") == tok.as_str()));
    }
    assert!(!err.contains(near.as_str()));

    // --cloudflare-account and --cloudflare-email win over what is near.
    t.write(
        "flagged.env",
        format!("ACCOUNT_ID={ACCOUNT}\nTOKEN={flagged}\n"),
    );
    let (_, doc, _) = verify_scan(
        t.path(),
        &server,
        &[
            "--cloudflare-account",
            OTHER_ACCOUNT,
            "--cloudflare-email",
            "ops@example.com",
        ],
    );
    let v = of(&doc, "flagged.env");
    assert_eq!(
        (&v["status"], &v["paired"]["how"]),
        (&json!("active"), &json!("flag"))
    );
    assert_eq!(
        of(&doc, "near.env")["status"],
        "invalid",
        "the flag's account is not near's"
    );
    assert_eq!(of(&doc, "lonely.txt")["status"], "active");
}

#[test]
fn retries_honour_retry_after_then_give_up_as_error_and_time_out() {
    let t = Tree::new();
    let (slow, broken, hung) = (mint("cfut"), mint("cfut"), mint("cfut"));
    let (s2, b2, h2) = (slow.clone(), broken.clone(), hung.clone());
    let per: Arc<std::sync::Mutex<HashMap<String, usize>>> = Default::default();
    let server = Server::start(move |s: &Seen, _| {
        let tok = s
            .header("authorization")
            .trim_start_matches("Bearer ")
            .to_string();
        let n = {
            let mut m = per.lock().unwrap();
            let c = m.entry(tok.clone()).or_default();
            *c += 1;
            *c
        };
        if tok == s2 && n == 1 {
            Act::Reply(429, vec![("Retry-After", "1".into())])
        } else if tok == b2 {
            Act::Reply(503, vec![])
        } else if tok == h2 {
            Act::Hang(Duration::from_secs(20))
        } else {
            json_reply(
                200,
                vec![],
                json!({"success": true, "result": {"id": "x", "status": "active"}}),
            )
        }
    });
    t.write("slow.env", format!("T={slow}\n"));
    t.write("broken.env", format!("T={broken}\n"));
    t.write("hung.env", format!("T={hung}\n"));
    let (code, doc, err) = verify_scan(
        t.path(),
        &server,
        &["--verify-timeout", "1s", "--verify-rps", "50"],
    );
    assert_eq!(code, 1, "{err}");
    assert_eq!(of(&doc, "slow.env")["status"], "active");
    let seen = server.seen();
    let slow_seen: Vec<_> = seen
        .iter()
        .filter(|s| s.header("authorization").contains(slow.as_str()))
        .collect();
    assert_eq!(slow_seen.len(), 2);
    assert!(
        slow_seen[1].at.duration_since(slow_seen[0].at) >= Duration::from_millis(900),
        "Retry-After: 1 honoured"
    );
    let v = of(&doc, "broken.env");
    assert_eq!(v["status"], "error");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("503 after 4 attempts"),
        "{v}"
    );
    assert_eq!(
        seen.iter()
            .filter(|s| s.header("authorization").contains(broken.as_str()))
            .count(),
        4
    );
    let v = of(&doc, "hung.env");
    assert_eq!(v["status"], "error", "{v}");
}

#[test]
fn the_rate_limit_spaces_requests() {
    let t = Tree::new();
    let server = fake(Known::default());
    for i in 0..5 {
        t.write(&format!("f{i}.env"), format!("T={}\n", mint("cfut")));
    }
    let (_, doc, _) = verify_scan(t.path(), &server, &["--verify-rps", "4"]);
    assert_eq!(doc["verification"]["invalid"], 5);
    let mut at: Vec<_> = server.seen().iter().map(|s| s.at).collect();
    at.sort();
    // Five requests at four a second: the last at least a second after the first.
    assert!(at[4].duration_since(at[0]) >= Duration::from_millis(900));
}

#[test]
fn only_active_drops_inactive_and_invalid_but_never_unknown_or_error() {
    let t = Tree::new();
    let (dead, disabled, missing_acct) = (mint("cfut"), mint("cfut"), mint("cfat"));
    let mut known = Known::default();
    known.cloudflare.insert(disabled.clone(), ("expired", None));
    let server = fake(known);
    t.write("dead.env", format!("T={dead}\n"));
    t.write("disabled.env", format!("T={disabled}\n"));
    let (code, doc, err) = verify_scan(t.path(), &server, &["--only-active"]);
    assert_eq!(code, 0, "only dead tokens: clean ({err})");
    assert!(findings(&doc).is_empty());
    assert_eq!(doc["verification"]["dropped"], 2);
    assert!(
        err.contains("left out 2 inactive or invalid findings"),
        "{err}"
    );
    // An unknown one stays, and fails the run.
    t.write("acct.env", format!("T={missing_acct}\n"));
    let (code, doc, _) = verify_scan(t.path(), &server, &["--only-active"]);
    assert_eq!(code, 1);
    assert_eq!(findings(&doc).len(), 1);
    assert_eq!(findings(&doc)[0]["verification"]["status"], "unknown");
    // And a provider that is down never turns the run green.
    drop(server);
    let down = Server::start(|_, _| Act::Reply(503, vec![]));
    let (code, doc, _) = verify_scan(t.path(), &down, &["--only-active", "--verify-rps", "100"]);
    assert_eq!(code, 1);
    assert_eq!(findings(&doc).len(), 3);
    assert_eq!(doc["verification"]["error"], 2);
}

#[test]
fn no_socket_is_opened_without_verify_and_plain_http_only_to_loopback() {
    let t = Tree::new();
    for kind in ["cfut", "cfat", "cfk", "ghp", "ghu", "npm"] {
        t.write(
            &format!("{kind}.env"),
            format!("T={}\naccount_id={ACCOUNT}\nemail=a@b.co\n", mint(kind)),
        );
    }
    let trap = TcpListener::bind("127.0.0.1:0").unwrap();
    trap.set_nonblocking(true).unwrap();
    let base = format!("http://{}", trap.local_addr().unwrap());
    // An endpoint there too: a dry run sends nothing.
    t.write(
        "burnkey.toml",
        format!("[[revoke]]\nrules = [\"*\"]\nurl = \"{base}/revoke\"\nsecret_env = \"S\"\n"),
    );
    let run = |args: &[&str]| {
        let o = bin()
            .current_dir(t.path())
            .env("BURNKEY_CLOUDFLARE_API_URL", &base)
            .env("BURNKEY_GITHUB_API_URL", &base)
            .env("BURNKEY_NPM_REGISTRY_URL", &base)
            .env("S", "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD")
            .args(["scan", "."])
            .args(args)
            .timeout(Duration::from_secs(120))
            .output()
            .unwrap();
        parts(&o)
    };
    for args in [
        &["--format", "json"][..],
        &["--format", "sarif"],
        &["--revoke-dry-run"],
    ] {
        let (code, _, err) = run(args);
        assert_eq!(code, 1, "{err}");
        assert!(trap.accept().is_err(), "{args:?} connected to a provider");
    }
    // The trap works: with --verify the scan does connect (and is refused
    // an answer, which is an error, not a clean run).
    let (code, _, _) = run(&["--verify", "--verify-timeout", "1s", "--verify-rps", "100"]);
    assert_eq!(code, 1);
    assert!(trap.accept().is_ok());

    let o = bin()
        .current_dir(t.path())
        .env("BURNKEY_GITHUB_API_URL", "http://api.example.com")
        .args(["scan", ".", "--verify"])
        .output()
        .unwrap();
    let (code, _, err) = parts(&o);
    assert_eq!(code, 2);
    assert!(
        err.contains("BURNKEY_GITHUB_API_URL") && err.contains("http://"),
        "{err}"
    );
}

/// The path the shipped binary once panicked on (its `regex` had no
/// Unicode case folding; the test build's had): a `cfat_` paired by the
/// account id beside it, a `cfk_` by the e-mail beside it, verified against
/// the fake, exit 1 with both active and the other statuses right.
#[test]
fn paired_cfat_and_cfk_verify_in_the_binary_users_get() {
    let t = Tree::new();
    let (acct, key, dead) = (mint("cfat"), mint("cfk"), mint("cfat"));
    let mut known = Known::default();
    known
        .cloudflare
        .insert(acct.clone(), ("active", Some(ACCOUNT)));
    known.keys.insert(key.clone(), "ops@example.com");
    let server = fake(known);
    t.write(
        "wrangler.toml",
        format!("Account_ID = \"{ACCOUNT}\"\napi_token = \"{acct}\"\n"),
    );
    t.write(
        "deploy.sh",
        format!("export CLOUDFLARE_EMAIL=ops@example.com\nexport CLOUDFLARE_API_KEY={key}\n"),
    );
    t.write(
        "old.env",
        format!("CLOUDFLARE_ACCOUNT_ID={ACCOUNT}\nCLOUDFLARE_API_TOKEN={dead}\n"),
    );
    let (code, doc, err) = verify_scan(t.path(), &server, &[]);
    assert_eq!(code, 1, "{err}");
    let v = of(&doc, "wrangler.toml");
    assert_eq!(
        (&v["status"], &v["paired"]["value"], &v["paired"]["line"]),
        (&json!("active"), &json!(ACCOUNT), &json!(1)),
        "{v}"
    );
    let v = of(&doc, "deploy.sh");
    assert_eq!(
        (&v["status"], &v["paired"]["value"]),
        (&json!("active"), &json!("ops@example.com")),
        "{v}"
    );
    assert_eq!(of(&doc, "old.env")["status"], "invalid");
    let seen = server.seen();
    assert!(seen
        .iter()
        .any(|s| s.path == format!("/client/v4/accounts/{ACCOUNT}/tokens/verify")));
    assert!(seen
        .iter()
        .any(|s| s.path == "/client/v4/user" && s.header("x-auth-email") == "ops@example.com"));
    assert_no_secret(&[&acct, &key, &dead], &[&err, &doc.to_string()]);
}

/// Fakes of OpenAI's, Anthropic's and Sentry's APIs and GitLab's runner
/// API, as documented: `live` are the credentials they know.
fn fake_more(live: Vec<String>) -> Server {
    Server::start(move |s: &Seen, _| {
        let bearer = s
            .header("authorization")
            .strip_prefix("Bearer ")
            .unwrap_or("");
        let known = |t: &str| live.iter().any(|l| l == t);
        let ok = |yes: bool| match yes {
            true => json_reply(200, vec![], json!({"data": []})),
            false => json_reply(
                401,
                vec![],
                json!({"error": {"type": "authentication_error"}}),
            ),
        };
        match (s.method.as_str(), s.path.as_str()) {
            ("GET", "/openai/v1/models") => ok(known(bearer)),
            ("GET", "/anthropic/v1/models") => {
                if s.header("anthropic-version").is_empty() {
                    return json_reply(400, vec![], json!({"error": "anthropic-version"}));
                }
                ok(known(s.header("x-api-key")))
            }
            // An organization token is scoped to CI: refused, once known.
            ("GET", "/sentry/api/0/organizations/")
                if bearer.starts_with("sntrys_") && known(bearer) =>
            {
                json_reply(403, vec![], json!({"detail": "You do not have permission"}))
            }
            ("GET", "/sentry/api/0/organizations/") => ok(known(bearer)),
            ("POST", "/gitlab/api/v4/runners/verify") => {
                let body = String::from_utf8_lossy(&s.body).into_owned();
                let token = body.strip_prefix("token=").unwrap_or("");
                match known(token) {
                    true => json_reply(200, vec![], json!({"id": 42, "token": token})),
                    false => json_reply(403, vec![], json!({"message": "403 Forbidden"})),
                }
            }
            _ => json_reply(404, vec![], json!({"message": "Not Found"})),
        }
    })
}

#[test]
fn the_new_families_are_verified_by_their_providers() {
    let (oai, ant, sntrys, sntryu) = ("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", "sk-ant-api03-zAWNn0NzpRbMcr81SNGU4fEhFNJhs_Q0wkpw5VWfQhpbB4AvL7aKUPTe1AxK4pW2lhn6HvRI15z7PT-a4c2Ss7cHKXJgWAA", "sntrys_eyJpYXQiOiAxNzY1MDAwMDAwLjEyMzQ1NiwgInVybCI6ICJodHRwczovL3NlbnRyeS5pbyIsICJyZWdpb25fdXJsIjogImh0dHBzOi8vdXMuc2VudHJ5LmlvIiwgIm9yZyI6ICJidXJua2V5LWV4YW1wbGUifQ==_JAEKaUt5IC2nGdtREAps/ynQ836et+i4tvzMI6GZJ4M", "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");
    let (runner, dead_runner) = ("glrt-TSyCyg5aLnudBiLsqncE", "glrt-Aa0Bb1Cc2Dd3Ee4Ff5Gg"); // burnkey:allow
    let dead_oai = oai
        .replacen("sk-proj-", "sk-proj-x", 1)
        .replacen(&oai[8..9], "", 1);
    let server = fake_more(
        [oai, ant, sntrys, runner]
            .iter()
            .map(|s| s.to_string())
            .collect(),
    );
    let t = Tree::new();
    for (file, tok) in [
        ("oai.env", oai),
        ("oai_dead.env", dead_oai.as_str()),
        ("ant.env", ant),
        ("sntrys.env", sntrys),
        ("sntryu.env", sntryu),
        ("runner.env", runner),
        ("runner_dead.env", dead_runner),
    ] {
        t.write(file, format!("KEY={tok}\n"));
    }
    let base = format!("http://{}", server.addr());
    let o = bin()
        .current_dir(t.path())
        .env("BURNKEY_OPENAI_API_URL", format!("{base}/openai"))
        .env("BURNKEY_ANTHROPIC_API_URL", format!("{base}/anthropic"))
        .env("BURNKEY_SENTRY_URL", format!("{base}/sentry"))
        .env("BURNKEY_GITLAB_API_URL", format!("{base}/gitlab/api/v4"))
        .args(["scan", ".", "--verify", "--format", "json"])
        .output()
        .unwrap();
    let (code, out, err) = parts(&o);
    let doc: Value = serde_json::from_str(&out).unwrap_or(Value::Null);
    assert_eq!(code, 1, "{err}{out}");
    for (file, status) in [
        ("oai.env", "active"),
        ("oai_dead.env", "invalid"),
        ("ant.env", "active"),
        ("sntrys.env", "active"),
        ("sntryu.env", "invalid"),
        ("runner.env", "active"),
        ("runner_dead.env", "invalid"),
    ] {
        let v = of(&doc, file);
        assert_eq!(v["status"], status, "{file}: {v}");
    }
    assert_eq!(of(&doc, "runner.env")["provider"], "gitlab");
    assert_eq!(of(&doc, "ant.env")["provider"], "anthropic");
    assert!(of(&doc, "sntrys.env")["message"]
        .as_str()
        .unwrap()
        .contains("403"));
    // Each token went in its header, or the runner's in the form: never
    // in a URL, and never into the report.
    let seen = server.seen();
    assert!(seen
        .iter()
        .all(|s| !s.path.contains("sk-") && !s.path.contains("glrt-")));
    assert!(seen.iter().any(|s| s.header("x-api-key") == ant));
    assert_no_secret(&[oai, ant, sntrys, sntryu, runner], &[&out, &err]);
}
