//! `burnkey.toml`: where revocations go.
//!
//! ```toml
//! [[revoke]]
//! rules = ["cloudflare-*"]                  # globs over rule ids (checksum-valid
//!                                           # findings; one without a checksum, such as
//!                                           # cloudflare-legacy-api-token, only when named
//!                                           # exactly)
//! url = "https://revoke.example.com/burnkey"
//! secret_env = "BURNKEY_REVOKE_SECRET"      # env var holding a whsec_… secret
//! send = "token"                            # or "hash": only the SHA-256
//! timeout = "15s"                           # per request (default 15s)
//! retry_for = "30s"                         # retry budget per run (default 30s)
//! backoff = "500ms"                         # first retry delay, doubled each time
//! ```
//!
//! Unknown keys are errors. Plain `http://` is refused except for loopback
//! addresses (127.0.0.0/8, `localhost`, `[::1]`).

use std::path::Path;
use std::time::Duration;

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::webhook::Secret;

/// What a request carries: the token, or only its SHA-256.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SendMode {
    /// The token itself (GitHub's partner payload).
    Token,
    /// Only `token_hash`, for issuers that store hashes.
    Hash,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Doc {
    #[serde(default)]
    revoke: Vec<EndpointDoc>,
    /// `burnkey serve`'s settings (read by `serve::Settings`).
    #[allow(dead_code)]
    serve: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EndpointDoc {
    rules: Vec<String>,
    url: String,
    secret_env: String,
    #[serde(default = "default_send")]
    send: SendMode,
    timeout: Option<String>,
    retry_for: Option<String>,
    backoff: Option<String>,
}

fn default_send() -> SendMode {
    SendMode::Token
}

/// One revocation endpoint.
#[derive(Clone, Debug)]
pub struct Endpoint {
    /// Where to POST.
    pub url: String,
    /// The environment variable holding the `whsec_` secret.
    pub secret_env: String,
    /// Token or hash.
    pub send: SendMode,
    /// Per-request timeout.
    pub timeout: Duration,
    /// How long one run keeps retrying before leaving requests in the outbox.
    pub retry_for: Duration,
    /// First retry delay.
    pub backoff: Duration,
    matcher: GlobSet,
    /// The `rules` entries, as written: a finding without a checksum goes
    /// only to an endpoint that names its rule id exactly.
    named: Vec<String>,
}

impl Endpoint {
    /// Whether checksum-valid findings of `rule_id` go to this endpoint.
    pub fn wants(&self, rule_id: &str) -> bool {
        self.matcher.is_match(rule_id)
    }

    /// Whether findings of `rule_id` that carry no checksum (shape-only or
    /// keyword-anchored: they may be something else) go to this endpoint:
    /// only when `rules` names the id itself, never through a glob.
    pub fn names(&self, rule_id: &str) -> bool {
        self.named.iter().any(|r| r == rule_id)
    }

    /// Reads the secret from the environment.
    pub fn secret(&self) -> Result<Secret, Error> {
        let v = std::env::var(&self.secret_env).map_err(|_| {
            Error::Invalid(format!(
                "the environment variable {} (secret_env of the endpoint {}) is not set",
                self.secret_env, self.url
            ))
        })?;
        Secret::parse(&v).map_err(|e| Error::Invalid(format!("{}: {e}", self.secret_env)))
    }
}

/// A loaded, validated `burnkey.toml`.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// The `[[revoke]]` endpoints.
    pub endpoints: Vec<Endpoint>,
}

fn duration(
    v: &Option<String>,
    default: Duration,
    what: &str,
    path: &Path,
    i: usize,
) -> Result<Duration, Error> {
    match v {
        None => Ok(default),
        Some(s) => humantime::parse_duration(s).map_err(|e| Error::Parse {
            path: path.to_path_buf(),
            line: None,
            message: format!("[[revoke]] #{}: {what} {s:?}: {e}", i + 1),
        }),
    }
}

/// Checks that `url` is https, or http to a loopback address.
pub fn check_url(url: &str) -> Result<(), Error> {
    crate::net::check_url(url, "the webhook secret belongs in secret_env")
}

