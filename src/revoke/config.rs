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
//!
//! # Through the providers' own APIs (the token itself is needed, so such
//! # entries are journaled sealed under the key in outbox_key_env):
//! [[revoke]]
//! via = "github"                            # POST /credentials/revoke, in batches of 1000
//! rules = ["github-*"]
//! outbox_key_env = "BURNKEY_OUTBOX_KEY"     # env var holding a whsec_… key
//!
//! [[revoke]]
//! via = "cloudflare"                        # verify, then DELETE the token by its id
//! rules = ["cloudflare-user-api-token", "cloudflare-account-api-token"]
//! outbox_key_env = "BURNKEY_OUTBOX_KEY"
//! confirm = true                            # consent to destroy credentials (or --yes)
//! url = "https://revoke.example.com/burnkey" # optional: where a token that may not revoke
//! secret_env = "BURNKEY_REVOKE_SECRET"      # itself (403) is reported instead
//!
//! [[revoke]]
//! via = "gitlab"                            # DELETE /personal_access_tokens/self
//! rules = ["gitlab-personal-access-token"]
//! outbox_key_env = "BURNKEY_OUTBOX_KEY"
//! confirm = true
//! ```
//!
//! Unknown keys are errors. Plain `http://` is refused except for loopback
//! addresses (127.0.0.0/8, `localhost`, `[::1]`).

use std::path::Path;
use std::time::Duration;

use crate::error::Error;
use crate::providers::{self, Provider};
pub use crate::settings::SendMode;
use crate::settings::{Document, RevokeEntry};
use crate::webhook::Secret;
use globset::{Glob, GlobSet, GlobSetBuilder};

/// How an endpoint revokes.
#[derive(Clone, Copy)]
pub enum Via {
    /// A signed webhook to the token's issuer (`url`).
    Webhook,
    /// A provider's own revocation API (`via = "github"`, `"cloudflare"`).
    Api(&'static dyn Provider),
}

impl Via {
    /// As written in `via = "…"`.
    pub fn name(self) -> &'static str {
        match self {
            Via::Webhook => "webhook",
            Via::Api(p) => p.name(),
        }
    }

    /// The rule ids this way can revoke (all, for a webhook).
    pub fn carries(self, rule_id: &str) -> bool {
        match self {
            Via::Webhook => true,
            Via::Api(p) => p.revokes(rule_id),
        }
    }

    /// The provider whose API this is.
    pub fn provider(self) -> Option<&'static dyn Provider> {
        match self {
            Via::Webhook => None,
            Via::Api(p) => Some(p),
        }
    }

    /// Whether requests need consent: they destroy credentials.
    pub fn destroys(self) -> bool {
        self.provider().is_some_and(|p| p.destroys())
    }
}

impl PartialEq for Via {
    fn eq(&self, other: &Via) -> bool {
        self.name() == other.name()
    }
}

impl Eq for Via {}

impl std::fmt::Debug for Via {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One revocation endpoint.
#[derive(Clone, Debug)]
pub struct Endpoint {
    /// Its identity in requests and the outbox: the webhook's URL, or
    /// `github` / `cloudflare` for a provider's API.
    pub url: String,
    /// How it revokes.
    pub via: Via,
    /// The environment variable holding the `whsec_` key that signs (for a
    /// webhook) and authenticates and seals its outbox entries: the
    /// webhook's `secret_env`, or `outbox_key_env` for a provider's API.
    pub secret_env: String,
    /// A provider's API base URL (its variable, such as
    /// `BURNKEY_GITHUB_API_URL`, else its default).
    pub api: Option<String>,
    /// For a provider that may refuse a token (`via = "cloudflare"`): the
    /// webhook told instead, and its secret's variable.
    pub fallback: Option<(String, String)>,
    /// Consent to destroy credentials (`confirm = true`).
    pub confirm: bool,
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

    /// Reads the fallback webhook's secret.
    pub fn fallback_secret(&self) -> Result<Option<(String, Secret)>, Error> {
        let Some((url, var)) = &self.fallback else {
            return Ok(None);
        };
        let v = std::env::var(var).map_err(|_| {
            Error::Invalid(format!(
                "the environment variable {var} (secret_env of the fallback webhook {url}) is not set"
            ))
        })?;
        let s = Secret::parse(&v).map_err(|e| Error::Invalid(format!("{var}: {e}")))?;
        Ok(Some((url.clone(), s)))
    }

