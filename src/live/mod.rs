//! `burnkey scan --verify`: ask each token's provider whether it works.
//! Opt-in, and the only place the scanner talks to a provider.
//!
//! One request per distinct token (and pairing) per run, at most `rps` a
//! second over `concurrency` threads, each within a timeout, 429/5xx
//! retried as `Retry-After` says. What a finding gets is a
//! [`Verification`]: `active`, `inactive`, `invalid`, `unknown` (not
//! asked, and why) or `error` (no answer); never the token.
//!
//! | family | request |
//! |---|---|
//! | `cfut_`, pre-2026 API tokens | `GET {cloudflare}/user/tokens/verify`, `Authorization: Bearer` |
//! | `cfat_` | `GET {cloudflare}/accounts/{account_id}/tokens/verify` (account id paired) |
//! | `cfk_`, pre-2026 Global API Keys | `GET {cloudflare}/user`, `X-Auth-Key` + `X-Auth-Email` (email paired) |
//! | `ghp_` `gho_` `ghu_` `github_pat_` | `GET {github}/user` |
//! | `ghs_` | `GET {github}/installation/repositories?per_page=1` |
//! | `npm_` | `GET {npm}/-/whoami` |
//!
//! The base URLs come from `BURNKEY_CLOUDFLARE_API_URL`,
//! `BURNKEY_GITHUB_API_URL` and `BURNKEY_NPM_REGISTRY_URL` (https, or http
//! to a loopback address).

pub mod pair;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use crate::engine::Checksum;
use crate::error::Error;
use crate::findings::finding::Finding;
use crate::findings::verification::{Paired, Status, Verification};
use crate::net::client::{Client, Resp};
use crate::net::{api_base, CLOUDFLARE_API, GITHUB_API, NPM_REGISTRY};
use pair::{NotPaired, Want};

/// How to verify.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Cloudflare's API base (`…/client/v4`).
    pub cloudflare: String,
    /// GitHub's API base.
    pub github: String,
    /// npm's registry.
    pub npm: String,
    /// Requests a second, over all threads.
    pub rps: f64,
    /// Per request.
    pub timeout: Duration,
    /// Retries of 429, 5xx and network errors.
    pub retries: u32,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// `--cloudflare-account` or `CLOUDFLARE_ACCOUNT_ID`.
    pub account: Option<Paired>,
    /// `--cloudflare-email` or `CLOUDFLARE_EMAIL`.
    pub email: Option<Paired>,
}

impl Settings {
    /// The base URLs from the environment (checked), the account id and
    /// email from the flags, else the environment.
    pub fn new(
        rps: f64,
        timeout: Duration,
        account: Option<String>,
        email: Option<String>,
    ) -> Result<Settings, Error> {
        if !(rps > 0.0 && rps.is_finite()) {
            return Err(Error::Invalid("--verify-rps must be above 0".into()));
        }
        let account = given_account(account)?;
        let email = given(email, "CLOUDFLARE_EMAIL", Want::Email);
        Ok(Settings {
            cloudflare: api_base(CLOUDFLARE_API)?,
            github: api_base(GITHUB_API)?,
            npm: api_base(NPM_REGISTRY)?,
            rps,
            timeout,
            retries: 3,
            concurrency: 4,
            account,
            email,
        })
    }
}

/// A value from its flag, else its environment variable.
fn given(flag: Option<String>, var: &str, want: Want) -> Option<Paired> {
    match (
        flag,
        std::env::var(var).ok().filter(|v| !v.trim().is_empty()),
    ) {
        (Some(f), _) => Some(pair::given(want, f.trim(), "flag")),
        (None, Some(e)) => Some(pair::given(want, e.trim(), "env")),
        _ => None,
    }
}

