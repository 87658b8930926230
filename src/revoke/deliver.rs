//! Sending revocation requests: Standard Webhooks headers, a bounded retry
//! loop with jittered exponential backoff that honours `Retry-After`, and a
//! verdict for each request.
//!
//! 2xx is delivered. Connection errors, timeouts, 408, 429 and 5xx are
//! retried until the endpoint's `retry_for` budget runs out (then the request
//! waits in the outbox). 410 Gone and other 3xx/4xx are permanent: reported,
//! not retried; after a 410 nothing more is sent to that endpoint this run.
//! Redirects are never followed.
//!
//! A provider's API takes the place of the webhook for `via` entries:
//! GitHub's `POST /credentials/revoke` (unauthenticated, at most 1000
//! tokens a request, answered 202 with no verdict per token: "submitted"),
//! and Cloudflare's verify → `DELETE` of the token by its id ("revoked"; a
//! token that may not manage tokens gets 403, and then the entry's fallback
//! webhook, if any, hears of it). The same retry rules apply.

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::config::{Endpoint, SendMode};
use super::request::Request;
use crate::net::client::Client;
use crate::net::retry::jitter;
use crate::providers::provider::unless_retried;
pub use crate::providers::Attempt;
use crate::providers::Revocation;
use crate::webhook::Secret;

/// The fate of one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Done: a webhook's 2xx (`delivered`), or what a provider did
    /// (`submitted`, `revoked`, …).
    Delivered(String),
    /// Will not be retried (a 4xx, a redirect, 410 Gone); the reason.
    Failed(String),
    /// Not delivered within this run's budget; goes to the outbox. The last error.
    Pending(String),
}

/// A request and what became of it.
#[derive(Clone, Debug)]
pub struct Delivery {
    /// The request (with `attempts` and `last_error` updated).
    pub request: Request,
    /// Its fate.
    pub fate: Fate,
}

/// POSTs `body` to the webhook `url`, signed.
fn attempt(http: &Client, url: &str, secret: &Secret, id: &str, body: &[u8]) -> Attempt {
    match crate::net::client::post_signed(http, url, secret, id, body) {
        Err(e) => Attempt::Retry(e, None),
        Ok(r) => match r.status {
            200..=299 => Attempt::Ok("delivered".into()),
            410 => Attempt::Gone,
            300..=399 => {
                Attempt::Permanent(format!("HTTP {} (redirects are not followed)", r.status))
            }
            // A webhook's words are its status alone.
            _ => unless_retried("", &r),
        },
    }
}

/// What a worker needs for one request: its endpoint, secret and body.
pub struct Job {
    /// The request.
    pub request: Request,
    /// Its endpoint.
    pub endpoint: Endpoint,
    /// The endpoint's secret.
    pub secret: Secret,
    /// The exact bytes to POST (to the webhook, or the fallback one).
    pub body: Vec<u8>,
    /// The token (in memory only), for a provider's API.
    pub token: String,
    /// The fallback webhook of a provider that may refuse (`via =
    /// "cloudflare"`), and its secret.
    pub fallback: Option<(String, Secret)>,
}

/// Delivers `jobs` with up to `parallel` requests in flight. Returns one
/// [`Delivery`] per job, in no particular order.
pub fn deliver(jobs: Vec<Job>, parallel: usize) -> Vec<Delivery> {
    let start = Instant::now();
    let gone: Mutex<HashSet<String>> = Mutex::new(HashSet::new());
    let (batched, jobs): (Vec<Job>, Vec<Job>) = jobs
        .into_iter()
        .partition(|j| j.endpoint.via.provider().is_some_and(|p| p.batch() > 1));
    let done = Mutex::new(batches(batched, start, &gone));
    let queue = Mutex::new(jobs.into_iter().collect::<VecDeque<_>>());
    let n = parallel
        .max(1)
        .min(queue.lock().map_or(1, |q| q.len().max(1)));
    std::thread::scope(|s| {
        for _ in 0..n {
            s.spawn(|| loop {
                let Some(mut job) = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front()
                else {
                    return;
                };
                let status = run_one(&mut job, start, &gone);
                done.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(Delivery {
                        request: job.request,
                        fate: status,
                    });
            });
        }
    });
    done.into_inner().unwrap_or_else(|e| e.into_inner())
}

fn run_one(job: &mut Job, start: Instant, gone: &Mutex<HashSet<String>>) -> Fate {
    let http = Client::single(job.endpoint.timeout);
    let Job {
        request,
        endpoint,
        secret,
        body,
        token,
        fallback,
    } = job;
    let mut attempts = request.attempts;
    let mut last_error = request.last_error.take();
    let status = with_retries(
        endpoint,
        start,
        gone,
        &mut attempts,
        &mut last_error,
        || match endpoint.via.provider() {
            Some(p) => {
                let r = Revocation {
                    rule_id: &request.rule_id,
                    token,
                    paired: request.account_id.as_deref(),
                };
                match p.revoke(&http, endpoint.api.as_deref().unwrap_or_default(), &[r]) {
                    Attempt::Refused(why, instead) => fall_back(
                        &http,
                        &why,
                        &instead,
                        fallback.as_ref(),
                        &request.webhook_id,
                        body,
                    ),
                    a => a,
                }
            }
            None => attempt(&http, &endpoint.url, secret, &request.webhook_id, body),
        },
    );
    request.attempts = attempts;
    request.last_error = last_error;
    status
}

