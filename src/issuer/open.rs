//! Choosing a record store by name: `tokens.jsonl` (one JSON record per
//! line), `tokens.db` or `sqlite:PATH` (SQLite, with the `sqlite`
//! feature). An existing file is taken for what it holds, whatever its name.

use std::path::Path;

use crate::error::Error;
use crate::issuer::jsonl::JsonlStore;
use crate::issuer::store::Store;
use crate::token::checksum::Scheme;
use crate::token::format::{Format, FormatSet};

/// What kind of store `spec` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// One JSON record per line.
    Jsonl,
    /// A SQLite database.
    Sqlite,
}

/// The kind and path of the store `spec` names: `sqlite:PATH`; a file that
/// starts as a SQLite database does; else by its name (`.db`, `.sqlite`,
/// `.sqlite3`: SQLite; anything else: JSON lines).
pub fn kind(spec: &str) -> (Kind, &Path) {
    if let Some(path) = spec.strip_prefix("sqlite:") {
        return (Kind::Sqlite, Path::new(path));
    }
    let path = Path::new(spec);
    let mut head = [0u8; 16];
    let sqlite_file = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok()
        && &head == b"SQLite format 3\0";
    let named = matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("db" | "sqlite" | "sqlite3")
    );
    if sqlite_file || named {
        (Kind::Sqlite, path)
    } else {
        (Kind::Jsonl, path)
    }
}

/// Opens the store `spec` names (see [`kind`]); a JSON-lines store is
/// created on its first record, a SQLite one at once.
pub fn open(spec: &str) -> Result<Box<dyn Store>, Error> {
    match kind(spec) {
        (Kind::Jsonl, path) => Ok(Box::new(JsonlStore::new(path))),
        #[cfg(feature = "sqlite")]
        (Kind::Sqlite, path) => Ok(Box::new(crate::issuer::sqlite::SqliteStore::open(path)?)),
        #[cfg(not(feature = "sqlite"))]
        (Kind::Sqlite, path) => Err(Error::Invalid(format!(
            "{}: a SQLite store, and this build has no `sqlite` feature",
            path.display()
        ))),
    }
}

/// The formats a verifier of a store needs: `known`'s, plus a format for
/// each custom kind among the store's `kinds` (see [`Store::kinds`]). The
/// second list names the formats that only their rule file defines
/// (`--rules FILE`): records of them cannot be verified without it.
pub fn formats_for(
    known: &FormatSet,
    kinds: impl IntoIterator<Item = (String, String, Option<String>)>,
) -> (FormatSet, Vec<String>) {
    let mut formats: Vec<Format> = known.formats().to_vec();
    let mut missing = Vec::new();
    for (kind, scheme, id) in kinds {
        let by_id = id.as_deref().and_then(|id| known.by_name(id));
        if by_id.is_some() || (id.is_none() && known.by_name(&kind).is_some()) {
            continue;
        }
        // A custom prefix minted with one of the named schemes.
        let custom = match scheme.parse::<Scheme>() {
            Ok(s) if !s.is_empty() && known.by_name(&kind).is_none() => {
                Format::custom(&kind, s).ok()
            }
            _ => None,
        };
        match custom {
            Some(f) if id.as_deref().is_none_or(|id| id == f.id) => formats.push(f),
            _ => missing.push(id.unwrap_or(kind)),
        }
    }
    (FormatSet::new(formats), missing)
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use std::time::SystemTime;

    use super::*;
    use crate::issuer::record::mint;
    use crate::issuer::store::Store;
    use crate::token::format::FormatSet;
    use crate::token::scope::Scope;

    /// What every store must do; run on each kind.
    fn suite(store: &dyn Store) {
        let f = FormatSet::builtin().by_name("cfut").unwrap().clone();
        let scopes = [Scope::parse("dns:edit@zone/example.com").unwrap()];
        let minted: Vec<_> = (0..5).map(|_| mint(&f, &scopes, None).unwrap()).collect();
        store
            .insert(&[minted[0].record.clone(), minted[1].record.clone()])
            .unwrap();
        store
            .insert(
                &minted[2..]
                    .iter()
                    .map(|m| m.record.clone())
                    .collect::<Vec<_>>(),
            )
            .unwrap();
        let all = store.all().unwrap();
        let ids: Vec<_> = all.records.iter().map(|r| r.id.clone()).collect();
        let want: Vec<_> = minted.iter().map(|m| m.record.id.clone()).collect();
        assert_eq!(ids, want, "in the order added");
        assert_eq!(
            all.records[3], minted[3].record,
            "a record comes back whole"
        );
        assert_eq!(
            store.kinds().unwrap(),
            vec![("cfut".into(), "crc32-hex8".into(), Some(f.id.clone()))]
        );
        let hash = |t: &str| {
            let h = crate::token::checksum::sha256_hex(t.as_bytes());
            let mut b = [0u8; 32];
            for (i, x) in b.iter_mut().enumerate() {
                *x = u8::from_str_radix(&h[2 * i..2 * i + 2], 16).unwrap();
            }
            b
        };
        let found = store
            .find_by_hash(&hash(&minted[2].token))
            .unwrap()
            .unwrap();
        assert_eq!(found.id, minted[2].record.id);
        assert!(store.find_by_hash(&hash("cfut_nothing")).unwrap().is_none());

        // By token, then again: the second changes nothing and says so.
        let now = SystemTime::now();
        let r = store.revoke_once(&minted[2].token, now).unwrap().unwrap();
        assert!(!r.already && r.record.revoked && r.record.id == minted[2].record.id);
        let again = store
            .revoke_once(&minted[2].record.id, now)
            .unwrap()
            .unwrap();
        assert!(again.already && again.record.revoked_at == r.record.revoked_at);
        // By hash; an unknown key matches nothing.
        let by_hash = store
            .revoke_once(&minted[4].record.token_sha256, now)
            .unwrap();
        assert!(!by_hash.unwrap().already);
        assert!(store.revoke_once("rec_nope", now).unwrap().is_none());
        assert!(
            store
                .find_by_hash(&hash(&minted[2].token))
                .unwrap()
                .unwrap()
                .revoked
        );
        assert!(
            !store
                .find_by_hash(&hash(&minted[3].token))
                .unwrap()
                .unwrap()
                .revoked
        );
        let revoked = store
            .all()
            .unwrap()
            .records
            .iter()
            .filter(|r| r.revoked)
            .count();
        assert_eq!(revoked, 2);
    }

    #[test]
    fn every_store_passes_the_same_suite() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        for name in ["tokens.jsonl", "tokens.db", "sqlite:plain-name"] {
            let spec = format!("{}/{name}", dir.path().display()).replace(
                &format!("{}/sqlite:", dir.path().display()),
                &format!("sqlite:{}/", dir.path().display()),
            );
            let store = open(&spec).unwrap();
            suite(&*store);
            let (_, path) = kind(&spec);
            let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{spec}");
        }
        // A SQLite file is known by its content, whatever its name.
        let (k, _) = kind(&format!("{}/plain-name", dir.path().display()));
        assert_eq!(k, Kind::Sqlite);
        assert_eq!(kind("tokens.jsonl").0, Kind::Jsonl);
    }
}
