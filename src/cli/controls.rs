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

use crate::findings::allow::{self, Allowlist};
use crate::findings::baseline::Baseline;
use crate::fsutil::CONTROL_FILE_MAX;
use crate::revoke::config::Config;
use crate::source::git::Repo;

use super::args::GitSource;
use super::args::ScanArgs;

/// The name of the revocation settings file.
use crate::settings::FILE as CONFIG_FILE;

/// Where control files are read from.
pub(crate) enum Controls<'r> {
    /// On disk: `.burnkeyignore` at the scanned root (a work tree's top),
    /// `burnkey.toml` in the working directory.
    Disk,
    /// At `HEAD` of a repository without a work tree (a mirror); a relative
    /// baseline named on disk is read there.
    Head(&'r Repo),
    /// At a range's base commit.
    Base(&'r Repo, String),
    /// A range with no base commit (a new branch): none at all.
    Nothing,
}

impl<'r> Controls<'r> {
    /// Where `a`'s scan of `source`, in `repo`, reads its control files.
    pub fn of(a: &ScanArgs, source: Option<&GitSource>, repo: Option<&'r Repo>) -> Controls<'r> {
        let (Some(source), Some(repo)) = (source, repo) else {
            return Controls::Disk;
        };
        match source {
            GitSource::Range(r) if !a.pre_commit && !a.config_from_head => match range_base(r) {
                Some(rev) => Controls::Base(repo, rev),
                None => Controls::Nothing,
            },
            _ if repo.top().is_none() => Controls::Head(repo),
            _ => Controls::Disk,
        }
    }

    /// A control file at the commit (`REV:path` names it), or `None` where
    /// there is no commit or it has no such file.
    fn at_commit(&self, rel: &str) -> anyhow::Result<Option<(String, PathBuf)>> {
        let (repo, rev) = match self {
            Controls::Head(repo) => (*repo, "HEAD"),
            Controls::Base(repo, rev) => (*repo, rev.as_str()),
            Controls::Disk | Controls::Nothing => return Ok(None),
        };
        Ok(repo.read_blob_at(rev, rel, CONTROL_FILE_MAX)?.map(|b| {
            (
                String::from_utf8_lossy(&b).into_owned(),
                PathBuf::from(format!("{rev}:{rel}")),
            )
        }))
    }

    /// The allowlist for a git scan of a repository whose work tree's top
    /// is `top`.
    pub fn allowlist(&self, top: Option<&Path>) -> anyhow::Result<Allowlist> {
        if let Some((text, name)) = self.at_commit(allow::FILE_NAME)? {
            return Ok(Allowlist::parse(&text, &name)?);
        }
        match (self, top) {
            (Controls::Disk, Some(top)) => Ok(Allowlist::load_from_dir(top)?),
            _ => Ok(Allowlist::default()),
        }
    }

    /// `--baseline FILE`. An absolute FILE is read from disk; a relative one
    /// from the commit when there is one (a range's base without it accepts
    /// nothing: the pull request that adds a baseline is checked whole).
    pub fn baseline(&self, p: &Path) -> anyhow::Result<Baseline> {
        if p.is_absolute() {
            return Ok(Baseline::load(p)?);
        }
        let rel = p.to_string_lossy();
        if let Some((text, name)) = self.at_commit(&rel)? {
            return Ok(Baseline::parse(&text, &name)?);
        }
        match self {
            Controls::Head(_) if !p.exists() => {
                bail!("no baseline {rel} on disk, nor at HEAD of this bare repository")
            }
            Controls::Disk | Controls::Head(_) => Ok(Baseline::load(p)?),
            Controls::Base(_, rev) => {
                eprintln!(
                    "burnkey: the baseline {rel} is not in the base commit {rev}: it accepts nothing for this range"
                );
                Ok(Baseline::default())
            }
            Controls::Nothing => Ok(Baseline::default()),
        }
    }

    /// The revocation settings: `--config FILE`, else `burnkey.toml` at a
    /// range's base commit, else in the working directory.
    pub fn revoke_config(&self, explicit: Option<&Path>) -> anyhow::Result<Config> {
        if let Some(p) = explicit {
            return Ok(Config::load(p)?);
        }
        if let Controls::Base(_, rev) = self {
            return match self.at_commit(CONFIG_FILE)? {
                Some((text, name)) => Ok(Config::parse(&text, &name)?),
                None => bail!("no {CONFIG_FILE} at {rev}: pass --config FILE"),
            };
        }
        let p = Path::new(CONFIG_FILE);
        if std::fs::symlink_metadata(p).is_err() {
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
