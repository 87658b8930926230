//! The issuer's side: `burnkey serve` receives leak reports and revokes the
//! records of the tokens it minted.
//!
//! Two routes take reports, each checked before anything in the body is
//! parsed:
//! - `POST /v1/revocations`: burnkey's own reports (`scan --revoke`), signed
//!   with Standard Webhooks ([`crate::webhook`]) under one of the secrets in
//!   an environment variable (space-separated, for rotation). A replayed
//!   `webhook-id` is answered from the first result without acting twice.
//! - `POST /v1/github/secret-scanning`: GitHub's partner alerts, signed with
//!   ECDSA P-256 ([`github`]).
//!
//! Then every token is checked (format and checksum) before the store is
//! asked; a report in hash mode is looked up by its hash. A live record is
//! revoked (atomically, once) and the [`notify`] hook told; anything else
//! changes nothing. The answer is GitHub's feedback array: `token_hash`,
//! `token_type`, `label` (`true_positive` when a live record was revoked).
//!
//! [`Receiver`] is that logic, without HTTP; [`http::run`] serves it.

pub mod github;
pub mod http;
pub mod log;
pub mod notify;
pub mod report;
pub mod settings;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::Error;
use crate::issuer::store::Store;
use crate::token::checksum::sha256_hex;
use crate::token::format::FormatSet;
use crate::webhook::Secret;
use github::{Keys, SignatureError};
use log::Log;
use notify::{Event, Notifier};
pub use report::{Counts, Reporter};
pub use settings::Settings;

/// An answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// JSON body.
    pub body: Vec<u8>,
    /// What was done.
    pub counts: Counts,
    /// Why a request was refused, for the log.
    pub why: Option<String>,
    /// Answered from the replay cache.
    pub replayed: bool,
}

impl Reply {
    pub(crate) fn json(status: u16, body: Vec<u8>) -> Reply {
        Reply {
            status,
            body,
            counts: Counts::default(),
            why: None,
            replayed: false,
        }
    }

    pub(crate) fn error(status: u16, why: impl Into<String>) -> Reply {
        let why = why.into();
        Reply {
            status,
            body: serde_json::to_vec(&json!({ "error": why })).expect("json"),
            counts: Counts::default(),
            why: Some(why),
            replayed: false,
        }
    }

    fn feedback(items: Vec<Value>, counts: Counts) -> Reply {
        Reply {
            status: 200,
            body: serde_json::to_vec(&items).expect("json"),
            counts,
            why: None,
            replayed: false,
        }
    }
}

/// One reported match: GitHub's `{token, type, url, source}`, or burnkey's
/// with `token_hash` in place of `token`.
#[derive(Deserialize)]
struct Item {
    token: Option<String>,
    token_hash: Option<String>,
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    source: String,
}

/// The value of header `name` among `headers`.
fn header<'h>(headers: &[(&'h str, &'h str)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| *v)
}

/// GitHub's keys, and where to fetch them again.
struct GithubSide {
    keys: Arc<RwLock<Keys>>,
    url: Option<String>,
    every: Duration,
    fetch: Arc<(Mutex<Fetch>, Condvar)>,
}

/// The key fetcher's state: when it last started, whether one is under
/// way, and how many have finished (a waiter sees its own finish by that).
#[derive(Default)]
struct Fetch {
    last: Option<Instant>,
    running: bool,
    done: u64,
}

/// What asking for GitHub's keys again came to.
enum Refresh {
    /// Fetched: look the key up again.
    Fetched,
    /// Another alert's fetch is under way: answer 503, not 401.
    Busy,
    /// Not fetched now (too soon, no URL, failed, or slower than
    /// [`KEY_WAIT`]): the key stays unknown.
    No,
}

/// How long an alert signed by a key not yet known waits for GitHub's keys
/// to be fetched: the fetch itself runs on a thread of its own, off every
/// request's path, and holds no lock a request needs.
const KEY_WAIT: Duration = Duration::from_secs(2);

/// The answer to one `webhook-id` (`None` until the first is done).
type Slot = Arc<Mutex<Option<Reply>>>;

