//! `burnkey check`, `mint`, `verify` and `store`: the token library on the
//! command line. No command here prints a full token except `mint`, whose
//! job it is.

use std::collections::BTreeSet;
use std::io::Write;

use anyhow::{bail, Context};
use serde_json::json;

use crate::record::{self, JsonlStore};
use crate::verify::{Decision, Verifier};
use crate::{Format, FormatSet, RuleSet, Scheme, Scope};

use super::{read_token_arg, CheckArgs, Exit, MintArgs, OutFormat, StoreCmd, VerifyArgs};

/// The built-in formats plus those of `--rules` files.
fn known_formats(rules: &[std::path::PathBuf]) -> anyhow::Result<FormatSet> {
    Ok(RuleSet::with_files(rules)?.formats())
}

/// The format `kind` names: a kind, prefix or rule id among `known`, or a
/// custom prefix with one of the named schemes.
fn format_for(known: &FormatSet, kind: &str, scheme: Option<&str>) -> anyhow::Result<Format> {
    if let Some(f) = known.by_name(kind) {
        if let Some(s) = scheme {
            let s: Scheme = s.parse().map_err(anyhow::Error::msg)?;
            if Some(s) != f.scheme() {
                bail!(
                    "kind {kind} is defined with checksum {}; --scheme {s} does not apply",
                    f.checksum_name()
                );
            }
        }
        return Ok(f.clone());
    }
    let scheme: Scheme = scheme
        .unwrap_or("crc32-hex8")
        .parse()
        .map_err(anyhow::Error::msg)?;
    if scheme.is_empty() {
        bail!("a minted token needs a checksum: choose --scheme crc32-hex8 or crc32-base62-6");
    }
    Ok(Format::custom(kind, scheme)?)
}

pub(crate) fn check(a: CheckArgs) -> anyhow::Result<Exit> {
    let token = read_token_arg(&a.token)?;
    let known = known_formats(&a.rules)?;
    let formats = match &a.kind {
        Some(k) => FormatSet::new(vec![format_for(&known, k, a.scheme.as_deref())?]),
        None => known,
    };
    let mut out = std::io::stdout().lock();
    match formats.check(&token) {
        Ok(c) => {
            let f = c.format;
            writeln!(
                out,
                "valid: {} ({}) {}",
                f.name,
                f.id,
                crate::format::redact(&token, f.prefix.len())
            )?;
            Ok(Exit::Ok)
        }
        Err(e) => {
            writeln!(out, "invalid: {e}")?;
            Ok(Exit::Found)
        }
    }
}

fn parse_scopes(scopes: &[String]) -> anyhow::Result<Vec<Scope>> {
    scopes
        .iter()
        .map(|s| Scope::parse(s).map_err(anyhow::Error::from))
        .collect()
}

pub(crate) fn mint(a: MintArgs) -> anyhow::Result<Exit> {
    let format = format_for(&known_formats(&a.rules)?, &a.kind, a.scheme.as_deref())?;
    let scopes = parse_scopes(&a.scopes)?;
    let mut minted = Vec::with_capacity(a.count as usize);
    for _ in 0..a.count {
        minted.push(record::mint(&format, &scopes, a.ttl)?);
    }
    // Store first: a token printed but not stored could never be verified.
    if let Some(path) = &a.store {
        let records: Vec<_> = minted.iter().map(|m| m.record.clone()).collect();
        JsonlStore::new(path).append(&records)?;
    }
    let mut out = std::io::stdout().lock();
    for m in &minted {
        match a.format {
            OutFormat::Text => writeln!(out, "{}", m.token)?,
            OutFormat::Json => writeln!(out, "{}", json!({"token": m.token, "record": m.record}))?,
        }
    }
    if let Some(path) = &a.store {
        eprintln!(
            "burnkey: stored {} record(s) in {}",
            minted.len(),
            path.display()
        );
    }
    Ok(Exit::Ok)
}

