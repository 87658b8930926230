//! `burnkey scan`: build the scanner, pick the source, write the report,
//! choose the exit status.
//!
//! Exit status: 0 when nothing was found, 1 when something was, 2 when the
//! scan could not run (bad arguments, a missing root, a broken rule file).
//! A file that cannot be read mid-walk is reported on stderr and in
//! `stats.errors`; the scan goes on and the status still follows the
//! findings, so one unreadable file does not hide a leak elsewhere, nor does
//! it fail a clean build.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::findings::outcome::{Outcome, Sink};
use crate::findings::stats::{SkipReason, Stats};
use crate::fsutil::create_output;
use crate::report::text::escape_control;
use crate::report::{self, human_bytes, remedy, ReportOptions};
use crate::scan::config::ScanConfig;
use crate::source::git::{BlobKind, BlobScan, Repo};
use crate::source::walk::{self, Progress};
use crate::{Confidence, RuleSet, Scanner};

use super::args::{git_source, Color, Exit, GitSource, ScanArgs};
use super::controls::Controls;
use super::output::{Output, Writer};
use super::revoke_cmd;

pub(crate) fn run(a: ScanArgs) -> anyhow::Result<Exit> {
    let scanner = build_scanner(&a)?;
    let config = scan_config(&a);
    let roots = if a.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        a.paths.clone()
    };
    let started = Instant::now();
    let source = git_source(&a);
    // The repository a git source reads, found once: the control files,
    // the blobs and pairing all read it.
    let repo = match &source {
        Some(src) => Some(git_repo(&a, src, &roots)?),
        None => None,
    };
    let controls = Controls::of(&a, source.as_ref(), repo.as_ref());
    // Read the revocation config before scanning, so a broken one is named
    // early; the scan still runs and reports.
    let revoke_cfg =
        (a.revoke || a.revoke_dry_run).then(|| controls.revoke_config(a.config.as_deref()));
    // --verify's options (base URLs, pairing) are checked before the scan.
    let verify = verify_options(&a)?;
    let opts = report_options(&a);
    let writer = open_report(&a)?;
    // One printer: it streams findings as they are made, or (verified
    // findings, a document format) it is held until the answers are in or
    // the run is over.
    let printer = printer(&a, opts);
    let streams = printer.streams();
    let (streamed, mut held) = match streams && verify.is_none() {
        true => (Some(printer), None),
        false => (None, Some(printer)),
    };
    let guided = !a.quiet && matches!(source, Some(GitSource::Staged | GitSource::Range(_)));
    let baseline = match &a.baseline {
        Some(p) => Some(controls.baseline(p)?),
        None => None,
    };
    let keep = !streams
        || verify.is_some()
        || a.write_baseline.is_some()
        || a.sarif.is_some()
        || a.markdown_summary.is_some()
        || revoke_cfg.is_some()
        || guided;
    // Someone is watching a stream: each finding shows as it is found.
    let watched = source.is_none() && roots.iter().any(|r| r.as_os_str() == "-");
    let output = Output::new(writer, streamed, keep, watched);
    let sources = Sources {
        roots: &roots,
        git: source.as_ref().zip(repo.as_ref()),
        controls: &controls,
    };
    let stats = scan_into(&a, &scanner, &config, &sources, baseline.as_ref(), &output)?;
    let mut found = output.count();
    let (mut writer, kept, mut write_error) = output.finish();
    let mut outcome = Outcome {
        findings: kept,
        stats,
    };
    outcome.sort();
    let mut verified = None;
    if let Some(options) = &verify {
        let live = Verified {
            options,
            repo: repo.as_ref(),
            printer: held.take_if(|p| p.streams()),
        };
        let (summary, w, e) = live.run(&a, &mut outcome, writer, write_error);
        (writer, write_error) = (w, e);
        found = outcome.findings.len() as u64;
        verified = Some(summary);
    }
    outcome.stats.findings = found;
    outcome.stats.elapsed_secs = started.elapsed().as_secs_f64();
    say_errors(&outcome.stats);
    let step = revoke_cfg.map(|cfg| {
        revoke_cmd::after_scan(&a, cfg, &outcome.findings, &|f| {
            pairing_text(f, repo.as_ref())
        })
    });
    let extra = extra_members(&a, step.as_ref(), verified.as_ref());
    // What is still held is a document format's printer.
    if let (None, Some(p)) = (&write_error, held.as_deref_mut()) {
        write_error = write_document(p, &scanner, &outcome, &extra, &mut writer).err();
    }
    drop(writer);
    // A reader that went away (`burnkey scan | head -1`) does not make the
    // run clean: the status still follows what was found.
    match write_error {
        Some(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Some(e) => return Err(anyhow::Error::new(e).context("cannot write the report")),
        None => {}
    }
    let staged = guided.then_some(source == Some(GitSource::Staged));
    after_report(&a, &scanner, &outcome, step.as_ref(), staged)
}

