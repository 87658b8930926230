//! Rules as data: the TOML files in `patterns/` (embedded at build time) and
//! any the user adds with `--rules FILE`.
//!
//! A rule file holds a `provider` and a list of `[[rules]]`:
//!
//! ```toml
//! provider = "Acme"
//!
//! [[rules]]
//! id = "acme-api-token"            # stable, unique, lowercase [a-z0-9._-]
//! name = "Acme API Token"
//! prefix = "acme_"                 # case-sensitive literal
//! body_len = 40                    # characters of [A-Za-z0-9] after the prefix
//! checksum = "crc32-hex8"          # or "crc32-base62-6", or "none" (shape only)
//! description = "An Acme API token."
//! help = "Revoke it at acme.example/tokens."   # optional: what to do
//! examples = ["ACME=acme_…"]                   # each must yield a finding of this rule
//! negative_examples = ["acme_short"]           # none may yield a finding
//! ```

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::checksum::Scheme;
use crate::error::Error;
use crate::format::Format;

/// The rule files shipped in `patterns/`, sorted by path.
const BUILTIN: &[(&str, &str)] = &[
    (
        "patterns/cloudflare.toml",
        include_str!("../patterns/cloudflare.toml"),
    ),
    (
        "patterns/github.toml",
        include_str!("../patterns/github.toml"),
    ),
    ("patterns/npm.toml", include_str!("../patterns/npm.toml")),
];

/// One detection rule: a token format plus what a report says about it.
#[derive(Clone, Debug)]
pub struct Rule {
    /// The token format (id, name, prefix, body length, checksum).
    pub format: Format,
    /// Who issues the token, e.g. `Cloudflare`.
    pub provider: String,
    /// One or two sentences on what the token is.
    pub description: String,
    /// What to do when one leaks.
    pub help: String,
    /// Texts each of which must yield a finding of this rule.
    pub examples: Vec<String>,
    /// Texts none of which may yield a finding.
    pub negative_examples: Vec<String>,
    /// The file the rule came from.
    pub source: PathBuf,
}

