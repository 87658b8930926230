//! File writing for everything that must neither lose data nor leak it: the
//! record store, the revocation outbox, reports, installed hooks.
//!
//! - [`write_atomic`] replaces a file whole: a temporary file with an
//!   unpredictable name created exclusively (never through a planted link)
//!   beside the real target, fsync, rename. A symlinked target is written
//!   through (the link stays a link); an existing file keeps its mode and
//!   owner.
//! - Files that can hold secrets or token hashes are created `0600`, and
//!   their folders `0700`, whatever the umask ([`create_private`],
//!   [`create_private_dir`]).

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The mode of new files that may hold secrets or token hashes.
pub const PRIVATE_FILE: u32 = 0o600;
/// The mode of new folders that hold such files.
#[cfg(feature = "scan")]
pub const PRIVATE_DIR: u32 = 0o700;

/// The most a control file (an allowlist, a baseline, a configuration) may
/// hold: larger ones are refused, never read into memory.
#[cfg(feature = "scan")]
pub const CONTROL_FILE_MAX: u64 = 16 << 20;

/// The file a write to `path` must replace: `path` itself, or where its
/// symlinks lead. A dangling link is an error (writing would create a file
/// wherever the link points).
fn write_target(path: &Path) -> io::Result<PathBuf> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => fs::canonicalize(path).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "{} is a symlink whose target cannot be resolved: {e}",
                    path.display()
                ),
            )
        }),
        _ => Ok(path.to_path_buf()),
    }
}

/// Replaces the file at `path` with `bytes` atomically: a reader sees the
/// old content or the new, never a part. If `path` is a symlink, the file it
/// points to is replaced and the link is kept. An existing file keeps its
/// owner and its mode (unless `mode` is given, e.g. `0o755` for a hook); a
/// new one gets `mode`, else `0600`. The rename is durable once the folder
/// is synced ([`sync_dir`]).
pub fn write_atomic(path: &Path, bytes: &[u8], mode: Option<u32>) -> io::Result<()> {
    replace(path, mode, |tmp| tmp.write_all(bytes).map(|()| true)).map(drop)
}

/// Like [`write_atomic`], with the new content written by `write` into the
/// temporary file as it streams. `write` returns whether to replace the
/// file; when it says no or fails, the file is left as it was and the
/// temporary file is removed. Returns whether it was replaced.
pub fn replace(
    path: &Path,
    mode: Option<u32>,
    write: impl FnOnce(&mut fs::File) -> io::Result<bool>,
) -> io::Result<bool> {
    replace_at(&write_target(path)?, mode, write)
}

/// [`replace`] for an output burnkey makes (a baseline, a file redacted in
/// place, an outbox entry): a symlink at `path` is refused, never followed,
/// and the new file is renamed over `path` itself, so that even a link
/// planted after the check is replaced, not written through.
#[cfg(feature = "scan")]
pub fn replace_output(
    path: &Path,
    mode: Option<u32>,
    write: impl FnOnce(&mut fs::File) -> io::Result<bool>,
) -> io::Result<bool> {
    refuse_link(path)?;
    replace_at(path, mode, write)
}

/// [`write_atomic`] for an output: see [`replace_output`].
#[cfg(feature = "scan")]
pub fn write_output_atomic(path: &Path, bytes: &[u8], mode: Option<u32>) -> io::Result<()> {
    replace_output(path, mode, |tmp| tmp.write_all(bytes).map(|()| true)).map(drop)
}

/// An error if `path` is a symlink (dangling or not).
#[cfg(feature = "scan")]
fn refuse_link(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(io::Error::other(format!(
            "{} is a symlink: refusing to write through it (remove it, or name the real file)",
            path.display()
        ))),
        _ => Ok(()),
    }
}

