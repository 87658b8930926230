//! What a scan produced, and the one place where a match becomes a finding
//! (or is dropped by an allowlist): every source goes through [`collect`].

use crate::allow::Allowlist;
use crate::finding::{Finding, Location};
use crate::rules::RuleSet;
use crate::scan::Match;
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
