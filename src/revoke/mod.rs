//! Revocation: for each checksum-valid finding whose rule has an endpoint,
//! one signed request per distinct token per endpoint; what is not delivered
//! by the end of the run goes to the [`outbox`], never dropped.
//!
//! The `webhook-id` of a request is derived from the endpoint URL and the
//! token's SHA-256, so the same token reported from a pre-commit run, a CI run
//! and a retry carries the same id and the receiver can deduplicate.

pub mod config;
pub mod deliver;
pub mod outbox;
pub mod request;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::engine::Checksum;
use crate::error::Error;
use crate::findings::finding::Finding;
use crate::providers::Want;
use crate::token::checksum::sha256_hex;
use crate::webhook::Secret;
use config::{Config, Endpoint, SendMode};
use deliver::{Delivery, Fate, Job};
use outbox::Outbox;
pub use request::Request;

/// The webhook-id for `token_sha256` at `endpoint`.
pub fn webhook_id(endpoint: &str, token_sha256: &str) -> String {
    let h = sha256_hex(format!("burnkey-revoke-v1\0{endpoint}\0{token_sha256}").as_bytes());
    format!("msg_{}", &h[..32])
}

/// The requests `findings` call for, one per distinct token per endpoint,
/// located where the token was first reported: checksum-valid findings of
/// the rules an endpoint's globs match, and findings without a checksum
/// (shape-only, keyword-anchored) only of rules the endpoint names exactly;
/// for a provider's API, only the families it can revoke. A wrong checksum
/// is never sent. `account_of` pairs a token with the account a provider's
/// API needs it revoked under (a `cfat_`'s Cloudflare account).
pub fn plan(
    findings: &[Finding],
    config: &Config,
    account_of: &dyn Fn(&Finding) -> Option<String>,
) -> Vec<Request> {
    let now = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let mut out = Vec::new();
    for ep in &config.endpoints {
        let mut seen = HashSet::new();
        for f in findings {
            let wanted = match f.checksum {
                Checksum::Valid => ep.wants(f.rule_id()),
                Checksum::None => ep.names(f.rule_id()),
                Checksum::Invalid => false,
            };
            if !wanted
                || !ep.via.carries(f.rule_id())
                || !seen.insert(f.secret_sha256().to_string())
            {
                continue;
            }
            let wants_account = ep.via.provider().is_some_and(|p| {
                p.check(f.rule_id()).and_then(|c| c.want()) == Some(Want::AccountId)
            });
            let account_id = wants_account.then(|| account_of(f)).flatten();
            let location = match f.commit() {
                Some(c) => format!("{c}/{}", f.shown_path()),
                None => format!("{}:{}", f.shown_path(), f.line),
            };
            out.push(Request {
                version: 1,
                webhook_id: webhook_id(&ep.url, f.secret_sha256()),
                endpoint: ep.url.clone(),
                secret_env: ep.secret_env.clone(),
                send: ep.send,
                rule_id: f.rule_id().to_string(),
                location,
                source: f.source().as_str().to_string(),
                token_sha256: f.secret_sha256().to_string(),
                redacted: f.redacted().to_string(),
                account_id,
                token_sealed: None,
                attempts: 0,
                last_error: None,
                created_at: now.clone(),
                mac: None,
                token: Some(f.secret().to_string()),
            });
        }
    }
    out
}

/// What one revocation run did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    /// Requests answered 2xx.
    pub delivered: usize,
    /// Requests refused for good (4xx, redirect, 410).
    pub failed: usize,
    /// Requests waiting in the outbox.
    pub outbox: usize,
    /// Requests not made: destroying a credential needs consent.
    #[serde(skip_serializing_if = "is_zero")]
    pub skipped: usize,
    /// The outbox folder.
    pub outbox_dir: PathBuf,
    /// Per request: id, endpoint, rule, status and reason. No token.
    pub requests: Vec<ReportLine>,
    /// Problems that need the user: a missing secret, an outbox that could
    /// not be written. Any of them makes the run exit 2.
    pub errors: Vec<String>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// One request's line in a [`Report`].
#[derive(Clone, Debug, Serialize)]
pub struct ReportLine {
    /// The webhook-id.
    pub webhook_id: String,
    /// The endpoint URL.
    pub endpoint: String,
    /// The rule id.
    pub rule_id: String,
    /// The redacted token.
    pub redacted: String,
    /// `delivered`, `failed`, `outbox` or `skipped`.
    pub status: String,
    /// What a provider's API did: `submitted` (GitHub), `revoked`,
    /// `invalid already`, … (Cloudflare).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// Why, when not delivered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Attempts so far.
    pub attempts: u32,
}

impl Report {
    /// True when every request was delivered.
    pub fn all_delivered(&self) -> bool {
        self.failed == 0 && self.outbox == 0 && self.errors.is_empty()
    }