/// Slots by id (with the bytes their answers hold), the ids in the order
/// they came (to forget the old), and the bytes held in all.
#[derive(Default)]
struct Slots {
    map: HashMap<String, (Slot, usize)>,
    order: VecDeque<(Instant, String)>,
    bytes: usize,
}

/// The answers to `webhook-id`s seen within the replay window. Concurrent
/// requests with one id wait for the first; a failure (5xx) is not kept,
/// so a retry acts. At most `cap` ids and `max_bytes` of answers are kept;
/// past either, the oldest are forgotten (and the store's idempotence still
/// revokes nothing twice).
struct Replays {
    slots: Mutex<Slots>,
    keep: Duration,
    cap: usize,
    max_bytes: usize,
}

impl Replays {
    fn new(keep: Duration, cap: usize, max_bytes: usize) -> Replays {
        Replays {
            slots: Mutex::new(Slots::default()),
            keep,
            cap,
            max_bytes,
        }
    }

    fn answer(&self, id: &str, act: impl FnOnce() -> Reply) -> Reply {
        let slot = {
            let mut g = self.slots.lock().expect("replays");
            let s = &mut *g;
            let now = Instant::now();
            while let Some((t, old)) = s.order.front() {
                let full = s.map.len() >= self.cap || s.bytes > self.max_bytes;
                if now.duration_since(*t) < self.keep && !full {
                    break;
                }
                if let Some((_, n)) = s.map.remove(old) {
                    s.bytes -= n;
                }
                s.order.pop_front();
            }
            let order = &mut s.order;
            s.map
                .entry(id.to_string())
                .or_insert_with(|| {
                    order.push_back((now, id.to_string()));
                    (Arc::new(Mutex::new(None)), 0)
                })
                .0
                .clone()
        };
        let mut first = slot.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = &*first {
            return Reply {
                replayed: true,
                ..r.clone()
            };
        }
        let r = act();
        if r.status < 500 {
            *first = Some(r.clone());
            let n = id.len() + r.body.len() + r.why.as_ref().map_or(0, String::len);
            let mut g = self.slots.lock().expect("replays");
            let s = &mut *g;
            if let Some(e) = s.map.get_mut(id).filter(|e| Arc::ptr_eq(&e.0, &slot)) {
                e.1 = n;
                s.bytes += n;
            }
        }
        r
    }
}

/// The receiver: checks reports and revokes records. Shared by the HTTP
/// workers.
pub struct Receiver {
    store: Box<dyn Store>,
    formats: FormatSet,
    secrets: Vec<Secret>,
    tolerance: u64,
    github: Option<GithubSide>,
    raw_feedback: bool,
    replays: Replays,
    notifier: Option<Notifier>,
    log: Log,
}

