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
use crate::config::ScanConfig;
use crate::error::Error;
use crate::finding::{display_path, Location, Place};
use crate::outcome::{collect, Sink};
use crate::scan::{Scanner, StreamBuffer};
use crate::stats::{SkipReason, Stats};

/// Live counters for a progress display.
#[derive(Debug, Default)]
pub struct Progress {
    /// Files scanned so far.
    pub files: AtomicU64,
    /// Bytes scanned so far.
    pub bytes: AtomicU64,
}

fn skip_reason(ft: &std::fs::FileType) -> SkipReason {
    if ft.is_symlink() {
        SkipReason::Symlink
    } else if ft.is_fifo() {
        SkipReason::Fifo
    } else if ft.is_socket() {
        SkipReason::Socket
    } else if ft.is_block_device() {
        SkipReason::BlockDevice
    } else if ft.is_char_device() {
        SkipReason::CharDevice
    } else {
        SkipReason::Other
    }
}

/// Opens `path` for reading without ever blocking: a FIFO swapped in after
/// the directory was read answers at once instead of hanging the scan. With
/// `check`, an fstat confirms a regular file and gives its size (roots, and
/// `--max-filesize`); the walk otherwise trusts the directory's file type,
/// which saves a system call per file. `Ok(Err(reason))`: skip it.
fn open_regular(path: &Path, check: bool) -> io::Result<Result<(File, Option<u64>), SkipReason>> {
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
    config: &'a ScanConfig,
    allow: &'a Allowlist,
    root: &'a Path,
    sb: StreamBuffer,
    stats: Stats,
    sink: &'a dyn Sink,
    progress: Option<&'a Progress>,
    shared: &'a Mutex<Stats>,
}

impl Worker<'_> {
    fn error(&mut self, path: String, message: String) {
        self.stats.error(path, message);
    }

    fn file(&mut self, path: &Path, is_root: bool) {
        let check = is_root || self.config.max_filesize.is_some();
        let (file, len) = match open_regular(path, check) {
            Ok(Ok(f)) => f,
            Ok(Err(reason)) => return self.stats.skip(reason),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return self.stats.skip(SkipReason::Vanished)
            }
            Err(e) => return self.error(display_path(path), e.to_string()),
        };
        if len.is_some_and(|len| self.config.too_large(len)) {
            return self.stats.skip(SkipReason::TooLarge);
        }
        // Path strings are built only for files with something to report,
        // at their first match; matches go on as they are found.
        let (root, rules, allow, sink) = (self.root, self.scanner.rules(), self.allow, self.sink);
        let stats = &mut self.stats;
        let mut place: Option<Place> = None;
        let res = self.scanner.scan_file(&file, &mut self.sb, |m| {
            let place = place.get_or_insert_with(|| {
                let shown = display_path(path);
                let key = path
                    .strip_prefix(root)
                    .map_or_else(|_| shown.clone(), display_path);
                let key = if key == "." { shown } else { key };
                let location = Location::File {
                    path: path.to_path_buf(),
                };
                Place::new(location, key)
            });
            collect(rules, allow, &m, place, sink, stats);
        });
        match res {
            Ok(n) => {
                self.stats.files_scanned += 1;
                self.stats.bytes_scanned += n;
                if let Some(p) = self.progress {
                    p.files.fetch_add(1, Ordering::Relaxed);
                    p.bytes.fetch_add(n, Ordering::Relaxed);
                }
            }
            Err(e) => self.error(display_path(path), format!("read failed: {e}")),
        }
    }
}

impl Drop for Worker<'_> {
    fn drop(&mut self) {
        let stats = std::mem::take(&mut self.stats);
        let mut shared = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        shared.merge(stats);
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

/// Scans `roots` (directories, files, or `-` for stdin), handing findings
/// to `sink` as they are made; returns what the scan did.
pub fn scan_paths(
    scanner: &Scanner,
    roots: &[PathBuf],
    config: &ScanConfig,
    progress: Option<&Progress>,
    sink: &dyn Sink,
) -> Result<Stats, Error> {
    check_roots(roots)?;
    let shared = Mutex::new(Stats::default());
    for root in roots {
        if sink.stopped() {
            break;
        }
        if root.as_os_str() == "-" {
            let stats = crate::outcome::scan_reader_into(
                scanner,
                &mut io::stdin().lock(),
                Location::Stdin,
                config,
                sink,
            );
            shared
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .merge(stats);
            continue;
        }
        let allow = if root.is_dir() {
            Allowlist::load_from_dir(root)?
        } else {
            Allowlist::default()
        };
        walk_root(scanner, root, config, &allow, progress, &shared, sink);
    }
    Ok(shared.into_inner().unwrap_or_else(|e| e.into_inner()))
}

fn walk_root(
    scanner: &Scanner,
    root: &Path,
    config: &ScanConfig,
    allow: &Allowlist,
    progress: Option<&Progress>,
    shared: &Mutex<Stats>,
    sink: &dyn Sink,
) {
    let mut b = WalkBuilder::new(root);
    b.hidden(false)
        .follow_links(false)
        .require_git(false)
        .threads(config.workers())
        .filter_entry(|e| e.file_name() != ".git");
    if config.no_ignore {
        b.git_ignore(false)
            .git_exclude(false)
            .git_global(false)
            .ignore(false)
            .parents(false);
    }
    b.build_parallel().run(|| {
        let mut w = Worker {
            scanner,
            config,
            allow,
            root,
            sb: StreamBuffer::new(config.read_size),
            stats: Stats::default(),
            sink,
            progress,
            shared,
        };
        Box::new(move |entry| {
            if w.sink.stopped() {
                return WalkState::Quit;
            }
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
                    w.stats.skip(SkipReason::Burnkeyignore);
                    return WalkState::Continue;
                }
            }
            // A root that is a symlink to a file is what the user asked for.
            if ft.is_file() || (ft.is_symlink() && entry.depth() == 0) {
                w.file(path, entry.depth() == 0);
            } else {
                w.stats.skip(skip_reason(&ft));
            }
            WalkState::Continue
        })
    });
}