    pub(crate) fn line(&mut self, req: &Request, status: &str, reason: Option<String>) {
        self.requests.push(ReportLine {
            webhook_id: req.webhook_id.clone(),
            endpoint: req.endpoint.clone(),
            rule_id: req.rule_id.clone(),
            redacted: req.redacted.clone(),
            status: status.into(),
            outcome: None,
            reason,
            attempts: req.attempts,
        });
    }
}

/// Turns requests into jobs: each needs its endpoint's secret and, in token
/// mode, the token (in memory, or sealed in the outbox).
fn jobs_for(
    reqs: Vec<Request>,
    endpoint_of: &dyn Fn(&Request) -> Result<Endpoint, Error>,
) -> (Vec<Job>, Vec<(Request, String)>) {
    let mut jobs = Vec::new();
    let mut stuck = Vec::new();
    for req in reqs {
        let prepared = endpoint_of(&req).and_then(|ep| {
            let secret = ep.secret()?;
            let token = match (req.send, &req.token, &req.token_sealed) {
                (SendMode::Hash, _, _) => String::new(),
                (SendMode::Token, Some(t), _) => t.clone(),
                (SendMode::Token, None, Some(sealed)) => {
                    outbox::open(&secret, &req.webhook_id, sealed)?
                }
                (SendMode::Token, None, None) => {
                    return Err(Error::Invalid("the request holds no token to send".into()));
                }
            };
            let body = deliver::body(&req, &token);
            let fallback = ep.fallback_secret()?;
            Ok((ep, secret, body, token, fallback))
        });
        match prepared {
            Ok((endpoint, secret, body, token, fallback)) => {
                let mut request = req;
                if request.send == SendMode::Token && request.token_sealed.is_none() {
                    match outbox::seal(&secret, &request.webhook_id, &token) {
                        Ok(s) => request.token_sealed = Some(s),
                        Err(e) => {
                            stuck.push((request, e.to_string()));
                            continue;
                        }
                    }
                }
                jobs.push(Job {
                    request,
                    endpoint,
                    secret,
                    body,
                    token,
                    fallback,
                });
            }
            Err(e) => stuck.push((req, e.to_string())),
        }
    }
    (jobs, stuck)
}

/// Sends `reqs`, then writes what was not delivered to `outbox` (and what
/// failed for good to its `failed/` folder). Each request may come with the
/// outbox file it was read from, removed once it is settled. Problems are
/// collected in [`Report::errors`]; nothing is dropped silently.
pub fn run(
    reqs: Vec<(Request, Option<PathBuf>)>,
    endpoint_of: &dyn Fn(&Request) -> Result<Endpoint, Error>,
    outbox: &Outbox,
    parallel: usize,
) -> Report {
    let mut report = Report {
        outbox_dir: outbox.dir().to_path_buf(),
        ..Report::default()
    };
    let mut files: std::collections::HashMap<String, PathBuf> = reqs
        .iter()
        .filter_map(|(r, p)| p.clone().map(|p| (r.webhook_id.clone(), p)))
        .collect();
    let (jobs, stuck) = jobs_for(reqs.into_iter().map(|(r, _)| r).collect(), endpoint_of);
    let mut errors: Vec<String> = Vec::new();
    // Requests that cannot even be prepared (no secret: nothing can sign or
    // authenticate them). One read from the outbox stays there as it is; a
    // fresh one is not journaled, and the report says so.
    for (mut req, why) in stuck {
        req.token = None;
        if files.contains_key(&req.webhook_id) {
            report.outbox += 1;
            report.line(&req, "outbox", Some(why.clone()));
        } else {
            report.failed += 1;
            report.line(
                &req,
                "failed",
                Some(format!(
                    "{why}; not journaled (the outbox keeps only requests signed with the endpoint's secret): run the scan again once it is set"
                )),
            );
        }
        errors.push(why);
    }
    let secrets: HashMap<String, Secret> = jobs
        .iter()
        .map(|j| (j.request.webhook_id.clone(), j.secret.clone()))
        .collect();
    // Journal first: every request is on disk before its first attempt.
    let fresh: Vec<(&Request, &Secret)> = jobs
        .iter()
        .filter(|j| !files.contains_key(&j.request.webhook_id))
        .map(|j| (&j.request, &j.secret))
        .collect();
    // (`token` is never serialized: the journal holds it sealed or not at all.)
    match outbox.put_all(fresh.iter().copied()) {
        Ok(paths) => {
            for ((r, _), p) in fresh.iter().zip(paths) {
                files.insert(r.webhook_id.clone(), p);
            }
        }
        Err(e) => errors.push(format!("cannot write the outbox before sending: {e}")),
    }
    let results: Vec<Delivery> = deliver::deliver(jobs, parallel);
    for d in results {
        let file = files.get(&d.request.webhook_id);
        let secret = &secrets[&d.request.webhook_id];
        report.settle(d, file, secret, outbox, &mut errors);
    }
    report
        .requests
        .sort_by(|a, b| a.webhook_id.cmp(&b.webhook_id));
    errors.sort();
    errors.dedup();
    report.errors = errors;
    report
}

