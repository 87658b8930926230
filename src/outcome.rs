//! What a scan produced, and the one place where a match becomes a finding
//! (or is dropped by an allowlist): every source hands its matches to
//! `collect`, which passes findings to a [`Sink`] as they are made.

use std::sync::Mutex;

use crate::allow::Allowlist;
use crate::finding::{Finding, Location, Place};
use crate::rules::RuleSet;
use crate::scan::{Match, Scanner};
use crate::stats::{Stats, SuppressReason};

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

/// Streams `reader` through `scanner`, handing findings at `location` to
/// `sink` as they are found (inline `burnkey:allow` comments are honoured;
/// there is no `.burnkeyignore` for a stream). A read error ends the scan
/// and is listed in the returned stats.
pub fn scan_reader_into(
    scanner: &Scanner,
    reader: &mut dyn std::io::Read,
    location: Location,
    config: &crate::config::ScanConfig,
    sink: &dyn Sink,
) -> Stats {
    let mut stats = Stats::default();
    let mut sb = crate::scan::StreamBuffer::new(config.read_size);
    let allow = Allowlist::default();
    let key = location.display();
    let raw = location
        .raw_path()
        .map_or_else(|| key.as_bytes().to_vec(), <[u8]>::to_vec);
    let name = location.raw_path().map(<[u8]>::to_vec);
    let mut place = Place::new(location, raw);
    let rules = scanner.rules();
    let mut v = crate::layers::Counting {
        stats: &mut stats,
        found: |m: Match, stats: &mut Stats| collect(rules, &allow, &m, &mut place, sink, stats),
    };
    let res = crate::layers::Layers::new(scanner, config).reader(
        reader,
        name.as_deref(),
        &mut sb,
        &mut v,
    );
    match res {
        Ok(n) => {
            stats.files_scanned += 1;
            stats.bytes_scanned += n;
        }
        Err(e) => stats.error(key, format!("read failed: {e}")),
    }
    stats
}

/// Streams `reader` through `scanner` and returns its findings at
/// `location`, sorted (see [`scan_reader_into`] for a stream of them).
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
    let sink = Collect::default();
    let stats = scan_reader_into(scanner, reader, location, config, &sink);
    let mut out = Outcome {
        findings: sink.into_findings(),
        stats,
    };
    out.sort();
    out
}
