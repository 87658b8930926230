//! A baseline: the findings known when it was written, so that a scan of an
//! old codebase fails only on new leaks. Keyed on the secret, not the line:
//! a known token moved to another line (or file) stays known, and a new
//! token on a known line is new — the two ways a line-keyed ignore file
//! goes wrong.
//!
//! The file is TOML, one entry per (rule, secret, path), sorted, so that a
//! diff shows what changed:
//!
//! ```toml
//! version = 1
//!
//! [[finding]]
//! rule_id = "cloudflare-user-api-token"
//! secret_sha256 = "24e0ae3c…"
//! path = "src/config.rs"        # for people; matched only with pin_path = true
//! pin_path = false
//! fingerprint = "9c1f…"         # rule + secret + path, as .burnkeyignore takes it
//! ```
//!
//! It holds no secret, only SHA-256 hashes; it is written `0600`.

use std::collections::{BTreeSet, HashMap};
use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Deserialize;

use crate::error::Error;
use crate::findings::finding::Finding;
use crate::findings::outcome::Sink;

/// A loaded baseline.
#[derive(Clone, Debug, Default)]
pub struct Baseline {
    /// (rule, secret SHA-256) → the pinned paths (`None`: any path).
    known: HashMap<(String, String), Vec<Option<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Doc {
    version: u32,
    #[serde(default)]
    finding: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    rule_id: String,
    secret_sha256: String,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    pin_path: bool,
    #[serde(default)]
    #[allow(dead_code)]
    fingerprint: Option<String>,
}

impl Baseline {
    /// Reads a baseline file.
    pub fn load(path: &Path) -> Result<Baseline, Error> {
        let text = crate::fsutil::read_control(path).map_err(|e| Error::io(path, e))?;
        Baseline::parse(&text, path)
    }

    /// Parses a baseline; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Baseline, Error> {
        let doc: Doc = toml::from_str(text).map_err(|e| Error::Parse {
            path: path.to_path_buf(),
            line: e.span().map(|s| text[..s.start].matches('\n').count() + 1),
            message: e.message().to_string(),
        })?;
        if doc.version != 1 {
            return Err(Error::Parse {
                path: path.to_path_buf(),
                line: None,
                message: format!("baseline version {} is not known (1 is)", doc.version),
            });
        }
        let mut known: HashMap<(String, String), Vec<Option<String>>> = HashMap::new();
        for (i, e) in doc.finding.into_iter().enumerate() {
            let sha = e.secret_sha256.to_ascii_lowercase();
            if sha.len() != 64 || !sha.bytes().all(|c| c.is_ascii_hexdigit()) {
                return Err(Error::Parse {
                    path: path.to_path_buf(),
                    line: None,
                    message: format!("finding #{}: secret_sha256 is not 64 hex digits", i + 1),
                });
            }
            let pinned = match (e.pin_path, e.path) {
                (true, Some(p)) => Some(p),
                (true, None) => {
                    return Err(Error::Parse {
                        path: path.to_path_buf(),
                        line: None,
                        message: format!("finding #{}: pin_path = true needs a path", i + 1),
                    })
                }
                (false, _) => None,
            };
            known.entry((e.rule_id, sha)).or_default().push(pinned);
        }
        Ok(Baseline { known })
    }

    /// Whether `f` is known: same rule and secret, and the same path if the
    /// entry pins it.
    pub fn contains(&self, f: &Finding) -> bool {
        self.known
            .get(&(f.rule_id().to_string(), f.secret_sha256().to_string()))
            .is_some_and(|paths| {
                paths
                    .iter()
                    .any(|p| p.as_deref().is_none_or(|p| p == f.path()))
            })
    }

    /// How many entries it holds.
    pub fn len(&self) -> usize {
        self.known.values().map(Vec::len).sum()
    }

    /// Whether it holds no entry.
    pub fn is_empty(&self) -> bool {
        self.known.is_empty()
    }
}

/// A sink that drops the findings a baseline knows (counting them) and
/// passes the rest on.
pub struct Filter<'a> {
    inner: &'a dyn Sink,
    baseline: &'a Baseline,
    dropped: AtomicU64,
}