fn replace_at(
    target: &Path,
    mode: Option<u32>,
    write: impl FnOnce(&mut fs::File) -> io::Result<bool>,
) -> io::Result<bool> {
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let existing = match fs::metadata(target) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    // Random name, O_CREAT|O_EXCL, mode 0600: nothing planted beside the
    // target can redirect or read the write.
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)?;
    if !write(tmp.as_file_mut())? {
        return Ok(false);
    }
    let file = tmp.as_file();
    if let Some(m) = &existing {
        // Keep the owner; where that is not allowed, refuse rather than
        // hand the file to whoever runs burnkey.
        std::os::unix::fs::fchown(file, Some(m.uid()), Some(m.gid())).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "{} belongs to another user ({e}): refusing to replace it",
                    target.display()
                ),
            )
        })?;
    }
    let mode = mode.unwrap_or_else(|| {
        existing
            .as_ref()
            .map_or(PRIVATE_FILE, |m| m.mode() & 0o7777)
    });
    file.set_permissions(fs::Permissions::from_mode(mode))?;
    file.sync_all()?;
    tmp.persist(target).map_err(|e| e.error)?;
    Ok(true)
}

/// Makes the renames in `dir` durable.
#[cfg(feature = "cli")]
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

/// Why [`read_regular`] read nothing.
#[cfg(feature = "scan")]
#[derive(Debug)]
pub enum Unread {
    /// `path` is a symlink.
    Link,
    /// Not a regular file (a FIFO, a device, a folder…).
    NotRegular,
    /// Larger than the limit.
    TooLarge,
    /// Anything else.
    Io(io::Error),
}

#[cfg(feature = "scan")]
impl std::fmt::Display for Unread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unread::Link => f.write_str("a symlink"),
            Unread::NotRegular => f.write_str("not a regular file"),
            Unread::TooLarge => f.write_str("too large"),
            Unread::Io(e) => e.fmt(f),
        }
    }
}

/// Reads `path` whole if it is a regular file of at most `max` bytes:
/// never through a link (`O_NOFOLLOW`), never blocking on a FIFO
/// (`O_NONBLOCK`), and the open file is the one checked.
#[cfg(feature = "scan")]
pub fn read_regular(path: &Path, max: u64) -> Result<Vec<u8>, Unread> {
    use std::io::Read;
    let f = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) => Unread::Link,
            _ => Unread::Io(e),
        })?;
    let md = f.metadata().map_err(Unread::Io)?;
    if !md.is_file() {
        return Err(Unread::NotRegular);
    }
    if md.len() > max {
        return Err(Unread::TooLarge);
    }
    let mut b = Vec::with_capacity(md.len() as usize);
    f.take(max).read_to_end(&mut b).map_err(Unread::Io)?;
    Ok(b)
}

/// Reads a control file (`.burnkeyignore`, a baseline, `burnkey.toml`) as
/// text: a regular file of at most [`CONTROL_FILE_MAX`], never through a
/// link, never from a device or a FIFO (which would exhaust memory or hang
/// the scan). A missing file keeps its `NotFound` kind.
#[cfg(feature = "scan")]
pub fn read_control(path: &Path) -> io::Result<String> {
    let bytes = read_regular(path, CONTROL_FILE_MAX).map_err(|e| match e {
        Unread::Io(e) => e,
        Unread::Link => io::Error::other(
            "a symlink: control files are read only as regular files, never through a link",
        ),
        Unread::NotRegular => io::Error::other(
            "not a regular file: control files are never read from a device or a pipe",
        ),
        Unread::TooLarge => io::Error::other(format!(
            "over {} MiB: not a control file burnkey reads",
            CONTROL_FILE_MAX >> 20
        )),
    })?;
    String::from_utf8(bytes)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not UTF-8 text"))
}

/// Opens `path` for writing, creating it `0600` if it does not exist
/// (`append`: at its end; else truncated).
pub fn create_private(path: &Path, append: bool) -> io::Result<fs::File> {
    let mut o = fs::OpenOptions::new();
    o.create(true).mode(PRIVATE_FILE);
    if append {
        o.append(true);
    } else {
        o.write(true).truncate(true);
    }
    o.open(path)
}

