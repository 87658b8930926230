//! A record store in SQLite (feature `sqlite`, SQLite bundled): the store
//! for a running service. One table, indexed by token hash; WAL, so that
//! readers never wait for a writer; every write one transaction, so that
//! any number of processes may mint, revoke and verify at once.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};

use crate::error::Error;
use crate::issuer::record::{Record, Revoked};
use crate::issuer::store::{BadLine, Loaded, RecordStore, Store};
use crate::token::checksum::{sha256_hex, to_hex};

/// The first bytes of every SQLite database file.
pub const MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// How long a write waits for another process's to finish.
const BUSY: Duration = Duration::from_secs(30);

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY,
    token_sha256 TEXT NOT NULL,
    kind TEXT NOT NULL,
    scheme TEXT NOT NULL,
    format TEXT,
    scopes TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked INTEGER NOT NULL DEFAULT 0,
    revoked_at TEXT,
    hint TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS records_by_token ON records (token_sha256);
";

const COLUMNS: &str =
    "id, token_sha256, kind, scheme, format, scopes, created_at, expires_at, revoked, revoked_at, hint";

/// Records in a SQLite database file.
#[derive(Debug)]
pub struct SqliteStore {
    path: PathBuf,
    conn: Mutex<Connection>,
}

fn db_err(path: &Path, e: rusqlite::Error) -> Error {
    Error::Invalid(format!("{}: {e}", path.display()))
}

/// The [`COLUMNS`] of a row from column `at` on, as a record; a row that
/// is not one is reported, not loaded.
fn record_at(row: &Row<'_>, at: usize) -> rusqlite::Result<Result<Record, String>> {
    let scopes: String = row.get(at + 5)?;
    let scopes = match serde_json::from_str(&scopes) {
        Ok(s) => s,
        Err(e) => return Ok(Err(format!("scopes are not a JSON list of strings: {e}"))),
    };
    let r = Record {
        id: row.get(at)?,
        token_sha256: row.get(at + 1)?,
        kind: row.get(at + 2)?,
        scheme: row.get(at + 3)?,
        format: row.get(at + 4)?,
        scopes,
        created_at: row.get(at + 6)?,
        expires_at: row.get(at + 7)?,
        revoked: row.get::<_, i64>(at + 8)? != 0,
        revoked_at: row.get(at + 9)?,
        hint: row.get(at + 10)?,
    };
    Ok(r.check().map(|()| r))
}

fn record(row: &Row<'_>) -> rusqlite::Result<Result<Record, String>> {
    record_at(row, 0)
}

/// Whether SQLite said the database is busy or locked.
fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

