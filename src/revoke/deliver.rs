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
use std::io::Read;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::config::{Endpoint, SendMode, Via};
use super::request::Request;
use crate::net::retry::{jitter, retry_after};
use crate::webhook::{sign, Secret};

/// The fate of one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
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
    pub status: Status,
}

enum Attempt {
    /// Done, and what was done.
    Ok(String),
    Retry(String, Option<Duration>),
    Permanent(String),
    Gone,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn agent(ep: &Endpoint) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(ep.timeout))
        .max_redirects(0)
        .http_status_as_error(false)
        .user_agent(concat!("burnkey/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

fn attempt(agent: &ureq::Agent, url: &str, secret: &Secret, id: &str, body: &[u8]) -> Attempt {
    let ts = unix_now();
    let res = agent
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", sign(secret, id, ts, body))
        .send(body);
    match res {
        Ok(mut resp) => {
            let code = resp.status().as_u16();
            let after = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(retry_after);
            // Drain a little of the body so the connection can be reused.
            let _ = resp
                .body_mut()
                .as_reader()
                .take(64 * 1024)
                .read_to_end(&mut Vec::new());
            match code {
                200..=299 => Attempt::Ok("delivered".into()),
                410 => Attempt::Gone,
                408 | 429 | 500..=599 => Attempt::Retry(format!("HTTP {code}"), after),
                300..=399 => {
                    Attempt::Permanent(format!("HTTP {code} (redirects are not followed)"))
                }
                _ => Attempt::Permanent(format!("HTTP {code}")),
            }
        }
        Err(e) => Attempt::Retry(e.to_string(), None),
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
    /// The fallback webhook of `via = "cloudflare"`, and its secret.
    pub fallback: Option<(String, Secret)>,
}

/// Delivers `jobs` with up to `parallel` requests in flight. Returns one
/// [`Delivery`] per job, in no particular order.
pub fn deliver(jobs: Vec<Job>, parallel: usize) -> Vec<Delivery> {
    let start = Instant::now();
    let gone: Mutex<HashSet<String>> = Mutex::new(HashSet::new());
    let (github, jobs): (Vec<Job>, Vec<Job>) = jobs
        .into_iter()
        .partition(|j| j.endpoint.via == Via::Github);
    let done = Mutex::new(github_batches(github, start, &gone));
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
                        status,
                    });
            });
        }
    });
    done.into_inner().unwrap_or_else(|e| e.into_inner())
}

fn run_one(job: &mut Job, start: Instant, gone: &Mutex<HashSet<String>>) -> Status {
    let agent = agent(&job.endpoint);
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
        || match endpoint.via {
            Via::Cloudflare => {
                cloudflare(&agent, endpoint, request, token, body, fallback.as_ref())
            }
            _ => attempt(&agent, &endpoint.url, secret, &request.webhook_id, body),
        },
    );
    request.attempts = attempts;
    request.last_error = last_error;
    status
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
) -> Status {
    let deadline = start + ep.retry_for;
    let mut delay = ep.backoff;
    loop {
        if gone
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&ep.url)
        {
            return Status::Failed("the endpoint answered 410 Gone earlier in this run".into());
        }
        *attempts += 1;
        match once() {
            Attempt::Ok(what) => {
                *last_error = None;
                return Status::Delivered(what);
            }
            Attempt::Gone => {
                gone.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(ep.url.clone());
                let why = "HTTP 410 Gone: the endpoint asks not to be sent to again".to_string();
                *last_error = Some(why.clone());
                return Status::Failed(why);
            }
            Attempt::Permanent(why) => {
                *last_error = Some(why.clone());
                return Status::Failed(why);
            }
            Attempt::Retry(why, after) => {
                *last_error = Some(why.clone());
                let wait = after.map_or(jitter(delay), |a| a.max(jitter(delay)));
                if Instant::now() + wait >= deadline {
                    return Status::Pending(why);
                }
                std::thread::sleep(wait);
                delay = (delay * 2).min(Duration::from_secs(30));
            }
        }
    }
}

/// GitHub's credential revocation API takes at most this many a request.
pub const GITHUB_BATCH: usize = 1000;