/// Opens an output (a report, a summary) for writing, creating it `0600` if
/// new (`append`: at its end; else truncated), never through a symlink at
/// `path` (`O_NOFOLLOW`): a link planted where an output goes (a pull
/// request can commit one) is refused with a clear error, not followed.
/// Paths under `/dev/` (`/dev/stdout`, `/dev/fd/3`) are the process's own
/// descriptors and open as named.
#[cfg(feature = "cli")]
pub fn create_output(path: &Path, append: bool) -> io::Result<fs::File> {
    if path.starts_with("/dev/") {
        let mut o = fs::OpenOptions::new();
        o.write(true).append(append);
        return o.open(path);
    }
    let mut o = fs::OpenOptions::new();
    o.create(true)
        .mode(PRIVATE_FILE)
        .custom_flags(libc::O_NOFOLLOW);
    if append {
        o.append(true);
    } else {
        o.write(true).truncate(true);
    }
    o.open(path).map_err(|e| match e.raw_os_error() {
        Some(libc::ELOOP) => io::Error::other(format!(
            "{} is a symlink: refusing to write through it (remove it, or name the real file)",
            path.display()
        )),
        _ => e,
    })
}

/// Creates `dir` and its missing parents `0700`.
#[cfg(feature = "scan")]
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(PRIVATE_DIR)
        .create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn replaces_whole_and_leaves_no_temporary() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f");
        fs::write(&p, "old").unwrap();
        write_atomic(&p, b"new", Some(0o755)).unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "new");
        assert_eq!(mode(&p), 0o755);
        assert_eq!(
            fs::read_dir(d.path()).unwrap().count(),
            1,
            "no temporary left behind"
        );
        assert!(write_atomic(&d.path().join("missing/f"), b"x", None).is_err());
    }

    #[test]
    fn new_files_are_private_and_existing_ones_keep_their_mode() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("new");
        write_atomic(&p, b"x", None).unwrap();
        assert_eq!(mode(&p), 0o600);
        let q = d.path().join("shared");
        fs::write(&q, "old").unwrap();
        fs::set_permissions(&q, fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&q, b"new", None).unwrap();
        assert_eq!(mode(&q), 0o640, "a rewrite keeps the mode");
    }

    #[test]
    fn a_symlinked_target_is_written_through() {
        let d = tempfile::tempdir().unwrap();
        fs::create_dir(d.path().join("real")).unwrap();
        let real = d.path().join("real/store");
        fs::write(&real, "old").unwrap();
        fs::set_permissions(&real, fs::Permissions::from_mode(0o600)).unwrap();
        let link = d.path().join("link");
        std::os::unix::fs::symlink("real/store", &link).unwrap();
        write_atomic(&link, b"new", None).unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read_to_string(&real).unwrap(), "new");
        assert_eq!(mode(&real), 0o600);
        let dangling = d.path().join("dangling");
        std::os::unix::fs::symlink("nowhere/x", &dangling).unwrap();
        assert!(write_atomic(&dangling, b"x", None).is_err());
        assert!(!d.path().join("nowhere").exists());
    }

    /// The old helper wrote `.NAME.PID.tmp` with a plain create: a link
    /// planted under that name made it overwrite the link's target.
    #[test]
    fn a_planted_temporary_link_is_not_followed() {
        let d = tempfile::tempdir().unwrap();
        let victim = d.path().join("victim");
        fs::write(&victim, "precious").unwrap();
        let p = d.path().join("store");
        fs::write(&p, "old").unwrap();
        let planted = d.path().join(format!(".store.{}.tmp", std::process::id()));
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        write_atomic(&p, b"new", None).unwrap();
        assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
        assert_eq!(fs::read_to_string(&p).unwrap(), "new");
        assert!(!fs::symlink_metadata(&p).unwrap().file_type().is_symlink());
    }
}
