//! `burnkey scan`: build the scanner, pick the source, write the report,
//! choose the exit status.
//!
//! Exit status: 0 when nothing was found, 1 when something was, 2 when the
//! scan could not run (bad arguments, a missing root, a broken rule file).
//! A file that cannot be read mid-walk is reported on stderr and in
//! `stats.errors`; the scan goes on and the status still follows the
//! findings, so one unreadable file does not hide a leak elsewhere, nor does
//! it fail a clean build.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;

use burnkey::report::{self, human_bytes, ReportFormat, ReportOptions};
use burnkey::walk::{self, Outcome, Progress, WalkOptions};
use burnkey::{RuleSet, Scanner};

use super::{Color, Exit, ScanArgs};

pub fn run(a: ScanArgs) -> anyhow::Result<Exit> {
    let rules = RuleSet::with_files(&a.rules)?;
    let scanner = Scanner::new(rules).report_invalid(a.report_invalid);
    let roots = if a.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        a.paths.clone()
    };
    let opts = WalkOptions {
        no_ignore: a.no_ignore,
        threads: a.threads,
        max_filesize: a.max_filesize,
        ..WalkOptions::default()
    };
    let started = Instant::now();
    let progress = Arc::new(Progress::default());
    let show_progress = !a.quiet && io::stderr().is_terminal();
    let ticker = show_progress.then(|| spawn_ticker(progress.clone()));
    let result = walk::scan_paths(&scanner, &roots, &opts, Some(&progress));
    if let Some((stop, handle)) = ticker {
        stop.store(true, Ordering::Relaxed);
        let _ = handle.join();
    }
    let mut outcome = result?;
    outcome.stats.elapsed_secs = started.elapsed().as_secs_f64();
    finish(&a, &scanner, outcome)
}

/// Writes the report and summary; returns the exit status.
pub fn finish(a: &ScanArgs, scanner: &Scanner, outcome: Outcome) -> anyhow::Result<Exit> {
    for e in &outcome.stats.errors {
        eprintln!("burnkey: {}: {}", e.path, e.message);
    }
    let color = match a.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            a.output.is_none()
                && io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let opts = ReportOptions {
        show_secret: a.show_secret,
        color,
    };
    let mut sink: Box<dyn Write> = match &a.output {
        Some(p) => {
            Box::new(BufWriter::new(File::create(p).with_context(|| {
                format!("cannot write the report to {}", p.display())
            })?))
        }
        None => Box::new(BufWriter::new(io::stdout().lock())),
    };
    if a.print_fingerprints {
        for f in &outcome.findings {
            writeln!(
                sink,
                "{}  # {}:{}:{} {} {}",
                f.fingerprint, f.path, f.line, f.column, f.rule_id, f.redacted
            )?;
        }
    } else {
        report::write(&mut *sink, a.format, &outcome, scanner.rules(), opts, None)?;
    }
    sink.flush()?;
    drop(sink);
    if !a.quiet && (a.format == ReportFormat::Text || a.output.is_some()) {
        eprintln!("{}", report::summary_line(&outcome.stats));
    }
    Ok(if outcome.findings.is_empty() {
        Exit::Ok
    } else {
        Exit::Found
    })
}

fn spawn_ticker(p: Arc<Progress>) -> (Arc<AtomicBool>, std::thread::JoinHandle<()>) {
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = stop.clone();
    let handle = std::thread::spawn(move || {
        let start = Instant::now();
        let mut shown = false;
        while !stop2.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(100));
            if start.elapsed() < Duration::from_secs(1) {
                continue;
            }
            let files = p.files.load(Ordering::Relaxed);
            let bytes = p.bytes.load(Ordering::Relaxed);
            eprint!(
                "\r\x1b[Kburnkey: scanned {files} files, {}",
                human_bytes(bytes)
            );
            shown = true;
        }
        if shown {
            eprint!("\r\x1b[K");
        }
    });
    (stop, handle)
}
