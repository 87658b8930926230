//! The filesystem source: a parallel walk over one or more roots (or stdin),
//! streaming each regular file through the scanner.
//!
//! Defaults follow what a secret scanner's users expect: `.gitignore` and
//! `.ignore` are honoured (even outside a git repository), hidden files such
//! as `.env` are scanned, `.git` is never entered (history is `--git`'s job),
//! symlinks are never followed (so no loops and no escapes from the tree),
//! and FIFOs, sockets and device files are skipped and counted, never opened.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use ignore::{WalkBuilder, WalkState};

use crate::allow::Allowlist;
use crate::error::Error;
use crate::finding::{Finding, Origin, ScanError, Stats};
use crate::scan::{Match, Scanner, StreamBuffer, DEFAULT_READ_SIZE};

/// How to walk.
#[derive(Clone, Debug)]
pub struct WalkOptions {
    /// Also scan files that `.gitignore`/`.ignore` exclude (never `.git`).
    pub no_ignore: bool,
    /// Worker threads; 0 picks the number of CPUs.
    pub threads: usize,
    /// Bytes per read.
    pub read_size: usize,
    /// Skip files larger than this (counted as `too_large`).
    pub max_filesize: Option<u64>,
}

impl Default for WalkOptions {
    fn default() -> WalkOptions {
        WalkOptions {
            no_ignore: false,
            threads: 0,
            read_size: DEFAULT_READ_SIZE,
            max_filesize: None,
        }
    }
}

/// Live counters for a progress display.
#[derive(Debug, Default)]
pub struct Progress {
    /// Files scanned so far.
    pub files: AtomicU64,
    /// Bytes scanned so far.
    pub bytes: AtomicU64,
}

/// Findings and statistics of a scan.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Findings, sorted by path and position.
    pub findings: Vec<Finding>,
    /// What the scan did.
    pub stats: Stats,
}

impl Outcome {
    /// Sorts findings into report order.
    pub fn sort(&mut self) {
        self.findings
            .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        self.stats.findings = self.findings.len() as u64;
    }
}

/// Where a match was found, for [`collect`].
#[derive(Clone, Copy, Debug)]
pub struct Place<'a> {
    /// The path reports show.
    pub path: &'a str,
    /// The path relative to the scan root, for fingerprints.
    pub key: &'a str,
    /// File, staged blob or commit.
    pub origin: Origin,
}

/// Turns a match into a finding in `out`, unless the inline or
/// `.burnkeyignore` allowlist suppresses it (counted in the stats). Returns
/// the new finding.
pub fn collect<'o>(
    scanner: &Scanner,
    allow: &Allowlist,
    m: &Match,
    place: Place<'_>,
    out: &'o mut Outcome,
) -> Option<&'o mut Finding> {
    if m.allowed {
        out.stats.suppress("inline");
        return None;
    }
    let f = Finding::new(
        scanner.rules(),
        m,
        place.path.to_string(),
        place.key,
        place.origin,
    );
    if let Some(why) = allow.allows(&f) {
        out.stats.suppress(why);
        return None;
    }
    out.findings.push(f);
    out.findings.last_mut()
}

/// A path as reports show it: as walked, without a leading `./`.
pub fn display_path(p: &Path) -> String {
    let p = p.strip_prefix(".").unwrap_or(p);
    let s = p.to_string_lossy();
    if s.is_empty() {
        ".".into()
    } else {
        s.into_owned()
    }
}

fn skip_reason(ft: &std::fs::FileType) -> &'static str {
    if ft.is_symlink() {
        "symlink"
    } else if ft.is_fifo() {
        "fifo"
    } else if ft.is_socket() {
        "socket"
    } else if ft.is_block_device() {
        "block_device"
    } else if ft.is_char_device() {
        "char_device"
    } else {
        "other"
    }
}

/// Opens `path` for reading without ever blocking: a FIFO swapped in after
/// the directory was read answers at once instead of hanging the scan. With
/// `check`, an fstat confirms a regular file and gives its size (roots, and
/// `--max-filesize`); the walk otherwise trusts the directory's file type,
/// which saves a system call per file. `Ok(Err(reason))`: skip it.
fn open_regular(path: &Path, check: bool) -> io::Result<Result<(File, Option<u64>), &'static str>> {
    let f = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    if !check {
        return Ok(Ok((f, None)));
    }
    let md = f.metadata()?;
    if !md.file_type().is_file() {
        return Ok(Err(skip_reason(&md.file_type())));
    }
    Ok(Ok((f, Some(md.len()))))
}

struct Worker<'a> {
    scanner: &'a Scanner,
    opts: &'a WalkOptions,
    allow: &'a Allowlist,
    root: &'a Path,
    sb: StreamBuffer,
    out: Outcome,
    progress: Option<&'a Progress>,
    shared: &'a Mutex<Outcome>,
}

