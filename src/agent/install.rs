//! `burnkey agent install | uninstall | status`: burnkey's hooks in each
//! agent's own configuration. A config is merged, never overwritten: other
//! hooks stay, a file that does not parse is refused, installing twice
//! changes nothing. What a config held before is kept in burnkey's state
//! folder, so that `uninstall` puts back the same bytes when nobody has
//! touched the file since (else it takes out burnkey's entries and keeps
//! the rest). Config files are read and written only as regular files,
//! never through a link.

use std::io;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde_json::{json, Map, Value};

use crate::agent::Agent;
use crate::token::checksum::sha256_hex;

/// Seconds an agent waits for the hook (burnkey answers in milliseconds;
/// a large tool output takes longer).
pub const TIMEOUT_SECS: u64 = 30;

/// Where a config lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The user's own, for every project (`~/.claude/settings.json`).
    User,
    /// The project's, committed (`.claude/settings.json`).
    Project,
    /// The project's, not committed (Claude Code's `settings.local.json`).
    Local,
}

impl Scope {
    /// The scope called `name`.
    pub fn by_name(name: &str) -> Option<Scope> {
        match name {
            "user" => Some(Scope::User),
            "project" => Some(Scope::Project),
            "local" => Some(Scope::Local),
            _ => None,
        }
    }
}

/// The config file `agent` reads in `scope`, under `project` or `home`;
/// `None` where the agent has no such scope.
pub fn config_path(agent: Agent, scope: Scope, project: &Path, home: &Path) -> Option<PathBuf> {
    let (base, rel) = match (agent, scope) {
        (Agent::ClaudeCode, Scope::Project) => (project, ".claude/settings.json"),
        (Agent::ClaudeCode, Scope::Local) => (project, ".claude/settings.local.json"),
        (Agent::ClaudeCode, Scope::User) => (home, ".claude/settings.json"),
        (Agent::Codex, Scope::Project) => (project, ".codex/hooks.json"),
        (Agent::Codex, Scope::User) => (home, ".codex/hooks.json"),
        (Agent::Gemini, Scope::Project) => (project, ".gemini/settings.json"),
        (Agent::Gemini, Scope::User) => (home, ".gemini/settings.json"),
        (Agent::Cursor, Scope::Project) => (project, ".cursor/hooks.json"),
        (Agent::Cursor, Scope::User) => (home, ".cursor/hooks.json"),
        (Agent::CopilotCli, Scope::Project) => (project, ".github/hooks/burnkey.json"),
        (Agent::CopilotCli, Scope::User) => (home, ".copilot/hooks/burnkey.json"),
        (Agent::VsCode, Scope::Project) => (project, ".github/hooks/burnkey-vscode.json"),
        (Agent::Kiro, Scope::Project) => (project, ".kiro/hooks/burnkey.json"),
        (Agent::Kiro, Scope::User) => (home, ".kiro/hooks/burnkey.json"),
        (Agent::Windsurf, Scope::Project) => (project, ".windsurf/hooks.json"),
        (Agent::Windsurf, Scope::User) => (home, ".codeium/windsurf/hooks.json"),
        (Agent::Vibe, Scope::Project) => (project, ".vibe/hooks.toml"),
        (Agent::Vibe, Scope::User) => (home, ".vibe/hooks.toml"),
        // Junie runs no hook from a project's own config.
        (Agent::Junie, Scope::User) => (home, ".junie/config.json"),
        _ => return None,
    };
    Some(base.join(rel))
}

