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

use crate::error::Error;
use crate::findings::allow::Allowlist;
use crate::findings::finding::{display_path, Location, Place};
use crate::findings::outcome::{collect, Sink};
use crate::findings::stats::{SkipReason, Stats};
use crate::scan::config::ScanConfig;
use crate::scan::layers::{Counting, Layers};
use crate::scan::{Match, Scanner, StreamBuffer};

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

/// Debug builds only: `BURNKEY_TEST_PAUSE_BEFORE_OPEN_MS` pauses between the
/// walk seeing an entry and opening it, so that a test can swap the entry
/// (for a link, a pipe, another file) deterministically. Release builds do
/// not read it.
fn test_pause() {
    #[cfg(debug_assertions)]
    {
        static PAUSE: std::sync::OnceLock<Option<u64>> = std::sync::OnceLock::new();
        let ms = PAUSE.get_or_init(|| {
            std::env::var("BURNKEY_TEST_PAUSE_BEFORE_OPEN_MS")
                .ok()
                .and_then(|v| v.parse().ok())
        });
        if let Some(ms) = ms {
            std::thread::sleep(std::time::Duration::from_millis(*ms));
        }
    }
}

/// Opens a walked entry for reading, never blocking and never through a
/// link below a root: a link swapped in after the directory was read is
/// refused (`O_NOFOLLOW`), a FIFO answers at once (`O_NONBLOCK`), and the
/// open file must be a regular file with the inode the directory listed
/// (`ino`): anything else swapped in is skipped, not read. A root, which the
/// user named, may be a link. `Ok(Err(reason))`: skip it.
fn open_entry(
    path: &Path,
    is_root: bool,
    ino: Option<u64>,
) -> io::Result<Result<(File, Identity), SkipReason>> {
    test_pause();
    let mut flags = libc::O_NONBLOCK | libc::O_NOCTTY;
    if !is_root {
        flags |= libc::O_NOFOLLOW;
    }
    let f = match OpenOptions::new().read(true).custom_flags(flags).open(path) {
        Ok(f) => f,
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => return Ok(Err(SkipReason::Symlink)),
        Err(e) => return Err(e),
    };
    // A plain fstat: std's metadata() asks statx for every field, which
    // measured ~1 µs a file on the tree benchmark.
    let st = fstat(&f)?;
    let kind = st.st_mode & libc::S_IFMT;
    if kind != libc::S_IFREG {
        return Ok(Err(f
            .metadata()
            .map_or(SkipReason::Other, |md| skip_reason(&md.file_type()))));
    }
    // The field types differ by platform (macOS: a 32-bit st_dev).
    #[allow(clippy::unnecessary_cast)]
    let id = Identity {
        dev: st.st_dev as u64,
        ino: st.st_ino as u64,
        len: st.st_size as u64,
    };
    if ino.is_some_and(|ino| ino != id.ino) {
        return Ok(Err(SkipReason::Changed));
    }
    Ok(Ok((f, id)))
}

/// What the open file is: its device and inode, and its size.
struct Identity {
    dev: u64,
    ino: u64,
    len: u64,
}

