//! Findings: a [`Match`] placed where its bytes came from. The source that
//! read the bytes builds the [`Location`]; a finding holds its rule itself.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::engine::Checksum;
use crate::findings::matched::Match;
use crate::findings::verification::Verification;
use crate::rules::{Confidence, Rule};
use crate::token::checksum::sha256_hex;
use crate::token::format::redact;

/// Where a finding's bytes came from.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Location {
    /// A file on disk, by the path it was reached by.
    File {
        /// As walked (relative when the root was relative).
        path: PathBuf,
    },
    /// Standard input.
    Stdin,
    /// A blob staged in the git index.
    Staged {
        /// Inside the repository.
        path: PathBuf,
        /// Object id.
        blob: String,
    },
    /// A blob in a commit.
    Commit {
        /// Inside the repository.
        path: PathBuf,
        /// Object id.
        blob: String,
        /// The commit that introduced the blob at that path.
        commit: String,
    },
}

/// The kind of place, as reports name it (`source` in JSON).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// A file in the working tree (or stdin).
    File,
    /// A blob in the git index (`--staged`).
    Staged,
    /// A blob in git history (`--git`, `--git-range`).
    Commit,
}

impl Origin {
    /// `file`, `staged` or `commit`.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::File => "file",
            Origin::Staged => "staged",
            Origin::Commit => "commit",
        }
    }
}

/// A path as reports show it: as walked, without a leading `./`.
pub fn display_path(p: &Path) -> String {
    let p = p.strip_prefix(".").unwrap_or(p);
    let s = p.to_string_lossy();
    if s.is_empty() {
        ".".into()
    } else {
        s.into_owned()
    }
}

impl Location {
    /// The path reports show: as walked for files, inside the repository
    /// for blobs, `<stdin>` for standard input.
    pub fn display(&self) -> String {
        match self {
            Location::File { path } => display_path(path),
            Location::Stdin => "<stdin>".into(),
            Location::Staged { path, .. } | Location::Commit { path, .. } => {
                path.to_string_lossy().into_owned()
            }
        }
    }

    /// `file` (files and stdin), `staged` or `commit`.
    pub fn origin(&self) -> Origin {
        match self {
            Location::File { .. } | Location::Stdin => Origin::File,
            Location::Staged { .. } => Origin::Staged,
            Location::Commit { .. } => Origin::Commit,
        }
    }

    /// The path's exact bytes, as [`Location::display`] shows it but
    /// unreplaced (none for stdin).
    pub fn raw_path(&self) -> Option<&[u8]> {
        use std::os::unix::ffi::OsStrExt;
        match self {
            Location::File { path } => Some(
                path.strip_prefix(".")
                    .unwrap_or(path)
                    .as_os_str()
                    .as_bytes(),
            ),
            Location::Staged { path, .. } | Location::Commit { path, .. } => {
                Some(path.as_os_str().as_bytes())
            }
            Location::Stdin => None,
        }
    }

    /// The commit, for blobs in history.
    pub fn commit(&self) -> Option<&str> {
        match self {
            Location::Commit { commit, .. } => Some(commit),
            _ => None,
        }
    }

    /// The blob id, for git sources.
    pub fn blob(&self) -> Option<&str> {
        match self {
            Location::Staged { blob, .. } | Location::Commit { blob, .. } => Some(blob),
            _ => None,
        }
    }
}

/// What a finding says about its token; shared by every finding of the same
/// token at the same place, so that a file holding one token a million times
/// costs a million small records, not a million copies of these strings.
#[derive(Clone, Debug, PartialEq, Eq)]
struct TokenFacts {
    secret: String,
    secret_sha256: String,
    redacted: String,
    fingerprint: String,
}