impl Rule {
    /// The rule id, e.g. `cloudflare-user-api-token`.
    pub fn id(&self) -> &str {
        &self.format.id
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    provider: String,
    #[serde(default)]
    rules: Vec<RuleDoc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleDoc {
    id: String,
    name: String,
    prefix: String,
    body_len: usize,
    checksum: String,
    description: String,
    #[serde(default)]
    help: Option<String>,
    #[serde(default)]
    examples: Vec<String>,
    #[serde(default)]
    negative_examples: Vec<String>,
}

/// A validated set of rules with unique ids and prefixes.
#[derive(Clone, Debug)]
pub struct RuleSet {
    rules: Vec<Rule>,
}

impl RuleSet {
    /// The built-in rules from `patterns/`.
    pub fn builtin() -> RuleSet {
        static SET: std::sync::OnceLock<RuleSet> = std::sync::OnceLock::new();
        SET.get_or_init(|| {
            let mut rules = Vec::new();
            for (path, text) in BUILTIN {
                rules.extend(
                    parse_file(Path::new(path), text).expect("built-in rule files are valid"),
                );
            }
            RuleSet::from_rules(rules).expect("built-in rules are consistent")
        })
        .clone()
    }

    /// A set from already-parsed rules; fails on a duplicate id or prefix.
    pub fn from_rules(rules: Vec<Rule>) -> Result<RuleSet, Error> {
        let mut ids = HashSet::new();
        let mut prefixes = HashSet::new();
        for r in &rules {
            if !ids.insert(r.id().to_string()) {
                return Err(Error::Invalid(format!(
                    "{}: rule id {:?} is defined twice",
                    r.source.display(),
                    r.id()
                )));
            }
            if !prefixes.insert(r.format.prefix.clone()) {
                return Err(Error::Invalid(format!(
                    "{}: prefix {:?} (rule {:?}) is used by another rule too",
                    r.source.display(),
                    r.format.prefix,
                    r.id()
                )));
            }
        }
        Ok(RuleSet { rules })
    }

    /// The built-in rules plus those in `files`.
    pub fn with_files(files: &[PathBuf]) -> Result<RuleSet, Error> {
        let mut rules = RuleSet::builtin().rules;
        for f in files {
            let text = std::fs::read_to_string(f).map_err(|e| Error::io(f, e))?;
            rules.extend(parse_file(f, &text)?);
        }
        RuleSet::from_rules(rules)
    }

    /// The rules, in file order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rule with this id.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id() == id)
    }

    /// Runs every rule's examples through a scanner over this set: each
    /// example must yield a finding of its rule (checksum valid, or none for
    /// shape-only rules), no negative example may yield any. Returns the
    /// problems, empty when all is well. Ids are unique by construction.
    pub fn check_examples(&self) -> Vec<String> {
        let scanner = crate::scan::Scanner::new(self.clone());
        let mut problems = Vec::new();
        for (i, r) in self.rules.iter().enumerate() {
            if r.examples.is_empty() {
                problems.push(format!(
                    "{}: rule {} has no examples",
                    r.source.display(),
                    r.id()
                ));
            }
            for ex in &r.examples {
                let mut ok = false;
                scanner.scan_slice(ex.as_bytes(), |m| {
                    ok |= m.rule == i && m.checksum != crate::engine::Checksum::Invalid
                });
                if !ok {
                    problems.push(format!(
                        "{}: rule {}: example {:?} does not match",
                        r.source.display(),
                        r.id(),
                        ex
                    ));
                }
            }
            for ex in &r.negative_examples {
                let mut hits = Vec::new();
                scanner.scan_slice(ex.as_bytes(), |m| {
                    hits.push(self.rules[m.rule].id().to_string())
                });
                if !hits.is_empty() {
                    problems.push(format!(
                        "{}: rule {}: negative example {:?} matches {}",
                        r.source.display(),
                        r.id(),
                        ex,
                        hits.join(", ")
                    ));
                }
            }
        }
        problems
    }

    /// Length in bytes of the longest token any rule matches.
    pub fn max_token_len(&self) -> usize {
        self.rules
            .iter()
            .map(|r| r.format.token_len())
            .max()
            .unwrap_or(0)
    }
}

/// Parses one rule file.
pub fn parse_file(path: &Path, text: &str) -> Result<Vec<Rule>, Error> {
    let doc: FileDoc = toml::from_str(text).map_err(|e| Error::Parse {
        path: path.to_path_buf(),
        line: e.span().map(|s| text[..s.start].matches('\n').count() + 1),
        message: e.message().to_string(),
    })?;
    let mut out = Vec::with_capacity(doc.rules.len());
    for r in doc.rules {
        let invalid = |msg: String| Error::Parse {
            path: path.to_path_buf(),
            line: None,
            message: format!("rule {:?}: {msg}", r.id),
        };
        let scheme: Scheme = r.checksum.parse().map_err(invalid)?;
        let format = Format {
            id: r.id.clone(),
            name: r.name,
            prefix: r.prefix,
            body_len: r.body_len,
            scheme,
        };
        format.validate().map_err(|e| invalid(e.to_string()))?;
        out.push(Rule {
            format,
            provider: doc.provider.clone(),
            description: r.description,
            help: r
                .help
                .unwrap_or_else(|| "Revoke or rotate the token with its issuer, then remove it from the code and its history.".into()),
            examples: r.examples,
            negative_examples: r.negative_examples,
            source: path.to_path_buf(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_ids_are_the_contract() {
        let s = RuleSet::builtin();
        for id in [
            "cloudflare-user-api-token",
            "cloudflare-account-api-token",
            "cloudflare-global-api-key",
            "github-personal-access-token",
            "github-oauth-token",
            "npm-access-token",
        ] {
            assert!(s.get(id).is_some(), "{id} missing");
        }
        assert_eq!(s.max_token_len(), 53);
    }

    #[test]
    fn builtin_examples_hold() {
        assert_eq!(RuleSet::builtin().check_examples(), Vec::<String>::new());
    }

    #[test]
    fn check_examples_catches_a_wrong_example() {
        let mut rules = RuleSet::builtin().rules;
        rules[0].examples.push("nothing here".into());
        let first = rules[0].examples[0].clone();
        rules[0].negative_examples.push(first);
        let p = RuleSet::from_rules(rules).unwrap().check_examples();
        assert_eq!(p.len(), 2, "{p:?}");
    }

    #[test]
    fn bad_files_are_reported_with_location() {
        let e =
            parse_file(Path::new("x.toml"), "provider = \"x\"\n[[rules]]\nid = 3\n").unwrap_err();
        assert!(e.to_string().starts_with("x.toml:3:"), "{e}");
        let e = parse_file(
            Path::new("x.toml"),
            "provider = \"x\"\n[[rules]]\nid = \"a\"\nname = \"a\"\nprefix = \"a_\"\nbody_len = 40\nchecksum = \"md5\"\ndescription = \"d\"\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("unknown checksum scheme"), "{e}");
        let e = parse_file(Path::new("x.toml"), "provider = \"x\"\nrulez = []\n").unwrap_err();
        assert!(e.to_string().contains("unknown field"), "{e}");
    }

    #[test]
    fn duplicate_ids_and_prefixes_are_refused() {
        let mut rules = RuleSet::builtin().rules;
        rules.push(rules[0].clone());
        assert!(RuleSet::from_rules(rules.clone())
            .unwrap_err()
            .to_string()
            .contains("defined twice"));
        let last = rules.last_mut().unwrap();
        last.format.id = "other".into();
        assert!(RuleSet::from_rules(rules)
            .unwrap_err()
            .to_string()
            .contains("used by another rule"));
    }
}