fn fstat(f: &File) -> io::Result<libc::stat> {
    use std::os::fd::AsRawFd;
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: fstat fills `st` on success, and the fd is open.
    if unsafe { libc::fstat(f.as_raw_fd(), st.as_mut_ptr()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: initialised by the successful fstat.
    Ok(unsafe { st.assume_init() })
}

struct Worker<'a> {
    scanner: &'a Scanner,
    config: &'a ScanConfig,
    allow: &'a Allowlist,
    root: &'a Path,
    sb: StreamBuffer,
    stats: Stats,
    sink: &'a dyn Sink,
    /// With several roots: the files (device, inode) already read.
    seen: Option<&'a Mutex<std::collections::HashSet<(u64, u64)>>>,
    progress: Option<&'a Progress>,
    shared: &'a Mutex<Stats>,
}

impl Worker<'_> {
    fn error(&mut self, path: String, message: String) {
        self.stats.error(path, message);
    }

    fn file(&mut self, path: &Path, is_root: bool, ino: Option<u64>) {
        let (file, md) = match open_entry(path, is_root, ino) {
            Ok(Ok(f)) => f,
            Ok(Err(SkipReason::Fifo)) if is_root => return self.pipe(path),
            Ok(Err(reason)) => return self.stats.skip(reason),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return self.stats.skip(SkipReason::Vanished)
            }
            Err(e) => return self.error(display_path(path), e.to_string()),
        };
        if self.config.too_large(md.len) {
            return self.stats.skip(SkipReason::TooLarge);
        }
        // Roots that overlap (`scan f ./f .`) read each file once.
        if let Some(seen) = self.seen {
            let first = seen
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert((md.dev, md.ino));
            if !first {
                return;
            }
        }
        // Path strings are built only for files with something to report,
        // at their first match; matches go on as they are found.
        let (root, rules, allow, sink) = (self.root, self.scanner.rules(), self.allow, self.sink);
        let mut place: Option<Place> = None;
        let mut v = Counting {
            stats: &mut self.stats,
            found: |m: Match, stats: &mut Stats| {
                let place = place.get_or_insert_with(|| {
                    let location = Location::File {
                        path: path.to_path_buf(),
                    };
                    Place::new(location, fingerprint_key(path, root))
                });
                collect(rules, allow, &m, place, sink, stats);
            },
        };
        let name = path.as_os_str().as_encoded_bytes();
        let layers = Layers::new(self.scanner, self.config);
        let res = layers.file(&file, md.len, name, &mut self.sb, &mut v);
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

impl Worker<'_> {
    /// A pipe named as a root (`burnkey scan <(cmd)`): read as a stream.
    fn pipe(&mut self, path: &Path) {
        use std::os::fd::AsRawFd;
        // Opened without blocking (a FIFO with no writer would wait for
        // one), then read blocking: a writer-less FIFO ends at once.
        let f = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(path);
        let mut f = match f {
            Ok(f) => f,
            Err(e) => return self.error(display_path(path), e.to_string()),
        };
        unsafe {
            let fl = libc::fcntl(f.as_raw_fd(), libc::F_GETFL);
            libc::fcntl(f.as_raw_fd(), libc::F_SETFL, fl & !libc::O_NONBLOCK);
        }
        let location = Location::File {
            path: path.to_path_buf(),
        };
        let stats = crate::source::reader::scan_reader_into(
            self.scanner,
            &mut f,
            location,
            self.config,
            self.sink,
        );
        self.stats.merge(stats);
    }
}

impl Drop for Worker<'_> {
    fn drop(&mut self) {
        let stats = std::mem::take(&mut self.stats);
        let mut shared = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        shared.merge(stats);
    }
}

/// Checks that every root can be read before anything is scanned: a root
/// that does not exist, a dangling link, a file or folder that cannot be
/// opened, a socket or device, and for `-` a closed standard input or one
/// that is a folder, are errors (exit 2), never a clean scan.
pub fn check_roots(roots: &[PathBuf]) -> Result<(), Error> {
    for r in roots {
        if r.as_os_str() == "-" {
            check_stdin()?;
            continue;
        }
        // A root may be a link (the user named it); what it leads to must exist.
        let md = std::fs::metadata(r).map_err(|e| Error::io(r, e))?;
        let ft = md.file_type();
        if ft.is_dir() {
            std::fs::read_dir(r).map_err(|e| Error::io(r, e))?;
        } else if ft.is_file() {
            OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
                .open(r)
                .map_err(|e| Error::io(r, e))?;
        } else if !ft.is_fifo() {
            return Err(Error::Invalid(format!(
                "{}: not a file, folder or pipe ({}): nothing to scan",
                r.display(),
                skip_reason(&ft).as_str()
            )));
        }
    }
    Ok(())
}