/// The Cloudflare account id of `--cloudflare-account`, else
/// `CLOUDFLARE_ACCOUNT_ID`, checked.
pub fn given_account(flag: Option<String>) -> Result<Option<Paired>, Error> {
    let account = given(flag, "CLOUDFLARE_ACCOUNT_ID", Want::AccountId);
    if let Some(a) = &account {
        if a.value.len() != 32 || !a.value.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::Invalid(format!(
                "the Cloudflare account id ({}) is not 32 hex digits",
                if a.how == "flag" {
                    "--cloudflare-account"
                } else {
                    "CLOUDFLARE_ACCOUNT_ID"
                }
            )));
        }
    }
    Ok(account)
}

/// What `f` pairs with: the value given outright, else the one named
/// nearest the token in `text` (the content it was found in).
pub fn paired(
    f: &Finding,
    want: Want,
    given: Option<&Paired>,
    text: Option<&[u8]>,
) -> Result<Paired, NotPaired> {
    match (given, text) {
        (Some(p), _) => Ok(p.clone()),
        (None, Some(t)) => pair::nearby(t, f.line, want),
        (None, None) => Err(NotPaired::Missing),
    }
}

/// What a finding's token needs asked.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Check {
    CloudflareUser,
    CloudflareAccount,
    CloudflareKey,
    /// A pre-2026 token: a user token, or an account token when an
    /// account id is paired and the user route refuses it.
    CloudflareLegacy,
    /// A GitHub route.
    Github(&'static str),
    Npm,
    /// Not asked, and why.
    Not(&'static str, String),
}

fn check_for(f: &Finding) -> Check {
    if f.checksum == Checksum::Invalid {
        return Check::Not("", "the checksum is wrong: not sent to any provider".into());
    }
    match f.rule_id() {
        "cloudflare-user-api-token" => Check::CloudflareUser,
        "cloudflare-account-api-token" => Check::CloudflareAccount,
        "cloudflare-global-api-key" | "cloudflare-legacy-global-api-key" => Check::CloudflareKey,
        "cloudflare-legacy-api-token" => Check::CloudflareLegacy,
        "github-personal-access-token"
        | "github-oauth-token"
        | "github-user-to-server-token"
        | "github-fine-grained-personal-access-token" => Check::Github("/user"),
        "github-server-to-server-token" => Check::Github("/installation/repositories?per_page=1"),
        "github-refresh-token" => Check::Not(
            "github",
            "a refresh token cannot call the API (it is exchanged with its app's client secret)"
                .into(),
        ),
        "npm-access-token" => Check::Npm,
        id => Check::Not("", format!("burnkey has no verifier for {id}")),
    }
}

/// One request to make (or an answer known without one).
struct Job {
    token: String,
    check: Check,
    paired: Option<Paired>,
}

/// What verification did, for the report and the summary line.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Distinct tokens (and pairings) verified.
    pub tokens: usize,
    /// Requests sent, retries included.
    pub requests: usize,
    /// Distinct tokens by status, in [`Status::ALL`] order.
    pub by_status: [usize; 5],
    /// Findings `--only-active` dropped.
    pub dropped: usize,
}

impl Summary {
    /// The `verification` member of the JSON report.
    pub fn json(&self) -> Value {
        let mut v =
            json!({"tokens": self.tokens, "requests": self.requests, "dropped": self.dropped});
        for (s, n) in Status::ALL.iter().zip(self.by_status) {
            v[s.as_str()] = n.into();
        }
        v
    }

    /// One line for stderr.
    pub fn line(&self) -> String {
        let counts: Vec<String> = Status::ALL
            .iter()
            .zip(self.by_status)
            .map(|(s, n)| format!("{n} {}", s.as_str()))
            .collect();
        let mut s = format!(
            "burnkey: verified {} distinct token{} ({} request{}): {}",
            self.tokens,
            if self.tokens == 1 { "" } else { "s" },
            self.requests,
            if self.requests == 1 { "" } else { "s" },
            counts.join(", ")
        );
        if self.dropped > 0 {
            s.push_str(&format!(
                "; --only-active left out {} inactive or invalid finding{}",
                self.dropped,
                if self.dropped == 1 { "" } else { "s" }
            ));
        }
        s
    }
}

