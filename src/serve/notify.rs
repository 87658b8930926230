//! The `notify` hook: once per revoked record (never for a record that was
//! revoked already), a command or a signed webhook hears of it, so the
//! service can tell its user. Calls run one at a time on a thread of their
//! own, so a slow hook never holds a request; shutdown waits for the queue.
//!
//! The event, as JSON (on the command's stdin, or the webhook's body):
//! `{"type": "token.revoked", "record_id", "kind", "hint", "revoked_at",
//! "reported_by", "token_type", "url", "source"}`. A command also gets
//! `BURNKEY_RECORD_ID`, `BURNKEY_RECORD_HINT` and `BURNKEY_LEAK_URL` in its
//! environment. It is run directly, never through a shell.

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::Mutex;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::log::Log;
use super::report::Reporter;
use crate::error::Error;
use crate::issuer::record::Record;
use crate::webhook::Secret;

/// Where notifications go.
#[derive(Clone, Debug, Default)]
pub struct NotifyConfig {
    /// A program and its arguments.
    pub command: Vec<String>,
    /// A webhook, signed like burnkey's revocation reports.
    pub url: Option<String>,
    /// The environment variable holding the webhook's `whsec_` secret.
    pub secret_env: Option<String>,
    /// How long one call may take.
    pub timeout: Duration,
}

impl NotifyConfig {
    /// Something to call, a secret for a URL, and the URL's scheme.
    pub fn validate(&self) -> Result<(), Error> {
        if self.command.is_empty() && self.url.is_none() {
            return Err(Error::Invalid(
                "[serve.notify] needs a command or a url".into(),
            ));
        }
        if let Some(u) = &self.url {
            crate::net::check_url(u, "the secret belongs in secret_env")?;
            if self.secret_env.is_none() {
                return Err(Error::Invalid(
                    "[serve.notify] url needs secret_env: the webhook is signed".into(),
                ));
            }
        }
        Ok(())
    }

    fn secret(&self) -> Result<Option<Secret>, Error> {
        let Some(var) = &self.secret_env else {
            return Ok(None);
        };
        let v = std::env::var(var).map_err(|_| {
            Error::Invalid(format!(
                "the environment variable {var} ([serve.notify] secret_env) is not set"
            ))
        })?;
        Secret::parse(&v)
            .map(Some)
            .map_err(|e| Error::Invalid(format!("{var}: {e}")))
    }
}

/// What a notification says.
#[derive(Clone, Debug, Serialize)]
pub struct Event {
    #[serde(rename = "type")]
    kind_of_event: &'static str,
    /// The revoked record.
    pub record_id: String,
    /// Its kind (token prefix).
    pub kind: String,
    /// Its hint (prefix and last characters; never the token).
    pub hint: String,
    /// When it was revoked.
    pub revoked_at: Option<String>,
    /// `burnkey` or `github`.
    pub reported_by: &'static str,
    /// The report's `type`.
    pub token_type: String,
    /// Where it leaked.
    pub url: String,
    /// The report's `source`.
    pub source: String,
}

impl Event {
    pub(crate) fn new(
        r: &Record,
        from: Reporter,
        token_type: &str,
        url: &str,
        source: &str,
    ) -> Event {
        Event {
            kind_of_event: "token.revoked",
            record_id: r.id.clone(),
            kind: r.kind.clone(),
            hint: r.hint.clone(),
            revoked_at: r.revoked_at.clone(),
            reported_by: from.as_str(),
            token_type: token_type.into(),
            url: url.into(),
            source: source.into(),
        }
    }
}

/// The queue and its thread.
pub struct Notifier {
    tx: Mutex<Option<mpsc::Sender<Event>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Notifier {
    /// Starts the thread (the webhook's secret is read now, so a missing one
    /// stops the server from starting).
    pub fn start(cfg: NotifyConfig, log: Log) -> Result<Notifier, Error> {
        cfg.validate()?;
        let secret = cfg.secret()?;
        let (tx, rx) = mpsc::channel::<Event>();
        let thread = std::thread::Builder::new()
            .name("burnkey-notify".into())
            .spawn(move || {
                for ev in rx {
                    let body = serde_json::to_vec(&ev).expect("json");
                    if !cfg.command.is_empty() {
                        if let Err(e) = run_command(&cfg, &ev, &body) {
                            log.event(
                                "notify-failed",
                                &[("record_id", &ev.record_id), ("error", &e)],
                            );
                        }
                    }
                    if let (Some(url), Some(secret)) = (&cfg.url, &secret) {
                        if let Err(e) = post(url, secret, cfg.timeout, &ev, &body) {
                            log.event(
                                "notify-failed",
                                &[("record_id", &ev.record_id), ("error", &e)],
                            );
                        }
                    }
                }
            })
            .map_err(|e| Error::Invalid(format!("cannot start the notify thread: {e}")))?;
        Ok(Notifier {
            tx: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Queues one event.
    pub fn send(&self, ev: Event) {
        if let Some(tx) = &*self.tx.lock().unwrap_or_else(|e| e.into_inner()) {
            let _ = tx.send(ev);
        }
    }

    /// Waits until every queued event has been delivered (or failed).
    pub fn finish(&self) {
        drop(self.tx.lock().unwrap_or_else(|e| e.into_inner()).take());
        if let Some(t) = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = t.join();
        }
    }
}

fn run_command(cfg: &NotifyConfig, ev: &Event, body: &[u8]) -> Result<(), String> {
    let mut child = Command::new(&cfg.command[0])
        .args(&cfg.command[1..])
        .env("BURNKEY_RECORD_ID", &ev.record_id)
        .env("BURNKEY_RECORD_HINT", &ev.hint)
        .env("BURNKEY_LEAK_URL", &ev.url)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("{}: {e}", cfg.command[0]))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A command that does not read its input is not an error.
        let _ = stdin.write_all(body).and_then(|()| stdin.write_all(b"\n"));
    }
    let until = Instant::now() + cfg.timeout;
    loop {
        match child.try_wait() {
            Ok(Some(st)) if st.success() => return Ok(()),
            Ok(Some(st)) => return Err(format!("{} exited with {st}", cfg.command[0])),
            Ok(None) if Instant::now() >= until => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{} took longer than {:?}; killed",
                    cfg.command[0], cfg.timeout
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(e.to_string()),
        }
    }
}

fn post(
    url: &str,
    secret: &Secret,
    timeout: Duration,
    ev: &Event,
    body: &[u8],
) -> Result<(), String> {
    let http = crate::net::client::Client::single(timeout);
    // One id per record: the receiver can drop a repeat.
    let id = format!(
        "msg_{}",
        &crate::token::checksum::sha256_hex(
            format!("burnkey-notify-v1\0{}", ev.record_id).as_bytes()
        )[..32]
    );
    let mut last = String::new();
    for attempt in 0..3u32 {
        if attempt > 0 {
            std::thread::sleep(Duration::from_secs(1 << attempt));
        }
        match crate::net::client::post_signed(&http, url, secret, &id, body) {
            Ok(r) if (200..300).contains(&r.status) => return Ok(()),
            Ok(r) if r.status == 429 || r.status >= 500 => {
                last = format!("{url} answered {}", r.status);
            }
            Ok(r) => return Err(format!("{url} answered {}", r.status)),
            Err(e) => last = format!("{url}: {e}"),
        }
    }
    Err(last)
}
