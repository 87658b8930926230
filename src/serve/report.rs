//! A received report: who sent it, and what it did (the counts a log line
//! and a notification carry; never a token).

use serde::Serialize;

/// What a request did, for its log line (never a token).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Live records revoked now.
    pub revoked: usize,
    /// Records that were revoked already.
    pub already: usize,
    /// Well-formed tokens (or hashes) that no record has.
    pub unknown: usize,
    /// Tokens whose format or checksum is wrong, and items without a token.
    pub invalid: usize,
}

/// Who sent a report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reporter {
    /// A burnkey scanner (`/v1/revocations`).
    Burnkey,
    /// GitHub secret scanning (`/v1/github/secret-scanning`).
    Github,
}

impl Reporter {
    /// As in logs and notifications.
    pub fn as_str(self) -> &'static str {
        match self {
            Reporter::Burnkey => "burnkey",
            Reporter::Github => "github",
        }
    }
}
