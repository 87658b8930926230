//! Sending revocation requests: Standard Webhooks headers, a bounded retry
//! loop with jittered exponential backoff that honours `Retry-After`, and a
//! verdict for each request.
//!
//! 2xx is delivered. Connection errors, timeouts, 408, 429 and 5xx are
//! retried until the endpoint's `retry_for` budget runs out (then the request
//! waits in the outbox). 410 Gone and other 3xx/4xx are permanent: reported,
//! not retried; after a 410 nothing more is sent to that endpoint this run.
//! Redirects are never followed.

use std::collections::{HashSet, VecDeque};
use std::io::Read;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::config::{Endpoint, SendMode};
use super::Request;
use crate::webhook::{sign, Secret};

/// The fate of one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// A 2xx answer.
    Delivered,
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
    Ok,
    Retry(String, Option<Duration>),
    Permanent(String),
    Gone,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

pub(crate) fn retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(
        at.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

pub(crate) fn jitter(d: Duration) -> Duration {
    let mut b = [0u8; 2];
    let r = if getrandom::fill(&mut b).is_ok() {
        u16::from_le_bytes(b)
    } else {
        u16::MAX / 2
    };
    // Between half and all of d.
    d.mul_f64(0.5 + 0.5 * (r as f64 / u16::MAX as f64))
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

fn attempt(agent: &ureq::Agent, ep: &Endpoint, secret: &Secret, id: &str, body: &[u8]) -> Attempt {
    let ts = unix_now();
    let res = agent
        .post(&ep.url)
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
                200..=299 => Attempt::Ok,
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
    /// The exact bytes to POST.
    pub body: Vec<u8>,
}

/// Delivers `jobs` with up to `parallel` requests in flight. Returns one
/// [`Delivery`] per job, in no particular order.
pub fn deliver(jobs: Vec<Job>, parallel: usize) -> Vec<Delivery> {
    let start = Instant::now();
    let queue = Mutex::new(jobs.into_iter().collect::<VecDeque<_>>());
    let gone: Mutex<HashSet<String>> = Mutex::new(HashSet::new());
    let done = Mutex::new(Vec::new());
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
    let ep = &job.endpoint;
    let deadline = start + ep.retry_for;
    let agent = agent(ep);
    let mut delay = ep.backoff;
    loop {
        if gone
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&ep.url)
        {
            return Status::Failed("the endpoint answered 410 Gone earlier in this run".into());
        }
        job.request.attempts += 1;
        match attempt(&agent, ep, &job.secret, &job.request.webhook_id, &job.body) {
            Attempt::Ok => {
                job.request.last_error = None;
                return Status::Delivered;
            }
            Attempt::Gone => {
                gone.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(ep.url.clone());
                let why = "HTTP 410 Gone: the endpoint asks not to be sent to again".to_string();
                job.request.last_error = Some(why.clone());
                return Status::Failed(why);
            }
            Attempt::Permanent(why) => {
                job.request.last_error = Some(why.clone());
                return Status::Failed(why);
            }
            Attempt::Retry(why, after) => {
                job.request.last_error = Some(why.clone());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        assert_eq!(retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO),
            "in the past"
        );
        assert_eq!(retry_after("soon"), None);
    }

    #[test]
    fn jitter_stays_within_half_and_whole() {
        for _ in 0..100 {
            let j = jitter(Duration::from_millis(1000));
            assert!(j >= Duration::from_millis(500) && j <= Duration::from_millis(1000));
        }
    }
}
