//! Any reader as a source (standard input, a pipe, a file already open):
//! streamed through the scanner's layers, its matches handed to a sink.

use crate::findings::allow::Allowlist;
use crate::findings::finding::{Location, Place};
use crate::findings::outcome::{collect, Collect, Outcome, Sink};
use crate::findings::stats::Stats;
use crate::scan::config::ScanConfig;
use crate::scan::layers::{Counting, Layers};
use crate::scan::{Match, Scanner, StreamBuffer};

/// Streams `reader` through `scanner`, handing findings at `location` to
/// `sink` as they are found (inline `burnkey:allow` comments are honoured;
/// there is no `.burnkeyignore` for a stream). A read error ends the scan
/// and is listed in the returned stats.
pub fn scan_reader_into(
    scanner: &Scanner,
    reader: &mut dyn std::io::Read,
    location: Location,
    config: &ScanConfig,
    sink: &dyn Sink,
) -> Stats {
    let mut stats = Stats::default();
    let mut sb = StreamBuffer::new(config.read_size);
    let allow = Allowlist::default();
    let key = location.display();
    let raw = location
        .raw_path()
        .map_or_else(|| key.as_bytes().to_vec(), <[u8]>::to_vec);
    let name = location.raw_path().map(<[u8]>::to_vec);
    let mut place = Place::new(location, raw);
    let rules = scanner.rules();
    let mut v = Counting {
        stats: &mut stats,
        found: |m: Match, stats: &mut Stats| collect(rules, &allow, &m, &mut place, sink, stats),
    };
    let res = Layers::new(scanner, config).reader(reader, name.as_deref(), &mut sb, &mut v);
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
    config: &ScanConfig,
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