impl Receiver {
    /// Opens the store and reads the keys and secrets `settings` name.
    pub fn new(settings: &Settings, log: Log) -> Result<Receiver, Error> {
        let store = crate::issuer::open::open(&settings.store)?;
        let known = crate::RuleSet::with_files(&settings.rules)?.formats();
        let (formats, missing) = crate::issuer::open::formats_for(&known, store.kinds()?);
        for id in missing {
            log.event(
                "warning",
                &[(
                    "message",
                    &format!("records of format {id} need the rule file that defines it (--rules FILE); their reports are answered false_positive"),
                )],
            );
        }
        let secrets = match std::env::var(&settings.secret_env) {
            Ok(v) => v
                .split_whitespace()
                .map(|s| {
                    Secret::parse(s)
                        .map_err(|e| Error::Invalid(format!("{}: {e}", settings.secret_env)))
                })
                .collect::<Result<Vec<_>, _>>()?,
            Err(_) if !settings.secret_env_given => Vec::new(),
            Err(_) => {
                return Err(Error::Invalid(format!(
                    "the environment variable {} (--secret-env) is not set",
                    settings.secret_env
                )))
            }
        };
        let github = match (&settings.github_keys, &settings.github_keys_url) {
            (None, None) => None,
            (file, url) => {
                let keys = match file {
                    Some(f) => Keys::load(f)?,
                    None => Keys::default(),
                };
                Some(GithubSide {
                    keys: Arc::new(RwLock::new(keys)),
                    url: url.clone(),
                    every: settings.github_keys_refresh,
                    fetch: Arc::default(),
                })
            }
        };
        if secrets.is_empty() && github.is_none() {
            return Err(Error::Invalid(format!(
                "nothing to receive: set {} to the webhook secret(s) for /v1/revocations, or give --github-keys FILE (or a github_keys_url) for GitHub's alerts",
                settings.secret_env
            )));
        }
        let notifier = match &settings.notify {
            Some(n) => Some(Notifier::start(n.clone(), log)?),
            None => None,
        };
        Ok(Receiver {
            store,
            formats,
            secrets,
            tolerance: settings.tolerance.as_secs(),
            github,
            raw_feedback: settings.raw_feedback,
            // Past twice the tolerance (a timestamp may be ahead of the
            // clock) the timestamp check refuses a replay by itself.
            replays: Replays::new(
                settings.tolerance * 2 + Duration::from_secs(60),
                100_000,
                64 << 20,
            ),
            notifier,
            log,
        })
    }

    /// Which routes are on: `(revocations, github)`.
    pub fn routes(&self) -> (bool, bool) {
        (!self.secrets.is_empty(), self.github.is_some())
    }

    /// Waits for the notifications still queued.
    pub fn finish(&self) {
        if let Some(n) = &self.notifier {
            n.finish();
        }
    }

    /// `POST /v1/revocations`: a burnkey report.
    pub fn revocations(&self, headers: &[(&str, &str)], body: &[u8], now: SystemTime) -> Reply {
        if self.secrets.is_empty() {
            return Reply::error(
                404,
                "this server takes no burnkey reports (no secret is set)",
            );
        }
        let (Some(id), Some(ts), Some(sig)) = (
            header(headers, "webhook-id"),
            header(headers, "webhook-timestamp"),
            header(headers, "webhook-signature"),
        ) else {
            return Reply::error(
                401,
                "webhook-id, webhook-timestamp and webhook-signature are required",
            );
        };
        let unix = now
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut last = None;
        for s in &self.secrets {
            match crate::webhook::verify(s, id, ts, sig, body, unix, self.tolerance) {
                Ok(()) => {
                    last = None;
                    break;
                }
                Err(e) => last = Some(e),
            }
        }
        if let Some(e) = last {
            return Reply::error(401, e.to_string());
        }
        self.replays
            .answer(id, || self.act(body, Reporter::Burnkey, now))
    }

    /// `POST /v1/github/secret-scanning`: a GitHub alert.
    pub fn github(&self, headers: &[(&str, &str)], body: &[u8], now: SystemTime) -> Reply {
        let Some(gh) = &self.github else {
            return Reply::error(404, "this server takes no GitHub alerts (no --github-keys)");
        };
        let (Some(id), Some(sig)) = (
            header(headers, "github-public-key-identifier"),
            header(headers, "github-public-key-signature"),
        ) else {
            return Reply::error(
                401,
                SignatureError::Missing(
                    "Github-Public-Key-Identifier and Github-Public-Key-Signature",
                )
                .to_string(),
            );
        };
        let mut checked = gh.keys.read().expect("keys").verify(id, sig, body);
        if checked == Err(SignatureError::UnknownKey) {
            match self.refresh(gh) {
                Refresh::Fetched => checked = gh.keys.read().expect("keys").verify(id, sig, body),
                Refresh::Busy => {
                    return Reply::error(503, "GitHub's keys are being fetched: retry later")
                }
                Refresh::No => {}
            }
        }
        if let Err(e) = checked {
            return Reply::error(401, e.to_string());
        }
        self.act(body, Reporter::Github, now)
    }

