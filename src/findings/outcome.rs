//! What a scan produced, and the one place where a match becomes a finding
//! (or is dropped by an allowlist): every source hands its matches to
//! `collect`, which passes findings to a [`Sink`] as they are made.

use std::sync::Mutex;

use crate::findings::allow::Allowlist;
use crate::findings::finding::{Finding, Place};
use crate::findings::matched::Match;
use crate::findings::stats::{Stats, SuppressReason};
use crate::rules::RuleSet;

/// Where findings go as they are made, from any worker thread: a report
/// writer that streams them, or a collection.
pub trait Sink: Sync {
    /// Takes one finding.
    fn finding(&self, f: Finding);

    /// True once the sink wants no more (its reader went away): sources
    /// stop early.
    fn stopped(&self) -> bool {
        false
    }
}

/// A sink that keeps every finding.
#[derive(Debug, Default)]
pub struct Collect {
    found: Mutex<Vec<Finding>>,
}

impl Collect {
    /// The findings, in the order they came.
    pub fn into_findings(self) -> Vec<Finding> {
        self.found.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}

impl Sink for Collect {
    fn finding(&self, f: Finding) {
        self.found.lock().unwrap_or_else(|e| e.into_inner()).push(f);
    }
}

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
}

/// Turns match `m` at `place` into a finding for `sink`, unless the inline
/// or `.burnkeyignore` allowlist suppresses it (counted in `stats`).
pub(crate) fn collect(
    rules: &RuleSet,
    allow: &Allowlist,
    m: &Match,
    place: &mut Place,
    sink: &dyn Sink,
    stats: &mut Stats,
) {
    if m.allowed {
        stats.suppress(SuppressReason::Inline);
        return;
    }
    let f = place.finding(rules.rules()[m.rule].clone(), m);
    match allow.allows(&f) {
        Some(why) => stats.suppress(why),
        None => sink.finding(f),
    }
}