/// A token the provider refused to revoke (`why`): its entry's fallback
/// webhook hears of it, if there is one; else the owner must do `instead`.
fn fall_back(
    http: &Client,
    why: &str,
    instead: &str,
    fallback: Option<&(String, Secret)>,
    id: &str,
    body: &[u8],
) -> Attempt {
    let Some((url, secret)) = fallback else {
        return Attempt::Permanent(format!("{why}; {instead}"));
    };
    match attempt(http, url, secret, id, body) {
        Attempt::Ok(_) => Attempt::Ok(format!("{why}; reported to {url}")),
        Attempt::Retry(w, after) => {
            Attempt::Retry(format!("{why}; the fallback webhook: {w}"), after)
        }
        Attempt::Gone => {
            Attempt::Permanent(format!("{why}; the fallback webhook answered 410 Gone"))
        }
        Attempt::Permanent(w) | Attempt::Refused(w, _) => {
            Attempt::Permanent(format!("{why}; the fallback webhook: {w}"))
        }
    }
}

/// Runs `once` until it is done, refused for good, or the endpoint's
/// `retry_for` budget (counted from `start`) runs out, backing off between
/// tries as the answers' `Retry-After` and the endpoint's `backoff` say.
fn with_retries(
    ep: &Endpoint,
    start: Instant,
    gone: &Mutex<HashSet<String>>,
    attempts: &mut u32,
    last_error: &mut Option<String>,
    mut once: impl FnMut() -> Attempt,
) -> Fate {
    let deadline = start + ep.retry_for;
    let mut delay = ep.backoff;
    loop {
        if gone
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&ep.url)
        {
            return Fate::Failed("the endpoint answered 410 Gone earlier in this run".into());
        }
        *attempts += 1;
        match once() {
            Attempt::Ok(what) => {
                *last_error = None;
                return Fate::Delivered(what);
            }
            Attempt::Gone => {
                gone.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(ep.url.clone());
                let why = "HTTP 410 Gone: the endpoint asks not to be sent to again".to_string();
                *last_error = Some(why.clone());
                return Fate::Failed(why);
            }
            Attempt::Permanent(why) | Attempt::Refused(why, _) => {
                *last_error = Some(why.clone());
                return Fate::Failed(why);
            }
            Attempt::Retry(why, after) => {
                *last_error = Some(why.clone());
                let wait = after.map_or(jitter(delay), |a| a.max(jitter(delay)));
                if Instant::now() + wait >= deadline {
                    return Fate::Pending(why);
                }
                std::thread::sleep(wait);
                delay = (delay * 2).min(Duration::from_secs(30));
            }
        }
    }
}

/// The jobs of providers that take many tokens a request (GitHub), in
/// batches of as many as each takes, one after another (GitHub allows 60
/// requests an hour): every job of a batch shares its fate.
fn batches(mut jobs: Vec<Job>, start: Instant, gone: &Mutex<HashSet<String>>) -> Vec<Delivery> {
    let mut out = Vec::with_capacity(jobs.len());
    while !jobs.is_empty() {
        let ep = jobs[0].endpoint.clone();
        let Some(p) = ep.via.provider() else { break };
        let (mut batch, rest): (Vec<Job>, Vec<Job>) =
            jobs.into_iter().partition(|j| j.endpoint.url == ep.url);
        jobs = rest;
        jobs.extend(batch.split_off(batch.len().min(p.batch())));
        let http = Client::single(ep.timeout);
        let (mut attempts, mut last_error) = (0, None);
        let status = with_retries(&ep, start, gone, &mut attempts, &mut last_error, || {
            let items: Vec<Revocation> = batch
                .iter()
                .map(|j| Revocation {
                    rule_id: &j.request.rule_id,
                    token: &j.token,
                    paired: j.request.account_id.as_deref(),
                })
                .collect();
            p.revoke(&http, ep.api.as_deref().unwrap_or_default(), &items)
        });
        for mut j in batch {
            j.request.attempts += attempts;
            j.request.last_error = last_error.clone();
            out.push(Delivery {
                request: j.request,
                fate: status.clone(),
            });
        }
    }
    out
}

/// The JSON body of `req`, shaped like GitHub's partner payload: an array
/// with one element holding `token` (token mode; `token` is used only then)
/// or `token_hash`, and `type`, `url`, `source`.
pub fn body(req: &Request, token: &str) -> Vec<u8> {
    let mut item = serde_json::Map::new();
    match req.send {
        SendMode::Token => item.insert("token".into(), token.into()),
        SendMode::Hash => item.insert("token_hash".into(), req.token_sha256.clone().into()),
    };
    item.insert("type".into(), req.rule_id.clone().into());
    item.insert("url".into(), req.location.clone().into());
    item.insert("source".into(), req.source.clone().into());
    serde_json::to_vec(&serde_json::Value::Array(vec![serde_json::Value::Object(
        item,
    )]))
    .expect("json")
}