impl<'a> Filter<'a> {
    /// Filters what reaches `inner` through `baseline`.
    pub fn new(inner: &'a dyn Sink, baseline: &'a Baseline) -> Filter<'a> {
        Filter {
            inner,
            baseline,
            dropped: AtomicU64::new(0),
        }
    }

    /// How many findings the baseline dropped.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

impl Sink for Filter<'_> {
    fn finding(&self, f: Finding) {
        if self.baseline.contains(&f) {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        } else {
            self.inner.finding(f);
        }
    }

    fn stopped(&self) -> bool {
        self.inner.stopped()
    }
}

/// Writes a baseline of `findings`: one entry per (rule, secret, path),
/// sorted, `pin_path = false`.
pub fn write(w: &mut dyn Write, findings: &[Finding]) -> io::Result<()> {
    let entries: BTreeSet<(&str, &str, &str, &str)> = findings
        .iter()
        .map(|f| (f.rule_id(), f.secret_sha256(), f.path(), f.fingerprint()))
        .collect();
    let q = |s: &str| serde_json::to_string(s).expect("a string serializes");
    writeln!(
        w,
        "# burnkey baseline: findings known when it was written. `burnkey scan --baseline FILE`\n\
         # reports only findings that are not here. An entry matches the same rule and secret\n\
         # (its SHA-256) on any line of any file; set pin_path = true to match only at `path`.\n\
         # No secret is stored.\n\
         version = 1"
    )?;
    let mut seen = BTreeSet::new();
    for (rule, sha, path, fp) in entries {
        if !seen.insert((rule, sha, path)) {
            continue;
        }
        writeln!(
            w,
            "\n[[finding]]\nrule_id = {}\nsecret_sha256 = {}\npath = {}\npin_path = false\nfingerprint = {}",
            q(rule),
            q(sha),
            q(path),
            q(fp)
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Location, RuleSet, Scanner};

    fn found(text: &str, path: &str) -> Vec<Finding> {
        let rules = RuleSet::builtin();
        let mut out = Vec::new();
        Scanner::new(rules.clone()).scan_slice(text.as_bytes(), |m| {
            out.push(Finding::new(
                rules.rules()[m.rule].clone(),
                &m,
                Location::File { path: path.into() },
                path.as_bytes(),
            ))
        });
        out
    }

    #[test]
    fn written_baselines_read_back_and_match_by_secret() {
        let tok = crate::FormatSet::builtin()
            .by_name("cfut")
            .unwrap()
            .mint()
            .unwrap();
        let fresh = crate::FormatSet::builtin()
            .by_name("cfut")
            .unwrap()
            .mint()
            .unwrap();
        let odd = "we\"ird\nna\u{1b}me.txt";
        let before = found(&format!("a\nk = {tok}\n"), odd);
        let mut text = Vec::new();
        write(&mut text, &before).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(!text.contains(&tok), "no secret");
        let b = Baseline::parse(&text, Path::new("b.toml")).unwrap();
        assert_eq!(b.len(), 1);
        // Moved to another line and another file: still known.
        assert!(b.contains(&found(&format!("x\ny\nz\n{tok}\n"), "other.txt")[0]));
        // A new token on the known line: new.
        assert!(!b.contains(&found(&format!("a\nk = {fresh}\n"), odd)[0]));
        // Pinned to its path.
        let pinned = text.replace("pin_path = false", "pin_path = true");
        let b = Baseline::parse(&pinned, Path::new("b.toml")).unwrap();
        assert!(b.contains(&found(&format!("{tok}\n"), odd)[0]));
        assert!(!b.contains(&found(&format!("{tok}\n"), "other.txt")[0]));
        // Errors name the file.
        let e = Baseline::parse("version = 2\n", Path::new("b.toml")).unwrap_err();
        assert!(e.to_string().contains("b.toml"), "{e}");
        let e = Baseline::parse(
            "version = 1\n[[finding]]\nrule_id = \"x\"\nsecret_sha256 = \"abc\"\n",
            Path::new("b.toml"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("64 hex"), "{e}");
    }
}