/// GitHub's jobs, in batches of [`GITHUB_BATCH`] tokens, one after another
/// (60 requests an hour is GitHub's limit): every job of a batch shares its
/// fate. The call is unauthenticated, as GitHub requires.
fn github_batches(
    mut jobs: Vec<Job>,
    start: Instant,
    gone: &Mutex<HashSet<String>>,
) -> Vec<Delivery> {
    let mut out = Vec::with_capacity(jobs.len());
    while !jobs.is_empty() {
        let rest = jobs.split_off(jobs.len().min(GITHUB_BATCH));
        let batch = std::mem::replace(&mut jobs, rest);
        let ep = batch[0].endpoint.clone();
        let url = format!(
            "{}/credentials/revoke",
            ep.api.as_deref().unwrap_or_default()
        );
        let tokens: Vec<&str> = batch.iter().map(|j| j.token.as_str()).collect();
        let body = serde_json::to_vec(&serde_json::json!({ "credentials": tokens })).expect("json");
        let agent = agent(&ep);
        let (mut attempts, mut last_error) = (0, None);
        let status = with_retries(&ep, start, gone, &mut attempts, &mut last_error, || {
            match agent
                .post(&url)
                .header("accept", "application/vnd.github+json")
                .header("x-github-api-version", "2022-11-28")
                .header("content-type", "application/json")
                .send(&body[..])
            {
                Err(e) => Attempt::Retry(e.to_string(), None),
                Ok(r) => {
                    let code = r.status().as_u16();
                    let after = header_after(&r);
                    let limited = code == 403
                        && r.headers()
                            .get("x-ratelimit-remaining")
                            .and_then(|v| v.to_str().ok())
                            == Some("0");
                    match code {
                        // GitHub says nothing per token: it was submitted.
                        200..=299 => Attempt::Ok("submitted".into()),
                        408 | 429 | 500..=599 => {
                            Attempt::Retry(format!("GitHub: HTTP {code}"), after)
                        }
                        403 if limited => Attempt::Retry(
                            "GitHub: its rate limit (60 an hour) is spent".into(),
                            after,
                        ),
                        422 => Attempt::Permanent(
                            "GitHub: HTTP 422 (validation failed, or too many requests)".into(),
                        ),
                        _ => Attempt::Permanent(format!("GitHub: HTTP {code}")),
                    }
                }
            }
        });
        for mut j in batch {
            j.request.attempts += attempts;
            j.request.last_error = last_error.clone();
            out.push(Delivery {
                request: j.request,
                status: status.clone(),
            });
        }
    }
    out
}

fn header_after(r: &ureq::http::Response<ureq::Body>) -> Option<Duration> {
    r.headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(retry_after)
}

/// Cloudflare's chain for one token: verify it (for its id, under the
/// user's or the paired account's routes), then `DELETE` it by that id. A
/// token Cloudflare already refuses is dead: nothing to do. A 403 on the
/// delete means the token may not manage tokens: the fallback webhook, if
/// configured, hears of it instead.
fn cloudflare(
    agent: &ureq::Agent,
    ep: &Endpoint,
    req: &Request,
    token: &str,
    body: &[u8],
    fallback: Option<&(String, Secret)>,
) -> Attempt {
    let api = ep.api.as_deref().unwrap_or_default();
    let user = format!("{api}/user/tokens");
    let scopes: Vec<String> = match (req.rule_id.as_str(), &req.account_id) {
        ("cloudflare-account-api-token", Some(a)) => vec![format!("{api}/accounts/{a}/tokens")],
        ("cloudflare-account-api-token", None) => {
            return Attempt::Permanent(
                "no Cloudflare account id is paired with this cfat_ token: pass --cloudflare-account ID, or name it (account_id = …) next to the token".into(),
            )
        }
        (_, Some(a)) => vec![user, format!("{api}/accounts/{a}/tokens")],
        (_, None) => vec![user],
    };
    let auth = format!("Bearer {token}");
    let mut found = None;
    for scope in scopes {
        let mut r = match agent
            .get(&format!("{scope}/verify"))
            .header("authorization", &auth)
            .call()
        {
            Ok(r) => r,
            Err(e) => return Attempt::Retry(format!("Cloudflare verify: {e}"), None),
        };
        let code = r.status().as_u16();
        match code {
            200 => {
                let v = crate::net::json_body(&mut r);
                match v["result"]["id"].as_str() {
                    Some(id) if !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric()) => {
                        found = Some((scope, id.to_string()));
                        break;
                    }
                    _ => {
                        return Attempt::Permanent(
                            "Cloudflare verify answered without a token id".into(),
                        )
                    }
                }
            }
            // Not under this route (or not at all).
            400 | 401 | 403 => continue,
            408 | 429 | 500..=599 => {
                return Attempt::Retry(format!("Cloudflare verify: HTTP {code}"), header_after(&r))
            }
            _ => return Attempt::Permanent(format!("Cloudflare verify: HTTP {code}")),
        }
    }
    let Some((scope, id)) = found else {
        return Attempt::Ok(
            "invalid already: Cloudflare refuses the token, nothing to revoke".into(),
        );
    };
    let r = match agent
        .delete(&format!("{scope}/{id}"))
        .header("authorization", &auth)
        .call()
    {
        Ok(r) => r,
        Err(e) => return Attempt::Retry(format!("Cloudflare delete: {e}"), None),
    };
    let code = r.status().as_u16();
    match code {
        200..=299 => Attempt::Ok("revoked".into()),
        404 => Attempt::Ok("gone already".into()),
        403 => {
            let why = "cannot revoke itself: Cloudflare answered 403 to the delete (the token may not manage API tokens)";
            match fallback {
                None => Attempt::Permanent(format!("{why}; roll it at dash.cloudflare.com")),
                Some((url, secret)) => match attempt(agent, url, secret, &req.webhook_id, body) {
                    Attempt::Ok(_) => Attempt::Ok(format!("{why}; reported to {url}")),
                    Attempt::Retry(w, after) => {
                        Attempt::Retry(format!("{why}; the fallback webhook: {w}"), after)
                    }
                    Attempt::Permanent(w) => {
                        Attempt::Permanent(format!("{why}; the fallback webhook: {w}"))
                    }
                    Attempt::Gone => {
                        Attempt::Permanent(format!("{why}; the fallback webhook answered 410 Gone"))
                    }
                },
            }
        }
        408 | 429 | 500..=599 => {
            Attempt::Retry(format!("Cloudflare delete: HTTP {code}"), header_after(&r))
        }
        _ => Attempt::Permanent(format!("Cloudflare delete: HTTP {code}")),
    }
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