    /// For an alert signed by a key not known: has GitHub's keys fetched
    /// again (at most once per `every`, on a thread of its own) and waits
    /// for that fetch, at most [`KEY_WAIT`]. An alert that comes while
    /// another's fetch is under way does not wait (`Busy`: GitHub retries a
    /// 503), so a slow key server holds at most one request, for at most
    /// [`KEY_WAIT`], and never another kind of request.
    fn refresh(&self, gh: &GithubSide) -> Refresh {
        let Some(url) = &gh.url else {
            return Refresh::No;
        };
        let (state, finished) = &*gh.fetch;
        let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
        if st.running {
            return Refresh::Busy;
        }
        if st.last.is_none_or(|t| t.elapsed() >= gh.every) {
            st.last = Some(Instant::now());
            st.running = true;
            let (url, keys, fetch, log) =
                (url.clone(), gh.keys.clone(), gh.fetch.clone(), self.log);
            std::thread::spawn(move || {
                let got = fetch_keys(&url);
                match got {
                    Ok(k) => {
                        log.event(
                            "github-keys",
                            &[("url", &url), ("keys", &k.keys().len().to_string())],
                        );
                        *keys.write().unwrap_or_else(|e| e.into_inner()) = k;
                    }
                    Err(e) => log.event("github-keys-failed", &[("url", &url), ("error", &e)]),
                }
                let (state, finished) = &*fetch;
                let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
                st.running = false;
                st.done += 1;
                finished.notify_all();
            });
        }
        if !st.running {
            return Refresh::No;
        }
        let seen = st.done;
        let (st, _) = finished
            .wait_timeout_while(st, KEY_WAIT, |st| st.done == seen)
            .unwrap_or_else(|e| e.into_inner());
        match st.done != seen {
            true => Refresh::Fetched,
            false => Refresh::No,
        }
    }

    /// The items of a checked report: each token checked, then revoked.
    fn act(&self, body: &[u8], from: Reporter, now: SystemTime) -> Reply {
        let items: Vec<Item> = match serde_json::from_slice(body) {
            Ok(v) => v,
            // serde's message may quote the body, which may hold a token:
            // say only where it went wrong.
            Err(e) => {
                return Reply::error(
                    400,
                    format!(
                        "the body is not a JSON array of {{token, type, url, source}} ({:?} error at line {}, column {})",
                        e.classify(),
                        e.line(),
                        e.column()
                    ),
                )
            }
        };
        let mut counts = Counts::default();
        let mut out = Vec::with_capacity(items.len());
        for item in &items {
            let (hash, label) = match self.one(item, from, now, &mut counts) {
                Ok(x) => x,
                Err(e) => {
                    self.log.event("store-error", &[("error", &e.to_string())]);
                    return Reply {
                        counts,
                        ..Reply::error(503, "the record store failed; retry later")
                    };
                }
            };
            let mut f = serde_json::Map::new();
            match (&item.token, self.raw_feedback) {
                (Some(t), true) => f.insert("token_raw".into(), t.clone().into()),
                _ => f.insert("token_hash".into(), hash.into()),
            };
            f.insert("token_type".into(), echo_kind(&item.kind).into());
            f.insert("label".into(), label.into());
            out.push(Value::Object(f));
        }
        Reply::feedback(out, counts)
    }

    /// One item: its hash and label.
    fn one(
        &self,
        item: &Item,
        from: Reporter,
        now: SystemTime,
        counts: &mut Counts,
    ) -> Result<(String, &'static str), Error> {
        let hash = match (&item.token, &item.token_hash) {
            (Some(t), _) => {
                let hash = sha256_hex(t.as_bytes());
                if self.formats.check(t).is_err() {
                    counts.invalid += 1;
                    return Ok((hash, "false_positive"));
                }
                hash
            }
            (None, Some(h)) if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
                h.to_ascii_lowercase()
            }
            // Not a hash: answered by the hash of what was sent, as an
            // invalid token is; a report's words never come back.
            (None, h) => {
                counts.invalid += 1;
                let given = h.as_deref().unwrap_or_default();
                return Ok((sha256_hex(given.as_bytes()), "false_positive"));
            }
        };
        match self.store.revoke_once(&hash, now)? {
            None => {
                counts.unknown += 1;
                Ok((hash, "false_positive"))
            }
            Some(r) if r.already => {
                counts.already += 1;
                Ok((hash, "false_positive"))
            }
            Some(r) => {
                counts.revoked += 1;
                if let Some(n) = &self.notifier {
                    n.send(Event::new(
                        &r.record,
                        from,
                        &item.kind,
                        &item.url,
                        &item.source,
                    ));
                }
                Ok((hash, "true_positive"))
            }
        }
    }
}

