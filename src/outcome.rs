//! What a scan produced, and the one place where a match becomes a finding
//! (or is dropped by an allowlist): every source goes through one `collect` step.

use crate::allow::Allowlist;
use crate::finding::{Finding, Location};
use crate::rules::RuleSet;
use crate::scan::{Match, Scanner};
use crate::stats::{Stats, SuppressReason};

/// Findings and statistics of a scan.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Findings, in report order once [`Outcome::sort`]ed.
    pub findings: Vec<Finding>,
    /// What the scan did.
    pub stats: Stats,
}

impl Outcome {
    /// Sorts findings into report order and counts them.
    pub fn sort(&mut self) {
        self.findings
            .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        self.stats.findings = self.findings.len() as u64;
    }

    /// Adds `other` into `self` (a worker's results into the total).
    pub fn merge(&mut self, other: Outcome) {
        self.findings.extend(other.findings);
        self.stats.merge(other.stats);
    }
}

/// Turns match `m` at `location` into a finding in `out`, unless the inline
/// or `.burnkeyignore` allowlist suppresses it (counted in the stats).
/// `key` is the path fingerprints are computed over (relative to the root).
pub(crate) fn collect(
    rules: &RuleSet,
    allow: &Allowlist,
    m: &Match,
    location: &Location,
    key: &str,
    out: &mut Outcome,
) {
    if m.allowed {
        out.stats.suppress(SuppressReason::Inline);
        return;
    }
    let f = Finding::new(rules.rules()[m.rule].clone(), m, location.clone(), key);
    match allow.allows(&f) {
        Some(why) => out.stats.suppress(why),
        None => out.findings.push(f),
    }
}

/// Streams `reader` through `scanner` and returns its findings at
/// `location` (inline `burnkey:allow` comments are honoured; there is no
/// `.burnkeyignore` for a stream). A read error ends the scan and is listed
/// in `stats.errors`, with the findings made before it kept.
///
/// ```
/// use burnkey::{scan_reader, Location, RuleSet, ScanConfig, Scanner};
///
/// let log = "curl -H 'Authorization: Bearer cfut_yGWmZQhXQCaSBLdVLIIN8nVy40xdnxVZmwkycbF1325c4830'"; // burnkey:allow
/// let scanner = Scanner::new(RuleSet::builtin());
/// let out = scan_reader(&scanner, &mut log.as_bytes(), Location::Stdin, &ScanConfig::default());
/// assert_eq!(out.findings[0].rule_id(), "cloudflare-user-api-token");
/// assert_eq!(out.findings[0].path(), "<stdin>");
/// ```
pub fn scan_reader(
    scanner: &Scanner,
    reader: &mut dyn std::io::Read,
    location: Location,
    config: &crate::config::ScanConfig,
) -> Outcome {
    let mut out = Outcome::default();
    let mut sb = crate::scan::StreamBuffer::new(config.read_size);
    let allow = Allowlist::default();
    let key = location.display();
    let rules = scanner.rules();
    let res = scanner.scan_reader(reader, &mut sb, |m| {
        collect(rules, &allow, &m, &location, &key, &mut out);
    });
    match res {
        Ok(n) => {
            out.stats.files_scanned += 1;
            out.stats.bytes_scanned += n;
        }
        Err(e) => out.stats.error(key, format!("read failed: {e}")),
    }
    out.sort();
    out
}
