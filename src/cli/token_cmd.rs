//! `burnkey check`, `mint`, `verify` and `store`: the token library on the
//! command line. No command here prints a full token except `mint`, whose
//! job it is.

use std::collections::BTreeSet;
use std::io::Write;

use anyhow::{bail, Context};
use serde_json::json;

use crate::issuer::record;
use crate::issuer::store::{self, Store};
use crate::issuer::verifier::{Decision, Verifier};
use crate::{Format, FormatSet, RuleSet, Scheme, Scope};

use super::args::{CheckArgs, Exit, MintArgs, OutFormat, StoreCmd, VerifyArgs};

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
                crate::token::format::redact(&token, f.prefix_len_of(&token))
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
    if let Some(spec) = &a.store {
        let records: Vec<_> = minted.iter().map(|m| m.record.clone()).collect();
        open_store(spec)?.insert(&records)?;
    }
    let mut out = std::io::stdout().lock();
    for m in &minted {
        match a.format {
            OutFormat::Text => writeln!(out, "{}", m.token)?,
            OutFormat::Json => writeln!(out, "{}", json!({"token": m.token, "record": m.record}))?,
        }
    }
    if let Some(spec) = &a.store {
        eprintln!("burnkey: stored {} record(s) in {spec}", minted.len());
    }
    Ok(Exit::Ok)
}

/// The store `spec` names (see `burnkey::store::open`).
fn open_store(spec: &str) -> anyhow::Result<Box<dyn Store>> {
    crate::issuer::open::open(spec).with_context(|| format!("cannot open the record store {spec}"))
}

/// An existing store: reading one that is not there is a mistake, not an
/// empty store.
fn existing_store(spec: &str) -> anyhow::Result<Box<dyn Store>> {
    let (_, path) = crate::issuer::open::kind(spec);
    if !path.exists() {
        bail!("{}: no such record store", path.display());
    }
    open_store(spec)
}

/// Every record of `store`, with a warning for each that cannot be read.
fn load_store(store: &dyn Store) -> anyhow::Result<store::Loaded> {
    let loaded = store
        .all()
        .with_context(|| format!("cannot read the record store {}", store.describe()))?;
    for bad in &loaded.bad_lines {
        eprintln!(
            "burnkey: warning: {}:{}: skipped: {}",
            store.describe(),
            bad.line,
            bad.message
        );
    }
    Ok(loaded)
}

pub(crate) fn verify(a: VerifyArgs) -> anyhow::Result<Exit> {
    let token = read_token_arg(&a.token)?;
    let scope = Scope::parse(&a.scope)?;
    let store = existing_store(&a.store)?;
    // The store may hold custom kinds: learn their formats. A JSON-lines
    // file is read once (its unreadable lines named); SQLite is asked for
    // the kinds, then the token is looked up by the index on its hash.
    let (kinds, records): (BTreeSet<_>, Box<dyn crate::RecordStore>) =
        match crate::issuer::open::kind(&a.store).0 {
            crate::issuer::open::Kind::Jsonl => {
                let loaded = load_store(&*store)?;
                let kinds = loaded
                    .records
                    .iter()
                    .map(|r| (r.kind.clone(), r.scheme.clone(), r.format.clone()))
                    .collect();
                (kinds, Box::new(Records(loaded.records)))
            }
            crate::issuer::open::Kind::Sqlite => (store.kinds()?.into_iter().collect(), store),
        };
    let (formats, missing) = crate::issuer::open::formats_for(&known_formats(&a.rules)?, kinds);
    for id in missing {
        eprintln!("burnkey: warning: records of format {id} need the rule file that defines it: --rules FILE");
    }
    let verifier = Verifier::new(formats, records);
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

/// Records already loaded (the CLI reads a JSON-lines file once).
struct Records(Vec<crate::Record>);

impl crate::RecordStore for Records {
    fn find_by_hash(&self, hash: &[u8; 32]) -> Result<Option<crate::Record>, crate::Error> {
        Ok(store::find_constant_time(&self.0, hash).cloned())
    }
}

pub(crate) fn store(c: StoreCmd) -> anyhow::Result<Exit> {
    match c {
        StoreCmd::Revoke { key, store } => {
            let key = read_token_arg(&key)?;
            let s = existing_store(&store)?;
            match s.revoke_once(&key, std::time::SystemTime::now())? {
                Some(r) if r.already => {
                    let (r, at) = (&r.record, r.record.revoked_at.as_deref());
                    println!(
                        "already revoked: record {} ({} {}) since {}; nothing changed",
                        r.id,
                        r.kind,
                        r.hint,
                        at.unwrap_or("an unknown time")
                    );
                    Ok(Exit::Ok)
                }
                Some(r) => {
                    let r = &r.record;
                    println!("revoked: record {} ({} {})", r.id, r.kind, r.hint);
                    Ok(Exit::Ok)
                }
                None => {
                    println!(
                        "not found: {}: no record matches that token or record id",
                        s.describe()
                    );
                    Ok(Exit::Found)
                }
            }
        }
        StoreCmd::Migrate { from, to } => {
            let src = existing_store(&from)?;
            let dst = open_store(&to)?;
            let loaded = load_store(&*src)?;
            let there: BTreeSet<String> = dst.all()?.records.into_iter().map(|r| r.id).collect();
            let total = loaded.records.len();
            let new: Vec<_> = loaded
                .records
                .into_iter()
                .filter(|r| !there.contains(&r.id))
                .collect();
            dst.insert(&new)?;
            println!(
                "migrated {} record(s) from {} to {} ({} already there)",
                new.len(),
                src.describe(),
                dst.describe(),
                total - new.len()
            );
            Ok(if loaded.bad_lines.is_empty() {
                Exit::Ok
            } else {
                Exit::Error
            })
        }
        StoreCmd::List { store, format } => {
            let loaded = load_store(&*existing_store(&store)?)?;
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

/// Reads a token argument: itself, or stdin for `-` (trimmed; at most 1 MiB).
fn read_token_arg(arg: &str) -> anyhow::Result<String> {
    if arg != "-" {
        return Ok(arg.to_string());
    }
    use std::io::Read;
    let mut buf = Vec::new();
    std::io::stdin().take(1 << 20).read_to_end(&mut buf)?;
    Ok(String::from_utf8_lossy(&buf).trim().to_string())
}