/// Verifies the tokens of `findings` and attaches the answers; with
/// `only_active`, drops the findings whose token verified `inactive` or
/// `invalid` (`unknown` and `error` stay). `text` gives the content a
/// finding was found in, for pairing (none for stdin, archive members).
pub fn verify_all(
    findings: Vec<Finding>,
    s: &Settings,
    text: &(dyn Fn(&Finding) -> Option<Vec<u8>> + Sync),
    only_active: bool,
) -> (Vec<Finding>, Summary) {
    let (jobs, of) = plan(&findings, s, text);
    // The requests, on `concurrency` threads under one rate limit.
    let client = Client::new(s.rps, s.timeout, s.retries);
    let answers: Vec<Mutex<Option<Arc<Verification>>>> =
        jobs.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..s.concurrency.clamp(1, jobs.len().max(1)) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(job) = jobs.get(i) else { break };
                let mut v = ask(job, &client, s);
                v.paired = job.paired.clone();
                *answers[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(v));
            });
        }
    });
    let answers: Vec<Arc<Verification>> = answers
        .into_iter()
        .map(|m| {
            m.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .expect("every job answered")
        })
        .collect();

    let mut summary = Summary {
        tokens: jobs.len(),
        requests: client.sent(),
        ..Summary::default()
    };
    for a in &answers {
        summary.by_status[Status::ALL
            .iter()
            .position(|s| *s == a.status)
            .expect("a status")] += 1;
    }
    let mut kept = Vec::with_capacity(findings.len());
    for (f, i) in findings.into_iter().zip(of) {
        let v = answers[i].clone();
        if only_active && matches!(v.status, Status::Inactive | Status::Invalid) {
            summary.dropped += 1;
            continue;
        }
        kept.push(f.with_verification(v));
    }
    (kept, summary)
}

/// Each finding's job, by (token hash, paired value): findings of one token
/// share one request. Returns the jobs, and each finding's job.
fn plan(
    findings: &[Finding],
    s: &Settings,
    text: &(dyn Fn(&Finding) -> Option<Vec<u8>> + Sync),
) -> (Vec<Job>, Vec<usize>) {
    let mut jobs: Vec<Job> = Vec::new();
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    let mut texts: HashMap<String, Option<Vec<u8>>> = HashMap::new();
    let mut of: Vec<usize> = Vec::with_capacity(findings.len());
    for f in findings {
        let (check, paired) = pair_check(f, check_for(f), s, &mut texts, text);
        let key = (
            f.secret_sha256().to_string(),
            paired.as_ref().map_or(String::new(), |p| p.value.clone()),
        );
        let i = *index.entry(key).or_insert_with(|| {
            jobs.push(Job {
                token: f.secret().to_string(),
                check,
                paired,
            });
            jobs.len() - 1
        });
        of.push(i);
    }
    (jobs, of)
}

