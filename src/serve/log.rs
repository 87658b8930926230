//! One line per request (and per notable event) on stderr: plain text, or
//! one JSON object per line. Never a token: the fields are the route, the
//! status, counts and fixed messages.

use std::io::Write;
use std::time::SystemTime;

use serde_json::{json, Map, Value};

use super::report::Counts;

/// Where log lines go.
#[derive(Clone, Copy, Debug, Default)]
pub struct Log {
    json: bool,
}

/// One request, as logged.
pub struct Line<'a> {
    /// The client's address.
    pub remote: &'a str,
    /// Method and path (the path cut at 200 characters).
    pub method: &'a str,
    /// The path.
    pub path: &'a str,
    /// The answer's status.
    pub status: u16,
    /// Time from the request's head to the answer.
    pub ms: f64,
    /// Body bytes read.
    pub bytes: usize,
    /// What the report did.
    pub counts: Counts,
    /// Answered from the replay cache.
    pub replayed: bool,
    /// Why it was refused.
    pub why: Option<&'a str>,
}

fn now() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

/// `s` with what is not printable ASCII escaped, at most `max` characters.
fn clean(s: &str, max: usize) -> String {
    s.chars()
        .take(max)
        .flat_map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                vec![c]
            } else {
                c.escape_default().collect()
            }
        })
        .collect()
}

impl Log {
    /// Text lines, or JSON lines.
    pub fn new(json: bool) -> Log {
        Log { json }
    }

    fn write(line: String) {
        let mut e = std::io::stderr().lock();
        let _ = e.write_all(line.as_bytes());
    }

    /// A request's line.
    pub fn request(&self, l: &Line<'_>) {
        let path = clean(l.path, 200);
        if self.json {
            let mut v = json!({
                "time": now(),
                "remote": l.remote,
                "method": l.method,
                "path": path,
                "status": l.status,
                "ms": (l.ms * 100.0).round() / 100.0,
                "bytes": l.bytes,
                "revoked": l.counts.revoked,
                "already": l.counts.already,
                "unknown": l.counts.unknown,
                "invalid": l.counts.invalid,
            });
            if l.replayed {
                v["replayed"] = true.into();
            }
            if let Some(w) = l.why {
                v["error"] = w.into();
            }
            Log::write(format!("{v}\n"));
        } else {
            let c = l.counts;
            let mut s = format!(
                "{} {} {} {} {} {:.1}ms bytes={} revoked={} already={} unknown={} invalid={}",
                now(),
                l.remote,
                clean(l.method, 16),
                path,
                l.status,
                l.ms,
                l.bytes,
                c.revoked,
                c.already,
                c.unknown,
                c.invalid
            );
            if l.replayed {
                s.push_str(" replayed");
            }
            if let Some(w) = l.why {
                s.push_str(&format!(" error=\"{}\"", clean(w, 300)));
            }
            s.push('\n');
            Log::write(s);
        }
    }

    /// An event: `listening`, `shutdown`, `notify-failed`, ….
    pub fn event(&self, event: &str, fields: &[(&str, &str)]) {
        if self.json {
            let mut m = Map::new();
            m.insert("time".into(), now().into());
            m.insert("event".into(), event.into());
            for (k, v) in fields {
                m.insert((*k).into(), (*v).into());
            }
            Log::write(format!("{}\n", Value::Object(m)));
        } else {
            let mut s = format!("{} {event}", now());
            for (k, v) in fields {
                s.push_str(&format!(" {k}=\"{}\"", clean(v, 300)));
            }
            s.push('\n');
            Log::write(s);
        }
    }
}
