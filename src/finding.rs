//! Findings (a [`Match`] placed in a file, blob or commit) and the scan's
//! statistics: what every report writer and the revocation queue consume.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::checksum::sha256_hex;
use crate::engine::Checksum;
use crate::record::redact;
use crate::rules::RuleSet;
use crate::scan::Match;

/// Where a finding's bytes came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// A file in the working tree (or stdin).
    File,
    /// A blob in the git index (`--staged`).
    Staged,
    /// A blob in git history (`--git`, `--git-range`).
    Commit,
}

impl Origin {
    /// `file`, `staged` or `commit`.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::File => "file",
            Origin::Staged => "staged",
            Origin::Commit => "commit",
        }
    }
}

/// One reported token. The token itself is kept for `--show-secret` and
/// revocation, but is never serialized by this type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Rule id, e.g. `cloudflare-user-api-token`.
    pub rule_id: String,
    /// Human name of the rule.
    pub rule_name: String,
    /// Path as given (relative when the root was relative), or the path
    /// inside the repository for git sources.
    pub path: String,
    /// 1-based line of the first token byte.
    pub line: u64,
    /// 1-based byte column of the first token byte.
    pub column: u64,
    /// 1-based byte column just past the last token byte (exclusive, as
    /// SARIF's `endColumn`).
    pub end_column: u64,
    /// Byte offset of the token in the file or blob.
    pub offset: u64,
    /// Hex SHA-256 of the exact token.
    pub secret_sha256: String,
    /// The token's prefix and first four characters.
    pub redacted: String,
    /// `valid`, `invalid` or `none`.
    pub checksum: Checksum,
    /// Stable id of this token at this path for this rule (not its line), to
    /// list in `.burnkeyignore`.
    pub fingerprint: String,
    /// `file`, `staged` or `commit`.
    pub source: Origin,
    /// A commit that introduced the blob (git sources).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// The blob id (git sources).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blob: Option<String>,
    /// The token. Never serialized here; see `--show-secret`.
    #[serde(skip)]
    pub secret: String,
}

/// The fingerprint of `secret_sha256` found by `rule_id` at `path`: 32 hex
/// digits, independent of line and column so that edits elsewhere in the
/// file do not invalidate an allowlist entry.
pub fn fingerprint(rule_id: &str, path: &str, secret_sha256: &str) -> String {
    let mut h = sha256_hex(format!("burnkey-fp-v1\0{rule_id}\0{path}\0{secret_sha256}").as_bytes());
    h.truncate(32);
    h
}

impl Finding {
    /// A finding for match `m` of `rules` at `path` (`key_path` is the path
    /// the fingerprint is computed over: relative to the scan root).
    pub fn new(
        rules: &RuleSet,
        m: &Match,
        path: String,
        key_path: &str,
        source: Origin,
    ) -> Finding {
        let rule = &rules.rules()[m.rule];
        let secret_sha256 = sha256_hex(m.secret.as_bytes());
        Finding {
            rule_id: rule.id().to_string(),
            rule_name: rule.format.name.clone(),
            fingerprint: fingerprint(rule.id(), key_path, &secret_sha256),
            path,
            line: m.line,
            column: m.column,
            end_column: m.column + m.secret.len() as u64,
            offset: m.offset,
            redacted: redact(&m.secret, rule.format.prefix.len()),
            secret_sha256,
            checksum: m.checksum,
            source,
            commit: None,
            blob: None,
            secret: m.secret.clone(),
        }
    }

    /// The order reports use: by path, then position, then rule.
    pub fn sort_key(&self) -> (&str, u64, u64, &str, Option<&str>) {
        (
            &self.path,
            self.line,
            self.column,
            &self.rule_id,
            self.commit.as_deref(),
        )
    }
}

/// A file or blob that could not be read, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ScanError {
    /// The path (or `commit:path` / blob id for git sources).
    pub path: String,
    /// What went wrong.
    pub message: String,
}

/// What a scan did, for the report's `stats`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Stats {
    /// Files (or blobs) read to the end.
    pub files_scanned: u64,
    /// Bytes read.
    pub bytes_scanned: u64,
    /// Entries not scanned, by reason (`symlink`, `fifo`, `socket`,
    /// `device`, `burnkeyignore`, `too_large`, …).
    pub skipped: BTreeMap<String, u64>,
    /// Findings dropped by an allowlist, by kind (`inline`, `fingerprint`,
    /// `secret`).
    pub suppressed: BTreeMap<String, u64>,
    /// Entries that could not be read; the scan went on without them.
    pub errors: Vec<ScanError>,
    /// Findings reported.
    pub findings: u64,
    /// Wall time of the scan, in seconds.
    pub elapsed_secs: f64,
}

impl Stats {
    /// Counts one skipped entry.
    pub fn skip(&mut self, reason: &str) {
        *self.skipped.entry(reason.to_string()).or_default() += 1;
    }

    /// Counts one suppressed finding.
    pub fn suppress(&mut self, why: &str) {
        *self.suppressed.entry(why.to_string()).or_default() += 1;
    }

    /// Adds `other` into `self` (per-thread stats into the total).
    pub fn merge(&mut self, other: Stats) {
        self.files_scanned += other.files_scanned;
        self.bytes_scanned += other.bytes_scanned;
        for (k, v) in other.skipped {
            *self.skipped.entry(k).or_default() += v;
        }
        for (k, v) in other.suppressed {
            *self.suppressed.entry(k).or_default() += v;
        }
        self.errors.extend(other.errors);
        self.findings += other.findings;
    }
}