fn check_stdin() -> Result<(), Error> {
    use std::os::fd::AsFd;
    let stdin = io::stdin();
    let fd = stdin.as_fd().try_clone_to_owned().map_err(|e| {
        Error::Invalid(format!(
            "standard input cannot be read ({e}): is it closed?"
        ))
    })?;
    let md = File::from(fd)
        .metadata()
        .map_err(|e| Error::Invalid(format!("standard input cannot be read: {e}")))?;
    if md.is_dir() {
        return Err(Error::Invalid(
            "standard input is a folder: name it as a root instead of redirecting it".into(),
        ));
    }
    // Rust's runtime reopens a closed standard input as /dev/null, read-write,
    // before main: tell that from a redirect (`< /dev/null` is read-only).
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let dev_null = std::fs::metadata("/dev/null").map(|n| n.rdev()).ok();
    let accmode = unsafe { libc::fcntl(0, libc::F_GETFL) } & libc::O_ACCMODE;
    if md.file_type().is_char_device() && Some(md.rdev()) == dev_null && accmode == libc::O_RDWR {
        return Err(Error::Invalid(
            "standard input is closed: give `-` something to read".into(),
        ));
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
    let seen = (roots.len() > 1).then(|| Mutex::new(std::collections::HashSet::new()));
    for root in roots {
        if sink.stopped() {
            break;
        }
        if root.as_os_str() == "-" {
            let stats = crate::source::reader::scan_reader_into(
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
        let ctx = Shared {
            progress,
            stats: &shared,
            sink,
            seen: seen.as_ref(),
        };
        walk_root(scanner, root, config, &allow, &ctx);
    }
    Ok(shared.into_inner().unwrap_or_else(|e| e.into_inner()))
}

/// The path a file's fingerprints are computed over, as exact bytes: its
/// path below the root (as walked, for a root that is itself the file).
fn fingerprint_key(path: &Path, root: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    let rel = path.strip_prefix(root).unwrap_or(path);
    let rel = rel.strip_prefix(".").unwrap_or(rel);
    let rel = if rel.as_os_str().is_empty() {
        path.strip_prefix(".").unwrap_or(path)
    } else {
        rel
    };
    rel.as_os_str().as_bytes().to_vec()
}

/// What the workers of every root share.
struct Shared<'a> {
    progress: Option<&'a Progress>,
    stats: &'a Mutex<Stats>,
    sink: &'a dyn Sink,
    seen: Option<&'a Mutex<std::collections::HashSet<(u64, u64)>>>,
}

/// The ignore files the walker reads in a folder, below it.
const IGNORE_FILES: [&str; 3] = [".gitignore", ".ignore", ".git/info/exclude"];

/// How many of `dir`'s ignore files the walker must not read: a symlink, a
/// FIFO, a device (`/dev/zero` exhausts memory, a FIFO hangs), or a file
/// over [`CONTROL_FILE_MAX`](crate::fsutil::CONTROL_FILE_MAX). The walker
/// reads them itself, so they are checked before it enters the folder.
fn unreadable_ignore_files(dir: &Path) -> u64 {
    IGNORE_FILES
        .iter()
        .filter(|name| match std::fs::symlink_metadata(dir.join(name)) {
            Ok(m) => !m.file_type().is_file() || m.len() > crate::fsutil::CONTROL_FILE_MAX,
            Err(_) => false,
        })
        .count() as u64
}

/// Walks `root`. A folder holding an ignore file that cannot be read
/// safely is left out of the walk and then walked on its own with no ignore
/// files at all: its files are scanned (a hostile ignore file hides nothing
/// and breaks nothing), and each such file is counted as
/// `ignore_file_unread`.
fn walk_root(
    scanner: &Scanner,
    root: &Path,
    config: &ScanConfig,
    allow: &Allowlist,
    ctx: &Shared<'_>,
) {
    let mut unread = 0;
    // The root's own and its parents' ignore files are read too.
    let ignore = !config.no_ignore && root.is_dir() && {
        let abs = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
        unread = abs.ancestors().map(unreadable_ignore_files).sum();
        unread == 0
    };
    let deferred = std::sync::Arc::new(Mutex::new(Vec::new()));
    walk_tree(scanner, root, root, ignore, config, allow, ctx, &deferred);
    loop {
        let Some((dir, n)) = deferred.lock().unwrap_or_else(|e| e.into_inner()).pop() else {
            break;
        };
        unread += n;
        walk_tree(scanner, &dir, root, false, config, allow, ctx, &deferred);
    }
    if unread > 0 {
        ctx.stats
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .skip_n(SkipReason::IgnoreFileUnread, unread);
    }
}

/// Walks `start`, below `root` (what paths are shown relative to), reading
/// ignore files when `ignore`; folders whose ignore files are unsafe to read
/// go to `deferred` (with how many there are) instead of being entered.
#[allow(clippy::too_many_arguments)]
fn walk_tree(
    scanner: &Scanner,
    start: &Path,
    root: &Path,
    ignore: bool,
    config: &ScanConfig,
    allow: &Allowlist,
    ctx: &Shared<'_>,
    deferred: &std::sync::Arc<Mutex<Vec<(PathBuf, u64)>>>,
) {
    let mut b = WalkBuilder::new(start);
    b.hidden(false)
        .follow_links(false)
        .require_git(false)
        .threads(config.workers());
    if ignore {
        let deferred = deferred.clone();
        b.filter_entry(move |e| {
            if e.file_name() == ".git" {
                return false;
            }
            if e.depth() == 0 || !e.file_type().is_some_and(|t| t.is_dir()) {
                return true;
            }
            match unreadable_ignore_files(e.path()) {
                0 => true,
                n => {
                    deferred
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((e.path().to_path_buf(), n));
                    false
                }
            }
        });
    } else {
        b.filter_entry(|e| e.file_name() != ".git")
            .git_ignore(false)
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
            sink: ctx.sink,
            seen: ctx.seen,
            progress: ctx.progress,
            shared: ctx.stats,
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
            // A root (even a link, or a pipe) is what the user asked for.
            if entry.depth() == 0 {
                w.file(path, true, None);
            } else if ft.is_file() {
                w.file(path, false, entry.ino());
            } else {
                w.stats.skip(skip_reason(&ft));
            }
            WalkState::Continue
        })
    });
}
