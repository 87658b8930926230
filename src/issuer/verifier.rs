//! The verifier: answers allowed/denied for a presented token and a
//! requested scope, against a [`RecordStore`].
//!
//! It checks the token's format and checksum *before* it asks the store
//! anything, so a malformed or mistyped token costs no lookup; stores
//! compare hashes in constant time.

use std::time::SystemTime;

use sha2::{Digest, Sha256};

use crate::error::{Error, TokenError};
use crate::issuer::store::RecordStore;
use crate::token::format::FormatSet;
use crate::token::scope::Scope;

/// Why a token was denied.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Denied {
    /// The token is malformed or its checksum is wrong; the store was not asked.
    Malformed(TokenError),
    /// No record has this token's hash.
    UnknownToken,
    /// The record was revoked.
    Revoked { record_id: String },
    /// The record expired.
    Expired { record_id: String, at: String },
    /// None of the record's scopes allows the requested one.
    ScopeNotGranted {
        record_id: String,
        requested: String,
    },
}

impl std::fmt::Display for Denied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Denied::Malformed(e) => write!(f, "malformed token: {e}"),
            Denied::UnknownToken => write!(f, "unknown token: no record has its hash"),
            Denied::Revoked { record_id } => write!(f, "token revoked (record {record_id})"),
            Denied::Expired { record_id, at } => {
                write!(f, "token expired at {at} (record {record_id})")
            }
            Denied::ScopeNotGranted {
                record_id,
                requested,
            } => write!(f, "scope {requested} is not granted (record {record_id})"),
        }
    }
}

/// The verifier's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The token is live and grants the scope.
    Allowed { record_id: String },
    /// It is not; the reason says why.
    Denied(Denied),
}

/// Answers allowed/denied for a presented token and a requested scope.
#[derive(Debug)]
pub struct Verifier<S> {
    formats: FormatSet,
    store: S,
}