/// One reported token. The token itself is kept for `--show-secret` and
/// revocation, but is never serialized by this type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The rule that matched.
    pub rule: Arc<Rule>,
    /// Where the token is.
    pub location: Arc<Location>,
    path: Arc<str>,
    /// 1-based line of the first token byte.
    pub line: u64,
    /// 1-based byte column of the first token byte.
    pub column: u64,
    /// 1-based byte column just past the last token byte (exclusive, as
    /// SARIF's `endColumn`).
    pub end_column: u64,
    /// 1-based column of the first token byte in UTF-16 code units (SARIF's
    /// `columnKind`); the token itself is ASCII.
    pub column_utf16: u64,
    /// Byte offset of the token in the file or blob.
    pub offset: u64,
    /// `valid`, `invalid` or `none`.
    pub checksum: Checksum,
    token: Arc<TokenFacts>,
    /// Inside an archive: the member's path (a chain through nested ones).
    member: Option<Arc<str>>,
    /// The encodings the token was read through, outermost first.
    encoding: Option<Arc<str>>,
    history: Option<Arc<History>>,
    repository: Option<Arc<str>>,
    verification: Option<Arc<Verification>>,
}

/// What history says of a token at a path, once its findings there are one
/// (`--git`, `--git-range` without `--all-occurrences`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct History {
    /// How many blobs at that path carried it.
    pub occurrences: u64,
    /// The newest commit that added a blob carrying it there.
    pub last_commit: String,
    /// The refs whose tip still holds it at that path (full names).
    pub still_in: Vec<String>,
}

/// The fingerprint of `secret_sha256` found by `rule_id` at `path`: 32 hex
/// digits, independent of line and column so that edits elsewhere in the
/// file do not invalidate an allowlist entry.
///
/// `path` is the path's exact bytes: two names that differ only in bytes
/// that are not UTF-8 (`k\xff`, `k\xfe`) get different fingerprints, so one
/// allowlist line cannot cover both. For UTF-8 names this is the same value
/// as ever.
pub fn fingerprint(rule_id: &str, path: &[u8], secret_sha256: &str) -> String {
    let mut input = Vec::with_capacity(32 + rule_id.len() + path.len() + 64);
    input.extend_from_slice(b"burnkey-fp-v1\0");
    input.extend_from_slice(rule_id.as_bytes());
    input.push(0);
    input.extend_from_slice(path);
    input.push(0);
    input.extend_from_slice(secret_sha256.as_bytes());
    let mut h = sha256_hex(&input);
    h.truncate(32);
    h
}

/// What a fingerprint is computed over: the path, and inside an archive a
/// NUL and the member.
fn member_key<'a>(path: &'a [u8], member: Option<&str>) -> std::borrow::Cow<'a, [u8]> {
    match member {
        None => std::borrow::Cow::Borrowed(path),
        Some(m) => std::borrow::Cow::Owned([path, b"\0", m.as_bytes()].concat()),
    }
}

impl Finding {
    /// A finding for match `m` of `rule` at `location`; `key_path` is the
    /// path the fingerprint is computed over (relative to the scan root).
    pub fn new(rule: Arc<Rule>, m: &Match, location: Location, key_path: &[u8]) -> Finding {
        let mut place = Place::new(location, key_path.to_vec());
        place.finding(rule, m)
    }

    /// The token. Keep it out of logs: reports print [`Finding::redacted`]
    /// unless asked for `--show-secret`.
    pub fn secret(&self) -> &str {
        &self.token.secret
    }

    /// Hex SHA-256 of the exact token.
    pub fn secret_sha256(&self) -> &str {
        &self.token.secret_sha256
    }

    /// The token's prefix and first four characters.
    pub fn redacted(&self) -> &str {
        &self.token.redacted
    }

    /// Stable id of this token at this path for this rule (not its line),
    /// to list in `.burnkeyignore`.
    pub fn fingerprint(&self) -> &str {
        &self.token.fingerprint
    }

    /// The same token at the same line and column of another blob or path
    /// (a copied file in history): its path, fingerprint and location are
    /// the new place's.
    pub fn relocated(&self, location: Location) -> Finding {
        // At the same path (another commit of it), the fingerprint stays.
        let same_path =
            location.raw_path().is_some() && location.raw_path() == self.location.raw_path();
        let token = if same_path {
            self.token.clone()
        } else {
            let path = location
                .raw_path()
                .map_or_else(|| location.display().into_bytes(), <[u8]>::to_vec);
            let key = member_key(&path, self.member.as_deref());
            let mut token = (*self.token).clone();
            token.fingerprint = fingerprint(self.rule.id(), &key, &token.secret_sha256);
            Arc::new(token)
        };
        Finding {
            path: location.display().into(),
            location: Arc::new(location),
            token,
            ..self.clone()
        }
    }