/// The events burnkey answers for `agent`, as its config names them.
fn events(agent: Agent) -> &'static [&'static str] {
    match agent {
        Agent::ClaudeCode | Agent::Codex | Agent::VsCode => {
            &["UserPromptSubmit", "PreToolUse", "PostToolUse"]
        }
        Agent::Gemini => &["BeforeAgent", "BeforeTool", "AfterTool"],
        Agent::Cursor => &[
            "beforeSubmitPrompt",
            "preToolUse",
            "beforeShellExecution",
            "beforeReadFile",
            "beforeMCPExecution",
            "postToolUse",
            "afterShellExecution",
            "afterMCPExecution",
        ],
        Agent::CopilotCli => &["userPromptSubmitted", "preToolUse", "postToolUse"],
        Agent::Kiro => &["UserPromptSubmit", "PreToolUse", "PostToolUse"],
        // Only a pre-hook can block; a post-hook can neither block nor
        // replace.
        Agent::Windsurf => &[
            "pre_user_prompt",
            "pre_read_code",
            "pre_write_code",
            "pre_run_command",
            "pre_mcp_tool_use",
        ],
        Agent::Vibe => &["pre_tool", "post_tool"],
        Agent::Junie => &["UserPromptSubmit", "PreToolUse"],
    }
}

/// How an agent's config lists its hooks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// `{"hooks": {EVENT: [entry…]}}` (JSON).
    ByEvent,
    /// `{"hooks": [entry…]}`, each entry naming its event under `key`.
    List { key: &'static str },
    /// [`Layout::List`] written as TOML `[[hooks]]` tables (Mistral Vibe).
    Toml { key: &'static str },
}

fn layout(agent: Agent) -> Layout {
    match agent {
        Agent::Kiro => Layout::List { key: "trigger" },
        Agent::Vibe => Layout::Toml { key: "type" },
        _ => Layout::ByEvent,
    }
}

/// burnkey's entries on `event` in `config`.
fn ours_on<'a>(agent: Agent, config: &'a Value, event: &str) -> Vec<&'a Value> {
    let list = match layout(agent) {
        Layout::ByEvent => config["hooks"][event].as_array(),
        Layout::List { .. } | Layout::Toml { .. } => config["hooks"].as_array(),
    };
    let on = |e: &Value| match layout(agent) {
        Layout::ByEvent => true,
        Layout::List { key } | Layout::Toml { key } => e[key] == event,
    };
    list.map(|a| a.iter().filter(|e| on(e) && is_ours(e, agent)).collect())
        .unwrap_or_default()
}

/// The command line an agent runs: `<burnkey> agent hook --agent NAME`.
pub fn command(burnkey: &str, agent: Agent) -> String {
    let safe = burnkey
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/._-+".contains(&b));
    let path = if safe {
        burnkey.to_string()
    } else {
        format!("'{}'", burnkey.replace('\'', r"'\''"))
    };
    format!("{path} agent hook --agent {}", agent.name())
}

/// What marks a hook entry as burnkey's, for `agent`.
fn marker(agent: Agent) -> String {
    format!(" agent hook --agent {}", agent.name())
}

/// Whether `v` holds a string naming burnkey's hook for `agent`.
fn is_ours(v: &Value, agent: Agent) -> bool {
    match v {
        Value::String(s) => s.contains(&marker(agent)),
        Value::Array(a) => a.iter().any(|x| is_ours(x, agent)),
        Value::Object(o) => o.values().any(|x| is_ours(x, agent)),
        _ => false,
    }
}

/// burnkey's entry for `event` in `agent`'s config, running `cmd`.
fn entry(agent: Agent, event: &str, cmd: &str) -> Value {
    match agent {
        // `onFailure: "block"`: a crash or a timeout blocks instead of
        // letting the action through.
        Agent::ClaudeCode => json!({"matcher": "*", "hooks": [{
            "type": "command", "command": cmd, "timeout": TIMEOUT_SECS, "onFailure": "block"}]}),
        Agent::Codex => json!({"matcher": "*", "hooks": [{
            "type": "command", "command": cmd, "timeout": TIMEOUT_SECS}]}),
        // Gemini CLI counts timeouts in milliseconds.
        Agent::Gemini => json!({"matcher": "*", "hooks": [{
            "type": "command", "command": cmd, "timeout": TIMEOUT_SECS * 1000}]}),
        Agent::Cursor => json!({"command": cmd, "timeout": TIMEOUT_SECS, "failClosed": true}),
        // Copilot CLI's events do not name themselves: the command does.
        Agent::CopilotCli => json!({"type": "command",
            "bash": format!("{cmd} --event {event}"), "timeoutSec": TIMEOUT_SECS}),
        Agent::VsCode => json!({"type": "command", "command": cmd, "timeout": TIMEOUT_SECS}),
        // No matcher: every tool. Kiro has no fail-closed setting.
        Agent::Kiro => json!({"name": format!("burnkey-{event}"), "trigger": event,
            "action": {"type": "command", "command": cmd}, "timeout": TIMEOUT_SECS, "enabled": true}),
        // The reason shows in Cascade's panel (it never holds a token).
        Agent::Windsurf => json!({"command": cmd, "show_output": true}),
        // `strict`: a hook that fails or times out denies the call, and
        // blanks the output.
        Agent::Vibe => json!({"name": format!("burnkey-{event}"), "type": event, "match": "*",
            "command": cmd, "timeout": TIMEOUT_SECS as f64, "strict": true,
            "description": "burnkey: no credential reaches the model (burnkey agent install)"}),
        Agent::Junie => {
            json!({"hooks": [{"type": "command", "command": cmd, "timeout": TIMEOUT_SECS}]})
        }
    }
}

