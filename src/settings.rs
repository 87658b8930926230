//! `burnkey.toml`: the one settings document. Parsed once, as a whole, so
//! an unknown section or key anywhere is an error; each part is then checked
//! by the layer it configures (`[[revoke]]` by `revoke::config`, `[serve]`
//! by `serve::settings`).
//!
//! May import: error.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The file's name, where commands look for it.
pub const FILE: &str = "burnkey.toml";

/// The whole document.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// Where revocations go.
    #[serde(default)]
    pub revoke: Vec<RevokeEntry>,
    /// `burnkey serve`'s settings.
    pub serve: Option<ServeSection>,
}

impl Document {
    /// Parses `text` (read from `path`, which errors name).
    pub fn parse(text: &str, path: &Path) -> Result<Document, Error> {
        toml::from_str(text).map_err(|e| Error::Parse {
            path: path.to_path_buf(),
            line: e.span().map(|s| text[..s.start].matches('\n').count() + 1),
            message: e.message().to_string(),
        })
    }

    /// Reads and parses the file at `path`: a regular file, never through a
    /// link.
    pub fn load(path: &Path) -> Result<Document, Error> {
        #[cfg(feature = "scan")]
        let text = crate::fsutil::read_control(path);
        #[cfg(not(feature = "scan"))]
        let text = std::fs::read_to_string(path);
        let text = text.map_err(|e| Error::io(path, e))?;
        Document::parse(&text, path)
    }
}

/// What a request carries: the token, or only its SHA-256.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SendMode {
    /// The token itself (GitHub's partner payload).
    Token,
    /// Only `token_hash`, for issuers that store hashes.
    Hash,
}

/// One `[[revoke]]` entry, as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeEntry {
    pub rules: Vec<String>,
    pub url: Option<String>,
    pub secret_env: Option<String>,
    pub send: Option<SendMode>,
    pub via: Option<String>,
    pub outbox_key_env: Option<String>,
    #[serde(default)]
    pub confirm: bool,
    pub timeout: Option<String>,
    pub retry_for: Option<String>,
    pub backoff: Option<String>,
}

/// The `[serve]` section, as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeSection {
    pub listen: Option<String>,
    pub store: Option<String>,
    #[serde(default)]
    pub rules: Vec<PathBuf>,
    pub secret_env: Option<String>,
    pub tolerance: Option<String>,
    pub github_keys: Option<PathBuf>,
    pub github_keys_url: Option<String>,
    pub github_keys_refresh: Option<String>,
    pub feedback: Option<String>,
    pub max_body: Option<String>,
    pub max_connections: Option<usize>,
    pub max_requests: Option<usize>,
    pub header_timeout: Option<String>,
    pub read_timeout: Option<String>,
    pub grace: Option<String>,
    pub log: Option<String>,
    pub notify: Option<NotifySection>,
}

/// `[serve.notify]`, as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifySection {
    pub command: Option<Vec<String>>,
    pub url: Option<String>,
    pub secret_env: Option<String>,
    pub timeout: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(t: &str) -> Result<Document, Error> {
        Document::parse(t, Path::new("burnkey.toml"))
    }

    /// Each section is read by one parser, so a mistake in either is an
    /// error for every command (each parser used to skip the other's).
    #[test]
    fn one_document_both_sections_checked() {
        let both = "[[revoke]]\nrules = [\"*\"]\nurl = \"https://r.example/x\"\nsecret_env = \"S\"\n\n[serve]\nlisten = \"127.0.0.1:9\"\n";
        let d = parse(both).unwrap();
        assert_eq!(d.revoke.len(), 1);
        assert_eq!(d.serve.unwrap().listen.as_deref(), Some("127.0.0.1:9"));
        let typo = parse("[serve]\nlisten = \"x\"\nlisen = \"y\"\n")
            .err()
            .unwrap();
        assert!(typo.to_string().contains("lisen"), "{typo}");
        // `[revoke]` for `[[revoke]]`.
        assert!(parse("[revoke]\nrules = []\n").is_err());
        let unknown = parse("[scan]\nx = 1\n").err().unwrap().to_string();
        assert!(
            unknown.contains("`scan`") && unknown.contains("burnkey.toml:1"),
            "{unknown}"
        );
    }
}
