//! Scoped token records for services that issue their own tokens: what to
//! store when minting. [`crate::issuer::store`] keeps them, and
//! [`crate::issuer::verifier`] answers allowed/denied against a store.
//!
//! A record never holds the token, only its SHA-256.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::token::checksum::{sha256_hex, to_hex, Scheme};
use crate::token::format::{redact, Format};
use crate::token::scope::Scope;

/// What an issuer stores for a minted token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Random record id, `rec_` + 24 hex digits.
    pub id: String,
    /// The token kind (its prefix without the trailing `_`), e.g. `cfut`.
    pub kind: String,
    /// The checksum scheme of the token's format (`crc32-hex8`,
    /// `crc32-base62-6`), or `layout` for a format a rule file describes.
    #[serde(default = "default_scheme")]
    pub scheme: String,
    /// The id of the token's format (`cloudflare-user-api-token`, or a rule
    /// id from a rule file). Records written before it existed name their
    /// format by `kind` and `scheme` alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// Hex SHA-256 of the token. The token itself is never stored.
    pub token_sha256: String,
    /// Granted scopes; see [`crate::token::scope`].
    pub scopes: Vec<String>,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// RFC 3339, UTC, or null for a token that does not expire.
    pub expires_at: Option<String>,
    /// Whether the token was revoked.
    pub revoked: bool,
    /// When it was revoked, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    /// A redacted form of the token (prefix and four characters), to tell
    /// records apart in listings.
    #[serde(default)]
    pub hint: String,
}

fn default_scheme() -> String {
    Scheme::Crc32Hex8.name().to_string()
}

pub(crate) fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

fn parse_time(s: &str) -> Result<SystemTime, Error> {
    humantime::parse_rfc3339_weak(s)
        .map_err(|e| Error::Invalid(format!("bad timestamp {s:?}: {e}")))
}

impl Record {
    /// Whether the record has expired at `now`.
    pub fn expired_at(&self, now: SystemTime) -> Result<bool, Error> {
        match &self.expires_at {
            None => Ok(false),
            Some(t) => Ok(parse_time(t)? <= now),
        }
    }

    pub(crate) fn check(&self) -> Result<(), String> {
        if self.token_sha256.len() != 64
            || !self
                .token_sha256
                .bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
        {
            return Err("token_sha256 is not 64 lowercase hex digits".into());
        }
        for s in &self.scopes {
            Scope::parse(s).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    pub(crate) fn hash_bytes(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, b) in out.iter_mut().enumerate() {
            *b = u8::from_str_radix(&self.token_sha256[2 * i..2 * i + 2], 16).unwrap_or(0);
        }
        out
    }
}

/// A freshly minted token and the record to store for it.
#[derive(Clone, Debug)]
pub struct Minted {
    /// The token: hand it to its owner once, then forget it.
    pub token: String,
    /// What to store.
    pub record: Record,
}

/// Mints a token of `format` with `scopes`, valid for `ttl` (or forever).
pub fn mint(format: &Format, scopes: &[Scope], ttl: Option<Duration>) -> Result<Minted, Error> {
    mint_at(format, scopes, ttl, SystemTime::now())
}

/// [`mint`] with an explicit clock.
pub fn mint_at(
    format: &Format,
    scopes: &[Scope],
    ttl: Option<Duration>,
    now: SystemTime,
) -> Result<Minted, Error> {
    let token = format.mint()?;
    let mut id = [0u8; 12];
    getrandom::fill(&mut id).map_err(|e| Error::Random(e.to_string()))?;
    let expires_at = match ttl {
        None => None,
        Some(d) => Some(rfc3339(now.checked_add(d).ok_or_else(|| {
            Error::Invalid(format!("ttl {} is too long", humantime::format_duration(d)))
        })?)),
    };
    let record = Record {
        id: format!("rec_{}", to_hex(&id)),
        kind: format.kind().to_string(),
        scheme: format.scheme().map_or("layout", |s| s.name()).to_string(),
        format: Some(format.id.clone()),
        token_sha256: sha256_hex(token.as_bytes()),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        created_at: rfc3339(now),
        expires_at,
        revoked: false,
        revoked_at: None,
        hint: redact(&token, format.prefix.len()),
    };
    Ok(Minted { token, record })
}

/// What revoking a record did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revoked {
    /// The record, revoked.
    pub record: Record,
    /// It was revoked already: nothing changed.
    pub already: bool,
}