/// `config` with burnkey's hooks for `agent` in it (replacing any it had).
pub fn merged(agent: Agent, config: &Value, cmd: &str) -> io::Result<Value> {
    let mut out = removed(agent, config)?;
    let root = out.as_object_mut().expect("checked by removed");
    if matches!(agent, Agent::Cursor | Agent::CopilotCli) {
        root.entry("version").or_insert(json!(1));
    }
    if let Layout::List { .. } | Layout::Toml { .. } = layout(agent) {
        if agent == Agent::Kiro {
            root.entry("version").or_insert(json!("v1"));
        }
        let list = root.entry("hooks").or_insert_with(|| json!([]));
        let Some(list) = list.as_array_mut() else {
            return Err(invalid("its \"hooks\" is not a list"));
        };
        list.extend(events(agent).iter().map(|ev| entry(agent, ev, cmd)));
        return Ok(out);
    }
    let hooks = root
        .entry("hooks")
        .or_insert_with(|| Value::Object(Map::new()));
    let Some(hooks) = hooks.as_object_mut() else {
        return Err(invalid("its \"hooks\" is not an object"));
    };
    for ev in events(agent) {
        let list = hooks.entry(*ev).or_insert_with(|| json!([]));
        let Some(list) = list.as_array_mut() else {
            return Err(invalid(&format!("its hooks.{ev} is not a list")));
        };
        list.push(entry(agent, ev, cmd));
    }
    Ok(out)
}

/// `config` without burnkey's hooks for `agent`; events and a `hooks`
/// object left empty by that are taken out too.
pub fn removed(agent: Agent, config: &Value) -> io::Result<Value> {
    let mut out = config.clone();
    let Some(root) = out.as_object_mut() else {
        return Err(invalid("it is not a JSON object"));
    };
    if let Some(Value::Array(list)) = root.get_mut("hooks") {
        list.retain(|e| !is_ours(e, agent));
        if list.is_empty() {
            root.remove("hooks");
        }
    } else if let Some(Value::Object(hooks)) = root.get_mut("hooks") {
        for list in hooks.values_mut() {
            if let Value::Array(a) = list {
                a.retain(|e| !is_ours(e, agent));
            }
        }
        hooks.retain(|_, l| !matches!(l, Value::Array(a) if a.is_empty()));
        if hooks.is_empty() {
            root.remove("hooks");
        }
    }
    Ok(out)
}

fn invalid(why: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why.to_string())
}

/// The config's bytes, or `None` if there is none; an error for a link, a
/// device or unreadable text.
fn read(path: &Path) -> io::Result<Option<String>> {
    match crate::fsutil::read_control(path) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io::Error::new(e.kind(), format!("{}: {e}", path.display()))),
    }
}

fn parse(path: &Path, text: &str) -> io::Result<Value> {
    if text.trim().is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_str(text).map_err(|e| {
        invalid(&format!(
            "{} is not JSON burnkey can merge into ({e}): fix it or move it away; nothing was written",
            path.display()
        ))
    })
}