/// The files that could not be read, on stderr (their names escaped).
fn say_errors(stats: &Stats) {
    for e in &stats.errors {
        eprintln!(
            "burnkey: {}",
            escape_control(&format!("{}: {}", e.path, e.message))
        );
    }
}

/// What follows the report: the summary line, the side outputs, the
/// baseline, what revocation did, the guidance of a blocked commit or
/// push (`staged`: `Some` when guided, and whether from the index); the
/// exit status.
fn after_report(
    a: &ScanArgs,
    scanner: &Scanner,
    outcome: &Outcome,
    step: Option<&revoke_cmd::AfterScan>,
    staged: Option<bool>,
) -> anyhow::Result<Exit> {
    if !a.quiet && (a.format.name() == "text" || a.output.is_some()) {
        eprintln!("{}", report::summary_line(&outcome.stats));
    }
    side_outputs(a, scanner, outcome, step.map_or(0, |s| s.delivered))?;
    if let Some(p) = &a.write_baseline {
        write_baseline(a, p, outcome)?;
    }
    if let Some(s) = step {
        eprint!("{}", s.summary);
    }
    let found = outcome.stats.findings;
    if let (Some(staged), true) = (staged, found > 0) {
        eprint!("{}", guidance(outcome, scanner, staged));
    }
    Ok(if step.is_some_and(|s| s.failed) {
        Exit::Error
    } else if found > 0 {
        Exit::Found
    } else {
        Exit::Ok
    })
}

/// `--verify` after the scan: the findings verified (and with
/// `--only-active`, filtered), then streamed if their format streams.
struct Verified<'v> {
    options: &'v crate::live::Options,
    repo: Option<&'v Repo>,
    /// The streaming format's printer (none for a document).
    printer: Option<Box<dyn report::Printer>>,
}

impl Verified<'_> {
    fn run(
        self,
        a: &ScanArgs,
        outcome: &mut Outcome,
        writer: Writer,
        write_error: Option<io::Error>,
    ) -> (crate::live::Summary, Writer, Option<io::Error>) {
        let (kept, summary) = crate::live::verify_all(
            std::mem::take(&mut outcome.findings),
            self.options,
            &|f| pairing_text(f, self.repo),
            a.only_active,
        );
        outcome.findings = kept;
        let (mut writer, mut write_error) = (writer, write_error);
        if let (Some(printer), None) = (self.printer, &write_error) {
            let out = Output::new(writer, Some(printer), false, false);
            for f in &outcome.findings {
                out.finding(f.clone());
            }
            (writer, _, write_error) = out.finish();
        }
        if !a.quiet {
            eprintln!("{}", summary.line());
        }
        (summary, writer, write_error)
    }
}

/// `--verify`'s options, checked before the scan; `None` without it.
fn verify_options(a: &ScanArgs) -> anyhow::Result<Option<crate::live::Options>> {
    if !a.verify {
        return Ok(None);
    }
    Ok(Some(crate::live::Options::new(
        a.verify_rps,
        a.verify_timeout,
        a.cloudflare_account.clone(),
        a.cloudflare_email.clone(),
    )?))
}

/// The JSON report's members beside `findings` and `stats`.
fn extra_members(
    a: &ScanArgs,
    step: Option<&revoke_cmd::AfterScan>,
    verified: Option<&crate::live::Summary>,
) -> Vec<(&'static str, serde_json::Value)> {
    let mut extra = Vec::new();
    if let Some(r) = step.and_then(|s| s.report.clone()) {
        extra.push(("revocations", r));
    }
    if let Some(v) = verified {
        extra.push(("verification", v.json()));
    }
    // A clean repository is named too: `report merge` gives it a SARIF run
    // of its own, which tells code scanning it was scanned.
    if let Some(name) = &a.repository {
        extra.push(("repository", serde_json::Value::from(name.as_str())));
    }
    extra
}

