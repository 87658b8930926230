//! `burnkey agent scrub [--in-place]`: what already leaked into the agents'
//! own transcripts and session stores. Each store is listed file by file
//! with the tokens in it (named without them); `--in-place` masks them
//! where they are, with `redact`'s engine, each file replaced atomically:
//! a JSON line stays one valid JSON line, every byte but the token's kept.

use std::io;
use std::path::{Path, PathBuf};

use crate::agent::mcp::masked_line;
use crate::agent::reply::Seen;
use crate::agent::Agent;
use crate::scan::Scanner;

/// The largest store file read (a long session's transcript is tens of
/// MiB).
pub const MAX_FILE: u64 = 512 << 20;

/// Where an agent keeps its transcripts and sessions, under `home`: the
/// folders, and the file names (suffixes) in them that hold messages.
pub fn stores(agent: Agent, home: &Path) -> Vec<(PathBuf, &'static [&'static str])> {
    const JSONL: &[&str] = &[".jsonl"];
    const JSON: &[&str] = &[".json", ".jsonl"];
    match agent {
        // Claude Code: one JSONL transcript per session, per project.
        Agent::ClaudeCode => vec![(home.join(".claude/projects"), JSONL)],
        // Codex: rollout-*.jsonl by date, and the prompt history.
        Agent::Codex => vec![
            (home.join(".codex/sessions"), JSONL),
            (home.join(".codex/history.jsonl"), JSONL),
        ],
        // Gemini CLI: chats and logs per project hash.
        Agent::Gemini => vec![(home.join(".gemini/tmp"), JSON)],
        // Copilot CLI: session state (JSONL, older JSON).
        Agent::CopilotCli => vec![
            (home.join(".copilot/session-state"), JSON),
            (home.join(".copilot/history-session-state"), JSON),
        ],
        // Cursor and VS Code keep chats in SQLite (state.vscdb): not
        // scrubbed here (`burnkey scan` lists them).
        Agent::Cursor | Agent::VsCode => Vec::new(),
    }
}

/// One store file and what is in it.
#[derive(Debug)]
pub struct Found {
    pub path: PathBuf,
    pub tokens: Vec<Seen>,
    /// Whether the file was rewritten masked.
    pub masked: bool,
}

/// Every store file of `agent` under `home` holding a token; with
/// `in_place`, each masked where it is. Files that cannot be read are
/// counted in `skipped` with the reason.
pub fn scrub(
    scanner: &Scanner,
    agent: Agent,
    home: &Path,
    in_place: bool,
    skipped: &mut Vec<(PathBuf, String)>,
) -> Vec<Found> {
    let mut out = Vec::new();
    for (root, suffixes) in stores(agent, home) {
        let mut files = Vec::new();
        collect(&root, suffixes, &mut files, skipped);
        files.sort();
        for f in files {
            match scrub_file(scanner, &f, in_place) {
                Ok(Some(found)) => out.push(found),
                Ok(None) => {}
                Err(e) => skipped.push((f, e.to_string())),
            }
        }
    }
    out
}

/// The regular files under `root` (or `root` itself) whose names end in one
/// of `suffixes`; never through a link.
fn collect(
    root: &Path,
    suffixes: &[&str],
    out: &mut Vec<PathBuf>,
    skipped: &mut Vec<(PathBuf, String)>,
) {
    let md = match std::fs::symlink_metadata(root) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return,
        Err(e) => return skipped.push((root.to_path_buf(), e.to_string())),
    };
    if md.is_file() {
        let name = root.to_string_lossy();
        if suffixes.iter().any(|s| name.ends_with(s)) {
            out.push(root.to_path_buf());
        }
        return;
    }
    if !md.is_dir() {
        return;
    }
    match std::fs::read_dir(root) {
        Ok(entries) => {
            for e in entries.flatten() {
                collect(&e.path(), suffixes, out, skipped);
            }
        }
        Err(e) => skipped.push((root.to_path_buf(), e.to_string())),
    }
}

/// The tokens in the store file `path`; with `in_place`, the file masked.
fn scrub_file(scanner: &Scanner, path: &Path, in_place: bool) -> io::Result<Option<Found>> {
    let bytes =
        crate::fsutil::read_regular(path, MAX_FILE).map_err(|e| io::Error::other(e.to_string()))?;
    // One pass says whether the file holds any (most hold none).
    let (_, found) = crate::agent::reply::mask_bytes(scanner, &bytes)?;
    if found.is_empty() {
        return Ok(None);
    }
    let tokens = found
        .iter()
        .map(|m| Seen::of(scanner, m, "the file"))
        .collect();
    if in_place {
        // Masked line by line, so that each JSON line stays one.
        let mut masked = Vec::with_capacity(bytes.len());
        for line in bytes.split_inclusive(|&b| b == b'\n') {
            let (out, _) = masked_line(scanner, line)
                .ok_or_else(|| io::Error::other("a line could not be masked"))?;
            masked.extend_from_slice(&out);
        }
        // An agent still writing the file appends to it: replace it only
        // as it was read.
        let now = crate::fsutil::read_regular(path, MAX_FILE)
            .map_err(|e| io::Error::other(e.to_string()))?;
        if now != bytes {
            return Err(io::Error::other(
                "it changed while it was read (is the agent running?): left as it is; run again with the agent closed",
            ));
        }
        // A whole-file JSON store (Gemini's chats) must stay JSON: where
        // masking in place would break it (a token written with escapes),
        // it is written anew from its masked values.
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes) {
            if serde_json::from_slice::<serde_json::Value>(&masked).is_err() {
                let mut seen = Vec::new();
                let m = crate::agent::reply::mask_value(scanner, &v, "the file", &mut seen);
                masked = serde_json::to_vec_pretty(&m).map_err(io::Error::other)?;
            }
        }
        crate::fsutil::write_output_atomic(path, &masked, None)?;
    }
    Ok(Some(Found {
        path: path.to_path_buf(),
        tokens,
        masked: in_place,
    }))
}