    /// This finding standing for all of its token's findings at its path in
    /// history.
    pub fn with_history(mut self, h: History) -> Finding {
        self.history = Some(Arc::new(h));
        self
    }

    /// This finding tagged with the repository it was found in
    /// (`--repository`, for reports merged across repositories).
    pub fn with_repository(mut self, name: Arc<str>) -> Finding {
        self.repository = Some(name);
        self
    }

    /// This finding with what its provider said of the token
    /// (`scan --verify`); findings of one token share it.
    pub fn with_verification(mut self, v: Arc<Verification>) -> Finding {
        self.verification = Some(v);
        self
    }

    /// What the provider said, when the scan asked.
    pub fn verification(&self) -> Option<&Verification> {
        self.verification.as_deref()
    }

    /// Inside an archive: the member's path, a chain of inner paths
    /// joined with `/` through nested archives.
    pub fn member(&self) -> Option<&str> {
        self.member.as_deref()
    }

    /// The path as people read it: `path`, or `path!member` inside an
    /// archive (as `jar:` URLs and gitleaks write it).
    pub fn shown_path(&self) -> std::borrow::Cow<'_, str> {
        match &self.member {
            None => std::borrow::Cow::Borrowed(&self.path),
            Some(m) => std::borrow::Cow::Owned(format!("{}!{m}", self.path)),
        }
    }

    /// The encodings the token was read through, outermost first, joined
    /// with `>`: `base64`, `utf-16le`, `json-escape`, `gzip>base64`.
    pub fn encoding(&self) -> Option<&str> {
        self.encoding.as_deref()
    }

    /// The repository it was tagged with.
    pub fn repository(&self) -> Option<&str> {
        self.repository.as_deref()
    }

    /// What history says, for a finding that stands for several.
    pub fn history(&self) -> Option<&History> {
        self.history.as_deref()
    }

    /// Rule id, e.g. `cloudflare-user-api-token`.
    pub fn rule_id(&self) -> &str {
        self.rule.id()
    }

    /// How sure the finding is: `low` for a wrong checksum, else the
    /// rule's (`high` for a checksum or a long fixed prefix, `medium` where
    /// only a keyword names the secret).
    pub fn confidence(&self) -> Confidence {
        if self.checksum == Checksum::Invalid {
            Confidence::Low
        } else if self.prefix_as_written().is_some() {
            self.rule.confidence.min(Confidence::Medium)
        } else {
            self.rule.confidence
        }
    }

    /// The prefix as the token writes it, where that is not the rule's
    /// (`Cfat_` for `cfat_`): such a token is reported only with a valid
    /// checksum, at `medium` confidence.
    pub fn prefix_as_written(&self) -> Option<&str> {
        let prefix = &self.rule.format.prefix;
        let written = self.secret().get(..prefix.len())?;
        (written != prefix && written.eq_ignore_ascii_case(prefix)).then_some(written)
    }

    /// The instance prefix a token of a rule found under any prefix is
    /// written with (`acme-glpat-`; empty for none): the issuing instance's
    /// mark. `None` for other rules.
    pub fn instance_prefix(&self) -> Option<&str> {
        let n = self
            .rule
            .format
            .instance_prefix_len(self.secret().as_bytes())?;
        self.secret().get(..n)
    }

    /// Human name of the rule.
    pub fn rule_name(&self) -> &str {
        &self.rule.format.name
    }

    /// The path reports show (see [`Location::display`]).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// `file`, `staged` or `commit`.
    pub fn source(&self) -> Origin {
        self.location.origin()
    }

    /// The commit that introduced the blob (history sources).
    pub fn commit(&self) -> Option<&str> {
        self.location.commit()
    }

    /// The blob id (git sources).
    pub fn blob(&self) -> Option<&str> {
        self.location.blob()
    }

    /// The order reports use: by path, member, then position, then rule.
    #[allow(clippy::type_complexity)]
    pub fn sort_key(&self) -> (&str, Option<&str>, u64, u64, &str, Option<&str>) {
        (
            &*self.path,
            self.member(),
            self.line,
            self.column,
            self.rule_id(),
            self.commit(),
        )
    }
}