impl Worker<'_> {
    fn error(&mut self, path: String, message: String) {
        self.out.stats.errors.push(ScanError { path, message });
    }

    fn file(&mut self, path: &Path, is_root: bool) {
        let check = is_root || self.opts.max_filesize.is_some();
        let (file, len) = match open_regular(path, check) {
            Ok(Ok(f)) => f,
            Ok(Err(reason)) => return self.out.stats.skip(reason),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return self.out.stats.skip("vanished")
            }
            Err(e) => return self.error(display_path(path), e.to_string()),
        };
        if let (Some(max), Some(len)) = (self.opts.max_filesize, len) {
            if len > max {
                return self.out.stats.skip("too_large");
            }
        }
        let mut found = Vec::new();
        let res = self
            .scanner
            .scan_file(&file, &mut self.sb, |m| found.push(m));
        // Path strings are built only for files with something to report.
        let shown = || display_path(path);
        match res {
            Ok(n) => {
                self.out.stats.files_scanned += 1;
                self.out.stats.bytes_scanned += n;
                if let Some(p) = self.progress {
                    p.files.fetch_add(1, Ordering::Relaxed);
                    p.bytes.fetch_add(n, Ordering::Relaxed);
                }
            }
            Err(e) => self.error(shown(), format!("read failed: {e}")),
        }
        if found.is_empty() {
            return;
        }
        let shown = shown();
        let key = path
            .strip_prefix(self.root)
            .map_or_else(|_| shown.clone(), display_path);
        let key = if key == "." { shown.clone() } else { key };
        let place = Place {
            path: &shown,
            key: &key,
            origin: Origin::File,
        };
        for m in &found {
            collect(self.scanner, self.allow, m, place, &mut self.out);
        }
    }
}

impl Drop for Worker<'_> {
    fn drop(&mut self) {
        let out = std::mem::take(&mut self.out);
        let mut shared = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        shared.findings.extend(out.findings);
        shared.stats.merge(out.stats);
    }
}

/// Checks that every root exists before anything is scanned: a missing root
/// is a usage error, not a skipped file.
pub fn check_roots(roots: &[PathBuf]) -> Result<(), Error> {
    for r in roots {
        if r.as_os_str() == "-" {
            continue;
        }
        std::fs::symlink_metadata(r).map_err(|e| Error::io(r, e))?;
    }
    Ok(())
}

/// Scans `roots` (directories, files, or `-` for stdin).
pub fn scan_paths(
    scanner: &Scanner,
    roots: &[PathBuf],
    opts: &WalkOptions,
    progress: Option<&Progress>,
) -> Result<Outcome, Error> {
    check_roots(roots)?;
    let shared = Mutex::new(Outcome::default());
    for root in roots {
        if root.as_os_str() == "-" {
            scan_stdin(scanner, opts, &shared);
            continue;
        }
        let allow = if root.is_dir() {
            Allowlist::load_from_dir(root)?
        } else {
            Allowlist::default()
        };
        walk_root(scanner, root, opts, &allow, progress, &shared);
    }
    let mut out = shared.into_inner().unwrap_or_else(|e| e.into_inner());
    out.sort();
    Ok(out)
}

fn scan_stdin(scanner: &Scanner, opts: &WalkOptions, shared: &Mutex<Outcome>) {
    let mut out = Outcome::default();
    let mut sb = StreamBuffer::new(opts.read_size);
    let allow = Allowlist::default();
    let stdin = io::stdin();
    let mut lock = stdin.lock();
    let place = Place {
        path: "<stdin>",
        key: "<stdin>",
        origin: Origin::File,
    };
    let res = scanner.scan_reader(&mut lock, &mut sb, |m| {
        collect(scanner, &allow, &m, place, &mut out);
    });
    match res {
        Ok(n) => {
            out.stats.files_scanned += 1;
            out.stats.bytes_scanned += n;
        }
        Err(e) => out.stats.errors.push(ScanError {
            path: "<stdin>".into(),
            message: format!("read failed: {e}"),
        }),
    }
    let mut s = shared.lock().unwrap_or_else(|e| e.into_inner());
    s.findings.extend(out.findings);
    s.stats.merge(out.stats);
}

fn walk_root(
    scanner: &Scanner,
    root: &Path,
    opts: &WalkOptions,
    allow: &Allowlist,
    progress: Option<&Progress>,
    shared: &Mutex<Outcome>,
) {
    let mut b = WalkBuilder::new(root);
    b.hidden(false)
        .follow_links(false)
        .require_git(false)
        .threads(opts.threads)
        .filter_entry(|e| e.file_name() != ".git");
    if opts.no_ignore {
        b.git_ignore(false)
            .git_exclude(false)
            .git_global(false)
            .ignore(false)
            .parents(false);
    }
    b.build_parallel().run(|| {
        let mut w = Worker {
            scanner,
            opts,
            allow,
            root,
            sb: StreamBuffer::new(opts.read_size),
            out: Outcome::default(),
            progress,
            shared,
        };
        Box::new(move |entry| {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    let path = match &e {
                        ignore::Error::WithPath { path, .. } => display_path(path),
                        _ => display_path(root),
                    };
                    w.error(path, e.to_string());
                    return WalkState::Continue;
                }
            };
            let Some(ft) = entry.file_type() else {
                return WalkState::Continue;
            };
            if ft.is_dir() {
                return WalkState::Continue;
            }
            let path = entry.path();
            if allow.has_globs() {
                let rel = path.strip_prefix(root).unwrap_or(path);
                if allow.path_ignored(rel) {
                    w.out.stats.skip("burnkeyignore");
                    return WalkState::Continue;
                }
            }
            // A root that is a symlink to a file is what the user asked for.
            if ft.is_file() || (ft.is_symlink() && entry.depth() == 0) {
                w.file(path, entry.depth() == 0);
            } else {
                w.out.stats.skip(skip_reason(&ft));
            }
            WalkState::Continue
        })
    });
}