impl Config {
    /// Parses and validates a config file. Secrets are read later, when
    /// a request is signed.
    pub fn load(path: &Path) -> Result<Config, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Config::parse(&text, path)
    }

    /// Parses and validates config text.
    pub fn parse(text: &str, path: &Path) -> Result<Config, Error> {
        let doc: Doc = toml::from_str(text).map_err(|e| Error::Parse {
            path: path.to_path_buf(),
            line: e.span().map(|s| text[..s.start].matches('\n').count() + 1),
            message: e.message().to_string(),
        })?;
        let mut endpoints = Vec::new();
        for (i, d) in doc.revoke.into_iter().enumerate() {
            let bad = |m: String| Error::Parse {
                path: path.to_path_buf(),
                line: None,
                message: format!("[[revoke]] #{}: {m}", i + 1),
            };
            check_url(&d.url).map_err(|e| bad(e.to_string()))?;
            if d.rules.is_empty() {
                return Err(bad(
                    "rules is empty: list rule-id globs such as \"cloudflare-*\"".into(),
                ));
            }
            let mut b = GlobSetBuilder::new();
            for r in &d.rules {
                b.add(Glob::new(r).map_err(|e| bad(format!("bad rule glob {r:?}: {e}")))?);
            }
            if d.secret_env.is_empty() || d.secret_env.starts_with("whsec_") {
                return Err(bad("secret_env names an environment variable; never put the secret itself in the file".into()));
            }
            endpoints.push(Endpoint {
                url: d.url,
                secret_env: d.secret_env,
                send: d.send,
                timeout: duration(&d.timeout, Duration::from_secs(15), "timeout", path, i)?,
                retry_for: duration(&d.retry_for, Duration::from_secs(30), "retry_for", path, i)?,
                backoff: duration(&d.backoff, Duration::from_millis(500), "backoff", path, i)?,
                matcher: b.build().map_err(|e| bad(e.to_string()))?,
                named: d.rules,
            });
        }
        Ok(Config { endpoints })
    }

    /// The endpoint with this URL.
    pub fn endpoint(&self, url: &str) -> Option<&Endpoint> {
        self.endpoints.iter().find(|e| e.url == url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(t: &str) -> Result<Config, Error> {
        Config::parse(t, Path::new("burnkey.toml"))
    }

    #[test]
    fn credentials_in_urls_are_refused_without_being_echoed() {
        for url in [
            "https://user:hunter2@r.example/x",
            "https://tok@r.example/",
            "http://a:b@127.0.0.1:9/",
        ] {
            let e = check_url(url).unwrap_err().to_string();
            assert!(
                e.contains("credentials") && !e.contains("hunter2") && !e.contains("tok@"),
                "{e}"
            );
        }
        assert!(
            check_url("https://r.example/x?a=b@c").is_ok(),
            "an @ after the host is not userinfo"
        );
    }

    #[test]
    fn valid_config() {
        let c = parse(
            "[[revoke]]\nrules = [\"cloudflare-*\"]\nurl = \"https://r.example/x\"\nsecret_env = \"S\"\nsend = \"hash\"\ntimeout = \"5s\"\n",
        )
        .unwrap();
        let e = &c.endpoints[0];
        assert!(e.wants("cloudflare-user-api-token") && !e.wants("npm-access-token"));
        assert_eq!(
            (e.send, e.timeout),
            (SendMode::Hash, Duration::from_secs(5))
        );
    }

    #[test]
    fn clear_errors() {
        let base = |extra: &str, url: &str| {
            parse(&format!(
                "[[revoke]]\nrules = [\"*\"]\nurl = \"{url}\"\nsecret_env = \"S\"\n{extra}"
            ))
            .map(|_| ())
            .unwrap_err()
            .to_string()
        };
        assert!(base("colour = 1\n", "https://a/").contains("unknown field"));
        assert!(base("", "http://example.com/x").contains("refusing plain http"));
        assert!(base("", "ftp://example.com/x").contains("scheme"));
        assert!(base("", "not a url").contains("bad url"));
        assert!(base("timeout = \"soon\"\n", "https://a/").contains("timeout"));
        assert!(base("send = \"both\"\n", "https://a/").contains("unknown variant"));
        for ok in [
            "http://127.0.0.1:8080/x",
            "http://localhost/x",
            "http://[::1]:9/x",
            "http://127.9.9.9/",
        ] {
            assert!(check_url(ok).is_ok(), "{ok}");
        }
        let e = parse(
            "[[revoke]]\nrules = [\"*\"]\nurl = \"https://a/\"\nsecret_env = \"whsec_abc\"\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("never put the secret"), "{e}");
    }
}
