//! One revocation request: what the plan makes, the outbox keeps and
//! delivery sends.

use serde::{Deserialize, Serialize};

use super::config::SendMode;

/// One revocation request, as kept in memory and in the outbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// Format version of the outbox file.
    pub version: u32,
    /// The idempotency key: stable for this token at this endpoint.
    pub webhook_id: String,
    /// The endpoint URL.
    pub endpoint: String,
    /// The environment variable that holds the endpoint's secret.
    pub secret_env: String,
    /// Token or hash.
    pub send: SendMode,
    /// Rule id (the payload's `type`).
    pub rule_id: String,
    /// Where it was first found (`path:line`, or `commit/path`).
    pub location: String,
    /// `file`, `commit` or `staged`.
    pub source: String,
    /// SHA-256 of the token.
    pub token_sha256: String,
    /// Prefix and four characters, for listings.
    pub redacted: String,
    /// The Cloudflare account of a `cfat_` token (`via = "cloudflare"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// The token sealed for the outbox (token mode only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_sealed: Option<String>,
    /// Attempts made so far, over all runs.
    #[serde(default)]
    pub attempts: u32,
    /// The last error.
    #[serde(default)]
    pub last_error: Option<String>,
    /// When the request was first planned (RFC 3339).
    pub created_at: String,
    /// The outbox entry's authentication (see [`outbox`](super::outbox)); set when written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    /// The token, in memory only.
    #[serde(skip)]
    pub token: Option<String>,
}
