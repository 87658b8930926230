//! `burnkey check`, `mint`, `verify` and `store`: the token library on the
//! command line. No command here prints a full token except `mint`, whose
//! job it is.

use std::collections::BTreeSet;
use std::io::Write;

use anyhow::{bail, Context};
use serde_json::json;

use burnkey::record::{self, Decision, JsonlStore, Verifier};
use burnkey::{Format, FormatSet, RuleSet, Scheme, Scope};

use super::{read_token_arg, CheckArgs, Exit, MintArgs, OutFormat, StoreCmd, VerifyArgs};

fn formats_with(rules: &[std::path::PathBuf]) -> anyhow::Result<FormatSet> {
    let set = RuleSet::with_files(rules)?;
    Ok(FormatSet::new(
        set.rules().iter().map(|r| r.format.clone()).collect(),
    ))
}

/// The format `kind` names: a built-in kind, or a custom prefix.
fn format_for(kind: &str, scheme: Option<&str>) -> anyhow::Result<Format> {
    let builtin = FormatSet::builtin();
    if let Some(f) = builtin.by_name(kind) {
        if let Some(s) = scheme {
            let s: Scheme = s.parse().map_err(anyhow::Error::msg)?;
            if s != f.scheme {
                bail!(
                    "kind {kind} is built in with checksum {}; --scheme {s} does not apply",
                    f.scheme
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

pub fn check(a: CheckArgs) -> anyhow::Result<Exit> {
    let token = read_token_arg(&a.token)?;
    let formats = match &a.kind {
        Some(k) => FormatSet::new(vec![format_for(k, Some(&a.scheme))?]),
        None => formats_with(&a.rules)?,
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
                record::redact(&token, f.prefix.len())
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

pub fn mint(a: MintArgs) -> anyhow::Result<Exit> {
    let format = format_for(&a.kind, a.scheme.as_deref())?;
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

pub fn verify(a: VerifyArgs) -> anyhow::Result<Exit> {
    let token = read_token_arg(&a.token)?;
    let scope = Scope::parse(&a.scope)?;
    let loaded = load_store(&a.store)?;
    // The store may hold custom kinds; learn their formats (no lookup yet).
    let builtin = FormatSet::builtin();
    let mut formats: Vec<Format> = builtin.formats().to_vec();
    let kinds: BTreeSet<(String, String)> = loaded
        .records
        .iter()
        .map(|r| (r.kind.clone(), r.scheme.clone()))
        .collect();
    for (kind, scheme) in kinds {
        if builtin.by_name(&kind).is_none() {
            if let Ok(f) = format_for(&kind, Some(&scheme)) {
                formats.push(f);
            }
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
struct Records(Vec<burnkey::Record>);

impl burnkey::RecordStore for Records {
    fn find_by_hash(&self, hash: &[u8; 32]) -> Result<Option<burnkey::Record>, burnkey::Error> {
        Ok(record::find_constant_time(&self.0, hash).cloned())
    }
}

pub fn store(c: StoreCmd) -> anyhow::Result<Exit> {
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
                Err(burnkey::Error::Invalid(msg)) => {
                    println!("not found: {msg}");
                    Ok(Exit::Found)
                }
                Err(e) => Err(e.into()),
            }
        }
        StoreCmd::List { store, format } => {
            let loaded = load_store(&store)?;
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
                        if r.revoked { "revoked" } else { "active" },
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
