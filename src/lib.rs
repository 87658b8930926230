//! burnkey finds leaked checksummed API tokens, and mints its own.
//!
//! Cloudflare's API credentials (`cfk_`, `cfut_`, `cfat_`), GitHub's classic
//! tokens and npm's carry a fixed prefix and a checksum, so a scanner can
//! tell a real token from a look-alike with near certainty. This crate is
//! that scanner and the library behind it.
//!
//! **The token core** (always built; `default-features = false` is just
//! this): [`checksum`] and [`layout`] describe what follows a prefix as data,
//! [`format`](mod@format) checks and mints tokens of one format, [`rules`] reads rule
//! files (`patterns/`), [`scope`], [`record`], [`store`] and [`verify`] serve
//! services that issue their own tokens (records in JSON lines, or with the
//! `sqlite` feature in SQLite).
//!
//! **Scanning** (feature `scan`): a [`Scanner`] finds tokens in bytes,
//! plain, escaped, base64-encoded or UTF-16 (the crate-private `decode`);
//! [`scan_paths`] and [`scan_reader`] turn them into [`Finding`]s with a
//! [`Location`], reading through gzip, zip and tar as well (`layers`) and a
//! large file in parts (`parts`), honouring a [`ScanConfig`]; [`Stats`] says
//! what was skipped and why. [`redact`] masks tokens in a stream as it
//! passes (a [`Write`](std::io::Write) or [`Read`](std::io::Read) adapter). **Webhooks** (feature `webhook`): Standard Webhooks signing and
//! verification for revocation receivers. The `burnkey` binary (feature
//! `cli`, the default) is a thin layer over these, plus git sources,
//! reports and revocation.
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

// The layers: tests/architecture.rs lists them lowest first, with the job
// of each and what each may import, and fails on any other import.
#[cfg(feature = "scan")]
pub mod agent;
#[cfg(feature = "scan")]
#[doc(hidden)]
pub mod engine;
pub mod error;
#[cfg(feature = "scan")]
pub mod findings;
pub(crate) mod fsutil;
pub mod issuer;
#[cfg(feature = "scan")]
pub mod redact;
pub mod rules;
#[cfg(feature = "scan")]
pub mod scan;
#[cfg(feature = "scan")]
pub mod source;
pub mod token;

#[cfg(feature = "webhook")]
pub mod webhook;

#[cfg(any(feature = "cli", feature = "serve"))]
pub(crate) mod net;
#[cfg(feature = "serve")]
pub mod serve;
#[cfg(any(feature = "cli", feature = "serve"))]
pub mod settings;

#[cfg(feature = "cli")]
#[doc(hidden)]
pub mod cli;
#[cfg(feature = "cli")]
pub(crate) mod live;
#[cfg(feature = "cli")]
pub(crate) mod providers;
#[cfg(feature = "cli")]
pub(crate) mod report;
#[cfg(feature = "cli")]
pub(crate) mod revoke;

// The module paths of earlier releases.
#[cfg(feature = "scan")]
pub use findings::{baseline, finding, outcome, stats, verification};
#[cfg(feature = "sqlite")]
pub use issuer::sqlite;
pub use issuer::verifier as verify;

/// `burnkey::record` of earlier releases: records, and the store traits
/// and JSON-lines store that were beside them (now `issuer::store` and
/// `issuer::jsonl`).
pub mod record {
    pub use crate::issuer::jsonl::*;
    pub use crate::issuer::record::*;
    pub use crate::issuer::store::*;
}

/// `burnkey::store` of earlier releases: opening a store by name (now
/// `issuer::open`), and the store traits.
pub mod store {
    pub use crate::issuer::open::*;
    pub use crate::issuer::store::*;
}
#[cfg(feature = "scan")]
pub use scan::config;
pub use token::{checksum, format, layout, scope};

pub use error::{Error, ScopeError, TokenError};
pub use issuer::jsonl::JsonlStore;
pub use issuer::record::{Record, Revoked};
pub use issuer::store::{RecordStore, Store};
pub use issuer::verifier::{Decision, Denied, Verifier};
pub use rules::{Confidence, Rule, RuleSet};
pub use token::checksum::Scheme;
pub use token::format::{Format, FormatSet};
pub use token::scope::Scope;

#[cfg(feature = "scan")]
pub use engine::Checksum;
#[cfg(feature = "scan")]
pub use findings::finding::{Finding, Location, Origin};
#[cfg(feature = "scan")]
pub use findings::outcome::{Collect, Outcome, Sink};
#[cfg(feature = "scan")]
pub use findings::stats::Stats;
#[cfg(feature = "scan")]
pub use scan::config::ScanConfig;
#[cfg(feature = "scan")]
pub use scan::{Match, Scanner, ScannerBuilder, StreamBuffer};
#[cfg(feature = "scan")]
pub use source::reader::{scan_reader, scan_reader_into};

/// Scans files and directories (walked in parallel: `.gitignore` honoured,
/// `.git` never entered, symlinks never followed below a root, FIFOs and
/// devices skipped and counted) and `-` (standard input); a directory's
/// `.burnkeyignore` applies below it. Findings come sorted by path and
/// position. A root that does not exist is an error; a file that cannot be
/// read is listed in `stats.errors` and the scan goes on.
///
/// ```
/// use burnkey::{scan_paths, FormatSet, RuleSet, ScanConfig, Scanner};
///
/// let dir = tempfile::tempdir().unwrap();
/// let token = FormatSet::builtin().by_name("cfat").unwrap().mint().unwrap();
/// std::fs::write(dir.path().join("settings.py"), format!("TOKEN = '{token}'\n")).unwrap();
///
/// let scanner = Scanner::new(RuleSet::builtin());
/// let out = scan_paths(&scanner, &[dir.path().to_path_buf()], &ScanConfig::default()).unwrap();
/// assert_eq!(out.findings.len(), 1);
/// let f = &out.findings[0];
/// assert_eq!((f.rule_id(), f.line, f.column), ("cloudflare-account-api-token", 1, 10));
/// assert_eq!(out.stats.files_scanned, 1);
/// ```
#[cfg(feature = "scan")]
pub fn scan_paths(
    scanner: &Scanner,
    roots: &[std::path::PathBuf],
    config: &ScanConfig,
) -> Result<Outcome, Error> {
    let sink = Collect::default();
    let stats = source::walk::scan_paths(scanner, roots, config, None, &sink)?;
    let mut out = Outcome {
        findings: sink.into_findings(),
        stats,
    };
    out.sort();
    Ok(out)
}