/// The scanner the flags ask for. Rules below the confidence bar are not
/// even compiled: `--min-confidence high` costs nothing for keyword rules.
fn build_scanner(a: &ScanArgs) -> anyhow::Result<Scanner> {
    let min = match a.min_confidence {
        Some(level) => level,
        None if a.report_invalid => Confidence::Low,
        None => Confidence::Medium,
    };
    if a.report_invalid && min > Confidence::Low {
        anyhow::bail!(
            "--report-invalid reports low-confidence findings (a wrong checksum); it cannot be combined with --min-confidence {}",
            min.as_str()
        );
    }
    let rules = RuleSet::with_files(&a.rules)?.at_least(min.max(Confidence::Medium));
    let depth = if a.no_decode { 0 } else { a.max_decode_depth };
    Ok(crate::scan::ScannerBuilder::new()
        .report_invalid(a.report_invalid)
        .wrong_case(min <= Confidence::Medium)
        .decode_depth(depth)
        .limits(scan_config(a).limits)
        .build(rules))
}

/// The one value every source reads its settings from.
fn scan_config(a: &ScanArgs) -> ScanConfig {
    ScanConfig {
        no_ignore: a.no_ignore,
        threads: a.threads,
        max_filesize: a.max_filesize,
        archives: !a.no_archives,
        limits: crate::scan::config::Limits {
            max_decompressed: a.max_decompressed,
            max_ratio: a.max_compression_ratio,
            max_members: a.max_archive_members,
            max_decoder_memory: a.max_decoder_memory,
        },
        ..ScanConfig::default()
    }
}

/// The report's destination, opened before any work is done, so that one
/// that cannot be written is named at once. Reports hold token hashes (and
/// with `--show-secret`, tokens): 0600.
fn open_report(a: &ScanArgs) -> anyhow::Result<Writer> {
    Ok(match &a.output {
        Some(p) => Box::new(BufWriter::new(
            create_output(p, false)
                .with_context(|| format!("cannot write the report to {}", p.display()))?,
        )),
        None => Box::new(BufWriter::new(io::stdout())),
    })
}

/// The report's printer: `--print-fingerprints`', else `--format`'s.
fn printer(a: &ScanArgs, opts: ReportOptions) -> Box<dyn report::Printer> {
    if a.print_fingerprints {
        Box::new(report::text::Fingerprints)
    } else {
        a.format.printer(opts)
    }
}

/// What a scan reads: the roots, or a git source in its repository.
struct Sources<'s, 'r> {
    roots: &'s [PathBuf],
    git: Option<(&'s GitSource, &'s Repo)>,
    controls: &'s Controls<'r>,
}

/// Runs the source into `output`, through the baseline (when given) and
/// the `--repository` tag; the stats, baseline drops counted.
fn scan_into(
    a: &ScanArgs,
    scanner: &Scanner,
    config: &ScanConfig,
    sources: &Sources<'_, '_>,
    baseline: Option<&crate::findings::baseline::Baseline>,
    output: &Output,
) -> anyhow::Result<crate::Stats> {
    let filter = baseline.map(|b| crate::findings::baseline::Filter::new(output, b));
    let filtered: &dyn Sink = match &filter {
        Some(f) => f,
        None => output,
    };
    let tagged = a.repository.as_deref().map(|name| Tagged {
        inner: filtered,
        name: name.into(),
    });
    let sink: &dyn Sink = match &tagged {
        Some(t) => t,
        None => filtered,
    };
    let mut stats = match sources.git {
        Some((src, repo)) => scan_git(a, scanner, src, repo, config, sources.controls, sink)?,
        None => {
            let progress = Arc::new(Progress::default());
            let show_progress = !a.quiet && io::stderr().is_terminal();
            let ticker = show_progress.then(|| spawn_ticker(progress.clone()));
            let result = walk::scan_paths(scanner, sources.roots, config, Some(&progress), sink);
            if let Some((stop, handle)) = ticker {
                stop.store(true, Ordering::Relaxed);
                let _ = handle.join();
            }
            result?
        }
    };
    if let Some(f) = &filter {
        stats.suppress_n(
            crate::findings::stats::SuppressReason::Baseline,
            f.dropped(),
        );
    }
    Ok(stats)
}

/// A document format's report (JSON with `extra` members, SARIF), written
/// once the scan is over.
fn write_document(
    printer: &mut dyn report::Printer,
    scanner: &Scanner,
    outcome: &Outcome,
    extra: &[(&str, serde_json::Value)],
    writer: &mut Writer,
) -> io::Result<()> {
    let doc = report::Document {
        findings: &outcome.findings,
        stats: &outcome.stats,
        rules: scanner.rules(),
        extra,
    };
    if let Some(note) = printer.document(writer, &doc)? {
        eprintln!("burnkey: {note}");
    }
    writer.flush()
}