impl<S: RecordStore> Verifier<S> {
    /// A verifier that knows `formats` (tokens of other formats are malformed).
    pub fn new(formats: FormatSet, store: S) -> Verifier<S> {
        Verifier { formats, store }
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Verifies `token` for `requested` now.
    pub fn verify(&self, token: &str, requested: &Scope) -> Result<Decision, Error> {
        self.verify_at(token, requested, SystemTime::now())
    }

    /// [`Verifier::verify`] with an explicit clock.
    pub fn verify_at(
        &self,
        token: &str,
        requested: &Scope,
        now: SystemTime,
    ) -> Result<Decision, Error> {
        if let Err(e) = self.formats.check(token) {
            return Ok(Decision::Denied(Denied::Malformed(e)));
        }
        let hash: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let Some(r) = self.store.find_by_hash(&hash)? else {
            return Ok(Decision::Denied(Denied::UnknownToken));
        };
        let record_id = r.id.clone();
        if r.revoked {
            return Ok(Decision::Denied(Denied::Revoked { record_id }));
        }
        if r.expired_at(now)? {
            let at = r.expires_at.clone().unwrap_or_default();
            return Ok(Decision::Denied(Denied::Expired { record_id, at }));
        }
        for s in &r.scopes {
            if Scope::parse(s)
                .map_err(|e| Error::Invalid(e.to_string()))?
                .allows(requested)
            {
                return Ok(Decision::Allowed { record_id });
            }
        }
        Ok(Decision::Denied(Denied::ScopeNotGranted {
            record_id,
            requested: requested.to_string(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::issuer::jsonl::JsonlStore;
    use crate::issuer::record::*;
    use crate::issuer::store::*;
    use crate::token::format::{redact, Format};
    use std::cell::Cell;
    use std::fs::OpenOptions;
    use std::io::Write;
    use std::time::Duration;

    struct Counting<'a> {
        records: Vec<Record>,
        lookups: &'a Cell<usize>,
    }

    impl RecordStore for Counting<'_> {
        fn find_by_hash(&self, hash: &[u8; 32]) -> Result<Option<Record>, Error> {
            self.lookups.set(self.lookups.get() + 1);
            Ok(find_constant_time(&self.records, hash).cloned())
        }
    }

    fn scopes(s: &[&str]) -> Vec<Scope> {
        s.iter().map(|x| Scope::parse(x).unwrap()).collect()
    }

    fn cfut() -> Format {
        FormatSet::builtin().by_name("cfut").unwrap().clone()
    }

    fn setup(grant: &[&str], ttl: Option<Duration>) -> (Minted, Vec<Record>) {
        let m = mint_at(
            &cfut(),
            &scopes(grant),
            ttl,
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000),
        )
        .unwrap();
        let other = mint(&cfut(), &scopes(&["*:edit@*/*"]), None).unwrap();
        let records = vec![other.record, m.record.clone()];
        (m, records)
    }

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn allowed_denied_and_why() {
        let lookups = Cell::new(0);
        let (m, records) = setup(
            &["dns:edit@zone/example.com", "workers:read@account/*"],
            Some(Duration::from_secs(3600)),
        );
        let v = Verifier::new(
            FormatSet::builtin(),
            Counting {
                records,
                lookups: &lookups,
            },
        );
        let now = at(1_800_000_010);
        let q = |s: &str| Scope::parse(s).unwrap();
        let allowed = |s: &str| {
            matches!(
                v.verify_at(&m.token, &q(s), now).unwrap(),
                Decision::Allowed { .. }
            )
        };
        assert!(allowed("dns:edit@zone/example.com"));
        assert!(allowed("dns:read@zone/example.com"), "edit implies read");
        assert!(allowed("workers:read@account/abc"), "wildcard id");
        assert!(!allowed("workers:edit@account/abc"));
        assert_eq!(
            v.verify_at(&m.token, &q("dns:edit@zone/other.com"), now)
                .unwrap(),
            Decision::Denied(Denied::ScopeNotGranted {
                record_id: m.record.id.clone(),
                requested: "dns:edit@zone/other.com".into()
            })
        );
        // Expiry is exclusive of the instant itself.
        let d = v
            .verify_at(&m.token, &q("dns:read@zone/example.com"), at(1_800_003_600))
            .unwrap();
        assert!(
            matches!(d, Decision::Denied(Denied::Expired { .. })),
            "{d:?}"
        );
        // Unknown: well-formed, but not in the store.
        let stranger = cfut().mint().unwrap();
        assert_eq!(
            v.verify_at(&stranger, &q("dns:read@zone/example.com"), now)
                .unwrap(),
            Decision::Denied(Denied::UnknownToken)
        );
    }

    #[test]
    fn malformed_tokens_never_reach_the_store() {
        let lookups = Cell::new(0);
        let (m, records) = setup(&["*:edit@*/*"], None);
        let v = Verifier::new(
            FormatSet::builtin(),
            Counting {
                records,
                lookups: &lookups,
            },
        );
        let q = Scope::parse("dns:read@zone/x").unwrap();
        let mut bad_sum = m.token.clone();
        let last = bad_sum.pop().unwrap();
        bad_sum.push(if last == '0' { '1' } else { '0' });
        let huge = "a".repeat(1 << 20);
        for bad in [
            &bad_sum[..],
            "",
            "cfut_short",
            "ghp_\0\0",
            &huge,
            "cfut_ééé",
        ] {
            let d = v.verify(bad, &q).unwrap();
            assert!(matches!(d, Decision::Denied(Denied::Malformed(_))), "{d:?}");
        }
        assert_eq!(lookups.get(), 0);
        v.verify(&m.token, &q).unwrap();
        assert_eq!(lookups.get(), 1);
    }

    #[test]
    fn jsonl_store_round_trip_revoke_and_bad_lines() {
        let dir = tempfile::tempdir().unwrap();
        let store = JsonlStore::new(dir.path().join("tokens.jsonl"));
        let (m, records) = setup(&["dns:read@zone/x"], None);
        store.append(&records).unwrap();
        // A corrupt line between good ones.
        let mut f = OpenOptions::new().append(true).open(store.path()).unwrap();
        f.write_all(b"{not json\n").unwrap();
        drop(f);
        let third = mint(&cfut(), &scopes(&["dns:read@zone/x"]), None).unwrap();
        store.append(std::slice::from_ref(&third.record)).unwrap();
        let loaded = store.load().unwrap();
        assert_eq!(loaded.records.len(), 3);
        assert_eq!(loaded.bad_lines.len(), 1);
        assert_eq!(loaded.bad_lines[0].line, 3);
        let text = std::fs::read_to_string(store.path()).unwrap();
        assert!(!text.contains(&m.token), "the store never holds a token");

        let v = Verifier::new(FormatSet::builtin(), store.clone());
        let q = Scope::parse("dns:read@zone/x").unwrap();
        assert!(matches!(
            v.verify(&m.token, &q).unwrap(),
            Decision::Allowed { .. }
        ));
        let r = store.revoke(&m.token).unwrap();
        assert!(r.revoked && r.revoked_at.is_some());
        assert!(matches!(
            v.verify(&m.token, &q).unwrap(),
            Decision::Denied(Denied::Revoked { .. })
        ));
        // By id, and the corrupt line survives the rewrite.
        store.revoke(&third.record.id).unwrap();
        assert!(matches!(
            v.verify(&third.token, &q).unwrap(),
            Decision::Denied(Denied::Revoked { .. })
        ));
        let loaded = store.load().unwrap();
        assert_eq!(loaded.bad_lines.len(), 1);
        assert_eq!(loaded.records.iter().filter(|r| r.revoked).count(), 2);
        assert!(store.revoke("rec_nope").is_err());
    }

    #[test]
    fn redaction() {
        assert_eq!(
            redact("cfut_yGWmZQhXQCaSBLdVLIIN8nVy40xdnxVZmwkycbF1325c4830", 5),
            "cfut_yGWm..."
        ); // burnkey:allow
        assert_eq!(redact("ab", 5), "a...");
        assert_eq!(redact("éééé", 1), "éé...");
    }
}