fn load_store(path: &std::path::Path) -> anyhow::Result<record::Loaded> {
    let loaded = JsonlStore::new(path)
        .load()
        .with_context(|| "cannot read the record store")?;
    for bad in &loaded.bad_lines {
        eprintln!(
            "burnkey: warning: {}:{}: skipped: {}",
            path.display(),
            bad.line,
            bad.message
        );
    }
    Ok(loaded)
}

pub(crate) fn verify(a: VerifyArgs) -> anyhow::Result<Exit> {
    let token = read_token_arg(&a.token)?;
    let scope = Scope::parse(&a.scope)?;
    let loaded = load_store(&a.store)?;
    // The store may hold custom kinds; learn their formats (no lookup yet).
    let known = known_formats(&a.rules)?;
    let mut formats: Vec<Format> = known.formats().to_vec();
    let kinds: BTreeSet<(String, String, Option<String>)> = loaded
        .records
        .iter()
        .map(|r| (r.kind.clone(), r.scheme.clone(), r.format.clone()))
        .collect();
    for (kind, scheme, id) in kinds {
        let by_id = id.as_deref().and_then(|id| known.by_name(id));
        if by_id.is_some() || (id.is_none() && known.by_name(&kind).is_some()) {
            continue;
        }
        match format_for(&known, &kind, Some(&scheme)) {
            Ok(f) if id.as_deref().is_none_or(|id| id == f.id) => formats.push(f),
            _ => eprintln!(
                "burnkey: warning: records of format {} (kind {kind}) need the rule file that defines it: --rules FILE",
                id.as_deref().unwrap_or(&kind)
            ),
        }
    }
    let verifier = Verifier::new(FormatSet::new(formats), Records(loaded.records));
    let mut out = std::io::stdout().lock();
    match verifier.verify(&token, &scope)? {
        Decision::Allowed { record_id } => {
            writeln!(out, "allowed: {scope} (record {record_id})")?;
            Ok(Exit::Ok)
        }
        Decision::Denied(why) => {
            writeln!(out, "denied: {why}")?;
            Ok(Exit::Found)
        }
    }
}

/// Records already loaded (the CLI reads the file once).
struct Records(Vec<crate::Record>);

impl crate::RecordStore for Records {
    fn find_by_hash(&self, hash: &[u8; 32]) -> Result<Option<crate::Record>, crate::Error> {
        Ok(record::find_constant_time(&self.0, hash).cloned())
    }
}

pub(crate) fn store(c: StoreCmd) -> anyhow::Result<Exit> {
    match c {
        StoreCmd::Revoke { key, store } => {
            let key = read_token_arg(&key)?;
            let s = JsonlStore::new(&store);
            if !store.exists() {
                bail!("{}: no such record store", store.display());
            }
            match s.revoke(&key) {
                Ok(r) => {
                    println!("revoked: record {} ({} {})", r.id, r.kind, r.hint);
                    Ok(Exit::Ok)
                }
                Err(crate::Error::Invalid(msg)) => {
                    println!("not found: {msg}");
                    Ok(Exit::Found)
                }
                Err(e) => Err(e.into()),
            }
        }
        StoreCmd::List { store, format } => {
            let loaded = load_store(&store)?;
            let now = std::time::SystemTime::now();
            let mut out = std::io::stdout().lock();
            for r in &loaded.records {
                match format {
                    OutFormat::Json => writeln!(out, "{}", serde_json::to_string(r)?)?,
                    OutFormat::Text => writeln!(
                        out,
                        "{}  {:<5} {:<12} {:<9} expires {}  scopes {}",
                        r.id,
                        r.kind,
                        r.hint,
                        if r.revoked {
                            "revoked"
                        } else if r.expired_at(now).unwrap_or(false) {
                            "expired"
                        } else {
                            "active"
                        },
                        r.expires_at.as_deref().unwrap_or("never"),
                        if r.scopes.is_empty() {
                            "-".to_string()
                        } else {
                            r.scopes.join(",")
                        },
                    )?,
                }
            }
            Ok(Exit::Ok)
        }
    }
}
