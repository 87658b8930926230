//! `burnkey serve`'s settings: the `[serve]` section of `burnkey.toml`,
//! under the command line's flags.
//!
//! ```toml
//! [serve]
//! listen = "127.0.0.1:8787"
//! store = "tokens.db"                 # or tokens.jsonl, sqlite:PATH
//! rules = ["acme.toml"]               # formats of custom kinds
//! secret_env = "BURNKEY_REVOKE_SECRET"  # whsec_… secrets, space-separated
//! tolerance = "5m"                    # webhook-timestamp window
//! github_keys = "github-keys.json"    # GitHub's public_keys document
//! github_keys_url = "https://api.github.com/meta/public_keys/secret_scanning"
//! github_keys_refresh = "60s"         # fetch at most this often
//! feedback = "hash"                   # or "raw": token_raw in GitHub's feedback
//! max_body = "1MiB"
//! max_connections = 256               # more are answered 503 at once
//! max_requests = 32                   # reports handled at once
//! header_timeout = "10s"              # to send the request head
//! read_timeout = "30s"                # to send the body
//! grace = "30s"                       # on SIGTERM, for requests in flight
//! log = "text"                        # or "json"
//!
//! [serve.notify]                      # once per revoked record
//! command = ["/usr/local/bin/tell-user"]  # the event as JSON on stdin
//! url = "https://hooks.example.com/revoked"  # or a signed webhook
//! secret_env = "NOTIFY_SECRET"
//! timeout = "30s"
//! ```
//!
//! Unknown keys are errors.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::notify::NotifyConfig;
use crate::error::Error;
use crate::settings::{Document, ServeSection};

/// The default `--listen`.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8787";
/// The default `--secret-env`, the name in the README's revocation example.
pub const DEFAULT_SECRET_ENV: &str = "BURNKEY_REVOKE_SECRET";

/// Everything `serve` needs to know.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Address to listen on.
    pub listen: String,
    /// The record store (`tokens.jsonl`, `tokens.db`, `sqlite:PATH`).
    pub store: String,
    /// Rule files defining the formats of custom kinds.
    pub rules: Vec<PathBuf>,
    /// The environment variable holding the webhook secret(s).
    pub secret_env: String,
    /// `secret_env` was named (then it must be set).
    pub secret_env_given: bool,
    /// How far `webhook-timestamp` may be from now.
    pub tolerance: Duration,
    /// GitHub's keys file.
    pub github_keys: Option<PathBuf>,
    /// Where to fetch GitHub's keys when an unknown identifier arrives.
    pub github_keys_url: Option<String>,
    /// Fetch them at most this often.
    pub github_keys_refresh: Duration,
    /// Answer GitHub with `token_raw` instead of `token_hash`.
    pub raw_feedback: bool,
    /// Largest body taken (413 past it).
    pub max_body: u64,
    /// Connections open at once; more are answered 503.
    pub max_connections: usize,
    /// Reports handled at once.
    pub max_requests: usize,
    /// Time to send a request's head (and between keep-alive requests).
    pub header_timeout: Duration,
    /// Time to send a request's body.
    pub read_timeout: Duration,
    /// On SIGTERM, how long requests in flight may take.
    pub grace: Duration,
    /// One JSON object per log line.
    pub log_json: bool,
    /// The hook called once per revoked record.
    pub notify: Option<NotifyConfig>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            listen: DEFAULT_LISTEN.into(),
            store: String::new(),
            rules: Vec::new(),
            secret_env: DEFAULT_SECRET_ENV.into(),
            secret_env_given: false,
            tolerance: Duration::from_secs(300),
            github_keys: None,
            github_keys_url: None,
            github_keys_refresh: Duration::from_secs(60),
            raw_feedback: false,
            max_body: 1 << 20,
            max_connections: 256,
            max_requests: 32,
            header_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            grace: Duration::from_secs(30),
            log_json: false,
            notify: None,
        }
    }
}

/// A size in bytes: `100`, `512K`, `10M`, `2G` (also `KiB`, `MB`, …).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let bad = || format!("{t:?} is not a size like 100, 512K, 10M or 2G");
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let mul: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(bad()),
    };
    n.parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mul))
        .ok_or_else(bad)
}

impl Settings {
    /// The `[serve]` section of the config file at `path` over the defaults;
    /// a missing section leaves them.
    pub fn load(path: &Path) -> Result<Settings, Error> {
        Settings::from_section(Document::load(path)?.serve, path)
    }

    /// The same, from text.
    pub fn parse(text: &str, path: &Path) -> Result<Settings, Error> {
        Settings::from_section(Document::parse(text, path)?.serve, path)
    }

