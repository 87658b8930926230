//! Scoped token records for services that issue their own tokens: what to
//! store when minting, and a small store trait with a JSON-lines file store.
//! [`crate::issuer::verifier`] answers allowed/denied against a store.
//!
//! A record never holds the token, only its SHA-256.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::error::Error;
use crate::token::checksum::{sha256_hex, to_hex, Scheme};
use crate::token::format::{redact, Format};
use crate::token::scope::Scope;

/// What an issuer stores for a minted token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Random record id, `rec_` + 24 hex digits.
    pub id: String,
    /// The token kind (its prefix without the trailing `_`), e.g. `cfut`.
    pub kind: String,
    /// The checksum scheme of the token's format (`crc32-hex8`,
    /// `crc32-base62-6`), or `layout` for a format a rule file describes.
    #[serde(default = "default_scheme")]
    pub scheme: String,
    /// The id of the token's format (`cloudflare-user-api-token`, or a rule
    /// id from a rule file). Records written before it existed name their
    /// format by `kind` and `scheme` alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// Hex SHA-256 of the token. The token itself is never stored.
    pub token_sha256: String,
    /// Granted scopes; see [`crate::token::scope`].
    pub scopes: Vec<String>,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// RFC 3339, UTC, or null for a token that does not expire.
    pub expires_at: Option<String>,
    /// Whether the token was revoked.
    pub revoked: bool,
    /// When it was revoked, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    /// A redacted form of the token (prefix and four characters), to tell
    /// records apart in listings.
    #[serde(default)]
    pub hint: String,
}

fn default_scheme() -> String {
    Scheme::Crc32Hex8.name().to_string()
}

fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

fn parse_time(s: &str) -> Result<SystemTime, Error> {
    humantime::parse_rfc3339_weak(s)
        .map_err(|e| Error::Invalid(format!("bad timestamp {s:?}: {e}")))
}

impl Record {
    /// Whether the record has expired at `now`.
    pub fn expired_at(&self, now: SystemTime) -> Result<bool, Error> {
        match &self.expires_at {
            None => Ok(false),
            Some(t) => Ok(parse_time(t)? <= now),
        }
    }

    pub(crate) fn check(&self) -> Result<(), String> {
        if self.token_sha256.len() != 64
            || !self
                .token_sha256
                .bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
        {
            return Err("token_sha256 is not 64 lowercase hex digits".into());
        }
        for s in &self.scopes {
            Scope::parse(s).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn hash_bytes(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, b) in out.iter_mut().enumerate() {
            *b = u8::from_str_radix(&self.token_sha256[2 * i..2 * i + 2], 16).unwrap_or(0);
        }
        out
    }
}

/// A freshly minted token and the record to store for it.
#[derive(Clone, Debug)]
pub struct Minted {
    /// The token: hand it to its owner once, then forget it.
    pub token: String,
    /// What to store.
    pub record: Record,
}

/// Mints a token of `format` with `scopes`, valid for `ttl` (or forever).
pub fn mint(format: &Format, scopes: &[Scope], ttl: Option<Duration>) -> Result<Minted, Error> {
    mint_at(format, scopes, ttl, SystemTime::now())
}

/// [`mint`] with an explicit clock.
pub fn mint_at(
    format: &Format,
    scopes: &[Scope],
    ttl: Option<Duration>,
    now: SystemTime,
) -> Result<Minted, Error> {
    let token = format.mint()?;
    let mut id = [0u8; 12];
    getrandom::fill(&mut id).map_err(|e| Error::Random(e.to_string()))?;
    let expires_at = match ttl {
        None => None,
        Some(d) => Some(rfc3339(now.checked_add(d).ok_or_else(|| {
            Error::Invalid(format!("ttl {} is too long", humantime::format_duration(d)))
        })?)),
    };
    let record = Record {
        id: format!("rec_{}", to_hex(&id)),
        kind: format.kind().to_string(),
        scheme: format.scheme().map_or("layout", |s| s.name()).to_string(),
        format: Some(format.id.clone()),
        token_sha256: sha256_hex(token.as_bytes()),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        created_at: rfc3339(now),
        expires_at,
        revoked: false,
        revoked_at: None,
        hint: redact(&token, format.prefix.len()),
    };
    Ok(Minted { token, record })
}

/// What revoking a record did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revoked {
    /// The record, revoked.
    pub record: Record,
    /// It was revoked already: nothing changed.
    pub already: bool,
}

/// A store that is written too: what `burnkey mint`, `verify` and `store`
/// use. [`JsonlStore`] and, with the `sqlite` feature,
/// `burnkey::sqlite::SqliteStore` implement it; [`crate::issuer::store::open`] picks
/// one by name.
pub trait Store: RecordStore + Send + Sync {
    /// Adds records (their ids are new).
    fn insert(&self, records: &[Record]) -> Result<(), Error>;

    /// Marks revoked the record whose id, token or token SHA-256 is `key`,
    /// at once for every process sharing the store; `None` when no record
    /// matches. Revoking twice changes nothing, and says so.
    fn revoke_once(&self, key: &str, now: SystemTime) -> Result<Option<Revoked>, Error>;

    /// Every record, in the order they were added, and what could not be
    /// read.
    fn all(&self) -> Result<Loaded, Error>;

    /// The distinct (kind, scheme, format) of the records: the formats a
    /// verifier must know.
    fn kinds(&self) -> Result<Vec<(String, String, Option<String>)>, Error> {
        let mut k: Vec<_> = self
            .all()?
            .records
            .into_iter()
            .map(|r| (r.kind, r.scheme, r.format))
            .collect();
        k.sort();
        k.dedup();
        Ok(k)
    }

    /// Where it is, for messages.
    fn describe(&self) -> String;
}

impl<S: RecordStore + ?Sized> RecordStore for Box<S> {
    fn find_by_hash(&self, hash: &[u8; 32]) -> Result<Option<Record>, Error> {
        (**self).find_by_hash(hash)
    }
}

/// Where records live. Implement it over your database; the crate ships
/// [`JsonlStore`].
pub trait RecordStore {
    /// The record whose `token_sha256` equals `hash`, if any. Implementations
    /// should compare in constant time (see [`find_constant_time`]).
    fn find_by_hash(&self, hash: &[u8; 32]) -> Result<Option<Record>, Error>;
}

/// Scans all of `records` comparing each hash in constant time, without an
/// early exit, and returns the match.
pub fn find_constant_time<'r>(records: &'r [Record], hash: &[u8; 32]) -> Option<&'r Record> {
    // Every record is compared, without an early exit; a revoked record
    // with the hash wins over any other, so that revoking always denies
    // (even where a store holds the hash twice).
    let mut found = None;
    let mut revoked = None;
    for r in records {
        if bool::from(r.hash_bytes().ct_eq(hash)) {
            if r.revoked {
                revoked = Some(r);
            } else {
                found = Some(r);
            }
        }
    }
    revoked.or(found)
}

/// A store line that could not be read, with its 1-based line number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadLine {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub message: String,
}

/// The records of a store, and the lines that could not be read.
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    /// Records, in file order.
    pub records: Vec<Record>,
    /// Lines that were skipped; the other records still load.
    pub bad_lines: Vec<BadLine>,
}

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