/// What `check` of `f` is paired with, when it needs a value (a `cfat_`'s
/// account id, a Global API Key's email): the one given, else the one named
/// nearest the token in the content `text` reads (once per file or blob,
/// kept in `texts`). Without it, the check becomes "not asked", saying why.
fn pair_check(
    f: &Finding,
    check: Check,
    s: &Settings,
    texts: &mut HashMap<String, Option<Vec<u8>>>,
    text: &(dyn Fn(&Finding) -> Option<Vec<u8>> + Sync),
) -> (Check, Option<Paired>) {
    let (want, given) = match check {
        Check::CloudflareAccount | Check::CloudflareLegacy => (Want::AccountId, &s.account),
        Check::CloudflareKey => (Want::Email, &s.email),
        _ => return (check, None),
    };
    let t = match given {
        Some(_) => None,
        None => {
            let key = format!("{}\0{}", f.path(), f.blob().unwrap_or(""));
            texts.entry(key).or_insert_with(|| text(f)).as_deref()
        }
    };
    match paired(f, want, given.as_ref(), t) {
        Ok(p) => (check, Some(p)),
        // An old token needs no account id; a new one does.
        _ if check == Check::CloudflareLegacy => (check, None),
        Err(NotPaired::Ambiguous(lines)) => (
            Check::Not(
                "cloudflare",
                format!(
                    "ambiguous: several {} values nearest the token (lines {}); pass {}",
                    if want == Want::Email {
                        "email"
                    } else {
                        "account id"
                    },
                    lines
                        .iter()
                        .map(u64::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                    flag(want)
                ),
            ),
            None,
        ),
        Err(NotPaired::Missing) => (
            Check::Not(
                "cloudflare",
                format!(
                    "no {} found within {} lines of the token; pass {}",
                    if want == Want::Email {
                        "email (X-Auth-Email, *_EMAIL, email:)"
                    } else {
                        "account id (account_id, /accounts/<id>/)"
                    },
                    pair::WINDOW,
                    flag(want)
                ),
            ),
            None,
        ),
    }
}

fn flag(want: Want) -> &'static str {
    match want {
        Want::AccountId => "--cloudflare-account ID",
        Want::Email => "--cloudflare-email ADDRESS",
    }
}

fn answered(provider: &str, status: Status) -> Verification {
    Verification {
        status,
        provider: provider.into(),
        ..Verification::default()
    }
}

fn failed(provider: &str, name: &str, e: String) -> Verification {
    Verification {
        message: Some(format!("{name}: {e}")),
        ..answered(provider, Status::Error)
    }
}

/// Printable ASCII, at most 160 characters: a provider's words in a report.
fn clean(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(160)
        .collect()
}

/// Cloudflare's first error, as `code message`.
fn cloudflare_error(r: &Resp) -> String {
    let e = &r.body["errors"][0];
    match (e["code"].as_i64(), e["message"].as_str()) {
        (Some(c), Some(m)) => clean(&format!("Cloudflare answered {}: {c} {m}", r.status)),
        _ => format!("Cloudflare answered {}", r.status),
    }
}

fn ask(job: &Job, c: &Client, s: &Settings) -> Verification {
    let account = job.paired.as_ref().map(|p| p.value.as_str());
    match (&job.check, account) {
        (Check::Not(provider, why), _) => Verification::unknown(provider, why.clone()),
        (Check::CloudflareUser, _) => cloudflare_token(
            c,
            &format!("{}/user/tokens/verify", s.cloudflare),
            &job.token,
        ),
        (Check::CloudflareAccount, Some(a)) => cloudflare_token(
            c,
            &format!("{}/accounts/{a}/tokens/verify", s.cloudflare),
            &job.token,
        ),
        (Check::CloudflareAccount, None) => Verification::unknown("cloudflare", "no account id"),
        (Check::CloudflareLegacy, a) => {
            let user = cloudflare_token(
                c,
                &format!("{}/user/tokens/verify", s.cloudflare),
                &job.token,
            );
            match a {
                Some(a) if user.status == Status::Invalid => {
                    let acct = cloudflare_token(
                        c,
                        &format!("{}/accounts/{a}/tokens/verify", s.cloudflare),
                        &job.token,
                    );
                    if acct.status == Status::Invalid {
                        user
                    } else {
                        acct
                    }
                }
                _ => user,
            }
        }
        (Check::CloudflareKey, Some(email)) => {
            cloudflare_key(c, &format!("{}/user", s.cloudflare), &job.token, email)
        }
        (Check::CloudflareKey, None) => Verification::unknown("cloudflare", "no email"),
        (Check::Github(route), _) => github(c, &format!("{}{route}", s.github), route, &job.token),
        (Check::Npm, _) => npm(c, &format!("{}/-/whoami", s.npm), &job.token),
    }
}