/// The config at `path`, its text `text`, as a JSON value (a TOML one
/// read as one).
fn parse_config(agent: Agent, path: &Path, text: &str) -> io::Result<Value> {
    match layout(agent) {
        Layout::Toml { .. } => toml::from_str::<Value>(text).map_err(|e| {
            invalid(&format!(
                "{} is not TOML burnkey can merge into ({}): fix it or move it away; nothing was written",
                path.display(),
                e.message().trim()
            ))
        }),
        _ => parse(path, text),
    }
}

/// The text of the config at `path`, now `before`, with burnkey's hooks
/// running `cmd` (or, `None`, without burnkey's hooks).
fn rewritten(agent: Agent, path: &Path, before: &str, cmd: Option<&str>) -> io::Result<String> {
    let config = parse_config(agent, path, before)?;
    let want = match cmd {
        Some(c) => merged(agent, &config, c)?,
        None => removed(agent, &config)?,
    };
    let Layout::Toml { .. } = layout(agent) else {
        return Ok(format!(
            "{}\n",
            serde_json::to_string_pretty(&want).expect("JSON")
        ));
    };
    // A TOML file is edited as text, so that the user's comments and
    // layout stay: burnkey's `[[hooks]]` tables out, then in at the end.
    let mut text = String::new();
    let mut drop = false;
    for chunk in toml_tables(before) {
        if chunk
            .lines()
            .next()
            .is_some_and(|h| h.trim_start().starts_with('['))
        {
            drop = chunk.lines().next().map(str::trim) == Some("[[hooks]]")
                && chunk.contains(&marker(agent));
        }
        if !drop {
            text.push_str(chunk);
        }
    }
    if cmd.is_some() {
        if !text.is_empty() && !text.ends_with("\n\n") {
            text.push_str(if text.ends_with('\n') { "\n" } else { "\n\n" });
        }
        for ev in events(agent) {
            let e = entry(agent, ev, cmd.unwrap_or_default());
            text.push_str("[[hooks]]\n# Added by `burnkey agent install`; `burnkey agent uninstall` takes it out.\n");
            for (k, v) in e.as_object().expect("an entry is an object") {
                // A JSON string is a TOML basic string, escapes and all.
                text.push_str(&format!("{k} = {v}\n"));
            }
            text.push('\n');
        }
    }
    // What the text says must be what was meant: else nothing is written.
    match toml::from_str::<Value>(&text) {
        Ok(got) if got == want => Ok(text),
        _ => Err(invalid(&format!(
            "burnkey could not edit {} safely (its hooks are written in a form burnkey does not edit, such as an inline array): edit it by hand; nothing was written",
            path.display()
        ))),
    }
}

/// `text` cut before each line that starts a table (`[x]`, `[[x]]`).
fn toml_tables(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        if at > start && line.trim_start().starts_with('[') {
            out.push(&text[start..at]);
            start = at;
        }
        at += line.len();
    }
    out.push(&text[start..]);
    out
}

/// Where burnkey keeps what a config held before it was installed into.
fn state_file(state: &Path, config: &Path) -> PathBuf {
    let key = sha256_hex(config.as_os_str().as_encoded_bytes());
    state.join("agents").join(format!("{}.json", &key[..32]))
}

/// What `install` did or would do.
#[derive(Debug, PartialEq, Eq)]
pub struct Change {
    /// The config file.
    pub path: PathBuf,
    /// Its new content (`None`: the file is removed).
    pub content: Option<String>,
    /// Whether it differs from what is there.
    pub changed: bool,
}

