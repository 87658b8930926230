//! A file read pointed at a masked copy: where an agent can rewrite a
//! tool's input, a read of a file holding a token reads instead a private
//! copy with the tokens masked (`0600`, in a `0700` folder of this user's
//! for the session), so the file's tokens never reach the model, not even
//! its transcript. Copies a day old are removed by a later call.

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::agent::reply::Seen;
use crate::scan::Scanner;

/// The largest file copied; a larger one is left to the agent (and to the
/// hook after the tool, where the agent has one).
pub const MAX_COPY: u64 = 64 << 20;

/// How long a copy is kept.
const KEEP: Duration = Duration::from_secs(24 * 3600);

/// Where a read was pointed, and the tokens that were in the file.
#[derive(Debug)]
pub struct Redirect {
    /// The masked copy.
    pub path: PathBuf,
    /// The tokens, named without them.
    pub seen: Vec<Seen>,
}

/// The folder of this user's masked copies: `$BURNKEY_AGENT_DIR`, else
/// `burnkey-agent-<uid>` in the temporary folder.
pub fn copies_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("BURNKEY_AGENT_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    #[cfg(unix)]
    let uid = unsafe { libc::getuid() };
    #[cfg(not(unix))]
    let uid = 0;
    std::env::temp_dir().join(format!("burnkey-agent-{uid}"))
}

/// A file checked: where it is, its bytes with the tokens masked, and the
/// tokens (named without them).
#[derive(Debug)]
pub struct Checked {
    pub path: PathBuf,
    pub masked: Vec<u8>,
    pub seen: Vec<Seen>,
}

/// The tokens in `file` (relative to `cwd`), as the agent would read it
/// (through a link); `None` if it holds none or is not a regular file
/// burnkey reads (a folder, a device, a FIFO, over [`MAX_COPY`]).
pub fn check(scanner: &Scanner, file: &str, cwd: Option<&str>) -> io::Result<Option<Checked>> {
    let mut path = PathBuf::from(file);
    if path.is_relative() {
        if let Some(c) = cwd {
            path = Path::new(c).join(path);
        }
    }
    // The agent reads through a link: so does the check. Never a FIFO or a
    // device, which would block or never end.
    let md = match std::fs::metadata(&path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    if !md.is_file() || md.len() > MAX_COPY {
        return Ok(None);
    }
    let mut bytes = Vec::with_capacity(md.len() as usize);
    std::fs::File::open(&path)?
        .take(MAX_COPY)
        .read_to_end(&mut bytes)?;
    let (masked, seen) = crate::agent::reply::mask_named(scanner, &bytes, "the file")?;
    Ok((!seen.is_empty()).then_some(Checked { path, masked, seen }))
}

/// For a read of `file` (relative to `cwd`) in session `session`: a masked
/// copy if the file holds a token, `None` if it holds none or is not a
/// regular file burnkey reads (see [`check`]).
pub fn redirect(
    scanner: &Scanner,
    file: &str,
    cwd: Option<&str>,
    session: &str,
    dir: &Path,
) -> io::Result<Option<Redirect>> {
    let Some(Checked { path, masked, seen }) = check(scanner, file, cwd)? else {
        return Ok(None);
    };
    private_dir(dir)?;
    sweep(dir);
    let session_dir = dir.join(safe_name(session, 64));
    private_dir(&session_dir)?;
    let key = crate::token::checksum::sha256_hex(path.as_os_str().as_encoded_bytes());
    let base = path
        .file_name()
        .map(|n| safe_name(&n.to_string_lossy(), 100))
        .unwrap_or_default();
    let copy = session_dir.join(format!("{}-{base}", &key[..16]));
    crate::fsutil::write_output_atomic(&copy, &masked, Some(crate::fsutil::PRIVATE_FILE))?;
    Ok(Some(Redirect { path: copy, seen }))
}

/// `s` with only `[A-Za-z0-9._-]` kept (others `_`), at most `max` bytes,
/// never `.` or `..`.
fn safe_name(s: &str, max: usize) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(max)
        .collect();
    if out.is_empty() || out.chars().all(|c| c == '.') {
        out = "_".into();
    }
    out
}

/// Creates `dir` `0700`, or checks that the one there is a folder of this
/// user's that no one else can enter (a folder in `/tmp` may be someone
/// else's trap).
fn private_dir(dir: &Path) -> io::Result<()> {
    crate::fsutil::create_private_dir(dir)?;
    let md = std::fs::symlink_metadata(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let mine = md.uid() == unsafe { libc::getuid() };
        if !md.is_dir() || !mine || md.mode() & 0o077 != 0 {
            return Err(io::Error::other(format!(
                "{} is not a private folder of this user's: refusing to put copies there",
                dir.display()
            )));
        }
    }
    #[cfg(not(unix))]
    if !md.is_dir() {
        return Err(io::Error::other("not a folder"));
    }
    Ok(())
}

