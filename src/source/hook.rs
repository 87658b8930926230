//! Plain git hooks: install and remove burnkey as a `pre-commit` hook
//! without ever overwriting someone else's.
//!
//! The hooks folder comes from `git rev-parse --git-path hooks`, which
//! honours `core.hooksPath` and worktrees. Our hook carries [`MARKER`], so
//! uninstall removes only ours. A foreign hook is refused, or with `chain`
//! kept as `pre-commit.legacy` and run first.

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::error::Error;

/// The line that marks a hook as burnkey's.
pub const MARKER: &str = "# burnkey-hook: v1";
const HOOK: &str = "pre-commit";
const LEGACY: &str = "pre-commit.legacy";

/// What `install` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Installed {
    /// No hook was there; ours is now.
    Fresh,
    /// A foreign hook was moved to `pre-commit.legacy` and runs first.
    Chained,
    /// Ours was already there; it was refreshed.
    Updated,
}

/// What `uninstall` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uninstalled {
    /// Ours was removed.
    Removed,
    /// Ours was removed and the chained hook put back.
    Restored,
}

/// The hooks folder of the repository around `dir`.
pub fn hooks_dir(dir: &Path) -> Result<PathBuf, Error> {
    let lines = crate::source::git::rev_parse(dir, &["--git-path", "hooks"])?;
    let first = lines.first().map(Vec::as_slice).unwrap_or(b"");
    let p = PathBuf::from(std::ffi::OsStr::from_bytes(first));
    Ok(if p.is_absolute() { p } else { dir.join(p) })
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The hook script for the burnkey binary at `exe`.
pub fn script(exe: &Path) -> String {
    format!(
        "#!/bin/sh\n{MARKER}\n# Installed by `burnkey hook install`; `burnkey hook uninstall` removes it.\n\
# Blocks commits whose staged changes add a checksum-valid API token.\n\
hooks_dir=${{0%/*}}\n\
if [ -x \"$hooks_dir/{LEGACY}\" ]; then\n    \"$hooks_dir/{LEGACY}\" \"$@\" || exit $?\nfi\n\
BURNKEY={}\n[ -x \"$BURNKEY\" ] || BURNKEY=burnkey\n\
exec \"$BURNKEY\" scan --staged\n",
        shell_quote(&exe.to_string_lossy())
    )
}

fn is_ours(path: &Path) -> bool {
    fs::read_to_string(path).is_ok_and(|t| t.lines().any(|l| l == MARKER))
}

fn write_executable(path: &Path, text: &str) -> Result<(), Error> {
    crate::fsutil::write_atomic(path, text.as_bytes(), Some(0o755)).map_err(|e| Error::io(path, e))
}

/// Installs the hook for the repository around `dir`, running `exe`.
/// Returns the hook's path and what happened.
pub fn install(dir: &Path, exe: &Path, chain: bool) -> Result<(PathBuf, Installed), Error> {
    let hooks = hooks_dir(dir)?;
    fs::create_dir_all(&hooks).map_err(|e| Error::io(&hooks, e))?;
    let hook = hooks.join(HOOK);
    let legacy = hooks.join(LEGACY);
    let exists = fs::symlink_metadata(&hook).is_ok();
    let how = if !exists {
        Installed::Fresh
    } else if is_ours(&hook) {
        Installed::Updated
    } else if !chain {
        return Err(Error::Invalid(format!(
            "{} exists and is not burnkey's: refusing to overwrite it. Re-run with --chain to keep it as {LEGACY} and run it first, or remove it yourself.",
            hook.display()
        )));
    } else if fs::symlink_metadata(&legacy).is_ok() {
        return Err(Error::Invalid(format!(
            "{} exists already: refusing to chain a second hook over it.",
            legacy.display()
        )));
    } else {
        fs::rename(&hook, &legacy).map_err(|e| Error::io(&hook, e))?;
        Installed::Chained
    };
    write_executable(&hook, &script(exe))?;
    Ok((hook, how))
}

/// Removes burnkey's hook from the repository around `dir` (only ours), and
/// puts a chained hook back.
pub fn uninstall(dir: &Path) -> Result<(PathBuf, Uninstalled), Error> {
    let hooks = hooks_dir(dir)?;
    let hook = hooks.join(HOOK);
    if fs::symlink_metadata(&hook).is_err() {
        return Err(Error::Invalid(format!(
            "no pre-commit hook at {}",
            hook.display()
        )));
    }
    if !is_ours(&hook) {
        return Err(Error::Invalid(format!(
            "{} is not burnkey's hook: leaving it alone.",
            hook.display()
        )));
    }
    fs::remove_file(&hook).map_err(|e| Error::io(&hook, e))?;
    let legacy = hooks.join(LEGACY);
    if fs::symlink_metadata(&legacy).is_ok() {
        fs::rename(&legacy, &hook).map_err(|e| Error::io(&legacy, e))?;
        return Ok((hook, Uninstalled::Restored));
    }
    Ok((hook, Uninstalled::Removed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_quotes_odd_paths() {
        let s = script(Path::new("/opt/it's here/burnkey"));
        assert!(s.contains(r"BURNKEY='/opt/it'\''s here/burnkey'"), "{s}");
        assert!(s.lines().any(|l| l == MARKER));
    }
}
