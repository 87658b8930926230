//! Where the files that steer a scan are read from: `.burnkeyignore` (what
//! is allowed), a relative `--baseline` (what is known) and `burnkey.toml`
//! (where tokens are sent, and the consent to destroy them).
//!
//! What is scanned is not trusted to steer its own scan. So:
//! - `burnkey.toml` comes from `--config` or the working directory, never
//!   from a file found inside a scanned root;
//! - for a range (`--git-range`, `--since-commit`: a pull request, a push)
//!   all three come from the range's base commit, which the pushed commits
//!   cannot change (`--config-from-head` opts out);
//! - a repository without a work tree (a mirror) has them at `HEAD`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use crate::allow::{self, Allowlist};
use crate::baseline::Baseline;
use crate::fsutil::CONTROL_FILE_MAX;
use crate::git::Repo;
use crate::revoke::config::Config;

use super::scan_cmd::GitSource;
use super::ScanArgs;

/// The name of the revocation settings file.
const CONFIG_FILE: &str = "burnkey.toml";

/// Where control files are read from.
pub(crate) enum Controls {
    /// On disk: `.burnkeyignore` at the scanned root (a work tree's top),
    /// `burnkey.toml` in the working directory.
    Disk,
    /// At a commit of `repo`: a range's base, or `HEAD` of a bare one.
    Commit { repo: Repo, rev: String },
    /// A range with no base commit (a new branch): none at all.
    Nothing,
}

impl Controls {
    /// Where `a`'s scan of `source` reads its control files.
    pub fn of(a: &ScanArgs, source: Option<&GitSource>) -> anyhow::Result<Controls> {
        let Some(source) = source else {
            return Ok(Controls::Disk);
        };
        let dir = match (source, &a.git) {
            (GitSource::History, Some(p)) => p.clone(),
            _ => a
                .paths
                .first()
                .cloned()
                .unwrap_or_else(|| PathBuf::from(".")),
        };
        let repo = Repo::discover(&dir)?;
        match source {
            GitSource::Range(r) if !a.pre_commit && !a.config_from_head => {
                Ok(match range_base(r) {
                    Some(rev) => Controls::Commit { repo, rev },
                    None => Controls::Nothing,
                })
            }
            _ if repo.top().is_none() => Ok(Controls::Commit {
                repo,
                rev: "HEAD".into(),
            }),
            _ => Ok(Controls::Disk),
        }
    }

    /// A control file at the commit, or `None` where it has none.
    fn at_commit(&self, rel: &str) -> anyhow::Result<Option<(String, PathBuf)>> {
        let Controls::Commit { repo, rev } = self else {
            return Ok(None);
        };
        let name = PathBuf::from(format!("{rev}:{rel}"));
        Ok(repo
            .read_blob_at(rev, rel, CONTROL_FILE_MAX)?
            .map(|b| (String::from_utf8_lossy(&b).into_owned(), name)))
    }

    /// The allowlist for a git scan of a repository whose work tree's top
    /// is `top`.
    pub fn allowlist(&self, top: Option<&Path>) -> anyhow::Result<Allowlist> {
        match self {
            Controls::Nothing => Ok(Allowlist::default()),
            Controls::Disk => match top {
                Some(top) => Ok(Allowlist::load_from_dir(top)?),
                None => Ok(Allowlist::default()),
            },
            Controls::Commit { .. } => match self.at_commit(allow::FILE_NAME)? {
                Some((text, name)) => Ok(Allowlist::parse(&text, &name)?),
                None => Ok(Allowlist::default()),
            },
        }
    }

    /// `--baseline FILE`. An absolute FILE is read from disk; a relative one
    /// from the commit when there is one (a range's base without it accepts
    /// nothing: the pull request that adds a baseline is checked whole).
    pub fn baseline(&self, p: &Path) -> anyhow::Result<Baseline> {
        match self {
            Controls::Commit { repo, rev } if p.is_relative() => {
                let rel = p.to_string_lossy();
                match self.at_commit(&rel)? {
                    Some((text, name)) => Ok(Baseline::parse(&text, &name)?),
                    None if repo.top().is_none() && rev == "HEAD" && !p.exists() => {
                        bail!("no baseline {rel} on disk, nor at HEAD of this bare repository")
                    }
                    None if repo.top().is_none() && rev == "HEAD" => Ok(Baseline::load(p)?),
                    None => {
                        eprintln!(
                            "burnkey: the baseline {rel} is not in the base commit {rev}: it accepts nothing for this range"
                        );
                        Ok(Baseline::default())
                    }
                }
            }
            Controls::Nothing if p.is_relative() => Ok(Baseline::default()),
            _ => Ok(Baseline::load(p)?),
        }
    }

    /// The revocation settings: `--config FILE`, else `burnkey.toml` at the
    /// commit, else in the working directory.
    pub fn revoke_config(&self, explicit: Option<&Path>) -> anyhow::Result<Config> {
        if let Some(p) = explicit {
            return Ok(Config::load(p)?);
        }
        if let Some((text, name)) = self.at_commit(CONFIG_FILE)? {
            return Ok(Config::parse(&text, &name)?);
        }
        if let Controls::Commit { rev, .. } = self {
            bail!("no {CONFIG_FILE} at {rev}: pass --config FILE");
        }
        let p = Path::new(CONFIG_FILE);
        if !p.exists() && std::fs::symlink_metadata(p).is_err() {
            bail!(
                "no {CONFIG_FILE} in the working directory: pass --config FILE (a scanned folder's {CONFIG_FILE} is never read)"
            );
        }
        Config::load(p).with_context(|| format!("reading {CONFIG_FILE}"))
    }
}

/// The commit a range starts from (what its commits are compared against):
/// `A` of `A..B` or `A...B` (`HEAD` for `..B`), else the first `^A` of a
/// revision list; none for an all-zero `A` (a new branch).
fn range_base(range: &str) -> Option<String> {
    let base = match range.split_once("..") {
        Some(("", _)) => "HEAD",
        Some((a, _)) => a,
        None => range.split_whitespace().find_map(|r| r.strip_prefix('^'))?,
    };
    (!base.bytes().all(|c| c == b'0')).then(|| base.to_string())
}

#[cfg(test)]
mod tests {
    use super::range_base;

    #[test]
    fn the_base_of_each_range_form() {
        assert_eq!(range_base("abc..def").as_deref(), Some("abc"));
        assert_eq!(range_base("abc...def").as_deref(), Some("abc"));
        assert_eq!(range_base("..def").as_deref(), Some("HEAD"));
        assert_eq!(range_base("0000000..def"), None);
        assert_eq!(
            range_base("def ^refs/remotes/origin/main ^refs/heads/x").as_deref(),
            Some("refs/remotes/origin/main")
        );
        assert_eq!(range_base("def"), None);
    }
}