impl SqliteStore {
    /// Opens the database at `path`, creating it (mode 0600, like every
    /// file that holds token hashes) and its table when missing.
    pub fn open(path: impl Into<PathBuf>) -> Result<SqliteStore, Error> {
        let path = path.into();
        // Created 0600 first: SQLite gives its -wal and -shm files the
        // database file's mode.
        crate::fsutil::create_private(&path, true).map_err(|e| Error::io(&path, e))?;
        let conn = Connection::open(&path).map_err(|e| db_err(&path, e))?;
        conn.busy_timeout(BUSY).map_err(|e| db_err(&path, e))?;
        // WAL persists in the file; setting it again is a no-op. Turning a
        // new file to WAL needs its exclusive lock, and two processes that
        // both hold the shared lock and want it would deadlock: SQLite
        // answers one of them "locked" at once, without waiting (the busy
        // timeout does not apply). That one tries again, until the first
        // has made the file WAL.
        let started = std::time::Instant::now();
        let mode: String = loop {
            match conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)) {
                Err(e) if is_busy(&e) && started.elapsed() < BUSY => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                other => break other.map_err(|e| db_err(&path, e))?,
            }
        };
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::Invalid(format!(
                "{}: SQLite would not use WAL (journal mode {mode})",
                path.display()
            )));
        }
        conn.execute_batch("PRAGMA synchronous = NORMAL;")
            .and_then(|()| conn.execute_batch(SCHEMA))
            .map_err(|e| db_err(&path, e))?;
        Ok(SqliteStore {
            path,
            conn: Mutex::new(conn),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic mid-statement leaves SQLite consistent (the
        // transaction rolls back): the connection stays usable.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn err(&self, e: rusqlite::Error) -> Error {
        db_err(&self.path, e)
    }
}

impl RecordStore for SqliteStore {
    /// Looked up by the index on the hash. (The hash is of a random
    /// token: how long the lookup takes says nothing usable about it.)
    fn find_by_hash(&self, hash: &[u8; 32]) -> Result<Option<Record>, Error> {
        let conn = self.conn();
        let sql = format!(
            "SELECT {COLUMNS} FROM records WHERE token_sha256 = ?1 ORDER BY revoked DESC LIMIT 1"
        );
        let row = conn
            .query_row(&sql, [to_hex(hash)], record)
            .optional()
            .map_err(|e| self.err(e))?;
        match row {
            None => Ok(None),
            Some(Ok(r)) => Ok(Some(r)),
            Some(Err(why)) => Err(Error::Invalid(format!(
                "{}: the record of that token is unreadable: {why}",
                self.path.display()
            ))),
        }
    }
}

impl Store for SqliteStore {
    fn insert(&self, records: &[Record]) -> Result<(), Error> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.err(e))?;
        {
            let sql = format!(
                "INSERT INTO records ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
            );
            let mut insert = tx.prepare(&sql).map_err(|e| self.err(e))?;
            for r in records {
                r.check().map_err(Error::Invalid)?;
                insert
                    .execute(params![
                        r.id,
                        r.token_sha256,
                        r.kind,
                        r.scheme,
                        r.format,
                        serde_json::to_string(&r.scopes).expect("strings serialize"),
                        r.created_at,
                        r.expires_at,
                        r.revoked as i64,
                        r.revoked_at,
                        r.hint,
                    ])
                    .map_err(|e| self.err(e))?;
            }
        }
        tx.commit().map_err(|e| self.err(e))
    }

    fn revoke_once(&self, key: &str, now: SystemTime) -> Result<Option<Revoked>, Error> {
        let key_hash = sha256_hex(key.as_bytes());
        let mut conn = self.conn();
        // One write transaction: of two processes revoking at once, one
        // changes the record and the other finds it revoked.
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.err(e))?;
        let at = humantime::format_rfc3339_seconds(now).to_string();
        let changed = tx
            .execute(
                "UPDATE records SET revoked = 1, revoked_at = ?4
                 WHERE (id = ?1 OR token_sha256 = ?2 OR token_sha256 = ?3) AND revoked = 0",
                params![key, key_hash, key, at],
            )
            .map_err(|e| self.err(e))?;
        let sql = format!(
            "SELECT {COLUMNS} FROM records WHERE id = ?1 OR token_sha256 = ?2 OR token_sha256 = ?3
             ORDER BY rowid LIMIT 1"
        );
        let row = tx
            .query_row(&sql, params![key, key_hash, key], record)
            .optional()
            .map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))?;
        match row {
            None => Ok(None),
            Some(Ok(record)) => Ok(Some(Revoked {
                record,
                already: changed == 0,
            })),
            Some(Err(why)) => Err(Error::Invalid(format!(
                "{}: the record is unreadable: {why}",
                self.path.display()
            ))),
        }
    }

    fn all(&self) -> Result<Loaded, Error> {
        let conn = self.conn();
        let sql = format!("SELECT rowid, {COLUMNS} FROM records ORDER BY rowid");
        let mut stmt = conn.prepare(&sql).map_err(|e| self.err(e))?;
        let mut rows = stmt.query([]).map_err(|e| self.err(e))?;
        let mut out = Loaded::default();
        while let Some(row) = rows.next().map_err(|e| self.err(e))? {
            let rowid: i64 = row.get(0).map_err(|e| self.err(e))?;
            let r = record_at(row, 1);
            match r.map_err(|e| self.err(e))? {
                Ok(r) => out.records.push(r),
                Err(message) => out.bad_lines.push(BadLine {
                    line: rowid as usize,
                    message,
                }),
            }
        }
        Ok(out)
    }

    fn kinds(&self) -> Result<Vec<(String, String, Option<String>)>, Error> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT DISTINCT kind, scheme, format FROM records ORDER BY 1, 2, 3")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(|e| self.err(e))
    }

    fn describe(&self) -> String {
        format!("sqlite:{}", self.path.display())
    }
}