/// GitHub's keys from `url` (https, or http to loopback).
fn fetch_keys(url: &str) -> Result<Keys, String> {
    let http = crate::net::client::Client::single(Duration::from_secs(10));
    let r = http.send("GET", url, &[], None)?;
    if !(200..300).contains(&r.status) {
        return Err(format!("{url} answered {}", r.status));
    }
    Keys::from_json(r.body)
}

/// The `type` of a reported item, as the answer repeats it: a type's name
/// as GitHub writes them (`cloudflare_api_token`: lowercase words), or
/// `unknown` for anything else, so that no report's words come back (a
/// token, which has digits or capitals, pasted into the wrong field).
fn echo_kind(kind: &str) -> &str {
    let plain = !kind.is_empty()
        && kind.len() <= 64
        && kind
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'-' || b == b'.');
    if plain {
        kind
    } else {
        "unknown"
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;
    use crate::issuer::jsonl::JsonlStore;
    use crate::issuer::record::{mint, Record, Revoked};
    use crate::issuer::store::{Loaded, RecordStore};

    const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

    /// A JSON-lines store that fails while `down` is set.
    struct Flaky {
        inner: JsonlStore,
        down: Arc<AtomicBool>,
    }

    impl RecordStore for Flaky {
        fn find_by_hash(&self, hash: &[u8; 32]) -> Result<Option<Record>, Error> {
            self.inner.find_by_hash(hash)
        }
    }

    impl Store for Flaky {
        fn insert(&self, records: &[Record]) -> Result<(), Error> {
            self.inner.insert(records)
        }
        fn revoke_once(&self, key: &str, now: SystemTime) -> Result<Option<Revoked>, Error> {
            if self.down.load(Ordering::SeqCst) {
                return Err(Error::Invalid("disk on fire".into()));
            }
            self.inner.revoke_once(key, now)
        }
        fn all(&self) -> Result<Loaded, Error> {
            self.inner.all()
        }
        fn describe(&self) -> String {
            "flaky".into()
        }
    }

    fn receiver(store: Box<dyn Store>) -> Receiver {
        Receiver {
            store,
            formats: FormatSet::builtin(),
            secrets: vec![Secret::parse(SECRET).unwrap()],
            tolerance: 300,
            github: None,
            raw_feedback: false,
            replays: Replays::new(Duration::from_secs(660), 3, 1 << 20),
            notifier: None,
            log: Log::new(true),
        }
    }

    fn headers(id: &str, ts: u64, body: &[u8]) -> Vec<(&'static str, String)> {
        let s = Secret::parse(SECRET).unwrap();
        vec![
            ("webhook-id", id.to_string()),
            ("webhook-timestamp", ts.to_string()),
            ("webhook-signature", crate::webhook::sign(&s, id, ts, body)),
        ]
    }

    fn send(r: &Receiver, id: &str, body: &[u8]) -> Reply {
        let now = SystemTime::now();
        let ts = now.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let h = headers(id, ts, body);
        let h: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
        r.revocations(&h, body, now)
    }

    #[test]
    fn a_store_failure_is_503_and_not_remembered_for_the_id() {
        let dir = tempfile::tempdir().unwrap();
        let inner = JsonlStore::new(dir.path().join("t.jsonl"));
        let f = FormatSet::builtin().by_name("cfut").unwrap().clone();
        let m = mint(&f, &[], None).unwrap();
        inner.insert(std::slice::from_ref(&m.record)).unwrap();
        let down = Arc::new(AtomicBool::new(true));
        let r = receiver(Box::new(Flaky {
            inner,
            down: down.clone(),
        }));
        let body = serde_json::to_vec(&json!([{"token": m.token, "type": "t"}])).unwrap();
        let first = send(&r, "msg_a", &body);
        assert_eq!(first.status, 503);
        assert!(
            !String::from_utf8_lossy(&first.body).contains("fire"),
            "store errors stay in the log"
        );
        down.store(false, Ordering::SeqCst);
        let retry = send(&r, "msg_a", &body);
        assert_eq!(
            (retry.status, retry.replayed, retry.counts.revoked),
            (200, false, 1)
        );
        let replay = send(&r, "msg_a", &body);
        assert_eq!((replay.status, replay.replayed), (200, true));
        assert_eq!(replay.body, retry.body);
    }

    #[test]
    fn the_replay_cache_is_bounded_in_bytes_too() {
        let replays = Replays::new(Duration::from_secs(600), 1000, 10_000);
        let big = |i: usize| Reply::json(200, vec![b'x'; 3000 + i]);
        for i in 0..10 {
            let id = format!("msg_{i}");
            assert!(!replays.answer(&id, || big(i)).replayed);
            assert!(
                replays.answer(&id, || unreachable!()).replayed,
                "kept at once"
            );
        }
        let s = replays.slots.lock().unwrap();
        let held: usize = s.map.values().map(|e| e.1).sum();
        assert_eq!(held, s.bytes);
        assert!(
            s.bytes <= 10_000 + 3100 && s.map.len() <= 4,
            "{} bytes, {} ids",
            s.bytes,
            s.map.len()
        );
        assert!(s.map.contains_key("msg_9") && !s.map.contains_key("msg_0"));
    }

    #[test]
    fn the_replay_cache_is_bounded_and_hash_reports_are_looked_up_by_hash() {
        let dir = tempfile::tempdir().unwrap();
        let store = JsonlStore::new(dir.path().join("t.jsonl"));
        let f = FormatSet::builtin().by_name("cfut").unwrap().clone();
        let m = mint(&f, &[], None).unwrap();
        store.insert(std::slice::from_ref(&m.record)).unwrap();
        let r = receiver(Box::new(store));
        let hash = sha256_hex(m.token.as_bytes());
        let body = serde_json::to_vec(&json!([
            {"token_hash": hash.to_ascii_uppercase(), "type": "t"},
            {"token_hash": "not-a-hash", "type": "t"},
            {"type": "no token at all"},
        ]))
        .unwrap();
        let a = send(&r, "msg_0", &body);
        assert_eq!(
            a.counts,
            Counts {
                revoked: 1,
                invalid: 2,
                ..Counts::default()
            }
        );
        let fb: Value = serde_json::from_slice(&a.body).unwrap();
        assert_eq!(fb[0]["token_hash"], hash);
        assert_eq!(fb[0]["label"], "true_positive");
        // Not a hash: the hash of what was sent comes back, never the words.
        assert_eq!(fb[1]["token_hash"], sha256_hex(b"not-a-hash"));
        assert!(!String::from_utf8_lossy(&a.body).contains("not-a-hash"));
        assert_eq!(echo_kind("cloudflare_api_token"), "cloudflare_api_token");
        assert_eq!(echo_kind(&m.token), "unknown");
        assert_eq!(
            echo_kind("npm_0123456789abcdefghijklmnopqrstuvwxyz"),
            "unknown"
        );
        assert_eq!(echo_kind("x\ny"), "unknown");
        assert_eq!(echo_kind(&format!("{}: {}", m.token, "leaked")), "unknown");
        // More ids than the cap: the oldest is forgotten, and answered anew.
        for i in 1..5 {
            send(&r, &format!("msg_{i}"), b"[]");
        }
        assert!(r.replays.slots.lock().unwrap().map.len() <= 3);
        let again = send(&r, "msg_0", &body);
        assert!(!again.replayed);
        assert_eq!(again.counts.already, 1);
    }
}