/// Installs burnkey's hooks for `agent` into `path`, running `cmd`;
/// `dry_run` writes nothing. `state` is burnkey's state folder.
pub fn install(
    agent: Agent,
    path: &Path,
    cmd: &str,
    state: &Path,
    dry_run: bool,
) -> io::Result<Change> {
    let before = read(path)?;
    let config = match &before {
        Some(t) => parse_config(agent, path, t)?,
        None => json!({}),
    };
    let text = rewritten(agent, path, before.as_deref().unwrap_or(""), Some(cmd))?;
    let changed = before.as_deref() != Some(text.as_str());
    if changed && !dry_run {
        let sf = state_file(state, path);
        // The bytes before the first install are the ones to go back to:
        // a later install (burnkey's entries already there) keeps them.
        let mut record = match read(&sf)? {
            Some(kept) if is_ours(&config, agent) => parse(&sf, &kept)?,
            _ => json!({
                "path": path.to_string_lossy(),
                "before": before.as_ref().map(|b| base64::engine::general_purpose::STANDARD.encode(b)),
            }),
        };
        record["after_sha256"] = json!(sha256_hex(text.as_bytes()));
        crate::fsutil::create_private_dir(sf.parent().expect("a folder"))?;
        crate::fsutil::write_output_atomic(&sf, record.to_string().as_bytes(), None)?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        // An existing config keeps its mode; a new one is 0600 (an agent's
        // settings may hold environment values).
        crate::fsutil::write_output_atomic(path, text.as_bytes(), None)?;
    }
    Ok(Change {
        path: path.to_path_buf(),
        content: Some(text),
        changed,
    })
}

/// Takes burnkey's hooks for `agent` out of `path`: the bytes it had
/// before `install` if nobody has changed it since, else the same JSON
/// without burnkey's entries.
pub fn uninstall(agent: Agent, path: &Path, state: &Path, dry_run: bool) -> io::Result<Change> {
    let Some(now) = read(path)? else {
        return Ok(Change {
            path: path.to_path_buf(),
            content: None,
            changed: false,
        });
    };
    let sf = state_file(state, path);
    let record = match read(&sf)? {
        Some(t) => Some(parse(&sf, &t)?),
        None => None,
    };
    let untouched = record
        .as_ref()
        .is_some_and(|r| r["after_sha256"].as_str() == Some(sha256_hex(now.as_bytes()).as_str()));
    let content = match (&record, untouched) {
        (Some(r), true) => match r["before"].as_str() {
            None => None,
            Some(b) => Some(
                String::from_utf8(
                    base64::engine::general_purpose::STANDARD
                        .decode(b)
                        .map_err(|_| invalid("a damaged state record"))?,
                )
                .map_err(|_| invalid("a damaged state record"))?,
            ),
        },
        _ => {
            let config = parse_config(agent, path, &now)?;
            if !is_ours(&config, agent) {
                return Ok(Change {
                    path: path.to_path_buf(),
                    content: Some(now),
                    changed: false,
                });
            }
            Some(rewritten(agent, path, &now, None)?)
        }
    };
    if !dry_run {
        match &content {
            Some(c) => crate::fsutil::write_output_atomic(path, c.as_bytes(), None)?,
            None => std::fs::remove_file(path)?,
        }
        if record.is_some() {
            std::fs::remove_file(&sf)?;
        }
    }
    Ok(Change {
        path: path.to_path_buf(),
        changed: content.as_deref() != Some(now.as_str()),
        content,
    })
}

/// What `status` finds in one config.
#[derive(Debug, PartialEq, Eq)]
pub struct Status {
    pub agent: Agent,
    pub path: PathBuf,
    /// Problems with burnkey's hooks there: each a sentence.
    pub problems: Vec<String>,
}

