//! The one HTTP client of burnkey's requests to providers and webhooks: one
//! agent (no redirects followed, statuses as answers), a shared rate limit,
//! a timeout per request, and for live checks retries of 429, 5xx, GitHub's
//! exhausted rate limit and network errors that honour `Retry-After`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;

use crate::net::retry::{jitter, retry_after};

/// An answer: the status, the headers verification reads, the JSON body
/// (`Null` when it is not JSON).
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl Resp {
    /// A header, by lowercase name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The headers kept from answers.
const KEPT: [&str; 5] = [
    "retry-after",
    "x-oauth-scopes",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "github-authentication-token-expiration",
];

/// Requests to the providers.
pub struct Client {
    agent: ureq::Agent,
    next: Mutex<Instant>,
    interval: Duration,
    retries: u32,
    /// The longest wait a `Retry-After` may ask for.
    max_wait: Duration,
    sent: AtomicUsize,
}

impl Client {
    /// One request at a time as the caller asks (its own retry loop
    /// decides), each within `timeout`: revocation's deliveries.
    pub fn single(timeout: Duration) -> Client {
        Client::new(f64::INFINITY, timeout, 0)
    }

    /// At most `rps` requests a second over all threads, each within
    /// `timeout`, retried `retries` times.
    pub fn new(rps: f64, timeout: Duration, retries: u32) -> Client {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(concat!("burnkey/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Client {
            agent,
            next: Mutex::new(Instant::now()),
            interval: Duration::from_secs_f64(1.0 / rps.clamp(0.01, f64::MAX)),
            retries,
            max_wait: Duration::from_secs(60),
            sent: AtomicUsize::new(0),
        }
    }

    /// Requests sent so far, retries included.
    pub fn sent(&self) -> usize {
        self.sent.load(Ordering::Relaxed)
    }

    /// Waits for this request's turn under the rate limit.
    fn turn(&self) {
        let at = {
            let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
            let at = (*next).max(Instant::now());
            *next = at + self.interval;
            at
        };
        let now = Instant::now();
        if at > now {
            std::thread::sleep(at - now);
        }
    }

    /// How long to wait before retrying `r`, if it is to be retried.
    fn retry_in(&self, r: &Resp, attempt: u32) -> Option<Duration> {
        let limited =
            r.status == 429 || (r.status == 403 && r.header("x-ratelimit-remaining") == Some("0"));
        if !(limited || r.status >= 500) {
            return None;
        }
        let reset = r
            .header("x-ratelimit-reset")
            .and_then(|v| v.parse::<u64>().ok())
            .map(|at| {
                let now = SystemTime::now()
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                Duration::from_secs(at.saturating_sub(now))
            });
        let wait = r
            .header("retry-after")
            .and_then(retry_after)
            .or(reset.filter(|_| limited))
            .unwrap_or_else(|| jitter(Duration::from_millis(500 << attempt)));
        Some(wait)
    }

    /// One request: `method` to `url` with `headers` (and `body`), in its
    /// turn under the rate limit; the answer whatever its status.
    pub fn send(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Result<Resp, String> {
        self.turn();
        self.sent.fetch_add(1, Ordering::Relaxed);
        let mut req = ureq::http::Request::builder().method(method).uri(url);
        if !headers.iter().any(|(k, _)| *k == "accept") {
            req = req.header("accept", "application/json");
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let sent = match body {
            Some(b) => req.body(b).map(|r| self.agent.run(r)),
            None => req.body(()).map(|r| self.agent.run(r)),
        };
        match sent.map_err(|e| e.to_string())? {
            Ok(mut resp) => {
                let status = resp.status().as_u16();
                let headers = KEPT
                    .iter()
                    .filter_map(|&k| {
                        let v = resp.headers().get(k)?.to_str().ok()?;
                        Some((k.to_string(), v.to_string()))
                    })
                    .collect();
                let body = crate::net::json_body(&mut resp);
                Ok(Resp {
                    status,
                    headers,
                    body,
                })
            }
            // No token is ever in a URL, so the error may be shown.
            Err(e) => Err(e.to_string()),
        }
    }

    /// GET `url` with `headers`, retried as the client was built to.
    pub fn get(&self, url: &str, headers: &[(&str, &str)]) -> Result<Resp, String> {
        let mut attempt = 0;
        loop {
            let outcome = self.send("GET", url, headers, None);
            let wait = match &outcome {
                Ok(r) => self.retry_in(r, attempt),
                Err(_) => Some(jitter(Duration::from_millis(500 << attempt))),
            };
            match wait {
                Some(w) if attempt < self.retries && w <= self.max_wait => {
                    std::thread::sleep(w);
                    attempt += 1;
                }
                _ => {
                    return match outcome {
                        // A single-attempt client's caller retries: it
                        // reads the answer (and its Retry-After) itself.
                        Ok(r) if self.retries > 0 && (r.status == 429 || r.status >= 500) => {
                            Err(format!(
                                "answered {} after {} attempt{}",
                                r.status,
                                attempt + 1,
                                if attempt == 0 { "" } else { "s" }
                            ))
                        }
                        Ok(r) => Ok(r),
                        Err(e) => Err(format!("{e} (after {} attempts)", attempt + 1)),
                    };
                }
            }
        }
    }
}

/// POSTs `body` to `url` signed as Standard Webhooks say (`webhook-id`,
/// `webhook-timestamp`, `webhook-signature`): revocation webhooks and
/// `serve`'s notifications.
pub fn post_signed(
    http: &Client,
    url: &str,
    secret: &crate::webhook::Secret,
    id: &str,
    body: &[u8],
) -> Result<Resp, String> {
    let ts = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let signature = crate::webhook::sign(secret, id, ts, body);
    let headers = [
        ("content-type", "application/json"),
        ("webhook-id", id),
        ("webhook-timestamp", &ts.to_string()),
        ("webhook-signature", &signature),
    ];
    http.send("POST", url, &headers, Some(body))
}
