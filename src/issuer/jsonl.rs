//! The default record store: one JSON record per line.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::error::Error;
use crate::issuer::record::{rfc3339, Record, Revoked};
use crate::issuer::store::{find_constant_time, BadLine, Loaded, RecordStore, Store};
use crate::token::checksum::sha256_hex;

/// Longest line a store may have: a record is well under 1 KiB.
pub const MAX_LINE: usize = 64 * 1024;

/// The default store: one JSON record per line. Appends and rewrites take an
/// exclusive lock on `FILE.lock`; rewrites go through a temporary file and a
/// rename, and keep unreadable lines as they were.
#[derive(Clone, Debug)]
pub struct JsonlStore {
    path: PathBuf,
}

impl JsonlStore {
    /// A store in `path` (created on first append).
    pub fn new(path: impl Into<PathBuf>) -> JsonlStore {
        JsonlStore { path: path.into() }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file the store really is: where `path` leads when it is a
    /// symlink, so that the lock and the rewrite act on the real store.
    fn real_path(&self) -> PathBuf {
        std::fs::canonicalize(&self.path).unwrap_or_else(|_| self.path.clone())
    }

    fn lock(&self) -> Result<File, Error> {
        let mut p = self.real_path().into_os_string();
        p.push(".lock");
        let f = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(crate::fsutil::PRIVATE_FILE)
            .open(&p)
            .map_err(|e| Error::io(PathBuf::from(&p), e))?;
        f.lock().map_err(|e| Error::io(PathBuf::from(&p), e))?;
        Ok(f)
    }

    fn raw_lines(&self) -> Result<Vec<String>, Error> {
        let f = File::open(&self.path).map_err(|e| Error::io(&self.path, e))?;
        let md = f.metadata().map_err(|e| Error::io(&self.path, e))?;
        if !md.is_file() {
            return Err(Error::Invalid(format!(
                "{}: not a regular file, so not a record store",
                self.path.display()
            )));
        }
        let mut reader = BufReader::new(f);
        let mut lines = Vec::new();
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let n = (&mut reader)
                .take(MAX_LINE as u64 + 1)
                .read_until(b'\n', &mut buf)
                .map_err(|e| Error::io(&self.path, e))?;
            if n == 0 {
                break;
            }
            if buf.last() == Some(&b'\n') {
                buf.pop();
            } else if buf.len() > MAX_LINE {
                return Err(Error::Invalid(format!(
                    "{}: line {} is longer than {MAX_LINE} bytes: not a record store",
                    self.path.display(),
                    lines.len() + 1
                )));
            }
            lines.push(String::from_utf8_lossy(&buf).into_owned());
        }
        Ok(lines)
    }

    fn parse_line(line: &str) -> Result<Record, String> {
        let r: Record = serde_json::from_str(line).map_err(|e| e.to_string())?;
        r.check()?;
        Ok(r)
    }

    /// Loads every readable record; unreadable lines are listed with their
    /// numbers. Fails only if the file itself cannot be read.
    pub fn load(&self) -> Result<Loaded, Error> {
        let mut out = Loaded::default();
        for (i, line) in self.raw_lines()?.iter().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match JsonlStore::parse_line(line) {
                Ok(r) => out.records.push(r),
                Err(message) => out.bad_lines.push(BadLine {
                    line: i + 1,
                    message,
                }),
            }
        }
        Ok(out)
    }

    /// Appends records, one line each.
    pub fn append(&self, records: &[Record]) -> Result<(), Error> {
        let _lock = self.lock()?;
        let mut text = String::new();
        for r in records {
            text.push_str(&serde_json::to_string(r).expect("records serialize"));
            text.push('\n');
        }
        let mut f = crate::fsutil::create_private(&self.path, true)
            .map_err(|e| Error::io(&self.path, e))?;
        f.write_all(text.as_bytes())
            .and_then(|_| f.sync_data())
            .map_err(|e| Error::io(&self.path, e))
    }

    /// Marks revoked the record whose id is `key`, or whose token (or token
    /// hash) is `key`. Returns the updated record; an error if none matches.
    pub fn revoke(&self, key: &str) -> Result<Record, Error> {
        self.revoke_at(key, SystemTime::now())
    }

    /// [`JsonlStore::revoke`] with an explicit clock.
    pub fn revoke_at(&self, key: &str, now: SystemTime) -> Result<Record, Error> {
        match self.revoke_once(key, now)? {
            Some(r) => Ok(r.record),
            None => Err(Error::Invalid(format!(
                "{}: no record matches that token or record id",
                self.path.display()
            ))),
        }
    }
}

/// Whether `r` is the record `key` names: its id, its token, or the
/// token's SHA-256 (hex).
fn names(r: &Record, key: &str, key_hash: &str) -> bool {
    r.id == key || r.token_sha256 == key_hash || r.token_sha256 == key
}

impl Store for JsonlStore {
    fn insert(&self, records: &[Record]) -> Result<(), Error> {
        self.append(records)
    }

    fn revoke_once(&self, key: &str, now: SystemTime) -> Result<Option<Revoked>, Error> {
        let _lock = self.lock()?;
        let key_hash = sha256_hex(key.as_bytes());
        let mut lines = self.raw_lines()?;
        let (mut hit, mut changed) = (None, false);
        for line in lines.iter_mut() {
            let Ok(mut r) = JsonlStore::parse_line(line) else {
                continue;
            };
            if names(&r, key, &key_hash) {
                if !r.revoked {
                    r.revoked = true;
                    r.revoked_at = Some(rfc3339(now));
                    *line = serde_json::to_string(&r).expect("records serialize");
                    changed = true;
                }
                hit = Some(r);
            }
        }
        let Some(record) = hit else {
            return Ok(None);
        };
        if changed {
            let mut text = lines.join("\n");
            if !text.is_empty() {
                text.push('\n');
            }
            crate::fsutil::write_atomic(&self.path, text.as_bytes(), None)
                .map_err(|e| Error::io(&self.path, e))?;
        }
        Ok(Some(Revoked {
            record,
            already: !changed,
        }))
    }

    /// A store not yet written holds nothing.
    fn all(&self) -> Result<Loaded, Error> {
        if !self.path.exists() && std::fs::symlink_metadata(&self.path).is_err() {
            return Ok(Loaded::default());
        }
        self.load()
    }

    fn describe(&self) -> String {
        self.path.display().to_string()
    }
}

impl RecordStore for JsonlStore {
    fn find_by_hash(&self, hash: &[u8; 32]) -> Result<Option<Record>, Error> {
        let loaded = self.load()?;
        Ok(find_constant_time(&loaded.records, hash).cloned())
    }
}