fn cloudflare_token(c: &Client, url: &str, token: &str) -> Verification {
    let r = match c.get(url, &[("authorization", &format!("Bearer {token}"))]) {
        Ok(r) => r,
        Err(e) => return failed("cloudflare", "Cloudflare", e),
    };
    let result = &r.body["result"];
    match r.status {
        200 if r.body["success"] == true => {
            let word = result["status"].as_str().map(clean);
            let text = |k: &str| result[k].as_str().map(clean);
            Verification {
                token_id: text("id"),
                expires_on: text("expires_on"),
                not_before: text("not_before"),
                token_status: word.clone(),
                ..answered(
                    "cloudflare",
                    if word.as_deref() == Some("active") {
                        Status::Active
                    } else {
                        Status::Inactive
                    },
                )
            }
        }
        400 | 401 | 403 => Verification {
            message: Some(cloudflare_error(&r)),
            ..answered("cloudflare", Status::Invalid)
        },
        404 => Verification::unknown(
            "cloudflare",
            format!("{} (is the paired account id right?)", cloudflare_error(&r)),
        ),
        _ => failed("cloudflare", "Cloudflare", format!("answered {}", r.status)),
    }
}

fn cloudflare_key(c: &Client, url: &str, key: &str, email: &str) -> Verification {
    match c.get(url, &[("x-auth-key", key), ("x-auth-email", email)]) {
        Err(e) => failed("cloudflare", "Cloudflare", e),
        Ok(r) if r.status == 200 && r.body["success"] == true => {
            answered("cloudflare", Status::Active)
        }
        Ok(r) if matches!(r.status, 400 | 401 | 403) => Verification {
            message: Some(format!("{}, for the paired email", cloudflare_error(&r))),
            ..answered("cloudflare", Status::Invalid)
        },
        Ok(r) => failed("cloudflare", "Cloudflare", format!("answered {}", r.status)),
    }
}

fn github(c: &Client, url: &str, route: &str, token: &str) -> Verification {
    let auth = format!("Bearer {token}");
    let headers = [
        ("authorization", auth.as_str()),
        ("accept", "application/vnd.github+json"),
        ("x-github-api-version", "2022-11-28"),
    ];
    let r = match c.get(url, &headers) {
        Ok(r) => r,
        Err(e) => return failed("github", "GitHub", e),
    };
    let header = |k: &str| r.header(k).map(clean).filter(|v| !v.is_empty());
    match r.status {
        200 => Verification {
            account: r.body["login"].as_str().map(clean),
            scopes: header("x-oauth-scopes"),
            expires_on: header("github-authentication-token-expiration"),
            ..answered("github", Status::Active)
        },
        401 => Verification {
            message: Some("GitHub answered 401 (bad credentials)".into()),
            ..answered("github", Status::Invalid)
        },
        403 if r.header("x-ratelimit-remaining") == Some("0") => failed(
            "github",
            "GitHub",
            "its rate limit is spent; try later".into(),
        ),
        // Authenticated, but not allowed this route (an organisation's
        // SAML enforcement, a token without the permission): it works.
        403 => Verification {
            message: Some(format!(
                "GitHub accepted the token but refused {route} (403)"
            )),
            ..answered("github", Status::Active)
        },
        _ => failed("github", "GitHub", format!("answered {}", r.status)),
    }
}

fn npm(c: &Client, url: &str, token: &str) -> Verification {
    match c.get(url, &[("authorization", &format!("Bearer {token}"))]) {
        Err(e) => failed("npm", "npm", e),
        Ok(r) if r.status == 200 => Verification {
            account: r.body["username"].as_str().map(clean),
            ..answered("npm", Status::Active)
        },
        Ok(r) if matches!(r.status, 401 | 403) => Verification {
            message: Some(format!("the registry answered {}", r.status)),
            ..answered("npm", Status::Invalid)
        },
        Ok(r) => failed("npm", "npm", format!("answered {}", r.status)),
    }
}