    /// The `[serve]` section of the document read from `path`, checked, over
    /// the defaults.
    pub fn from_section(section: Option<ServeSection>, path: &Path) -> Result<Settings, Error> {
        let bad = |message: String| Error::Parse {
            path: path.to_path_buf(),
            line: None,
            message: format!("[serve]: {message}"),
        };
        let mut s = Settings::default();
        let Some(d) = section else { return Ok(s) };
        let dur = |v: Option<String>, default: Duration, what: &str| match v {
            None => Ok(default),
            Some(v) => humantime::parse_duration(&v).map_err(|e| bad(format!("{what} {v:?}: {e}"))),
        };
        // Paths in the file are relative to the file.
        let base = path.parent().unwrap_or(Path::new(""));
        if let Some(v) = d.listen {
            s.listen = v;
        }
        if let Some(v) = d.store {
            s.store = match v.strip_prefix("sqlite:") {
                Some(p) => format!("sqlite:{}", base.join(p).display()),
                None => base.join(v).display().to_string(),
            };
        }
        s.rules = d.rules.into_iter().map(|r| base.join(r)).collect();
        if let Some(v) = d.secret_env {
            s.secret_env = v;
            s.secret_env_given = true;
        }
        s.tolerance = dur(d.tolerance, s.tolerance, "tolerance")?;
        s.github_keys = d.github_keys.map(|p| base.join(p));
        s.github_keys_url = d.github_keys_url;
        s.github_keys_refresh = dur(
            d.github_keys_refresh,
            s.github_keys_refresh,
            "github_keys_refresh",
        )?;
        s.raw_feedback = match d.feedback.as_deref() {
            None | Some("hash") => false,
            Some("raw") => true,
            Some(o) => return Err(bad(format!("feedback {o:?}: use \"hash\" or \"raw\""))),
        };
        if let Some(v) = d.max_body {
            s.max_body = parse_size(&v).map_err(bad)?;
        }
        s.max_connections = d.max_connections.unwrap_or(s.max_connections);
        s.max_requests = d.max_requests.unwrap_or(s.max_requests);
        s.header_timeout = dur(d.header_timeout, s.header_timeout, "header_timeout")?;
        s.read_timeout = dur(d.read_timeout, s.read_timeout, "read_timeout")?;
        s.grace = dur(d.grace, s.grace, "grace")?;
        s.log_json = match d.log.as_deref() {
            None | Some("text") => false,
            Some("json") => true,
            Some(o) => return Err(bad(format!("log {o:?}: use \"text\" or \"json\""))),
        };
        if let Some(n) = d.notify {
            s.notify = Some(NotifyConfig {
                command: n.command.unwrap_or_default(),
                url: n.url,
                secret_env: n.secret_env,
                timeout: dur(n.timeout, Duration::from_secs(30), "notify.timeout")?,
            });
        }
        Ok(s)
    }

    /// Checks what the flags and the file left: a store, sane limits, URLs.
    pub fn validate(&self) -> Result<(), Error> {
        if self.store.is_empty() {
            return Err(Error::Invalid(
                "no record store: give --store tokens.db (or store = \"…\" under [serve])".into(),
            ));
        }
        if self.max_connections == 0 || self.max_requests == 0 || self.max_body == 0 {
            return Err(Error::Invalid(
                "max_connections, max_requests and max_body must be above 0".into(),
            ));
        }
        if let Some(u) = &self.github_keys_url {
            crate::net::check_url(u, "GitHub's keys need no credentials")?;
        }
        if let Some(n) = &self.notify {
            n.validate()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(t: &str) -> Result<Settings, Error> {
        Settings::parse(t, Path::new("/etc/burnkey/burnkey.toml"))
    }

    #[test]
    fn a_full_section_and_its_paths() {
        let s = parse(
            r#"
[[revoke]]
rules = ["x"]
url = "https://example.com"
secret_env = "X"

[serve]
listen = "0.0.0.0:9000"
store = "sqlite:tokens.db"
rules = ["acme.toml"]
secret_env = "MY_SECRET"
tolerance = "2m"
github_keys = "keys.json"
feedback = "raw"
max_body = "64k"
header_timeout = "2s"
log = "json"

[serve.notify]
command = ["/bin/true"]
"#,
        )
        .unwrap();
        assert_eq!(s.listen, "0.0.0.0:9000");
        assert_eq!(s.store, "sqlite:/etc/burnkey/tokens.db");
        assert_eq!(s.rules, vec![PathBuf::from("/etc/burnkey/acme.toml")]);
        assert!(s.secret_env_given && s.secret_env == "MY_SECRET");
        assert_eq!(s.tolerance, Duration::from_secs(120));
        assert_eq!(s.github_keys, Some(PathBuf::from("/etc/burnkey/keys.json")));
        assert!(s.raw_feedback && s.log_json);
        assert_eq!(s.max_body, 64 << 10);
        assert_eq!(s.header_timeout, Duration::from_secs(2));
        assert_eq!(s.notify.unwrap().command, vec!["/bin/true".to_string()]);
    }

    #[test]
    fn defaults_and_errors() {
        let s = parse("").unwrap();
        assert_eq!(s.listen, DEFAULT_LISTEN);
        assert_eq!(s.secret_env, DEFAULT_SECRET_ENV);
        assert!(s.validate().unwrap_err().to_string().contains("--store"));
        for bad in [
            "[serve]\nlisten_on = \"x\"",
            "[serve]\nfeedback = \"all\"",
            "[serve]\nmax_body = \"1T\"",
            "[serve]\ngrace = \"soon\"",
            "[serve.notify]\nshell = \"rm -rf /\"",
            "[other]\n",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let mut s =
            parse("[serve]\nstore = \"t.db\"\ngithub_keys_url = \"http://example.com/k\"").unwrap();
        assert!(s.validate().unwrap_err().to_string().contains("http://"));
        s.github_keys_url = Some("http://127.0.0.1:1/k".into());
        s.validate().unwrap();
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1MiB"), Ok(1 << 20));
        assert_eq!(parse_size("100"), Ok(100));
        assert_eq!(parse_size("2K"), Ok(2048));
        assert_eq!(parse_size("10M"), Ok(10 << 20));
        for bad in ["k", "ten", "99999999999999G", "1T"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }
}
