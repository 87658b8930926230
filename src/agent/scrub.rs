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

/// A place where an agent keeps what was said: a folder (or a file), the
/// file names in it that hold messages (by their ending), and the names
/// (of files or folders) in it that are not messages but the agent's own
/// settings and credentials, never touched.
#[derive(Debug, Clone)]
pub struct Store {
    pub root: PathBuf,
    pub suffixes: &'static [&'static str],
    pub skip: &'static [&'static str],
}

fn store(root: PathBuf, suffixes: &'static [&'static str]) -> Store {
    Store {
        root,
        suffixes,
        skip: &[],
    }
}

/// The SQLite databases some agents keep their chats in, by name ending:
/// VS Code's and Cursor's `state.vscdb`, Cursor CLI's `store.db`, Kiro
/// CLI's `data.sqlite3`.
const SQLITE: [&str; 3] = [".vscdb", "store.db", ".sqlite3"];

/// Where `agent` keeps its transcripts and sessions, under `home`.
pub fn stores(agent: Agent, home: &Path) -> Vec<Store> {
    const JSONL: &[&str] = &[".jsonl"];
    const JSON: &[&str] = &[".json", ".jsonl"];
    // An editor built on VS Code: its chat sessions (JSON) and its state
    // database, per workspace and global, on Linux and macOS.
    let editor = |name: &str, chats: &'static [&'static str]| -> Vec<Store> {
        [
            home.join(".config").join(name).join("User"),
            home.join("Library/Application Support")
                .join(name)
                .join("User"),
        ]
        .into_iter()
        .flat_map(|user| {
            [
                store(user.join("workspaceStorage"), chats),
                store(user.join("globalStorage/state.vscdb"), &[".vscdb"]),
                store(user.join("globalStorage/emptyWindowChatSessions"), JSON),
            ]
        })
        .collect()
    };
    match agent {
        // Claude Code: one JSONL transcript per session, per project.
        Agent::ClaudeCode => vec![store(home.join(".claude/projects"), JSONL)],
        // Codex: rollout-*.jsonl by date, and the prompt history.
        Agent::Codex => vec![
            store(home.join(".codex/sessions"), JSONL),
            store(home.join(".codex/history.jsonl"), JSONL),
        ],
        // Gemini CLI: chats and logs per project hash.
        Agent::Gemini => vec![store(home.join(".gemini/tmp"), JSON)],
        // Copilot CLI: session state (JSONL, older JSON).
        Agent::CopilotCli => vec![
            store(home.join(".copilot/session-state"), JSON),
            store(home.join(".copilot/history-session-state"), JSON),
        ],
        // Cursor: chats in its state databases (`cursorDiskKV`,
        // `ItemTable`); Cursor CLI's chats in `~/.cursor/chats/*/*/store.db`.
        Agent::Cursor => {
            let mut v = editor("Cursor", &[".vscdb"]);
            v.push(store(home.join(".cursor/chats"), &["store.db"]));
            v
        }
        // VS Code: `chatSessions/*.json` per workspace, and the state
        // databases.
        Agent::VsCode => ["Code", "Code - Insiders"]
            .into_iter()
            .flat_map(|n| editor(n, &[".json", ".jsonl", ".vscdb"]))
            .collect(),
        // Kiro CLI: `~/.kiro/sessions/cli/<id>.{json,jsonl,history}`, and
        // the conversations of its database.
        Agent::Kiro => vec![
            store(
                home.join(".kiro/sessions"),
                &[".json", ".jsonl", ".history"],
            ),
            store(
                home.join(".local/share/kiro-cli/data.sqlite3"),
                &[".sqlite3"],
            ),
            store(
                home.join("Library/Application Support/kiro-cli/data.sqlite3"),
                &[".sqlite3"],
            ),
        ],
        // Windsurf: the transcripts its transcript hook writes.
        Agent::Windsurf => vec![store(home.join(".windsurf/transcripts"), JSONL)],
        // Mistral Vibe: `~/.vibe/logs/session/<id>/messages.jsonl`.
        Agent::Vibe => vec![store(home.join(".vibe/logs"), JSON)],
        // Junie CLI: its sessions under `~/.junie`, not its settings.
        Agent::Junie => vec![Store {
            root: home.join(".junie"),
            suffixes: JSON,
            skip: &[
                "config.json",
                "settings.json",
                "models",
                "mcp",
                "skills",
                "agents",
                "commands",
            ],
        }],
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
    for st in stores(agent, home) {
        let mut files = Vec::new();
        collect(&st.root, st.suffixes, st.skip, &mut files, skipped);
        files.sort();
        for f in files {
            let name = f.to_string_lossy();
            let done = if SQLITE.iter().any(|s| name.ends_with(s)) {
                scrub_sqlite(scanner, &f, in_place)
            } else {
                scrub_file(scanner, &f, in_place).map(|x| x.into_iter().collect())
            };
            match done {
                Ok(found) => out.extend(found),
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
    skip: &[&str],
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
                if skip.iter().any(|s| e.file_name() == *s) {
                    continue;
                }
                collect(&e.path(), suffixes, skip, out, skipped);
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
    let (_, tokens) = crate::agent::reply::mask_named(scanner, &bytes, "the file")?;
    if tokens.is_empty() {
        return Ok(None);
    }
    if in_place {
        let masked = masked_store(scanner, &bytes)?;
        // An agent still writing the file appends to it: replace it only
        // as it was read.
        let now = crate::fsutil::read_regular(path, MAX_FILE)
            .map_err(|e| io::Error::other(e.to_string()))?;
        if now != bytes {
            return Err(io::Error::other(
                "it changed while it was read (is the agent running?): left as it is; run again with the agent closed",
            ));
        }
        crate::fsutil::write_output_atomic(path, &masked, None)?;
    }
    Ok(Some(Found {
        path: path.to_path_buf(),
        tokens,
        masked: in_place,
    }))
}

/// `bytes` (a store file, or a value of a store's database) with their
/// tokens masked: line by line, so that each JSON line stays one; a whole
/// JSON document (Gemini's chats) that masking in place would break (a
/// token written with escapes) is written anew from its masked values.
fn masked_store(scanner: &Scanner, bytes: &[u8]) -> io::Result<Vec<u8>> {
    let mut masked = Vec::with_capacity(bytes.len());
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        let (out, _) = masked_line(scanner, line)
            .ok_or_else(|| io::Error::other("a line could not be masked"))?;
        masked.extend_from_slice(&out);
    }
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(bytes) {
        if serde_json::from_slice::<serde_json::Value>(&masked).is_err() {
            let mut seen = Vec::new();
            let m = crate::agent::reply::mask_value(scanner, &v, "the file", &mut seen);
            masked = serde_json::to_vec_pretty(&m).map_err(io::Error::other)?;
        }
    }
    Ok(masked)
}

/// Whether a row of `table` keyed `key` is a chat record (masked in
/// place), not an editor's or extension's own state (listed, never
/// changed: a credential an extension keeps there is its to keep).
#[cfg(feature = "sqlite")]
fn chat_row(table: &str, key: &str) -> bool {
    const KEYS: [&str; 8] = [
        "composerData:",
        "bubbleId:",
        "aiService.",
        "workbench.panel.aichat",
        "interactive.",
        "chat.",
        "memento/interactive-session",
        "agentKv:",
    ];
    match table {
        // Cursor CLI's chat store, Kiro CLI's conversations.
        "blobs" | "meta" | "history" => true,
        t if t.starts_with("conversations") => true,
        "ItemTable" | "cursorDiskKV" => KEYS.iter().any(|k| key.starts_with(k)),
        _ => false,
    }
}

/// The tokens in the SQLite database `path`, by table and key; with
/// `in_place`, those in chat records ([`chat_row`]) masked (the rest are
/// listed as left). Freed pages are overwritten (`secure_delete`) and the
/// write-ahead log emptied, so the old values do not stay in the file.
#[cfg(feature = "sqlite")]
fn scrub_sqlite(scanner: &Scanner, path: &Path, in_place: bool) -> io::Result<Vec<Found>> {
    use rusqlite::types::Value as Sql;
    use rusqlite::{Connection, OpenFlags};
    // Never through a link.
    let md = std::fs::symlink_metadata(path)?;
    if !md.is_file() || md.len() > MAX_FILE {
        return Ok(Vec::new());
    }
    let flags = if in_place {
        OpenFlags::SQLITE_OPEN_READ_WRITE
    } else {
        OpenFlags::SQLITE_OPEN_READ_ONLY
    } | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn = Connection::open_with_flags(path, flags).map_err(db_err)?;
    conn.busy_timeout(std::time::Duration::from_secs(2))
        .map_err(db_err)?;
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .and_then(|mut q| q.query_map([], |r| r.get(0))?.collect())
        .map_err(db_err)?;
    let (mut masked, mut left) = (Vec::new(), Vec::new());
    let mut updates: Vec<(String, String, i64, Sql)> = Vec::new();
    for table in &tables {
        let quoted = format!("\"{}\"", table.replace('"', "\"\""));
        // A table WITHOUT ROWID has no rowid to update by: read it only.
        let Ok(mut q) = conn.prepare(&format!("SELECT rowid, * FROM {quoted}")) else {
            continue;
        };
        let cols: Vec<String> = q.column_names().iter().map(|c| c.to_string()).collect();
        let mut rows = q.query([]).map_err(db_err)?;
        while let Some(row) = rows.next().map_err(db_err)? {
            let rowid: i64 = row.get(0).map_err(db_err)?;
            let key = match row.get_ref(1).map_err(db_err)? {
                rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                _ => rowid.to_string(),
            };
            for (i, col) in cols.iter().enumerate().skip(1) {
                let bytes = match row.get_ref(i).map_err(db_err)? {
                    rusqlite::types::ValueRef::Text(t) | rusqlite::types::ValueRef::Blob(t) => t,
                    _ => continue,
                };
                let field = format!("{table} {key}");
                let (_, seen) = crate::agent::reply::mask_named(scanner, bytes, &field)?;
                if seen.is_empty() {
                    continue;
                }
                if in_place && chat_row(table, &key) {
                    masked.extend(seen);
                    let new = masked_store(scanner, bytes)?;
                    let value = match row.get_ref(i).map_err(db_err)? {
                        rusqlite::types::ValueRef::Text(_) => {
                            Sql::Text(String::from_utf8_lossy(&new).into_owned())
                        }
                        _ => Sql::Blob(new),
                    };
                    updates.push((quoted.clone(), col.clone(), rowid, value));
                } else {
                    left.extend(seen);
                }
            }
        }
    }
    write_masked(&mut conn, &updates)?;
    let mut out = Vec::new();
    if !masked.is_empty() {
        out.push(Found {
            path: path.to_path_buf(),
            tokens: masked,
            masked: true,
        });
    }
    if !left.is_empty() {
        out.push(Found {
            path: path.to_path_buf(),
            tokens: left,
            masked: false,
        });
    }
    Ok(out)
}

/// What a SQLite error means to the user.
#[cfg(feature = "sqlite")]
fn db_err(e: rusqlite::Error) -> io::Error {
    let busy = matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    );
    io::Error::other(if busy {
        "the database is in use (is the editor or agent running?): left as it is; run again with it closed".to_string()
    } else {
        format!("not a database burnkey can read ({e})")
    })
}

/// Writes the masked values (table, column, rowid, value) in one
/// transaction, freed pages overwritten, the write-ahead log emptied.
#[cfg(feature = "sqlite")]
fn write_masked(
    conn: &mut rusqlite::Connection,
    updates: &[(String, String, i64, rusqlite::types::Value)],
) -> io::Result<()> {
    if updates.is_empty() {
        return Ok(());
    }
    conn.pragma_update(None, "secure_delete", "ON")
        .map_err(db_err)?;
    let tx = conn.transaction().map_err(db_err)?;
    for (table, col, rowid, value) in updates {
        let col = format!("\"{}\"", col.replace('"', "\"\""));
        tx.execute(
            &format!("UPDATE {table} SET {col} = ?1 WHERE rowid = ?2"),
            rusqlite::params![value, rowid],
        )
        .map_err(db_err)?;
    }
    tx.commit().map_err(db_err)?;
    // The old pages in the write-ahead log go too.
    let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
    Ok(())
}

#[cfg(not(feature = "sqlite"))]
fn scrub_sqlite(_: &Scanner, _: &Path, _: bool) -> io::Result<Vec<Found>> {
    Err(io::Error::other(
        "this burnkey was built without SQLite (the sqlite feature)",
    ))
}
