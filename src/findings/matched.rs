//! What the scanner reports for each token it finds, before a source puts
//! it somewhere: a [`Match`].

use std::sync::Arc;

use crate::engine::Checksum;

/// A token found in some data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Match {
    /// Index of the rule in the scanner's [`RuleSet`](crate::RuleSet).
    pub rule: usize,
    /// Byte offset of the first token byte.
    pub offset: u64,
    /// 1-based line of the first token byte.
    pub line: u64,
    /// 1-based byte column of the first token byte.
    pub column: u64,
    /// 1-based column in UTF-16 code units (what SARIF consumers count).
    pub column_utf16: u64,
    /// The token itself. Keep it out of logs; reports print a redacted form.
    pub secret: String,
    /// Bytes the token takes as written (encoded or escaped, longer than
    /// the token).
    pub len: u64,
    /// What the checksum said.
    pub checksum: Checksum,
    /// Whether a `burnkey:allow` comment on the same line suppresses it.
    pub allowed: bool,
    /// The encodings the token was read through, outermost first
    /// (`base64`, `gzip>base64`, `utf-16le`); none for plain text.
    pub encoding: Option<Arc<str>>,
    /// Inside an archive: the member's path, a chain through nested
    /// archives joined with `/`.
    pub member: Option<Arc<str>>,
}
