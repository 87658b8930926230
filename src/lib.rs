//! burnkey finds leaked checksummed API tokens, and mints its own.
//!
//! Cloudflare's API credentials (`cfk_`, `cfut_`, `cfat_`), GitHub's classic
//! tokens and npm's carry a fixed prefix and a CRC-32 checksum of their random
//! body, so a scanner can tell a real token from a look-alike with near
//! certainty. This crate is that scanner and the library behind it:
//!
//! - [`format`](mod@format): token formats as data; [`FormatSet::check`] says exactly
//!   what is wrong with a string, [`Format::mint`] makes a new token.
//! - [`scope`] and [`record`]: scoped token records for services that issue
//!   their own tokens, a store and a [`record::Verifier`].
//! - [`rules`], [`engine`], [`scan`]: rules from `patterns/`, the prefilter →
//!   confirm → checksum engine, and a streaming [`Scanner`].
//! - Sources: [`walk`] (a parallel filesystem walk), [`git`] (the index,
//!   history, commit ranges); [`allow`] (`.burnkeyignore`); [`finding`] and
//!   [`report`] (text, JSON, JSON lines, SARIF, GitHub annotations).
//! - [`revoke`] and [`webhook`]: signed revocation requests with retries and
//!   an on-disk outbox, and Standard Webhooks signing for receivers.
//! - [`hook`]: installing burnkey as a plain git pre-commit hook.
//!
//! The `burnkey` binary is a thin layer over these modules.
//!
//! ```
//! use burnkey::{FormatSet, Format, Scheme};
//!
//! let formats = FormatSet::builtin();
//! let checked = formats
//!     .check("cfut_yGWmZQhXQCaSBLdVLIIN8nVy40xdnxVZmwkycbF1325c4830") // burnkey:allow
//!     .unwrap();
//! assert_eq!(checked.format.id, "cloudflare-user-api-token");
//!
//! // A typo is caught by the checksum, and the error says so.
//! let err = formats
//!     .check("cfut_yGWmZQhXQCaSBLdVLIIN8nVy40xdnxVZmwkycbF1325c4831") // burnkey:allow
//!     .unwrap_err();
//! assert!(err.to_string().contains("checksum mismatch"));
//!
//! // A service mints its own scannable tokens.
//! let acme = Format::custom("acme", Scheme::Crc32Hex8).unwrap();
//! let token = acme.mint().unwrap();
//! assert!(token.starts_with("acme_") && acme.check(&token).is_ok());
//! ```

pub mod allow;
pub mod checksum;
pub mod config;
pub mod engine;
pub mod error;
pub mod finding;
pub mod format;
pub mod fsutil;
pub mod git;
pub mod hook;
pub mod layout;
pub mod outcome;
pub mod record;
pub mod report;
pub mod revoke;
pub mod rules;
pub mod scan;
pub mod scope;
pub mod stats;
pub mod walk;
pub mod webhook;

pub use checksum::Scheme;
pub use engine::Checksum;
pub use error::{Error, ScopeError, TokenError};
pub use finding::{Finding, Location};
pub use format::{Format, FormatSet};
pub use record::{JsonlStore, Record, RecordStore, Verifier};
pub use rules::{Rule, RuleSet};
pub use scan::{Match, Scanner, StreamBuffer};
pub use scope::Scope;
pub use stats::Stats;
