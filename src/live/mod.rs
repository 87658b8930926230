//! `burnkey scan --verify`: ask each token's provider whether it works.
//! Opt-in, and the only place the scanner talks to a provider.
//!
//! One request per distinct token (and pairing) per run, at most `rps` a
//! second over `concurrency` threads, each within a timeout, 429/5xx
//! retried as `Retry-After` says. What a finding gets is a
//! [`Verification`]: `active`, `inactive`, `invalid`, `unknown` (not
//! asked, and why) or `error` (no answer); never the token.
//!
//! What is asked of whom is each provider's (`src/providers/`); the base
//! URLs come from their variables (`BURNKEY_CLOUDFLARE_API_URL`,
//! `BURNKEY_GITHUB_API_URL`, `BURNKEY_NPM_REGISTRY_URL`: https, or http to
//! a loopback address).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use crate::engine::Checksum;
use crate::error::Error;
use crate::findings::finding::Finding;
use crate::findings::verification::{Paired, Status, Verification};
use crate::net::client::Client;
use crate::providers::pair::{self, NotPaired, Want};
use crate::providers::{self, Check, Provider};

/// How to verify.
#[derive(Clone, Debug)]
pub struct Options {
    /// Each provider's API base, in [`providers::ALL`] order.
    pub bases: Vec<String>,
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

impl Options {
    /// The base URLs from the environment (checked), the account id and
    /// email from the flags, else the environment.
    pub fn new(
        rps: f64,
        timeout: Duration,
        account: Option<String>,
        email: Option<String>,
    ) -> Result<Options, Error> {
        if !(rps > 0.0 && rps.is_finite()) {
            return Err(Error::Invalid("--verify-rps must be above 0".into()));
        }
        let account = given_account(account)?;
        let email = given(email, Want::Email);
        Ok(Options {
            bases: providers::ALL
                .iter()
                .map(|p| crate::net::api_base(p.api()))
                .collect::<Result<_, _>>()?,
            rps,
            timeout,
            retries: 3,
            concurrency: 4,
            account,
            email,
        })
    }
}

impl Options {
    /// `p`'s API base.
    fn base(&self, p: &dyn Provider) -> &str {
        providers::ALL
            .iter()
            .position(|q| q.name() == p.name())
            .map_or("", |i| &self.bases[i])
    }
}

/// A value from its flag, else its environment variable.
fn given(flag: Option<String>, want: Want) -> Option<Paired> {
    match (
        flag,
        std::env::var(want.env())
            .ok()
            .filter(|v| !v.trim().is_empty()),
    ) {
        (Some(f), _) => Some(pair::given(want, f.trim(), "flag")),
        (None, Some(e)) => Some(pair::given(want, e.trim(), "env")),
        _ => None,
    }
}

/// The Cloudflare account id of `--cloudflare-account`, else
/// `CLOUDFLARE_ACCOUNT_ID`, checked.
pub fn given_account(flag: Option<String>) -> Result<Option<Paired>, Error> {
    let account = given(flag, Want::AccountId);
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

/// What a finding's token needs asked: of whom, and how; or why not.
fn check_for(f: &Finding) -> (Option<&'static dyn Provider>, Check) {
    if f.checksum == Checksum::Invalid {
        return (
            None,
            Check::Not("the checksum is wrong: not sent to any provider".into()),
        );
    }
    match providers::verifier(f.rule_id()) {
        Some((p, c)) => (Some(p), c),
        None => (
            None,
            Check::Not(format!("burnkey has no verifier for {}", f.rule_id())),
        ),
    }
}

/// One request to make (or an answer known without one).
struct Job {
    token: String,
    rule_id: String,
    provider: Option<&'static dyn Provider>,
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
    s: &Options,
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
    s: &Options,
    text: &(dyn Fn(&Finding) -> Option<Vec<u8>> + Sync),
) -> (Vec<Job>, Vec<usize>) {
    let mut jobs: Vec<Job> = Vec::new();
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    let mut texts: HashMap<String, Option<Vec<u8>>> = HashMap::new();
    let mut of: Vec<usize> = Vec::with_capacity(findings.len());
    for f in findings {
        let (provider, check) = check_for(f);
        let (check, paired) = pair_check(f, check, s, &mut texts, text);
        let key = (
            f.secret_sha256().to_string(),
            paired.as_ref().map_or(String::new(), |p| p.value.clone()),
        );
        let i = *index.entry(key).or_insert_with(|| {
            jobs.push(Job {
                token: f.secret().to_string(),
                rule_id: f.rule_id().to_string(),
                provider,
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
    s: &Options,
    texts: &mut HashMap<String, Option<Vec<u8>>>,
    text: &(dyn Fn(&Finding) -> Option<Vec<u8>> + Sync),
) -> (Check, Option<Paired>) {
    let Some(want) = check.want() else {
        return (check, None);
    };
    let given = match want {
        Want::AccountId => &s.account,
        Want::Email => &s.email,
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
        // A value the check only uses when there is one.
        _ if matches!(check, Check::Uses(_)) => (check, None),
        Err(NotPaired::Ambiguous(lines)) => (
            Check::Not(format!(
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
                want.flag()
            )),
            None,
        ),
        Err(NotPaired::Missing) => (
            Check::Not(format!(
                "no {} found within {} lines of the token; pass {}",
                if want == Want::Email {
                    "email (X-Auth-Email, *_EMAIL, email:)"
                } else {
                    "account id (account_id, /accounts/<id>/)"
                },
                pair::WINDOW,
                want.flag()
            )),
            None,
        ),
    }
}

fn ask(job: &Job, c: &Client, s: &Options) -> Verification {
    match (&job.check, job.provider) {
        (Check::Not(why), p) => Verification::unknown(p.map_or("", |p| p.name()), why.clone()),
        (_, Some(p)) => p.verify(
            c,
            s.base(p),
            &job.rule_id,
            &job.token,
            job.paired.as_ref().map(|v| v.value.as_str()),
        ),
        (_, None) => Verification::unknown("", "no provider checks it"),
    }
}
