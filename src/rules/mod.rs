//! Rules as data: the TOML files in `patterns/` (discovered and embedded at
//! build time) and any the user adds with `--rules FILE`.
//!
//! A rule file holds a `provider` and a list of `[[rules]]`. The short form
//! describes the classic layout, a body and a checksum of it:
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
//!
//! The body and the checksum can be spelled out (`len` may be a range,
//! `[min, max]`; `over` defaults to `body`):
//!
//! ```toml
//! body = { alphabet = "A-Za-z0-9_", len = 40 }
//! checksum = { algorithm = "crc32", encoding = "hex", byte_order = "little", over = "prefix+body" }
//! ```
//!
//! Any other layout is a list of segments instead of `body`/`checksum`
//! (see [`crate::token::layout`]); GitLab's routable tokens, for example:
//!
//! ```toml
//! layout = [
//!   { random = "A-Za-z0-9_-", len = [20, 64] },     # named "body" unless `name` says otherwise
//!   { literal = "." },
//!   { length_of = "body", encoding = "base36", width = 2 },
//!   { checksum = "crc32", encoding = "base36", width = 7, over = "before" },
//! ]
//! ```
//!
//! Checksum fields: `algorithm` (`crc32`, `sha256`), `encoding` (`hex`,
//! `hex-upper`, `hex-any`, `base32`, `base36`, `base62`), `byte_order`
//! (`big`, the default, or `little`), `width` (default: the whole digest;
//! a byte encoding keeps its first `width` characters, a number encoding is
//! left-padded with `0`), `over` (`+`-joined: `prefix`, segment names,
//! `before` = everything before the checksum).

#[cfg(feature = "scan")]
pub(crate) mod keyword;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use crate::error::Error;
use crate::token::checksum::{Algorithm, ByteOrder, ChecksumSpec, Encoding, Scheme};
use crate::token::format::{Format, FormatSet};
use crate::token::layout::{Layout, Len, SegmentSpec};
use crate::token::structure::Structure;

/// The rule files shipped in `patterns/`, sorted by path (written by
/// `build.rs`: every `patterns/*.toml`).
const BUILTIN: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// One detection rule: a token format plus what a report says about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// The token format (id, name, prefix, layout).
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
    /// How sure a checksum-valid (or shape-only) finding of this rule is.
    pub confidence: Confidence,
    /// What the prefilter looks for: a rare substring of the prefix, when
    /// the rule file names one; else the engine takes its first three bytes.
    pub anchor: Option<String>,
    /// For a keyword-anchored rule (no prefix): what must name the secret.
    pub keyword: Option<Keyword>,
    /// Whether the rule's tokens are looked for only inside runs of base64
    /// characters (`prefilter = "runs"`): the runs the decoder finds in
    /// every text anyway, so plain text pays nothing for the rule's needle.
    /// Its tokens must be 47 characters or more of `[A-Za-z0-9+/=_-]`.
    pub in_runs: bool,
}

/// How sure a finding is. Ordered: `Low < Medium < High`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// A right shape with a wrong checksum (reported only on request).
    Low,
    /// A secret of the right shape where a keyword names it.
    Medium,
    /// A valid checksum, or a long fixed prefix.
    High,
}

impl Confidence {
    /// The word used in reports: `low`, `medium`, `high`.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

impl std::str::FromStr for Confidence {
    type Err = String;
    fn from_str(s: &str) -> Result<Confidence, String> {
        match s {
            "low" => Ok(Confidence::Low),
            "medium" => Ok(Confidence::Medium),
            "high" => Ok(Confidence::High),
            _ => Err(format!("confidence {s:?}: expected low, medium or high")),
        }
    }
}

/// What names a keyword-anchored secret: a secret of the rule's shape is
/// reported when one of `contexts` holds around it and an anchor lies
/// within [`KEYWORD_REACH`] bytes of it. Data here; the scanner compiles the
/// regular expressions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keyword {
    /// Substrings the prefilter looks for (case-sensitive; list each
    /// spelling): a rare part of each naming keyword.
    pub anchors: Vec<String>,
    /// Character classes the secret must contain (`digit`, `upper`,
    /// `lower`, `letter`): random secrets have them, placeholders often not.
    pub require: Vec<String>,
    /// Any one of these must hold.
    pub contexts: Vec<Context>,
}

