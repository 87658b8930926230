//! The interface of a provider: what a check takes, a revocation, an
//! attempt's verdict, and the helpers providers share.

use std::time::Duration;

use super::pair::Want;
use crate::findings::verification::{Status, Verification};
use crate::net::client::{Client, Resp};

/// What checking one rule's tokens takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Check {
    /// A request, with the token alone.
    Token,
    /// A request that needs a value paired with the token (a `cfat_`'s
    /// account id); without it the token is not asked.
    Needs(Want),
    /// A request that uses a paired value when there is one (a pre-2026
    /// token is a user's or an account's).
    Uses(Want),
    /// Not asked, and why.
    Not(String),
}

impl Check {
    /// The value this check pairs with, if any.
    pub fn want(&self) -> Option<Want> {
        match self {
            Check::Needs(w) | Check::Uses(w) => Some(*w),
            _ => None,
        }
    }
}

/// One token to revoke through a provider's API.
#[derive(Clone, Copy, Debug)]
pub struct Revocation<'a> {
    /// The rule that found it.
    pub rule_id: &'a str,
    /// The token (in memory only).
    pub token: &'a str,
    /// The value paired with it (an account id), if its check wants one.
    pub paired: Option<&'a str>,
}

/// The verdict of one attempt to deliver (to a webhook) or revoke (through
/// a provider's API).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// Done, and what was done (`delivered`, `submitted`, `revoked`, …).
    Ok(String),
    /// Try again, after the wait asked for if any.
    Retry(String, Option<Duration>),
    /// Will never work.
    Permanent(String),
    /// The provider will not revoke this token (why, and what its owner
    /// must do instead); a fallback webhook may hear of it.
    Refused(String, String),
    /// 410 Gone: send nothing more to this endpoint.
    Gone,
}

/// A vendor: its checks, its revocation, its API.
pub trait Provider: Sync {
    /// Lowercase, as in reports' `provider` and in `via = "…"`.
    fn name(&self) -> &'static str;

    /// As in messages: `Cloudflare`.
    fn title(&self) -> &'static str;

    /// Its API base: the environment variable that overrides it, and the
    /// default.
    fn api(&self) -> (&'static str, &'static str);

    /// What checking `rule_id`'s tokens takes; `None` for another vendor's.
    fn check(&self, rule_id: &str) -> Option<Check>;

    /// Asks `base` whether `token` works, with the value paired with it.
    fn verify(
        &self,
        http: &Client,
        base: &str,
        rule_id: &str,
        token: &str,
        paired: Option<&str>,
    ) -> Verification;

    /// Whether its revocation API takes `rule_id`'s tokens.
    fn revokes(&self, _rule_id: &str) -> bool {
        false
    }

    /// Whether it revokes any built-in rule's tokens: whether `via = "…"`
    /// may name it.
    fn revokes_any(&self) -> bool {
        crate::rules::RuleSet::builtin()
            .rules()
            .iter()
            .any(|r| self.revokes(r.id()))
    }

    /// How many tokens one revocation request takes.
    fn batch(&self) -> usize {
        1
    }

    /// Whether revoking destroys a credential its owner may still use, so
    /// it needs consent (`confirm = true` or `--yes`).
    fn destroys(&self) -> bool {
        false
    }

    /// Whether a token it refuses to revoke may go to a fallback webhook.
    fn falls_back(&self) -> bool {
        false
    }

    /// Revokes a batch of at most [`batch`](Provider::batch) tokens: every
    /// one shares the verdict. `http` makes single attempts.
    fn revoke(&self, _http: &Client, _base: &str, _batch: &[Revocation]) -> Attempt {
        Attempt::Permanent(format!("{} has no revocation API", self.title()))
    }

    /// What revoking `r` would do, for `--revoke-dry-run`.
    fn revoke_plan(&self, _base: &str, _r: &Revocation) -> String {
        String::new()
    }
}

/// A verification with just a status.
pub(crate) fn answered(provider: &str, status: Status) -> Verification {
    Verification {
        status,
        provider: provider.into(),
        ..Verification::default()
    }
}

/// No answer could be had.
pub(crate) fn failed(provider: &dyn Provider, e: String) -> Verification {
    Verification {
        message: Some(format!("{}: {e}", provider.title())),
        ..answered(provider.name(), Status::Error)
    }
}

/// A check that is one GET: 200 is a working token, 401 a dead one, 403 a
/// working token its endpoint refuses (the key authenticated), anything
/// else no answer. `what` names the endpoint in messages.
pub(crate) fn get_status(
    provider: &dyn Provider,
    http: &Client,
    url: &str,
    headers: &[(&str, &str)],
    what: &str,
) -> Verification {
    let title = provider.title();
    match http.get(url, headers) {
        Err(e) => failed(provider, e),
        Ok(r) => match r.status {
            200 => answered(provider.name(), Status::Active),
            401 => Verification {
                message: Some(format!(
                    "{title} answered 401 (invalid, expired or revoked)"
                )),
                ..answered(provider.name(), Status::Invalid)
            },
            403 => Verification {
                message: Some(format!("{title} accepted the key but refused {what} (403)")),
                ..answered(provider.name(), Status::Active)
            },
            code => failed(provider, format!("answered {code}")),
        },
    }
}

/// Printable ASCII, at most 160 characters: a provider's words in a report.
pub(crate) fn clean(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(160)
        .collect()
}

/// How a revocation attempt's answer reads when it is not a success: 408,
/// 429 and 5xx are retried (after `Retry-After`), the rest are final. The
/// reason is `what: HTTP code`, or the status alone when `what` is empty.
pub(crate) fn unless_retried(what: &str, r: &Resp) -> Attempt {
    let why = match what {
        "" => format!("HTTP {}", r.status),
        _ => format!("{what}: HTTP {}", r.status),
    };
    match r.status {
        408 | 429 | 500..=599 => Attempt::Retry(
            why,
            r.header("retry-after")
                .and_then(crate::net::retry::retry_after),
        ),
        _ => Attempt::Permanent(why),
    }
}
