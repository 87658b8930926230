//! burnkey's scan with nothing to look for: the library's own walk
//! (`.gitignore` and `.burnkeyignore` read, the per-file checks, the same
//! reads into the same buffers; a large file mapped and split between the
//! cores) with a scanner that has no rules and no decoders.
//! `benches/compare.sh` times it on the tree beside the read floor, ripgrep
//! and burnkey, `benches/redact.sh` on one big file: the gap between it and
//! burnkey is what the search costs; on the tree, the gap between it and
//! the read floor is what the walk adds to reading.
//!
//! `cargo bench --bench search_free -- PATH` (the scripts run the built
//! binary). With no PATH, as `cargo test --all-targets` runs it, it checks
//! itself on this crate's sources: every file scanned, nothing found.

use std::path::PathBuf;

use burnkey::scan::ScannerBuilder;
use burnkey::{scan_paths, RuleSet, ScanConfig};

fn scan(root: PathBuf) -> burnkey::outcome::Outcome {
    let rules = RuleSet::from_rules(Vec::new()).expect("no rules is a set");
    let scanner = ScannerBuilder::new().decode_depth(0).build(rules);
    scan_paths(&scanner, &[root], &ScanConfig::default()).expect("the root can be read")
}

/// Regular files below `dir`, as a plain recursive walk finds them.
fn files_below(dir: &std::path::Path) -> u64 {
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
        let md = std::fs::symlink_metadata(e.path()).unwrap();
        if md.is_dir() {
            n += files_below(&e.path());
        } else if md.is_file() {
            n += 1;
        }
    }
    n
}

fn main() {
    match std::env::args().skip(1).find(|a| a != "--bench") {
        Some(root) => {
            let out = scan(PathBuf::from(root));
            let s = &out.stats;
            println!("{} files, {} bytes", s.files_scanned, s.bytes_scanned);
        }
        None => {
            // The crate's sources hold test tokens: with no rules, none is
            // found, and every file is still read.
            let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
            let out = scan(src.clone());
            assert!(out.findings.is_empty(), "{} found", out.findings.len());
            assert_eq!(out.stats.files_scanned, files_below(&src));
            assert!(out.stats.bytes_scanned > 100_000);
        }
    }
}