/// One way a secret may be named. All given parts must hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Context {
    /// Must match the text before the secret on its line (up to
    /// [`KEYWORD_REACH`] bytes), ending where the secret starts: write it
    /// with a `$`.
    pub before: String,
    /// Must match an enclosing key above the secret: a less-indented line
    /// (YAML, HCL, JSON), or a `[table]` header with no other header
    /// between (TOML, INI), within [`KEYWORD_LINES`] lines and
    /// [`KEYWORD_REACH`] bytes.
    pub parent: Option<String>,
    /// Must match somewhere within [`KEYWORD_LINES`] lines above or below
    /// the secret's line (and [`KEYWORD_REACH`] bytes), its line included.
    pub near: Option<String>,
}

/// How far (bytes) from a keyword-anchored secret its naming may be.
pub const KEYWORD_REACH: usize = 512;
/// How many lines above (or below, for `near`) the naming may be.
pub const KEYWORD_LINES: usize = 5;

impl Rule {
    /// The rule id, e.g. `cloudflare-user-api-token`.
    pub fn id(&self) -> &str {
        &self.format.id
    }

    /// Whether the rule finds secrets by keyword, not by prefix.
    pub fn is_keyword(&self) -> bool {
        self.keyword.is_some()
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
    #[serde(default)]
    prefix: Option<String>,
    #[serde(default)]
    anchor: Option<String>,
    #[serde(default)]
    prefilter: Option<String>,
    #[serde(default)]
    confidence: Option<String>,
    #[serde(default)]
    keyword: Option<KeywordDoc>,
    #[serde(default)]
    body_len: Option<usize>,
    #[serde(default)]
    body: Option<BodyDoc>,
    #[serde(default)]
    checksum: Option<ChecksumDoc>,
    #[serde(default)]
    layout: Option<Vec<SegmentDoc>>,
    #[serde(default)]
    structure: Option<StructureDoc>,
    description: String,
    #[serde(default)]
    help: Option<String>,
    #[serde(default)]
    examples: Vec<String>,
    #[serde(default)]
    negative_examples: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StructureDoc {
    check: String,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    seeds: Vec<String>,
}

impl StructureDoc {
    fn into_structure(self, layout: &Layout) -> Result<Structure, String> {
        use crate::token::layout::Segment;
        use crate::token::structure;
        let check = structure::by_name(&self.check).ok_or_else(|| {
            format!(
                "structure check {:?} is not one of {}",
                self.check,
                structure::ALL
                    .iter()
                    .map(|c| c.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
        let from = match self.from.as_deref() {
            None | Some("prefix") => None,
            Some(name) => Some(
                layout
                    .segments()
                    .iter()
                    .position(|s| matches!(s, Segment::Random { name: n, .. } if n == name))
                    .ok_or_else(|| {
                        format!("structure.from: no random segment is named {name:?}")
                    })?,
            ),
        };
        let seeds = self
            .seeds
            .iter()
            .map(|s| structure::parse_seed(s))
            .collect::<Result<Vec<_>, _>>()?;
        if check.seeded() == seeds.is_empty() {
            return Err(format!(
                "structure check {:?} {}",
                self.check,
                if check.seeded() {
                    "needs seeds"
                } else {
                    "takes no seeds"
                }
            ));
        }
        Ok(Structure { check, from, seeds })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeywordDoc {
    anchors: Vec<String>,
    #[serde(default)]
    require: Vec<String>,
    context: Vec<ContextDoc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ContextDoc {
    before: String,
    #[serde(default)]
    parent: Option<String>,
    #[serde(default)]
    near: Option<String>,
}

impl KeywordDoc {
    #[cfg_attr(not(feature = "scan"), allow(unused_variables))]
    fn into_keyword(self, layout: &Layout, check_expressions: bool) -> Result<Keyword, String> {
        match layout.segments() {
            [crate::token::layout::Segment::Random { .. }] => {}
            _ => {
                return Err(
                    "a keyword rule's secret is one random segment (body = { alphabet, len }, checksum = \"none\")"
                        .into(),
                )
            }
        }
        if self.anchors.is_empty() || self.anchors.iter().any(|a| a.len() < 3) {
            return Err(
                "keyword.anchors: list at least one anchor, each of 3 bytes or more".into(),
            );
        }
        for r in &self.require {
            if !matches!(r.as_str(), "digit" | "upper" | "lower" | "letter") {
                return Err(format!(
                    "keyword.require: {r:?} is not digit, upper, lower or letter"
                ));
            }
        }
        if self.context.is_empty() {
            return Err("keyword.context: give at least one".into());
        }
        let contexts: Vec<Context> = self
            .context
            .into_iter()
            .map(|c| Context {
                before: c.before,
                parent: c.parent,
                near: c.near,
            })
            .collect();
        #[cfg(feature = "scan")]
        for c in contexts.iter().filter(|_| check_expressions) {
            for re in [Some(&c.before), c.parent.as_ref(), c.near.as_ref()]
                .into_iter()
                .flatten()
            {
                keyword::compile(re).map_err(|e| format!("keyword.context: {e}"))?;
            }
        }
        Ok(Keyword {
            anchors: self.anchors,
            require: self.require,
            contexts,
        })
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum LenDoc {
    Fixed(usize),
    Range([usize; 2]),
}

impl From<LenDoc> for Len {
    fn from(l: LenDoc) -> Len {
        match l {
            LenDoc::Fixed(n) => Len::Fixed(n),
            LenDoc::Range([a, b]) => Len::Range(a, b),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BodyDoc {
    #[serde(default = "alnum")]
    alphabet: String,
    len: LenDoc,
}

fn alnum() -> String {
    "alnum".into()
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ChecksumDoc {
    Named(String),
    Spelled(ChecksumTable),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChecksumTable {
    algorithm: String,
    encoding: String,
    #[serde(default)]
    byte_order: Option<String>,
    #[serde(default)]
    width: Option<usize>,
    #[serde(default)]
    over: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SegmentDoc {
    #[serde(default)]
    literal: Option<String>,
    #[serde(default)]
    random: Option<String>,
    #[serde(default)]
    len: Option<LenDoc>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    length_of: Option<String>,
    #[serde(default)]
    checksum: Option<String>,
    #[serde(default)]
    encoding: Option<String>,
    #[serde(default)]
    byte_order: Option<String>,
    #[serde(default)]
    width: Option<usize>,
    #[serde(default)]
    over: Option<String>,
}

fn checksum_spec(
    algorithm: &str,
    encoding: &str,
    byte_order: Option<&str>,
    width: Option<usize>,
) -> Result<ChecksumSpec, String> {
    let algorithm: Algorithm = algorithm.parse()?;
    let encoding: Encoding = encoding.parse()?;
    let byte_order: ByteOrder = byte_order.unwrap_or("big").parse()?;
    let mut spec = ChecksumSpec::full(algorithm, encoding, byte_order);
    if let Some(w) = width {
        spec.width = w;
    }
    spec.validate()?;
    Ok(spec)
}

impl SegmentDoc {
    fn into_spec(self) -> Result<SegmentSpec, String> {
        let kinds = [
            self.literal.is_some(),
            self.random.is_some(),
            self.length_of.is_some(),
            self.checksum.is_some(),
        ];
        if kinds.iter().filter(|&&k| k).count() != 1 {
            return Err(
                "each layout segment is exactly one of literal, random, length_of, checksum".into(),
            );
        }
        let unused = |what: &str, set: bool| {
            if set {
                Err(format!("{what} does not apply to this segment"))
            } else {
                Ok(())
            }
        };
        if let Some(l) = self.literal {
            unused("len", self.len.is_some())?;
            unused("name", self.name.is_some())?;
            unused("encoding", self.encoding.is_some())?;
            unused("width", self.width.is_some())?;
            unused("over", self.over.is_some())?;
            unused("byte_order", self.byte_order.is_some())?;
            return Ok(SegmentSpec::Literal(l));
        }
        if let Some(alphabet) = self.random {
            unused("encoding", self.encoding.is_some())?;
            unused("width", self.width.is_some())?;
            unused("over", self.over.is_some())?;
            unused("byte_order", self.byte_order.is_some())?;
            let len = self.len.ok_or("a random segment needs len")?;
            return Ok(SegmentSpec::Random {
                name: self.name,
                alphabet,
                len: len.into(),
            });
        }
        if let Some(of) = self.length_of {
            unused("len", self.len.is_some())?;
            unused("over", self.over.is_some())?;
            unused("byte_order", self.byte_order.is_some())?;
            return Ok(SegmentSpec::Length {
                of,
                encoding: self.encoding.unwrap_or_else(|| "base10".into()),
                width: self.width.ok_or("a length field needs width")?,
            });
        }
        let algorithm = self.checksum.expect("one kind is set");
        unused("len", self.len.is_some())?;
        unused("name", self.name.is_some())?;
        let encoding = self.encoding.ok_or("a checksum segment needs encoding")?;
        Ok(SegmentSpec::Checksum {
            spec: checksum_spec(
                &algorithm,
                &encoding,
                self.byte_order.as_deref(),
                self.width,
            )?,
            over: self.over.unwrap_or_else(|| "body".into()),
        })
    }
}

impl RuleDoc {
    /// The layout the document describes, in whichever form it uses.
    fn layout(&mut self) -> Result<Layout, String> {
        if let Some(segments) = self.layout.take() {
            if self.body_len.is_some() || self.body.is_some() || self.checksum.is_some() {
                return Err("give either layout, or body/body_len and checksum, not both".into());
            }
            let specs = segments
                .into_iter()
                .enumerate()
                .map(|(i, s)| s.into_spec().map_err(|e| format!("layout[{i}]: {e}")))
                .collect::<Result<Vec<_>, _>>()?;
            return Layout::new(specs);
        }
        let checksum = self
            .checksum
            .take()
            .ok_or("missing field `checksum` (or `layout`)")?;
        match (self.body_len, self.body.take(), checksum) {
            (Some(_), Some(_), _) => Err("give body_len or body, not both".into()),
            (Some(n), None, ChecksumDoc::Named(name)) => Layout::preset(n, name.parse()?),
            (n, body, checksum) => {
                let body = match (n, body) {
                    (Some(n), None) => BodyDoc {
                        alphabet: alnum(),
                        len: LenDoc::Fixed(n),
                    },
                    (None, Some(b)) => b,
                    _ => return Err("missing field `body_len` (or `body`, or `layout`)".into()),
                };
                let mut specs = vec![SegmentSpec::Random {
                    name: None,
                    alphabet: body.alphabet,
                    len: body.len.into(),
                }];
                let (spec, over) = match checksum {
                    ChecksumDoc::Named(name) => {
                        let scheme: Scheme = name.parse()?;
                        (scheme.spec(), "body".to_string())
                    }
                    ChecksumDoc::Spelled(t) => (
                        Some(checksum_spec(
                            &t.algorithm,
                            &t.encoding,
                            t.byte_order.as_deref(),
                            t.width,
                        )?),
                        t.over.unwrap_or_else(|| "body".into()),
                    ),
                };
                if let Some(spec) = spec {
                    specs.push(SegmentSpec::Checksum { spec, over });
                }
                Layout::new(specs)
            }
        }
    }
}

/// A validated set of rules with unique ids, and no two rules with the same
/// prefix and layout.
#[derive(Clone, Debug)]
pub struct RuleSet {
    rules: Vec<Arc<Rule>>,
}

impl RuleSet {
    /// The built-in rules from `patterns/`.
    pub fn builtin() -> RuleSet {
        static SET: std::sync::OnceLock<RuleSet> = std::sync::OnceLock::new();
        SET.get_or_init(|| {
            let mut rules = Vec::new();
            for (path, text) in BUILTIN {
                // Their expressions are compiled when first used, and
                // checked by a test (`builtin_keyword_expressions_compile`),
                // not at every start.
                rules.extend(
                    parse(Path::new(path), text, false).expect("built-in rule files are valid"),
                );
            }
            RuleSet::from_rules(rules).expect("built-in rules are consistent")
        })
        .clone()
    }

    /// A set from already-parsed rules; fails on a duplicate id, or on two
    /// rules with the same prefix and layout. Rules may share a prefix when
    /// their layouts differ (GitLab's two routable layouts).
    pub fn from_rules(rules: Vec<Rule>) -> Result<RuleSet, Error> {
        RuleSet::from_shared(rules.into_iter().map(Arc::new).collect())
    }

    fn from_shared(rules: Vec<Arc<Rule>>) -> Result<RuleSet, Error> {
        let mut ids = HashSet::new();
        for (i, r) in rules.iter().enumerate() {
            if !ids.insert(r.id().to_string()) {
                return Err(Error::Invalid(format!(
                    "{}: rule id {:?} is defined twice",
                    r.source.display(),
                    r.id()
                )));
            }
            if let Some(other) = rules[..i].iter().find(|o| {
                r.keyword.is_none()
                    && o.format.prefix == r.format.prefix
                    && o.format.layout == r.format.layout
            }) {
                return Err(Error::Invalid(format!(
                    "{}: prefix {:?} (rule {:?}) is used by another rule too ({:?}) with the same layout",
                    r.source.display(),
                    r.format.prefix,
                    r.id(),
                    other.id()
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
            rules.extend(parse_file(f, &text)?.into_iter().map(Arc::new));
        }
        RuleSet::from_shared(rules)
    }

    /// The rules, in file order. Findings share them.
    pub fn rules(&self) -> &[Arc<Rule>] {
        &self.rules
    }

    /// The families the rules find, one per provider in file order, each
    /// with its prefixes in rule order (a prefix shared by several layouts
    /// once; for a rule without one, its signature: [`Format::marker`]),
    /// and "by keyword" when some of its rules are keyword rules:
    /// `Cloudflare (cfut_ cfat_ cfk_, and by keyword), GitHub (ghp_ …)`.
    /// Help texts are written from it, so they name every family the rules do.
    pub fn families(&self) -> String {
        // (provider, prefixes, has a keyword rule)
        let mut families: Vec<(&str, Vec<&str>, bool)> = Vec::new();
        for r in &self.rules {
            let at = match families.iter().position(|f| f.0 == r.provider) {
                Some(i) => i,
                None => {
                    families.push((&r.provider, Vec::new(), false));
                    families.len() - 1
                }
            };
            let f = &mut families[at];
            if r.is_keyword() {
                f.2 = true;
            } else if !f.1.contains(&r.format.marker()) {
                f.1.push(r.format.marker());
            }
        }
        let one =
            |(p, prefixes, keyword): &(&str, Vec<&str>, bool)| match (prefixes.is_empty(), keyword)
            {
                (true, _) => format!("{p} (by keyword)"),
                (false, true) => format!("{p} ({}, and by keyword)", prefixes.join(" ")),
                (false, false) => format!("{p} ({})", prefixes.join(" ")),
            };
        families.iter().map(one).collect::<Vec<_>>().join(", ")
    }

    /// The rule with this id.
    pub fn get(&self, id: &str) -> Option<&Arc<Rule>> {
        self.rules.iter().find(|r| r.id() == id)
    }

    /// The rules' formats, as a set for `check`, `mint` and `verify`.
    /// Keyword-anchored rules have no prefix to tell a token by: they are
    /// found only in context, never checked or minted alone.
    pub fn formats(&self) -> FormatSet {
        FormatSet::new(
            self.rules
                .iter()
                .filter(|r| r.keyword.is_none())
                .map(|r| r.format.clone())
                .collect(),
        )
    }

    /// The rules whose findings are at least `min` sure (a rule's
    /// confidence is that of its valid findings).
    pub fn at_least(&self, min: Confidence) -> RuleSet {
        RuleSet {
            rules: self
                .rules
                .iter()
                .filter(|r| r.confidence >= min)
                .cloned()
                .collect(),
        }
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

impl FormatSet {
    /// The built-in formats (Cloudflare, GitHub, npm) from `patterns/`.
    pub fn builtin() -> FormatSet {
        RuleSet::builtin().formats()
    }
}

/// Parses one rule file.
pub fn parse_file(path: &Path, text: &str) -> Result<Vec<Rule>, Error> {
    parse(path, text, true)
}

/// [`parse_file`]; `check_expressions` compiles each keyword rule's
/// expressions, so that a bad one fails here, naming the file.
fn parse(path: &Path, text: &str, check_expressions: bool) -> Result<Vec<Rule>, Error> {
    let doc: FileDoc = toml::from_str(text).map_err(|e| Error::Parse {
        path: path.to_path_buf(),
        line: e.span().map(|s| text[..s.start].matches('\n').count() + 1),
        message: e.message().to_string(),
    })?;
    let mut out = Vec::with_capacity(doc.rules.len());
    for mut r in doc.rules {
        let id = r.id.clone();
        let invalid = |msg: String| Error::Parse {
            path: path.to_path_buf(),
            line: None,
            message: format!("rule {id:?}: {msg}"),
        };
        let layout = r.layout().map_err(invalid)?;
        let keyword = match r.keyword.take() {
            Some(k) => Some(
                k.into_keyword(&layout, check_expressions)
                    .map_err(invalid)?,
            ),
            None => None,
        };
        let structure = match r.structure.take() {
            Some(st) => Some(st.into_structure(&layout).map_err(invalid)?),
            None => None,
        };
        let prefix = match (r.prefix.take(), &keyword) {
            (Some(p), None) => p,
            // A format without a prefix is told by a literal inside.
            (None, None) if structure.is_some() || layout.located_literal().is_some() => {
                String::new()
            }
            (None, Some(_)) => String::new(),
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "a keyword rule has no prefix: its anchors find it".into(),
                ))
            }
            (None, None) => return Err(invalid("missing field `prefix` (or `keyword`)".into())),
        };
        let format = Format {
            id: r.id.clone(),
            name: r.name,
            prefix,
            layout,
            structure,
        };
        if keyword.is_some() {
            format.validate_id()
        } else {
            format.validate()
        }
        .map_err(|e| invalid(e.to_string()))?;
        let confidence = match r.confidence.as_deref() {
            Some(c) => c.parse().map_err(invalid)?,
            None if keyword.is_some() => Confidence::Medium,
            None => Confidence::High,
        };
        let anchor = match (r.anchor.take(), &keyword) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "a keyword rule lists keyword.anchors, not anchor".into(),
                ))
            }
            (Some(a), None) if a.len() >= 3 && format.anchor_offset(&a).is_some() => Some(a),
            (Some(a), None) => {
                return Err(invalid(format!(
                    "anchor {a:?} must be 3 bytes or more of the prefix {:?} (or, without a prefix, of the literal at a fixed place)",
                    format.prefix
                )))
            }
            (None, _) => None,
        };
        let in_runs = match r.prefilter.as_deref() {
            None | Some("text") => false,
            Some("runs") if keyword.is_none() => true,
            Some(p) => {
                return Err(invalid(format!(
                    "prefilter {p:?}: write \"text\" (the default) or \"runs\" (not for a keyword rule)"
                )))
            }
        };
        out.push(Rule {
            format,
            provider: doc.provider.clone(),
            description: r.description,
            help: r
                .help
                .unwrap_or_else(|| "Revoke or rotate the token with its issuer, then remove it from the code and its history.".into()),
            examples: r.examples,
            negative_examples: r.negative_examples,
            confidence,
            anchor,
            keyword,
            in_runs,
            source: path.to_path_buf(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(set: RuleSet) -> Vec<Rule> {
        set.rules().iter().map(|r| (**r).clone()).collect()
    }

    /// The built-in rules' expressions are not compiled at start-up: each
    /// must compile, as a rule file's would have to.
    #[test]
    fn builtin_keyword_expressions_compile() {
        for (path, text) in BUILTIN {
            parse_file(Path::new(path), text).unwrap_or_else(|e| panic!("{path}: {e}"));
        }
    }

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
        // The longest: a stateless GitHub installation token (app id, then
        // a JWT's header, payload and signature at their longest).
        assert_eq!(
            s.max_token_len(),
            "ghs_".len() + 12 + 1 + 200 + 1 + 700 + 1 + 700
        );
    }

    #[cfg(feature = "scan")]
    #[test]
    fn builtin_examples_hold() {
        assert_eq!(RuleSet::builtin().check_examples(), Vec::<String>::new());
    }

    #[cfg(feature = "scan")]
    #[test]
    fn check_examples_catches_a_wrong_example() {
        let mut rules = owned(RuleSet::builtin());
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
        let mut rules = owned(RuleSet::builtin());
        rules.push(rules.iter().find(|r| !r.is_keyword()).unwrap().clone());
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

    /// The checksummed families beyond the first wave, with the published
    /// algorithm of each (FORMATS.md's vectors are their first examples).
    #[cfg(feature = "scan")]
    const FAMILIES: &[&str] = &[
        "github-fine-grained-personal-access-token",
        "github-refresh-token",
        "gitlab-runner-authentication-token-routable",
        "gitlab-runner-authentication-token-routable-unversioned",
        "grafana-service-account-token",
        "gitlab-personal-access-token",
        "gitlab-personal-access-token-unversioned",
        "gitlab-agent-token",
        "gitlab-agent-token-unversioned",
        "gitlab-workspace-token",
        "gitlab-workspace-token-unversioned",
        "atlassian-api-token",
        "gitlab-routable-token",
    ];

    /// Every one-character edit of a checked character of `id`'s first
    /// example fails, both `check` and the scan; minted tokens check and are
    /// found valid.
    #[cfg(feature = "scan")]
    fn assert_exact(set: &RuleSet, id: &str) {
        let formats = set.formats();
        let scanner = crate::Scanner::new(set.clone());
        let r = set.get(id).unwrap_or_else(|| panic!("{id} missing"));
        assert_eq!(r.confidence, Confidence::High);
        let vector = &r.examples[0];
        let c = formats
            .check(vector)
            .unwrap_or_else(|e| panic!("{}: {e}", r.id()));
        assert_eq!(c.format.id, r.id());
        // The checksum (or the length field, or the shape) catches every
        // edit, prefix included. The fine-grained PAT's last 8 characters
        // are not covered.
        let checked = if r.id().starts_with("github-fine-grained") {
            85
        } else {
            vector.len()
        };
        for i in 0..checked {
            let mut b = vector.clone().into_bytes();
            b[i] = if b[i] == b'7' { b'8' } else { b'7' };
            let edited = String::from_utf8(b).unwrap();
            assert!(
                formats.check(&edited).is_err(),
                "{}: edit at {i} still valid",
                r.id()
            );
            let mut found = Vec::new();
            scanner.scan_slice(edited.as_bytes(), |m| found.push(m));
            assert!(found.is_empty(), "{}: edit at {i} found", r.id());
        }
        for _ in 0..20 {
            let t = r.format.mint().unwrap();
            assert_eq!(formats.check(&t).unwrap().format.id, r.id(), "{t}");
            let mut found = Vec::new();
            scanner.scan_slice(format!("x = \"{t}\"\n").as_bytes(), |m| found.push(m));
            assert_eq!(found.len(), 1, "{t}");
            assert_eq!(set.rules()[found[0].rule].id(), r.id());
            assert_eq!(found[0].checksum, crate::Checksum::Valid);
        }
    }

    #[cfg(feature = "scan")]
    #[test]
    fn every_checksummed_family_is_exact() {
        let set = RuleSet::builtin();
        for id in FAMILIES {
            assert_exact(&set, id);
        }
        let scanner = crate::Scanner::new(set.clone());
        // The 20-character glpat- of before has no checksum: its shape only.
        let legacy = set.get("gitlab-personal-access-token-legacy").unwrap();
        let t = legacy.format.mint().unwrap();
        let mut found = Vec::new();
        scanner.scan_slice(t.as_bytes(), |m| found.push(m));
        assert_eq!(found.len(), 1);
        assert_eq!(set.rules()[found[0].rule].id(), legacy.id());
        assert_eq!(found[0].checksum, crate::Checksum::None);
        assert_eq!(legacy.confidence, Confidence::High, "a long fixed prefix");
    }

    /// The opt-in rule files (see the README's Rules section), as
    /// `--rules` reads them.
    #[cfg(feature = "scan")]
    const OPT_IN: &[(&str, &str)] = &[(
        "microsoft",
        include_str!("../../patterns/opt-in/microsoft.toml"),
    )];

    /// The built-in rules and the opt-in file `name`'s, and the latter's ids.
    #[cfg(feature = "scan")]
    fn with_opt_in(name: &str) -> (RuleSet, Vec<String>) {
        let (_, text) = OPT_IN.iter().find(|(n, _)| *n == name).expect(name);
        let path = format!("patterns/opt-in/{name}.toml");
        let mut rules: Vec<Rule> = RuleSet::builtin()
            .rules()
            .iter()
            .map(|r| (**r).clone())
            .collect();
        let extra = parse_file(Path::new(&path), text).unwrap();
        let ids = extra.iter().map(|r| r.id().to_string()).collect();
        rules.extend(extra);
        (RuleSet::from_rules(rules).unwrap(), ids)
    }

    /// Every opt-in file is a whole rule file: its examples found, its
    /// negative examples not; and the directory holds no other.
    #[cfg(feature = "scan")]
    #[test]
    fn every_opt_in_file_checks_its_examples() {
        for (name, _) in OPT_IN {
            let (set, ids) = with_opt_in(name);
            assert!(!ids.is_empty(), "{name}");
            assert_eq!(set.check_examples(), Vec::<String>::new(), "{name}");
        }
        let on_disk =
            std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("patterns/opt-in"))
                .unwrap()
                .count();
        assert_eq!(on_disk, OPT_IN.len());
    }

    /// Microsoft's identifiable keys (an opt-in rule file: see its header)
    /// are exact too: a Marvin32 checksum inside the base64, or in Entra
    /// secrets' last three characters.
    #[cfg(feature = "scan")]
    #[test]
    fn microsoft_keys_are_exact() {
        let (set, ids) = with_opt_in("microsoft");
        for id in &ids {
            assert_exact(&set, id);
        }
        // Help texts name them by their signatures, having no prefix.
        assert!(
            set.families().contains("Microsoft (+ASt ACDb +ABa"),
            "{}",
            set.families()
        );
    }

    /// The families whose structure is a base64 JSON object or a macaroon:
    /// each example is valid, and the same token with its structure broken
    /// (one character of the encoded object changed) is not.
    #[cfg(feature = "scan")]
    #[test]
    fn json_and_macaroon_families_check_their_structure() {
        let set = RuleSet::builtin();
        for (id, marker) in [
            ("grafana-cloud-access-policy-token", "glc_eyJ"),
            ("grafana-api-key", "eyJrIjoi"),
            ("sentry-org-auth-token", "sntrys_eyJ"),
            ("pypi-upload-token", "pypi-AgEI"),
            ("pypi-test-upload-token", "pypi-AgEN"),
        ] {
            let formats = set.formats();
            let r = set.get(id).unwrap();
            let ex = &r.examples[0];
            let token = &ex[ex.find(marker).unwrap()..];
            assert_eq!(formats.check(token).unwrap().format.id, id);
            // `e` of `eyJ` (`{"`), or the macaroon's version byte.
            let at = marker.len() - 3;
            let mut broken = token.to_string().into_bytes();
            broken[at] = if broken[at] == b'Z' { b'Y' } else { b'Z' };
            let broken = String::from_utf8(broken).unwrap();
            assert!(formats.check(&broken).is_err(), "{id}: {broken}");
            let mut found = Vec::new();
            crate::Scanner::new(set.clone()).scan_slice(broken.as_bytes(), |m| found.push(m));
            assert!(found.is_empty(), "{id}: {found:?}");
        }
    }

    /// The JWT-shaped families: the structure decides, and nothing mints
    /// them (a JWT is its issuer's to sign).
    #[cfg(feature = "scan")]
    #[test]
    fn jwt_families_check_their_structure() {
        let set = RuleSet::builtin();
        let formats = set.formats();
        for id in [
            "github-server-to-server-token-stateless",
            "gitlab-ci-job-token-jwt",
        ] {
            let r = set.get(id).unwrap();
            let token = r.examples[0].rsplit('=').next().unwrap_or(&r.examples[0]);
            let token = token.trim_start_matches("GH_TOKEN=");
            assert_eq!(formats.check(token).unwrap().format.id, id);
            assert!(r.format.mint().is_err(), "{id}");
            // The header's first character changed: no longer JSON.
            let at = token.find("eyJ").unwrap();
            let broken = format!("{}fyJ{}", &token[..at], &token[at + 3..]);
            let e = formats.check(&broken).unwrap_err();
            assert!(e.to_string().contains("jwt structure"), "{e}");
            assert!(!e.to_string().contains(&token[at..at + 20]), "never echoed");
        }
    }

    #[test]
    fn length_field_errors_name_the_field() {
        let formats = RuleSet::builtin().formats();
        let e = formats
            .check("glpat-VJciNwSNc-utqlF-Lmw1dhBvOjEKdToyBwX.0y0gsmf61")
            .unwrap_err();
        assert_eq!(
            e,
            crate::TokenError::LengthField {
                kind: "glpat".into(),
                found: 34,
                actual: 35
            }
        );
    }

    #[test]
    fn keyword_rules_are_data_and_never_checked_alone() {
        let set = RuleSet::builtin();
        for id in [
            "cloudflare-legacy-global-api-key",
            "cloudflare-legacy-api-token",
        ] {
            let r = set.get(id).unwrap();
            assert!(r.is_keyword());
            assert_eq!(r.confidence, Confidence::Medium);
            assert!(r.format.prefix.is_empty());
            assert!(set.formats().by_name(id).is_none(), "no check or mint");
        }
        assert_eq!(
            set.at_least(Confidence::High)
                .rules()
                .iter()
                .filter(|r| r.is_keyword())
                .count(),
            0
        );
        let bad = |extra: &str| {
            parse_file(
                Path::new("x.toml"),
                &format!("provider = \"x\"\n[[rules]]\nid = \"a\"\nname = \"a\"\nbody = {{ alphabet = \"hex\", len = 40 }}\nchecksum = \"none\"\ndescription = \"d\"\n{extra}"),
            )
            .unwrap_err()
            .to_string()
        };
        assert!(bad("").contains("prefix"), "{}", bad(""));
        let ctx = "[[rules.keyword.context]]\nbefore = 'key=$'\n";
        assert!(bad(&format!("[rules.keyword]\nanchors = [\"ke\"]\n{ctx}")).contains("3 bytes"));
        assert!(bad(&format!(
            "[rules.keyword]\nanchors = [\"key\"]\nrequire = [\"vowel\"]\n{ctx}"
        ))
        .contains("vowel"));
        #[cfg(feature = "scan")]
        assert!(bad(
            "[rules.keyword]\nanchors = [\"key\"]\n[[rules.keyword.context]]\nbefore = '(key'\n"
        )
        .contains("regular expression"));
    }

    #[test]
    fn both_forms_of_the_classic_layout_are_the_same_layout() {
        let spelled = parse_file(
            Path::new("x.toml"),
            "provider = \"x\"\n[[rules]]\nid = \"a\"\nname = \"a\"\nprefix = \"a_\"\nbody = { len = 40 }\nchecksum = { algorithm = \"crc32\", encoding = \"hex\" }\ndescription = \"d\"\n",
        )
        .unwrap();
        assert_eq!(
            spelled[0].format.layout,
            Layout::preset(40, Scheme::Crc32Hex8).unwrap()
        );
        assert_eq!(spelled[0].format.scheme(), Some(Scheme::Crc32Hex8));
        let both = parse_file(
            Path::new("x.toml"),
            "provider = \"x\"\n[[rules]]\nid = \"a\"\nname = \"a\"\nprefix = \"a_\"\nbody_len = 40\nchecksum = \"none\"\nlayout = [{ random = \"alnum\", len = 40 }]\ndescription = \"d\"\n",
        )
        .unwrap_err();
        assert!(both.to_string().contains("not both"), "{both}");
    }
}