/// burnkey's hooks in the config at `path`, if any, and what is wrong with
/// them: a command whose binary is gone, an event left out, a missing
/// fail-closed setting, a hook registered twice.
pub fn status(agent: Agent, path: &Path) -> io::Result<Option<Status>> {
    let Some(text) = read(path)? else {
        return Ok(None);
    };
    let config = parse_config(agent, path, &text)?;
    if !is_ours(&config, agent) {
        return Ok(None);
    }
    let mut problems = Vec::new();
    for ev in events(agent) {
        let ours = ours_on(agent, &config, ev);
        match ours.len() {
            0 => problems.push(format!("no hook on {ev}: that stage is not guarded")),
            1 => {}
            n => problems.push(format!("registered {n} times on {ev}")),
        }
        for e in &ours {
            for cmd in strings(e).filter(|s| s.contains(&marker(agent))) {
                let bin = binary_of(cmd);
                if !Path::new(&bin).is_file() {
                    problems.push(format!(
                        "{ev} runs {bin:?}, which no longer exists: the agent lets everything through (reinstall)"
                    ));
                }
            }
            let closed = match agent {
                Agent::ClaudeCode => Some(e.to_string().contains(r#""onFailure":"block""#)),
                Agent::Cursor => Some(e.get("failClosed") == Some(&json!(true))),
                Agent::Vibe => Some(e.get("strict") == Some(&json!(true))),
                _ => None,
            };
            if closed == Some(false) {
                problems.push(format!(
                    "{ev} does not fail closed: a crash or a timeout lets the action through"
                ));
            }
        }
    }
    problems.dedup();
    Ok(Some(Status {
        agent,
        path: path.to_path_buf(),
        problems,
    }))
}

/// The command burnkey's hook runs on `event` in the config at `path`, as
/// configured (`None`: no such hook there).
pub fn hook_command(agent: Agent, path: &Path, event: &str) -> io::Result<Option<String>> {
    let Some(text) = read(path)? else {
        return Ok(None);
    };
    let config = parse_config(agent, path, &text)?;
    Ok(ours_on(agent, &config, event)
        .into_iter()
        .flat_map(|e| strings(e).map(str::to_string).collect::<Vec<_>>())
        .find(|s| s.contains(&marker(agent))))
}

/// Every string in `v`.
fn strings(v: &Value) -> Box<dyn Iterator<Item = &str> + '_> {
    match v {
        Value::String(s) => Box::new(std::iter::once(s.as_str())),
        Value::Array(a) => Box::new(a.iter().flat_map(strings)),
        Value::Object(o) => Box::new(o.values().flat_map(strings)),
        _ => Box::new(std::iter::empty()),
    }
}

/// The binary a hook command runs: its first word, unquoted.
fn binary_of(cmd: &str) -> String {
    let cmd = cmd.trim_start();
    match cmd.strip_prefix('\'') {
        Some(rest) => rest
            .split_once("' agent hook")
            .map_or(rest, |(p, _)| p)
            .replace(r"'\''", "'"),
        None => cmd.split(' ').next().unwrap_or("").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_keeps_other_hooks_and_is_idempotent() {
        let other = json!({"model": "x", "hooks": {"PreToolUse": [
            {"matcher": "Bash", "hooks": [{"type": "command", "command": "lint.sh"}]}]}});
        let cmd = command("/usr/local/bin/burnkey", Agent::ClaudeCode);
        let once = merged(Agent::ClaudeCode, &other, &cmd).unwrap();
        assert_eq!(once["model"], "x");
        assert_eq!(once["hooks"]["PreToolUse"].as_array().unwrap().len(), 2);
        assert_eq!(
            once["hooks"]["PreToolUse"][0]["hooks"][0]["command"],
            "lint.sh"
        );
        assert_eq!(merged(Agent::ClaudeCode, &once, &cmd).unwrap(), once);
        assert_eq!(removed(Agent::ClaudeCode, &once).unwrap(), other);
        // Another agent's entries are not burnkey's for this one.
        assert_eq!(removed(Agent::Codex, &once).unwrap(), once);
        assert!(merged(Agent::ClaudeCode, &json!([1]), &cmd).is_err());
        assert!(merged(Agent::ClaudeCode, &json!({"hooks": 3}), &cmd).is_err());
    }

    #[test]
    fn a_path_with_spaces_is_quoted_and_read_back() {
        let cmd = command("/Users/a b/it's/burnkey", Agent::Cursor);
        assert_eq!(
            cmd,
            r"'/Users/a b/it'\''s/burnkey' agent hook --agent cursor"
        );
        assert_eq!(binary_of(&cmd), "/Users/a b/it's/burnkey");
        assert_eq!(
            binary_of("/opt/bin/burnkey agent hook --agent codex"),
            "/opt/bin/burnkey"
        );
    }
}
