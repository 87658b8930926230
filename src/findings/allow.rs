//! `.burnkeyignore`: what a repository declares it knowingly contains.
//!
//! One entry per line; `#` starts a comment. An entry is one of:
//! - a finding fingerprint (32 hex digits, as `burnkey scan --print-fingerprints`
//!   prints): that token, by that rule, at that path;
//! - a token's SHA-256 (64 hex digits, a finding's `secret_sha256`): that
//!   token wherever it appears (for published test vectors);
//! - a path glob, relative to the scan root, gitignore-style: `*.snap`
//!   matches at any depth, `/docs/*.md` or `docs/*.md` only under the root,
//!   `fixtures/` a whole directory. Matching files are not read at all.
//!
//! The inline form is a `burnkey:allow` comment on the token's line (see
//! [`crate::scan::ALLOW_MARKER`]).

use std::collections::HashSet;
use std::path::Path;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use crate::error::Error;
use crate::findings::finding::Finding;
use crate::findings::stats::SuppressReason;

/// The file name looked for at the scan root.
pub const FILE_NAME: &str = ".burnkeyignore";

/// A parsed `.burnkeyignore`.
#[derive(Clone, Debug, Default)]
pub struct Allowlist {
    fingerprints: HashSet<String>,
    secrets: HashSet<String>,
    globs: Option<GlobSet>,
}

fn is_hex(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|c| c.is_ascii_hexdigit())
}

impl Allowlist {
    /// Loads `dir/.burnkeyignore`; an absent file is an empty allowlist.
    pub fn load_from_dir(dir: &Path) -> Result<Allowlist, Error> {
        let path = dir.join(FILE_NAME);
        match crate::fsutil::read_control(&path) {
            Ok(text) => Allowlist::parse(&text, &path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Allowlist::default()),
            Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => Ok(Allowlist::default()),
            Err(e) => Err(Error::io(path, e)),
        }
    }

    /// Parses the text of an allowlist; `path` is for error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Allowlist, Error> {
        let mut out = Allowlist::default();
        let mut globs = GlobSetBuilder::new();
        let mut any_glob = false;
        for (i, raw) in text.lines().enumerate() {
            let line = match raw.find(" #") {
                Some(i) => &raw[..i],
                None => raw,
            };
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if is_hex(line, 32) {
                out.fingerprints.insert(line.to_ascii_lowercase());
            } else if is_hex(line, 64) {
                out.secrets.insert(line.to_ascii_lowercase());
            } else {
                let mut g = line.trim_start_matches("./").to_string();
                if let Some(rest) = g.strip_prefix('/') {
                    g = rest.to_string();
                } else if !g.trim_end_matches('/').contains('/') {
                    g = format!("**/{g}");
                }
                if g.ends_with('/') {
                    g.push_str("**");
                }
                let glob = GlobBuilder::new(&g)
                    .literal_separator(true)
                    .build()
                    .map_err(|e| Error::Parse {
                        path: path.to_path_buf(),
                        line: Some(i + 1),
                        message: format!("bad glob {line:?}: {e}"),
                    })?;
                globs.add(glob);
                // A directory pattern also covers everything below it.
                if !g.ends_with("/**") {
                    if let Ok(below) = GlobBuilder::new(&format!("{g}/**"))
                        .literal_separator(true)
                        .build()
                    {
                        globs.add(below);
                    }
                }
                any_glob = true;
            }
        }
        if any_glob {
            out.globs = Some(globs.build().map_err(|e| Error::Parse {
                path: path.to_path_buf(),
                line: None,
                message: e.to_string(),
            })?);
        }
        Ok(out)
    }

    /// Whether the file at `rel` (relative to the scan root) is skipped.
    pub fn path_ignored(&self, rel: &Path) -> bool {
        self.globs.as_ref().is_some_and(|g| g.is_match(rel))
    }

    /// [`Allowlist::path_ignored`] for a path as git gives it: raw bytes.
    #[cfg_attr(not(feature = "cli"), allow(dead_code))] // the command line's git scans
    pub fn raw_path_ignored(&self, rel: &[u8]) -> bool {
        use std::os::unix::ffi::OsStrExt;
        self.path_ignored(Path::new(std::ffi::OsStr::from_bytes(rel)))
    }

    /// Whether path globs exist at all (lets the walker skip the work).
    pub fn has_globs(&self) -> bool {
        self.globs.is_some()
    }

    /// Why `f` is allowed, if it is: `fingerprint` or `secret`.
    pub fn allows(&self, f: &Finding) -> Option<SuppressReason> {
        if self.fingerprints.contains(f.fingerprint()) {
            Some(SuppressReason::Fingerprint)
        } else if self.secrets.contains(f.secret_sha256()) {
            Some(SuppressReason::Secret)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(text: &str) -> Allowlist {
        Allowlist::parse(text, Path::new(".burnkeyignore")).unwrap()
    }

    #[test]
    fn globs_follow_gitignore_habits() {
        let a =
            list("# fixtures\n*.snap\n/docs/*.md  # only top-level docs\nfixtures/\nsrc/gen/**\n");
        let yes = |p: &str| a.path_ignored(Path::new(p));
        assert!(yes("x.snap") && yes("a/b/x.snap"));
        assert!(yes("docs/a.md") && !yes("sub/docs/a.md") && !yes("docs/deep/a.md"));
        assert!(yes("fixtures/a") && yes("fixtures/b/c") && yes("x/fixtures/y"));
        assert!(yes("src/gen/a/b.rs") && !yes("src/other.rs"));
        assert!(!yes("README.md"));
    }

    #[test]
    fn hashes_and_errors() {
        let a = list(&format!("{}\n{}\n", "a".repeat(32), "B".repeat(64)));
        assert!(a.fingerprints.contains(&"a".repeat(32)));
        assert!(a.secrets.contains(&"b".repeat(64)));
        assert!(!a.has_globs());
        let e = Allowlist::parse("ok\n[z-a]\n", Path::new("x")).unwrap_err();
        assert!(e.to_string().starts_with("x:2: bad glob"), "{e}");
    }
}
