//! A JSON report read back: the findings as `burnkey scan --format json`
//! wrote them, typed. `report merge` reads reports into it, and SARIF and
//! the merged Markdown summary are made from it, so a result made at scan
//! time and one made from a merged report are the same.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::options::ReportOptions;
use crate::findings::finding::Finding;
use crate::findings::verification::Verification;

/// A finding as a report holds it. Fields this version does not know are
/// kept as they were (`other`), so a merge loses nothing.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Reported {
    /// The repository scanned (`--repository`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// The rule.
    pub rule_id: String,
    /// Its name.
    #[serde(default)]
    pub rule_name: String,
    /// The file or the path in a commit.
    pub path: String,
    /// Inside an archive: the member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// The encodings read through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// 1-based.
    #[serde(default = "one")]
    pub line: u64,
    /// 1-based, in bytes.
    #[serde(default = "one")]
    pub column: u64,
    /// Past the token, in bytes.
    #[serde(default = "one")]
    pub end_column: u64,
    /// 1-based, in UTF-16 code units (what SARIF counts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column_utf16: Option<u64>,
    /// The token's SHA-256.
    #[serde(default)]
    pub secret_sha256: String,
    /// The token, redacted.
    #[serde(default)]
    pub redacted: String,
    /// The token itself (`--show-secret` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// `valid`, `invalid` or `none`.
    #[serde(default)]
    pub checksum: String,
    /// `high`, `medium` or `low`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<String>,
    /// Stable across runs.
    #[serde(default)]
    pub fingerprint: String,
    /// `file`, `stdin`, `staged` or `commit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The commit that introduced it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// History scans: how many commits hold it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurrences: Option<u64>,
    /// History scans: the last commit that holds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_commit: Option<String>,
    /// History scans: the branches and tags whose tip still holds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub still_in: Option<Vec<String>>,
    /// What its provider said (`--verify`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verification>,
    /// Everything else, as written (`offset`, `blob`, `path_bytes`, …).
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

fn one() -> u64 {
    1
}

impl Reported {
    /// `f` as the JSON report writes it.
    pub fn of(f: &Finding, opts: ReportOptions) -> Reported {
        let v = serde_json::to_value(super::json::wire(f, opts)).expect("a finding serializes");
        serde_json::from_value(v).expect("a finding reads back")
    }

    /// A member of the SARIF result's properties, as written.
    pub fn property(&self, key: &str) -> Option<Value> {
        let v = match key {
            "checksum" => Value::from(self.checksum.as_str()),
            "confidence" => self.confidence.as_deref()?.into(),
            "member" => self.member.as_deref()?.into(),
            "encoding" => self.encoding.as_deref()?.into(),
            "redacted" => self.redacted.as_str().into(),
            "secret_sha256" => self.secret_sha256.as_str().into(),
            "source" => self.source.as_deref()?.into(),
            "commit" => self.commit.as_deref()?.into(),
            "repository" => self.repository.as_deref()?.into(),
            "occurrences" => self.occurrences?.into(),
            "last_commit" => self.last_commit.as_deref()?.into(),
            "still_in" => serde_json::to_value(self.still_in.as_ref()?).ok()?,
            "verification" => serde_json::to_value(self.verification.as_ref()?).ok()?,
            other => self.other.get(other)?.clone(),
        };
        Some(v)
    }
}

/// One JSON report, as read.
#[derive(Debug, Deserialize)]
pub struct Report {
    /// Its findings.
    pub findings: Vec<Reported>,
    /// Its counts (summed member by member when merged).
    pub stats: Map<String, Value>,
    /// The repository it scanned (`--repository`), even with nothing found.
    #[serde(default)]
    pub repository: Option<String>,
}

/// Reports merged (`burnkey report merge`).
#[derive(Debug, Default, Serialize)]
pub struct Merged {
    /// Every finding, in (repository, path, line, column) order.
    pub findings: Vec<Reported>,
    /// The counts, summed.
    pub stats: Map<String, Value>,
    /// How many reports went in.
    pub reports: usize,
    /// Every repository scanned, and its findings (0: clean).
    pub repositories: BTreeMap<String, u64>,
}