/// One file, blob or stream being scanned: its location, the path reports
/// show, the fingerprint key, and the token facts its findings share.
#[derive(Debug)]
pub struct Place {
    location: Arc<Location>,
    path: Arc<str>,
    key: Vec<u8>,
    /// Token facts already made here, with the rule they were made for.
    facts: Vec<(Arc<Rule>, Arc<TokenFacts>)>,
}

/// Distinct tokens per place whose facts are shared; beyond it each finding
/// gets its own (a file with that many distinct tokens is rare).
const SHARED_FACTS: usize = 64;

impl Place {
    /// A place; `key` is the path (exact bytes) fingerprints are computed over.
    pub fn new(location: Location, key: Vec<u8>) -> Place {
        Place {
            path: location.display().into(),
            location: Arc::new(location),
            key,
            facts: Vec::new(),
        }
    }

    /// The finding for match `m` of `rule` here. Inside an archive, the
    /// fingerprint covers the member too: `path`, a NUL, the member.
    pub fn finding(&mut self, rule: Arc<Rule>, m: &Match) -> Finding {
        let known = self
            .facts
            .iter()
            .find(|(r, t)| t.secret == m.secret && Arc::ptr_eq(r, &rule) && m.member.is_none());
        let token = match known {
            Some((_, t)) => t.clone(),
            None => {
                let secret_sha256 = sha256_hex(m.secret.as_bytes());
                let key = member_key(&self.key, m.member.as_deref());
                let t = Arc::new(TokenFacts {
                    fingerprint: fingerprint(rule.id(), &key, &secret_sha256),
                    redacted: redact(&m.secret, rule.format.prefix_len_of(&m.secret)),
                    secret: m.secret.clone(),
                    secret_sha256,
                });
                if self.facts.len() < SHARED_FACTS && m.member.is_none() {
                    self.facts.push((rule.clone(), t.clone()));
                }
                t
            }
        };
        Finding {
            path: self.path.clone(),
            location: self.location.clone(),
            line: m.line,
            column: m.column,
            end_column: m.column + m.len,
            column_utf16: m.column_utf16,
            offset: m.offset,
            checksum: m.checksum,
            token,
            rule,
            member: m.member.clone(),
            encoding: m.encoding.clone(),
            history: None,
            repository: None,
            verification: None,
        }
    }
}