    /// Reads the secret from the environment.
    pub fn secret(&self) -> Result<Secret, Error> {
        let v = std::env::var(&self.secret_env).map_err(|_| {
            Error::Invalid(format!(
                "the environment variable {} ({} of the endpoint {}) is not set",
                self.secret_env,
                if self.via == Via::Webhook {
                    "secret_env"
                } else {
                    "outbox_key_env"
                },
                self.url
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
        Config::from_document(Document::load(path)?, path)
    }

    /// Parses and validates config text.
    pub fn parse(text: &str, path: &Path) -> Result<Config, Error> {
        Config::from_document(Document::parse(text, path)?, path)
    }

    /// Validates the `[[revoke]]` entries of the document read from `path`.
    pub fn from_document(doc: Document, path: &Path) -> Result<Config, Error> {
        let mut endpoints: Vec<Endpoint> = Vec::new();
        for (i, d) in doc.revoke.into_iter().enumerate() {
            let e = endpoint(i, d, path, &endpoints)?;
            endpoints.push(e);
        }
        Ok(Config { endpoints })
    }

    /// The endpoint with this URL.
    pub fn endpoint(&self, url: &str) -> Option<&Endpoint> {
        self.endpoints.iter().find(|e| e.url == url)
    }
}

/// Entry `i` of `[[revoke]]` (0-based), checked against the entries before
/// it (`existing`).
fn endpoint(
    i: usize,
    d: RevokeEntry,
    path: &Path,
    existing: &[Endpoint],
) -> Result<Endpoint, Error> {
    let bad = |m: String| Error::Parse {
        path: path.to_path_buf(),
        line: None,
        message: format!("[[revoke]] #{}: {m}", i + 1),
    };
    if d.rules.is_empty() {
        return Err(bad(
            "rules is empty: list rule-id globs such as \"cloudflare-*\"".into(),
        ));
    }
    let mut b = GlobSetBuilder::new();
    for r in &d.rules {
        b.add(Glob::new(r).map_err(|e| bad(format!("bad rule glob {r:?}: {e}")))?);
    }
    let env_name = |v: &Option<String>, key: &str| -> Result<Option<String>, Error> {
        match v {
            Some(v) if v.is_empty() || v.starts_with("whsec_") => Err(bad(format!(
                "{key} names an environment variable; never put the secret itself in the file"
            ))),
            v => Ok(v.clone()),
        }
    };
    let secret_env = env_name(&d.secret_env, "secret_env")?;
    let outbox_key_env = env_name(&d.outbox_key_env, "outbox_key_env")?;
    if let Some(u) = &d.url {
        check_url(u).map_err(|e| bad(e.to_string()))?;
    }
    let via = match d.via.as_deref() {
        None | Some("webhook") => Via::Webhook,
        Some(name) => Via::Api(
            providers::by_name(name)
                .filter(|p| p.revokes_any())
                .ok_or_else(|| {
                    bad(format!(
                        "via = {name:?}: burnkey revokes through \"webhook\", {}",
                        api_names()
                    ))
                })?,
        ),
    };
    let (url, secret_env, api, fallback, send) = match via {
        Via::Webhook => {
            if outbox_key_env.is_some() || d.confirm {
                return Err(bad(format!(
                    "outbox_key_env and confirm belong to entries with via = {}",
                    api_names()
                )));
            }
            let (Some(url), Some(env)) = (d.url, secret_env) else {
                return Err(bad(format!(
                    "a webhook needs url and secret_env (or set via = {})",
                    api_names()
                )));
            };
            (url, env, None, None, d.send.unwrap_or(SendMode::Token))
        }
        Via::Api(p) => {
            provider_parts(p, d.url, secret_env, outbox_key_env, d.send, existing, &bad)?
        }
    };
    Ok(Endpoint {
        url,
        via,
        secret_env,
        api,
        fallback,
        confirm: d.confirm,
        send,
        timeout: duration(&d.timeout, Duration::from_secs(15), "timeout", path, i)?,
        retry_for: duration(&d.retry_for, Duration::from_secs(30), "retry_for", path, i)?,
        backoff: duration(&d.backoff, Duration::from_millis(500), "backoff", path, i)?,
        matcher: b.build().map_err(|e| bad(e.to_string()))?,
        named: d.rules,
    })
}

/// An endpoint that revokes through a provider's API (`via = "github"` or
/// `"cloudflare"`): its name, the outbox key's variable, the API base, the
/// fallback webhook (Cloudflare's only), and token mode.
type ProviderParts = (
    String,
    String,
    Option<String>,
    Option<(String, String)>,
    SendMode,
);

fn provider_parts(
    p: &'static dyn Provider,
    url: Option<String>,
    secret_env: Option<String>,
    outbox_key_env: Option<String>,
    send: Option<SendMode>,
    existing: &[Endpoint],
    bad: &dyn Fn(String) -> Error,
) -> Result<ProviderParts, Error> {
    let name = p.name();
    let Some(key_env) = outbox_key_env else {
        return Err(bad(format!(
            "via = \"{name}\" needs outbox_key_env: the token itself is journaled, sealed under that key"
        )));
    };
    if send == Some(SendMode::Hash) {
        return Err(bad(format!(
            "via = \"{name}\" sends the token itself: send = \"hash\" cannot apply"
        )));
    }
    if existing.iter().any(|e| e.via == Via::Api(p)) {
        return Err(bad(format!("a second via = \"{name}\" entry")));
    }
    let fallback = match (url, secret_env) {
        (None, None) => None,
        (Some(u), Some(e)) if p.falls_back() => Some((u, e)),
        _ if p.falls_back() => {
            return Err(bad(
                "the fallback webhook needs both url and secret_env".into()
            ))
        }
        _ => {
            return Err(bad(format!(
                "via = \"{name}\" takes no url: {}'s revocation API is the endpoint",
                p.title()
            )))
        }
    };
    let api = crate::net::api_base(p.api()).map_err(|e| bad(e.to_string()))?;
    Ok((
        name.to_string(),
        key_env,
        Some(api),
        fallback,
        SendMode::Token,
    ))
}

/// The providers an entry may revoke through, as `"a" or "b"`.
fn api_names() -> String {
    let names: Vec<String> = providers::ALL
        .iter()
        .filter(|p| p.revokes_any())
        .map(|p| format!("\"{}\"", p.name()))
        .collect();
    names.join(" or ")
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

    #[test]
    fn provider_entries() {
        let c = parse(
            "[[revoke]]\nvia = \"github\"\nrules = [\"github-*\"]\noutbox_key_env = \"K\"\n\n[[revoke]]\nvia = \"cloudflare\"\nrules = [\"cloudflare-*\"]\noutbox_key_env = \"K\"\nconfirm = true\nurl = \"https://r.example/x\"\nsecret_env = \"S\"\n",
        )
        .unwrap();
        let (gh, cf) = (&c.endpoints[0], &c.endpoints[1]);
        assert_eq!(
            (gh.url.as_str(), gh.via, gh.secret_env.as_str()),
            ("github", Via::Api(&providers::github::Github), "K")
        );
        assert!(!gh.confirm && cf.confirm);
        assert_eq!(
            cf.fallback,
            Some(("https://r.example/x".into(), "S".into()))
        );
        assert!(
            Via::Api(&providers::github::Github).carries("github-personal-access-token")
                && !Via::Api(&providers::github::Github).carries("github-server-to-server-token")
        );
        assert!(
            Via::Api(&providers::cloudflare::Cloudflare).carries("cloudflare-account-api-token")
                && !Via::Api(&providers::cloudflare::Cloudflare)
                    .carries("cloudflare-global-api-key")
        );
        let err = |t: &str| parse(t).map(|_| ()).unwrap_err().to_string();
        assert!(err("[[revoke]]\nvia = \"github\"\nrules = [\"*\"]\n").contains("outbox_key_env"));
        assert!(err("[[revoke]]\nvia = \"github\"\nrules = [\"*\"]\noutbox_key_env = \"K\"\nsend = \"hash\"\n").contains("hash"));
        assert!(err("[[revoke]]\nvia = \"github\"\nrules = [\"*\"]\noutbox_key_env = \"K\"\nurl = \"https://a/\"\nsecret_env = \"S\"\n").contains("no url"));
        assert!(err("[[revoke]]\nvia = \"cloudflare\"\nrules = [\"*\"]\noutbox_key_env = \"K\"\nurl = \"https://a/\"\n").contains("both"));
        // The providers that revoke are listed (serde said "unknown variant" when Via was an enum).
        let mail = err("[[revoke]]\nvia = \"mail\"\nrules = [\"*\"]\n");
        assert!(
            mail.contains("\"mail\"") && mail.contains("\"github\""),
            "{mail}"
        );
        assert!(err("[[revoke]]\nvia = \"npm\"\nrules = [\"*\"]\n").contains("\"npm\""));
        assert!(err("[[revoke]]\nrules = [\"*\"]\nurl = \"https://a/\"\nsecret_env = \"S\"\nconfirm = true\n").contains("confirm"));
        let twice = "[[revoke]]\nvia = \"github\"\nrules = [\"*\"]\noutbox_key_env = \"K\"\n";
        assert!(err(&format!("{twice}{twice}")).contains("second"));
    }
}