impl Report {
    /// Counts one delivery's result, and leaves the outbox as it says: a
    /// delivered request's file removed, a failed one moved to `failed/`,
    /// a pending one written (or, if it cannot be, reported failed and
    /// "not journaled", never as waiting).
    fn settle(
        &mut self,
        d: Delivery,
        file: Option<&PathBuf>,
        secret: &Secret,
        outbox: &Outbox,
        errors: &mut Vec<String>,
    ) {
        let mut req = d.request;
        req.token = None;
        match d.fate {
            Fate::Delivered(what) => {
                if let Some(p) = file {
                    if let Err(e) = outbox.remove(p) {
                        errors.push(e.to_string());
                    }
                }
                self.delivered += 1;
                self.line(&req, "delivered", None);
                if what != "delivered" {
                    self.requests.last_mut().expect("a line").outcome = Some(what);
                }
            }
            Fate::Failed(why) => {
                if let Err(e) = outbox.mark_failed(file.map(|p| p.as_path()), &req, secret) {
                    errors.push(e.to_string());
                }
                self.failed += 1;
                self.line(&req, "failed", Some(why));
            }
            Fate::Pending(why) => match outbox.put(&req, secret) {
                Ok(_) => {
                    self.outbox += 1;
                    self.line(&req, "outbox", Some(why));
                }
                Err(e) => {
                    // Not delivered and not on disk: say so, never "waiting".
                    self.failed += 1;
                    self.line(
                        &req,
                        "failed",
                        Some(format!(
                            "{why}; not journaled ({e}): lost unless the scan runs again"
                        )),
                    );
                    errors.push(format!("cannot write the outbox: {e}"));
                }
            },
        }
    }
}

/// What `revoke flush` found in the outbox.
#[derive(Debug, Default)]
pub struct Triage {
    /// Authenticated requests for configured endpoints, with their files.
    pub ready: Vec<(Request, Option<PathBuf>)>,
    /// Requests that cannot be checked yet (their secret is not set): left
    /// in place, with why.
    pub waiting: Vec<(PathBuf, String)>,
    /// Files moved to `quarantine/`, with why: never sent.
    pub quarantined: Vec<(PathBuf, String)>,
    /// Problems moving files aside.
    pub errors: Vec<String>,
}

/// Sorts the outbox's pending files: only authenticated requests for
/// endpoints that `config` configures (with the same send mode) are ready;
/// a file that cannot be read, names another endpoint, or fails its MAC
/// under the configured endpoint's secret is quarantined.
pub fn triage(outbox: &Outbox, config: &Config) -> Result<Triage, Error> {
    let mut t = Triage::default();
    for (path, entry) in outbox.pending()? {
        let verdict = entry.and_then(|req| {
            let Some(ep) = config.endpoint(&req.endpoint) else {
                return Err(format!(
                    "its endpoint {} is not configured in burnkey.toml",
                    req.endpoint
                ));
            };
            if ep.send != req.send {
                return Err("its send mode differs from the endpoint's in burnkey.toml".into());
            }
            Ok((req, ep))
        });
        let why = match verdict {
            Ok((req, ep)) => match ep.secret() {
                Err(e) => {
                    t.waiting.push((path, e.to_string()));
                    continue;
                }
                Ok(secret) if outbox::authentic(&secret, &req) => {
                    t.ready.push((req, Some(path)));
                    continue;
                }
                Ok(_) => "it is not authenticated by the endpoint's secret (written by someone else, or altered)".to_string(),
            },
            Err(why) => why,
        };
        quarantine(outbox, &path, why, &mut t);
    }
    Ok(t)
}

fn quarantine(outbox: &Outbox, path: &Path, why: String, t: &mut Triage) {
    match outbox.quarantine(path) {
        Ok(dst) => t.quarantined.push((dst, why)),
        Err(e) => t.errors.push(format!(
            "{}: {why}; and it could not be moved aside: {e}",
            path.display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_id_is_stable_and_endpoint_specific() {
        let a = webhook_id("https://a/x", "00ff");
        assert_eq!(a, webhook_id("https://a/x", "00ff"));
        assert_ne!(a, webhook_id("https://b/x", "00ff"));
        assert_ne!(a, webhook_id("https://a/x", "00fe"));
        assert!(a.starts_with("msg_") && a.len() == 36);
    }
}
