//! The four agents whose hooks can only block (Kiro, Windsurf, Junie) or
//! rewrite and deny (Mistral Vibe): each protocol's exact answers and
//! fail-closed paths through the installed binary, install round trips on
//! each config (TOML for Vibe), `status` and `doctor` on them, and `agent
//! scrub` on the SQLite stores of Cursor, VS Code and Kiro and on Kiro's
//! and Junie's session files.

use serde_json::{json, Value};

use crate::agent::agent_cmd;
use crate::common::*;

fn hook_for(agent: &str, event: &Value) -> (i32, String, String) {
    crate::agent::hook_for(&["--agent", agent], &event.to_string())
}

/// Every stage each agent hooks: a token blocks (exit 2, the reason on
/// stderr, nothing on stdout for the agents that read none) or, for Vibe,
/// is denied or masked in its JSON; a clean event passes with nothing
/// said; what burnkey cannot read blocks.
#[test]
fn kiro_windsurf_junie_and_vibe_answer_in_their_form_and_fail_closed() {
    let tok = mint("cfut");
    let secret = &tok[5..];
    let dir = Tree::new();
    dir.write(".env", format!("CF={tok}\n"));
    let cwd = dir.path().to_str().unwrap();
    let blocked: Vec<(&str, Value, &str)> = vec![
        (
            "kiro",
            json!({"hook_event_name": "UserPromptSubmit", "cwd": cwd, "prompt": format!("use {tok}")}),
            "in prompt",
        ),
        (
            "kiro",
            json!({"hook_event_name": "preToolUse", "cwd": cwd, "tool_name": "execute_bash", "tool_input": {"command": format!("curl -H 'Authorization: Bearer {tok}'")}}),
            "in tool_input.command",
        ),
        (
            "kiro",
            json!({"hook_event_name": "PreToolUse", "cwd": cwd, "tool_name": "fs_read", "tool_input": {"operations": [{"mode": "Line", "path": ".env"}]}}),
            "the file to read",
        ),
        (
            "kiro",
            json!({"hook_event_name": "PostToolUse", "cwd": cwd, "tool_name": "execute_bash", "tool_input": {}, "tool_response": {"stdout": tok.clone()}}),
            "cannot replace a tool's output",
        ),
        (
            "windsurf",
            json!({"agent_action_name": "pre_user_prompt", "trajectory_id": "t", "tool_info": {"user_prompt": format!("deploy {tok}")}}),
            "in tool_info.user_prompt",
        ),
        (
            "windsurf",
            json!({"agent_action_name": "pre_run_command", "tool_info": {"command_line": format!("wrangler deploy --token {tok}"), "cwd": cwd}}),
            "in tool_info.command_line",
        ),
        (
            "windsurf",
            json!({"agent_action_name": "pre_mcp_tool_use", "tool_info": {"mcp_server_name": "cf", "mcp_tool_name": "x", "mcp_tool_arguments": {"token": tok.clone()}}}),
            "in tool_info.mcp_tool_arguments.token",
        ),
        (
            "windsurf",
            json!({"agent_action_name": "pre_write_code", "tool_info": {"file_path": "/a", "edits": [{"old_string": "", "new_string": tok.clone()}]}}),
            "in tool_info.edits[0].new_string",
        ),
        (
            "windsurf",
            json!({"agent_action_name": "pre_read_code", "tool_info": {"file_path": format!("{cwd}/.env")}}),
            "the file to read",
        ),
        (
            "junie",
            json!({"hook_event_name": "UserPromptSubmit", "session_id": "s", "prompt": tok.clone()}),
            "in prompt",
        ),
        (
            "junie",
            json!({"hook_event_name": "PreToolUse", "session_id": "s", "cwd": cwd, "tool_name": "bash", "tool_input": {"command": format!("echo {tok}")}}),
            "in tool_input.command",
        ),
    ];
    for (agent, event, says) in &blocked {
        let (code, out, err) = hook_for(agent, event);
        assert_eq!(code, 2, "{agent} {event}: {out}{err}");
        assert_eq!(out, "", "{agent}: reads no answer");
        assert!(
            err.contains(says) && err.contains("cloudflare-user-api-token"),
            "{agent}: {err}"
        );
        assert!(
            !err.contains(secret),
            "{agent}: the token in the reason: {err}"
        );
    }
    // Vibe: a call holding a token is denied in its JSON, an output is
    // given back masked as the reason that replaces it.
    let (code, out, _) = hook_for(
        "vibe",
        &json!({"hook_event_name": "pre_tool", "cwd": cwd, "tool_name": "file_system.bash", "tool_call_id": "c", "tool_input": {"command": format!("echo {tok}")}}),
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!((code, v["decision"].as_str()), (0, Some("deny")), "{out}");
    assert!(!out.contains(secret));
    let output = format!("line 1\nCF={tok}\nline 3\n");
    let (code, out, _) = hook_for(
        "vibe",
        &json!({"hook_event_name": "post_tool", "cwd": cwd, "tool_name": "bash", "tool_input": {"command": "cat .env"},
        "tool_status": "success", "tool_output": {"stdout": output.clone()}, "tool_output_text": output.clone(), "tool_error": null, "duration_ms": 0}),
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!((code, v["decision"].as_str()), (0, Some("deny")), "{out}");
    let masked = format!("line 1\nCF=cfut_{}\nline 3\n", "*".repeat(tok.len() - 5));
    assert!(v["reason"].as_str().unwrap().starts_with(&masked), "{out}");
    // Clean events: exit 0, nothing said.
    for (agent, event) in [
        (
            "kiro",
            json!({"hook_event_name": "PreToolUse", "cwd": cwd, "tool_name": "fs_read", "tool_input": {"path": "nothing-here"}}),
        ),
        (
            "windsurf",
            json!({"agent_action_name": "pre_run_command", "tool_info": {"command_line": "ls", "cwd": cwd}}),
        ),
        (
            "windsurf",
            json!({"agent_action_name": "post_run_command", "tool_info": {"command_line": tok.clone()}}),
        ),
        (
            "junie",
            json!({"hook_event_name": "UserPromptSubmit", "prompt": "hello"}),
        ),
        (
            "vibe",
            json!({"hook_event_name": "post_tool", "tool_name": "grep", "tool_output_text": "ok", "tool_output": null}),
        ),
    ] {
        assert_eq!(
            hook_for(agent, &event),
            (0, String::new(), String::new()),
            "{agent} {event}"
        );
    }
    // Fail closed: not JSON, no event name, an event it does not know.
    for agent in ["kiro", "windsurf", "junie", "vibe"] {
        for bad in [
            json!("garbage"),
            json!({}),
            json!({"hook_event_name": "NewThing", "agent_action_name": "new_thing"}),
        ] {
            let (code, _, err) = hook_for(agent, &bad);
            assert_eq!(code, 2, "{agent} {bad}");
            assert!(err.contains("fails closed"), "{agent}: {err}");
        }
    }
}

/// Each config, holding someone else's hooks: installed into, twice
/// changes nothing, the command runs this binary, `status` and `doctor`
/// pass; after the user edits it, uninstall takes out only burnkey's
/// entries; untouched, uninstall puts back the same bytes.
#[test]
fn install_round_trips_status_and_doctor_for_the_four_agents() {
    let home = Tree::new();
    let project = Tree::new();
    let cases = [
        ("kiro", project.path().join(".kiro/hooks/burnkey.json"), ""),
        ("windsurf", project.path().join(".windsurf/hooks.json"),
         r#"{"hooks": {"post_write_code": [{"command": "fmt.sh", "show_output": false}]}}"#),
        ("vibe", project.path().join(".vibe/hooks.toml"),
         "# the team's guard\n[[hooks]]\nname = \"deny-rm\"\ntype = \"pre_tool\"\nmatch = \"bash\"\ncommand = \"guard.sh\"\n\n[settings]\nx = 1\n"),
        // Junie runs hooks from the user's config only: the default scope.
        ("junie", home.path().join(".junie/config.json"), r#"{"model": "m", "hooks": {"SessionStart": [{"matcher": "startup", "hooks": [{"type": "command", "command": "login.sh"}]}]}}"#),
    ];
    for (agent, path, before) in &cases {
        if !before.is_empty() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, before).unwrap();
        }
        let (code, out, err) =
            agent_cmd(home.path(), project.path(), &["install", "--agent", agent]);
        assert_eq!(code, 0, "{agent}: {out}{err}");
        assert!(out.contains("installed into"), "{out}");
        let first = std::fs::read_to_string(path).unwrap();
        let (_, out, _) = agent_cmd(home.path(), project.path(), &["install", "--agent", agent]);
        assert!(out.contains("unchanged"), "{agent}: {out}");
        assert_eq!(std::fs::read_to_string(path).unwrap(), first);
        for kept in [
            "fmt.sh",
            "guard.sh",
            "login.sh",
            "[settings]",
            "# the team's guard",
        ] {
            assert_eq!(
                before.contains(kept),
                first.contains(kept),
                "{agent}: {kept}"
            );
        }
        if *agent == "vibe" {
            // The user's text comes first, byte for byte.
            assert!(first.starts_with(before), "{first}");
            assert_eq!(first.matches("strict = true").count(), 2, "{first}");
        }
        // The configured command runs this binary; an empty event blocks.
        let line = first
            .lines()
            .find(|l| l.contains(" agent hook --agent "))
            .unwrap();
        let cmd: String = line[line.find('"').unwrap()..]
            .trim_end_matches(',')
            .to_string();
        let cmd: String = if cmd.contains("\": \"") {
            cmd.split('"').nth(3).unwrap().to_string()
        } else {
            serde_json::from_str(&cmd).unwrap()
        };
        crate::agent::hook_runs_and_status_is_ok(home.path(), project.path(), agent, &cmd);
        let (code, out, err) = agent_cmd(home.path(), project.path(), &["doctor"]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(!out.contains("cfut_"), "{out}");
        // Untouched: the same bytes back (or burnkey's own file gone).
        let (code, _, err) = agent_cmd(
            home.path(),
            project.path(),
            &["uninstall", "--agent", agent],
        );
        assert_eq!(code, 0, "{err}");
        match before.is_empty() {
            true => assert!(!path.exists(), "{agent}"),
            false => assert_eq!(&std::fs::read_to_string(path).unwrap(), before, "{agent}"),
        }
    }
    let (_, out, _) = agent_cmd(home.path(), project.path(), &["doctor"]);
    assert_eq!(out.matches("blocks a canary").count(), 0, "{out}");
    // Edited after install: uninstall keeps the edit, takes burnkey out.
    let vibe = project.path().join(".vibe/hooks.toml");
    agent_cmd(home.path(), project.path(), &["install", "--agent", "vibe"]);
    let edited = format!(
        "{}\n[[hooks]]\nname = \"later\"\ntype = \"post_agent\"\ncommand = \"review.sh\"\n",
        std::fs::read_to_string(&vibe).unwrap()
    );
    std::fs::write(&vibe, &edited).unwrap();
    let (code, _, err) = agent_cmd(
        home.path(),
        project.path(),
        &["uninstall", "--agent", "vibe"],
    );
    assert_eq!(code, 0, "{err}");
    let left = std::fs::read_to_string(&vibe).unwrap();
    assert!(
        left.starts_with(cases[2].2) && left.contains("review.sh"),
        "{left}"
    );
    assert!(!left.contains("burnkey"), "{left}");
    // A form burnkey does not edit is refused, untouched.
    std::fs::write(&vibe, "hooks = []\n").unwrap();
    let (code, _, err) = agent_cmd(home.path(), project.path(), &["install", "--agent", "vibe"]);
    assert_ne!(code, 0);
    assert!(err.contains("edit it by hand"), "{err}");
    assert_eq!(std::fs::read_to_string(&vibe).unwrap(), "hooks = []\n");
    std::fs::write(&vibe, "[[hooks]\n").unwrap();
    let (code, _, err) = agent_cmd(home.path(), project.path(), &["install", "--agent", "vibe"]);
    assert_ne!(code, 0);
    assert!(err.contains("not TOML"), "{err}");
    // Junie has no project hooks to install into.
    let (code, _, err) = agent_cmd(
        home.path(),
        project.path(),
        &["install", "--agent", "junie", "--scope", "project"],
    );
    assert_ne!(code, 0);
    assert!(err.contains("no project config"), "{err}");
}

/// `status` on a Vibe install that does not fail closed and a Kiro hook
/// registered twice; `doctor` on a Windsurf hook whose binary moved.
#[test]
fn status_and_doctor_catch_broken_installs_of_the_four() {
    let home = Tree::new();
    let project = Tree::new();
    for agent in ["vibe", "kiro", "windsurf"] {
        let (code, _, err) = agent_cmd(home.path(), project.path(), &["install", "--agent", agent]);
        assert_eq!(code, 0, "{err}");
    }
    let vibe = project.path().join(".vibe/hooks.toml");
    let t = std::fs::read_to_string(&vibe).unwrap();
    std::fs::write(&vibe, t.replacen("strict = true", "strict = false", 1)).unwrap();
    let kiro = project.path().join(".kiro/hooks/burnkey.json");
    let mut k: Value = serde_json::from_str(&std::fs::read_to_string(&kiro).unwrap()).unwrap();
    let again = k["hooks"][1].clone();
    k["hooks"].as_array_mut().unwrap().push(again);
    std::fs::write(&kiro, k.to_string()).unwrap();
    let ws = project.path().join(".windsurf/hooks.json");
    let w = std::fs::read_to_string(&ws).unwrap();
    let bin_path = exe().to_string_lossy().into_owned();
    std::fs::write(&ws, w.replace(&bin_path, "/moved/burnkey")).unwrap();
    let (code, out, _) = agent_cmd(home.path(), project.path(), &["status"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("pre_tool does not fail closed"), "{out}");
    assert!(out.contains("registered 2 times on PreToolUse"), "{out}");
    assert!(
        out.contains("\"/moved/burnkey\", which no longer exists"),
        "{out}"
    );
    let (code, out, _) = agent_cmd(home.path(), project.path(), &["doctor"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("does not run (exit 127)"), "{out}");
}

/// A VS Code-style state database: `ItemTable` and `cursorDiskKV`, a chat
/// record and an extension's own record each holding the token.
fn vscdb(path: &std::path::Path, tok: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let db = rusqlite::Connection::open(path).unwrap();
    db.execute_batch(
        "CREATE TABLE ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB);
         CREATE TABLE cursorDiskKV (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB);",
    )
    .unwrap();
    let chat =
        json!({"bubbles": [{"type": "user", "text": format!("deploy with {tok}")}]}).to_string();
    db.execute(
        "INSERT INTO cursorDiskKV VALUES ('composerData:1f2e', ?1)",
        [&chat],
    )
    .unwrap();
    db.execute(
        "INSERT INTO ItemTable VALUES ('interactive.sessions', ?1)",
        [&chat],
    )
    .unwrap();
    db.execute(
        "INSERT INTO ItemTable VALUES ('someext.apiToken', ?1)",
        [tok],
    )
    .unwrap();
    db.execute(
        "INSERT INTO ItemTable VALUES ('workbench.theme', 'dark')",
        [],
    )
    .unwrap();
}

fn values(path: &std::path::Path) -> Vec<(String, String)> {
    let db = rusqlite::Connection::open(path).unwrap();
    let mut q = db
        .prepare("SELECT key, CAST(value AS TEXT) FROM ItemTable UNION ALL SELECT key, CAST(value AS TEXT) FROM cursorDiskKV ORDER BY 1")
        .unwrap();
    q.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn scrub_masks_chats_in_sqlite_stores_and_kiro_and_junie_sessions() {
    let home = Tree::new();
    let project = Tree::new();
    let tok = mint("cfut");
    let masked = format!("cfut_{}", "*".repeat(tok.len() - 5));
    let cursor = home
        .path()
        .join(".config/Cursor/User/workspaceStorage/ab12/state.vscdb");
    vscdb(&cursor, &tok);
    let kiro_db = home.path().join(".local/share/kiro-cli/data.sqlite3");
    {
        std::fs::create_dir_all(kiro_db.parent().unwrap()).unwrap();
        let db = rusqlite::Connection::open(&kiro_db).unwrap();
        db.execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE conversations (key TEXT PRIMARY KEY, value TEXT); CREATE TABLE auth_kv (key TEXT PRIMARY KEY, value TEXT);").unwrap();
        db.execute("INSERT INTO conversations VALUES ('/home/u/app', ?1)", [json!({"history": [{"user": {"content": {"Prompt": {"prompt": format!("use {tok}")}}}}]}).to_string()]).unwrap();
    }
    let files: Vec<(&str, String)> = vec![
        (
            ".config/Code/User/workspaceStorage/9c0d/chatSessions/5e6f.json",
            format!("{{\n  \"requests\": [{{\"message\": {{\"text\": \"key {tok}\"}}}}]\n}}\n"),
        ),
        (
            ".kiro/sessions/cli/0b5e.jsonl",
            format!("{{\"kind\":\"Prompt\",\"data\":{{\"content\":\"use {tok}\"}}}}\n"),
        ),
        (
            ".kiro/sessions/cli/0b5e.history",
            format!("use {tok}\nls\n"),
        ),
        (
            ".junie/sessions/2026-12-07/events.jsonl",
            format!("{{\"type\":\"user\",\"text\":\"{tok}\"}}\n"),
        ),
    ];
    for (rel, text) in &files {
        home.write(rel, text);
    }
    // Junie's own config is its settings: never listed, never changed.
    home.write(".junie/config.json", format!("{{\"apiKey\": \"{tok}\"}}"));
    let (code, out, err) = agent_cmd(home.path(), project.path(), &["scrub"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(!out.contains(&tok[5..]), "{out}");
    assert!(out.contains("in cursorDiskKV composerData:1f2e"), "{out}");
    assert!(out.contains("in ItemTable someext.apiToken"), "{out}");
    assert!(out.contains("in conversations /home/u/app"), "{out}");
    assert!(out.contains("8 credential(s) in 6 file(s)"), "{out}");
    assert!(!out.contains("config.json"), "{out}");
    let before = values(&cursor);
    let (code, out, err) = agent_cmd(home.path(), project.path(), &["scrub", "--in-place"]);
    // The extension's own record is listed, not changed: exit 1.
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("state.vscdb: 2 masked") && out.contains("state.vscdb: 1 found"),
        "{out}"
    );
    let after = values(&cursor);
    for ((k, b), (k2, a)) in before.iter().zip(&after) {
        assert_eq!(k, k2);
        match k.as_str() {
            "someext.apiToken" | "workbench.theme" => assert_eq!(a, b, "{k}"),
            _ => {
                assert_eq!(a, &b.replace(&tok, &masked), "{k}");
                serde_json::from_str::<Value>(a).unwrap();
            }
        }
    }
    // No old page holds the token in a chat record's place (secure_delete,
    // the WAL emptied): the raw files hold it once, the extension's.
    let raw = std::fs::read(&cursor).unwrap();
    assert_eq!(
        raw.windows(tok.len())
            .filter(|w| *w == tok.as_bytes())
            .count(),
        1
    );
    let mut kraw = std::fs::read(&kiro_db).unwrap();
    if let Ok(wal) = std::fs::read(kiro_db.with_extension("sqlite3-wal")) {
        kraw.extend(wal);
    }
    assert!(
        !kraw.windows(tok.len()).any(|w| w == tok.as_bytes()),
        "the Kiro database still holds it"
    );
    for (rel, text) in &files {
        let now = std::fs::read_to_string(home.path().join(rel)).unwrap();
        assert_eq!(now, text.replace(&tok, &masked), "{rel}");
    }
    assert!(
        std::fs::read_to_string(home.path().join(".junie/config.json"))
            .unwrap()
            .contains(&tok)
    );
}