/// `--write-baseline`: hashes of secrets, 0600, replaced whole or not at all.
fn write_baseline(a: &ScanArgs, p: &std::path::Path, outcome: &Outcome) -> anyhow::Result<()> {
    let mut text = Vec::new();
    crate::findings::baseline::write(&mut text, &outcome.findings)?;
    crate::fsutil::write_output_atomic(p, &text, Some(0o600))
        .with_context(|| format!("cannot write the baseline {}", p.display()))?;
    if !a.quiet {
        eprintln!(
            "burnkey: wrote a baseline of {} finding{} to {}",
            outcome.findings.len(),
            if outcome.findings.len() == 1 { "" } else { "s" },
            escape_control(&p.display().to_string())
        );
    }
    Ok(())
}

/// The content `f` was found in, for pairing a token with an account id or
/// email named near it: a regular file of up to 64 MiB (never through a
/// link), or a git blob; nothing for stdin and archive members.
fn pairing_text(f: &crate::Finding, repo: Option<&Repo>) -> Option<Vec<u8>> {
    if f.member().is_some() {
        return None;
    }
    match &*f.location {
        crate::Location::File { path } => crate::fsutil::read_regular(path, 64 << 20).ok(),
        crate::Location::Staged { blob, .. } | crate::Location::Commit { blob, .. } => {
            repo?.blob(blob)
        }
        crate::Location::Stdin => None,
    }
}

/// Tags each finding with the repository it was found in (`--repository`).
struct Tagged<'a> {
    inner: &'a dyn Sink,
    name: Arc<str>,
}

impl Sink for Tagged<'_> {
    fn finding(&self, f: crate::Finding) {
        self.inner.finding(f.with_repository(self.name.clone()));
    }

    fn stopped(&self) -> bool {
        self.inner.stopped()
    }
}

fn report_options(a: &ScanArgs) -> ReportOptions {
    let color = match a.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            a.output.is_none()
                && io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    ReportOptions {
        show_secret: a.show_secret,
        color,
    }
}

/// The repository `src` reads: `--git DIR`'s, else the first root's. A bare
/// one has no index for `--staged` (or `--pre-commit` without a range).
fn git_repo(a: &ScanArgs, src: &GitSource, roots: &[PathBuf]) -> anyhow::Result<Repo> {
    let dir = match (src, &a.git) {
        (GitSource::History, Some(p)) => p.clone(),
        _ => roots.first().cloned().unwrap_or_else(|| PathBuf::from(".")),
    };
    let repo = Repo::discover(&dir)?;
    if *src == GitSource::Staged && repo.top().is_none() {
        anyhow::bail!(
            "{}: a bare repository has no index: --staged and --pre-commit need a work tree (use --git or --git-range here)",
            dir.display()
        );
    }
    Ok(repo)
}

