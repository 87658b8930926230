//! Where records live: the [`RecordStore`] a verifier reads, the [`Store`]
//! that is written too, and what loading one yields. The JSON-lines store
//! is [`crate::issuer::jsonl`], the SQLite one `crate::issuer::sqlite`;
//! [`crate::issuer::open`] picks one by name.

use std::time::SystemTime;

use subtle::ConstantTimeEq;

use crate::error::Error;
use crate::issuer::record::{Record, Revoked};

/// A store that is written too: what `burnkey mint`, `verify` and `store`
/// use. [`crate::issuer::jsonl::JsonlStore`] and, with the `sqlite` feature,
/// `burnkey::sqlite::SqliteStore` implement it; [`crate::issuer::open::open`] picks
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
/// [`crate::issuer::jsonl::JsonlStore`].
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