/// The JSON contract: `rule_id`, `rule_name`, `path`, `line`, `column`,
/// `end_column`, `column_utf16`, `offset`, `secret_sha256`, `redacted`,
/// `checksum`,
/// `confidence`, `fingerprint`, `source`, `commit`/`blob` where they
/// apply, `prefix_as_written` for a prefix in the wrong case,
/// `member`/`encoding` for a token inside an archive or an
/// encoding, and `occurrences`/`last_commit`/`still_in` for a history finding
/// that stands for all of its token's at its path.
impl Serialize for Finding {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let raw = self
            .location
            .raw_path()
            .filter(|p| std::str::from_utf8(p).is_err());
        // A map of as many entries as the finding has: serde_json needs no
        // count.
        let mut st = s.serialize_map(None)?;
        if let Some(r) = &self.repository {
            st.serialize_entry("repository", &**r)?;
        }
        st.serialize_entry("rule_id", self.rule_id())?;
        st.serialize_entry("rule_name", self.rule_name())?;
        st.serialize_entry("path", &*self.path)?;
        if let Some(raw) = raw {
            // The exact name, when `path` had to replace bytes that are not
            // UTF-8 (as ripgrep's JSON does).
            use base64::Engine as _;
            let b64 = base64::engine::general_purpose::STANDARD.encode(raw);
            st.serialize_entry("path_bytes", &b64)?;
        }
        if let Some(m) = &self.member {
            st.serialize_entry("member", &**m)?;
        }
        if let Some(e) = &self.encoding {
            st.serialize_entry("encoding", &**e)?;
        }
        st.serialize_entry("line", &self.line)?;
        st.serialize_entry("column", &self.column)?;
        st.serialize_entry("end_column", &self.end_column)?;
        st.serialize_entry("column_utf16", &self.column_utf16)?;
        st.serialize_entry("offset", &self.offset)?;
        st.serialize_entry("secret_sha256", self.secret_sha256())?;
        st.serialize_entry("redacted", self.redacted())?;
        st.serialize_entry("checksum", &self.checksum)?;
        st.serialize_entry("confidence", &self.confidence())?;
        if let Some(p) = self.prefix_as_written() {
            st.serialize_entry("prefix_as_written", p)?;
        }
        if let Some(p) = self.instance_prefix() {
            st.serialize_entry("instance_prefix", p)?;
        }
        st.serialize_entry("fingerprint", self.fingerprint())?;
        st.serialize_entry("source", &self.source())?;
        if let Some(c) = self.commit() {
            st.serialize_entry("commit", c)?;
        }
        if let Some(b) = self.blob() {
            st.serialize_entry("blob", b)?;
        }
        if let Some(h) = &self.history {
            st.serialize_entry("occurrences", &h.occurrences)?;
            st.serialize_entry("last_commit", &h.last_commit)?;
            st.serialize_entry("still_in", &h.still_in)?;
        }
        if let Some(v) = &self.verification {
            st.serialize_entry("verification", &**v)?;
        }
        st.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RuleSet;

    fn rule_of(rules: &RuleSet, m: &Match) -> Arc<Rule> {
        rules.rules()[m.rule].clone()
    }

    #[test]
    fn json_keeps_every_contract_field() {
        let rules = RuleSet::builtin();
        let t = crate::FormatSet::builtin()
            .by_name("cfut")
            .unwrap()
            .mint()
            .unwrap();
        let mut m = None;
        crate::Scanner::new(rules.clone()).scan_slice(t.as_bytes(), |x| m = Some(x));
        let m = m.unwrap();
        let rule = rules.rules()[m.rule].clone();
        let loc = Location::Commit {
            path: "a/b.txt".into(),
            blob: "b".repeat(40),
            commit: "c".repeat(40),
        };
        let f = Finding::new(rule, &m, loc, b"a/b.txt");
        let v = serde_json::to_value(&f).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        let mut want = vec![
            "rule_id",
            "rule_name",
            "path",
            "line",
            "column",
            "end_column",
            "column_utf16",
            "offset",
            "secret_sha256",
            "redacted",
            "checksum",
            "confidence",
            "fingerprint",
            "source",
            "commit",
            "blob",
        ];
        want.sort();
        assert_eq!(keys, want);
        assert_eq!(v["source"], "commit");
        assert_eq!(v["path"], "a/b.txt");
        assert!(!v.to_string().contains(&t), "never the token");
        let stdin = Finding::new(
            rules.rules()[m.rule].clone(),
            &m,
            Location::Stdin,
            b"<stdin>",
        );
        // Findings of one token at one place share what they say of it.
        let mut place = Place::new(Location::Stdin, b"<stdin>".to_vec());
        let a = place.finding(rule_of(&rules, &m), &m);
        let b = place.finding(rule_of(&rules, &m), &m);
        assert!(Arc::ptr_eq(&a.token, &b.token) && Arc::ptr_eq(&a.location, &b.location));
        assert_eq!(a, stdin);
        let v = serde_json::to_value(&stdin).unwrap();
        assert_eq!(
            (v["path"].as_str(), v["source"].as_str()),
            (Some("<stdin>"), Some("file"))
        );
        assert!(v.get("commit").is_none() && v.get("blob").is_none());
    }
}
