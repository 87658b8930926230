//! What a provider said of a found token (`burnkey scan --verify`): the
//! data a finding carries into every report. The requests themselves are
//! `live` module's; this is only what they concluded.

use serde::{Deserialize, Serialize};

/// Whether the token works.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The provider accepted it.
    Active,
    /// The provider knows it but it no longer works (disabled, expired).
    Inactive,
    /// The provider refused it: revoked, deleted, or never issued.
    Invalid,
    /// Not asked: no verifier for the family, a pairing missing or
    /// ambiguous, a wrong checksum. The message says which.
    #[default]
    Unknown,
    /// Asked, but no answer could be had (timeouts, 5xx after retries).
    Error,
}

impl Status {
    /// As in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Inactive => "inactive",
            Status::Invalid => "invalid",
            Status::Unknown => "unknown",
            Status::Error => "error",
        }
    }

    /// Every status, in report order.
    pub const ALL: [Status; 5] = [
        Status::Active,
        Status::Inactive,
        Status::Invalid,
        Status::Unknown,
        Status::Error,
    ];
}

/// What was paired with the token to verify it (an account id, an email).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Paired {
    /// `account_id` or `email`.
    pub what: String,
    /// The value used.
    pub value: String,
    /// `flag`, `env` or `nearby`.
    pub how: String,
    /// With `nearby`: the line it was found on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

/// A verification: the status and what the provider said that is safe to
/// show. Never the token.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    /// The answer.
    pub status: Status,
    /// Who was asked: `cloudflare`, `github`, `npm`; empty when nobody.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub provider: String,
    /// Why, for `unknown`, `error` and refusals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The provider's id of the token (Cloudflare).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_id: Option<String>,
    /// The provider's own status word (Cloudflare: active, disabled, expired).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_status: Option<String>,
    /// When it stops working.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<String>,
    /// When it starts working.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<String>,
    /// Whose it is: a GitHub login, an npm user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// What it may do, as the provider lists it (GitHub's OAuth scopes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<String>,
    /// What was paired with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paired: Option<Paired>,
}

impl Verification {
    /// Not asked, and why.
    pub fn unknown(provider: &str, why: impl Into<String>) -> Verification {
        Verification {
            status: Status::Unknown,
            provider: provider.into(),
            message: Some(why.into()),
            ..Verification::default()
        }
    }

    /// A short phrase for text reports: `active`, `inactive (expired)`,
    /// `unknown: no email paired`.
    pub fn short(&self) -> String {
        let mut s = self.status.as_str().to_string();
        if let Some(a) = &self.account {
            s.push_str(&format!(" as {a}"));
        }
        if let (Status::Inactive, Some(t)) = (self.status, &self.token_status) {
            s.push_str(&format!(" ({t})"));
        }
        if let Some(e) = &self.expires_on {
            s.push_str(&format!(", expires {e}"));
        }
        if matches!(self.status, Status::Unknown | Status::Error) {
            if let Some(m) = &self.message {
                s.push_str(&format!(": {m}"));
            }
        }
        s
    }
}