/// Removes the sessions' folders not written to for a day.
fn sweep(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let now = SystemTime::now();
    for e in entries.flatten() {
        let Ok(md) = e.path().symlink_metadata() else {
            continue;
        };
        let old = md
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .is_some_and(|age| age > KEEP);
        if md.is_dir() && old {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// The input keys that name the file a read tool reads.
const PATH_KEYS: [&str; 4] = ["file_path", "filePath", "absolute_path", "path"];

/// Whether `tool` reads files: Claude Code's `Read`, Gemini CLI's and
/// Mistral Vibe's `read_file`, Copilot CLI's `view`, VS Code's
/// `readFile`, Kiro's `fs_read` and `read`.
pub fn is_read(tool: &str) -> bool {
    matches!(
        tool,
        "Read" | "read_file" | "readFile" | "view" | "copilot_readFile" | "fs_read" | "read"
    )
}

/// For a tool call `input` of `tool` in event `v`: the same input reading a
/// masked copy, and the tokens, when it reads a file holding one; `Err`
/// with a reason when the copy could not be made (then deny).
pub fn rewrite(
    scanner: &Scanner,
    tool: &str,
    input: &serde_json::Value,
    v: &serde_json::Value,
) -> Result<Option<(serde_json::Value, Vec<Seen>)>, String> {
    if !is_read(tool) {
        return Ok(None);
    }
    let Some((key, file)) = PATH_KEYS
        .iter()
        .find_map(|k| input.get(*k).and_then(|p| p.as_str()).map(|p| (*k, p)))
    else {
        return Ok(None);
    };
    let session = ["session_id", "sessionId", "conversation_id"]
        .iter()
        .find_map(|k| v[*k].as_str())
        .unwrap_or("default");
    let cwd = v["cwd"].as_str();
    match redirect(scanner, file, cwd, session, &copies_dir()) {
        Ok(None) => Ok(None),
        Ok(Some(r)) => {
            let mut out = input.clone();
            out[key] = serde_json::Value::String(r.path.to_string_lossy().into_owned());
            Ok(Some((out, r.seen)))
        }
        Err(e) => Err(format!(
            "burnkey: the file to read could not be checked or copied masked ({}); denied (it fails closed)",
            e.kind()
        )),
    }
}

/// The files a read tool's `input` names: its first path key (`file_path`, `path`, …), or
/// each `path` of Kiro's `operations`.
pub fn paths_read(input: &serde_json::Value) -> Vec<&str> {
    let mut out: Vec<&str> = PATH_KEYS
        .iter()
        .filter_map(|k| input.get(*k).and_then(|p| p.as_str()))
        .take(1)
        .collect();
    if let Some(ops) = input.get("operations").and_then(|o| o.as_array()) {
        out.extend(
            ops.iter()
                .filter_map(|o| o.get("path").and_then(|p| p.as_str())),
        );
    }
    out
}

/// For an agent that can only deny a read: the tokens in the files
/// `paths` (relative to `cwd`); `Err` with a reason when one could not be
/// checked (then deny: it fails closed).
pub fn tokens_in_files(
    scanner: &Scanner,
    paths: &[&str],
    cwd: Option<&str>,
) -> Result<Vec<Seen>, String> {
    let mut seen = Vec::new();
    for p in paths {
        match check(scanner, p, cwd) {
            Ok(Some(c)) => seen.extend(c.seen),
            Ok(None) => {}
            Err(e) => {
                return Err(format!(
                    "burnkey: the file to read could not be checked ({}); denied (it fails closed)",
                    e.kind()
                ))
            }
        }
    }
    Ok(seen)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;

    #[test]
    fn a_file_with_a_token_gets_a_private_masked_copy_and_old_sessions_go() {
        let tmp = std::env::temp_dir().join(format!("bk-read-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).unwrap();
        let scanner = Scanner::new(RuleSet::builtin());
        let tok = RuleSet::builtin()
            .get("npm-access-token")
            .unwrap()
            .format
            .mint()
            .unwrap();
        std::fs::write(tmp.join(".env"), format!("A=1\nNPM={tok}\n")).unwrap();
        std::fs::write(tmp.join("clean.txt"), "nothing\n").unwrap();
        let dir = tmp.join("copies");
        let r = redirect(&scanner, ".env", tmp.to_str(), "s/../1", &dir)
            .unwrap()
            .unwrap();
        let copy = std::fs::read_to_string(&r.path).unwrap();
        assert!(
            copy.starts_with("A=1\nNPM=npm_") && !copy.contains(&tok[4..]),
            "{copy}"
        );
        assert_eq!(copy.len(), format!("A=1\nNPM={tok}\n").len());
        assert_eq!(r.seen[0].rule_id, "npm-access-token");
        assert!(r.path.starts_with(dir.join("s_.._1")), "{:?}", r.path);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&r.path), 0o600);
            assert_eq!(mode(&dir), 0o700);
        }
        assert!(redirect(&scanner, "clean.txt", tmp.to_str(), "s", &dir)
            .unwrap()
            .is_none());
        assert!(redirect(&scanner, "missing", tmp.to_str(), "s", &dir)
            .unwrap()
            .is_none());
        // A session folder a day old is removed by the next copy.
        let old = dir.join("old");
        std::fs::create_dir(&old).unwrap();
        let day_ago = SystemTime::now() - Duration::from_secs(25 * 3600);
        std::fs::File::open(&old)
            .unwrap()
            .set_modified(day_ago)
            .unwrap();
        redirect(&scanner, ".env", tmp.to_str(), "s2", &dir)
            .unwrap()
            .unwrap();
        assert!(!old.exists());
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}