fn scan_git(
    a: &ScanArgs,
    scanner: &Scanner,
    src: &GitSource,
    repo: &Repo,
    config: &ScanConfig,
    controls: &Controls,
    sink: &dyn Sink,
) -> anyhow::Result<Stats> {
    let allow = controls.allowlist(repo.top())?;
    // History is read as the reachable blobs, newest first, which name no
    // commit: their findings wait to be placed where each blob was first
    // added. Path globs must see every path a blob was added at, and an old
    // git or a partial clone cannot list them: there, the log names each
    // blob's commit and paths as it goes.
    let reachable =
        *src == GitSource::History && !allow.has_globs() && repo.lists_reachable_blobs();
    // History is merged to one finding per token and path unless every
    // blob's is wanted: findings wait for the end of the scan.
    let merge = *src != GitSource::Staged && !a.all_occurrences;
    // Findings that wait are allowed once placed, each place on its own
    // (the allowlist's fingerprints are of the places reports name): an
    // allowed copy of a file does not hide the token's other places. The
    // scan itself then allows nothing (path globs act as blobs are listed).
    let allow_placed = merge || reachable;
    let none = crate::findings::allow::Allowlist::default();
    let held = crate::findings::outcome::Collect::default();
    let job = BlobScan {
        scanner,
        repo,
        allow: if allow_placed { &none } else { &allow },
        kind: if *src == GitSource::Staged {
            BlobKind::Staged
        } else {
            BlobKind::Commit
        },
        config,
        sink: if merge { &held } else { sink },
    };
    // A worker per CPU, each with its own cat-file, beside the git that
    // lists the blobs: on 2 cores, two of them read rust-lang/cargo's
    // history in 2.1 s against 2.7 s for one.
    let workers = config.workers();
    // A path glob leaves out places, not blobs, as the blobs are listed:
    // history and ranges read a blob at the first path it was added at that
    // no glob names. Counted.
    let left = std::cell::Cell::new(0u64);
    let left_out = |p: &[u8]| {
        let out = allow.raw_path_ignored(p);
        left.set(left.get() + u64::from(out));
        out
    };
    let mut findings = Vec::new();
    let (mut stats, index) = match src {
        GitSource::Staged => {
            let mut blobs = repo.staged_blobs()?;
            blobs.retain(|b| !left_out(&b.path));
            let stats = job.run(workers.min(blobs.len()), |send| {
                blobs.into_iter().for_each(send);
                Ok(())
            })?;
            (stats, None)
        }
        GitSource::Range(r) => {
            let (blobs, index) = repo.range_blobs(r, &left_out)?;
            let stats = job.run(workers.min(blobs.len()), |send| {
                blobs.into_iter().for_each(send);
                Ok(())
            })?;
            (stats, Some(index))
        }
        GitSource::History if reachable => {
            let (stats, found, index) = crate::source::history::scan_reachable(&job, workers)?;
            findings = found;
            (stats, Some(index))
        }
        GitSource::History => {
            let mut index = None;
            let stats = job.run(workers, |send| {
                index = Some(repo.history_blobs(send, &left_out)?);
                Ok(())
            })?;
            (stats, index)
        }
    };
    stats.skip_n(SkipReason::Burnkeyignore, left.get());
    findings.extend(held.into_findings());
    if merge {
        let index = index.unwrap_or_default();
        findings = crate::source::history::merge(findings, &index, repo)?;
    }
    for f in findings {
        match allow_placed.then(|| allow.allows(&f)).flatten() {
            Some(why) => stats.suppress(why),
            None => sink.finding(f),
        }
    }
    Ok(stats)
}

/// What to do when a commit or push is blocked.
fn guidance(out: &Outcome, scanner: &Scanner, staged: bool) -> String {
    let n = out.findings.len();
    let mut s = if staged {
        format!(
            "\nburnkey: commit blocked: {n} token{} in the staged changes.\n",
            if n == 1 { "" } else { "s" }
        )
    } else {
        format!(
            "\nburnkey: {n} token{} in the commits being pushed or checked.\n",
            if n == 1 { "" } else { "s" }
        )
    };
    for f in &out.findings {
        let at = match (f.commit(), staged) {
            (Some(c), false) => format!(" (commit {})", remedy::short_commit(c)),
            _ => String::new(),
        };
        s.push_str(&format!(
            "  {}:{}:{}  {}  {}{at}\n",
            escape_control(&f.shown_path()),
            f.line,
            f.column,
            f.rule_id(),
            f.redacted()
        ));
    }
    s.push_str(&remedy::what_to_do_text(out, scanner.rules(), staged));
    for f in &out.findings {
        s.push_str(&format!(
            "       {}  # {}:{} {}\n",
            f.fingerprint(),
            escape_control(&f.shown_path()),
            f.line,
            f.rule_id()
        ));
    }
    s
}

/// `--sarif`, `--markdown-summary`, `--github-output`: extra copies of the
/// result for CI systems, written whatever the main format is.
fn side_outputs(
    a: &ScanArgs,
    scanner: &Scanner,
    outcome: &Outcome,
    delivered: u64,
) -> anyhow::Result<()> {
    let append = |p: &PathBuf, text: &str| -> anyhow::Result<()> {
        let mut f =
            create_output(p, true).with_context(|| format!("cannot write {}", p.display()))?;
        f.write_all(text.as_bytes())?;
        Ok(())
    };
    if let Some(p) = &a.sarif {
        let mut w = BufWriter::new(
            create_output(p, false).with_context(|| format!("cannot write {}", p.display()))?,
        );
        // Redacted whatever --show-secret says: the file is for upload.
        let omitted = report::sarif::write(
            &mut w,
            &outcome.findings,
            scanner.rules(),
            ReportOptions::default(),
        )?;
        if let Some(note) = report::sarif::omitted_note(omitted) {
            eprintln!("burnkey: {note}");
        }
        w.flush()?;
    }
    if let Some(p) = &a.markdown_summary {
        append(p, &report::markdown_summary(outcome, scanner.rules()))?;
    }
    if let Some(p) = &a.github_output {
        append(
            p,
            &format!(
                "findings={}\nrevocations={delivered}\n",
                outcome.stats.findings
            ),
        )?;
    }
    Ok(())
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
