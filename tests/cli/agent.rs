//! `burnkey agent hook`, run as Claude Code runs it (code.claude.com/docs/en/hooks:
//! the event as JSON on stdin; exit 0 with a JSON answer on stdout, or exit
//! 2 to block), against the installed binary; and Copilot CLI's and VS
//! Code's protocols, `agent exec`, and `agent install` / `uninstall` /
//! `status` on each agent's config.

use serde_json::{json, Value};

use crate::common::*;

/// How a hook names `tok`: its prefix, its last four characters, and the
/// start of its SHA-256 (the hash `.burnkeyignore` lists).
fn named(tok: &str) -> String {
    let prefix = &tok[..tok.find('_').unwrap() + 1];
    let sha = sha(tok);
    format!("{prefix}…{} (sha256:{})", &tok[tok.len() - 4..], &sha[..16])
}

fn hook(event: &str) -> (i32, String, String) {
    hook_for(&["--agent", "claude-code"], event)
}

pub(crate) fn hook_for(args: &[&str], event: &str) -> (i32, String, String) {
    let o = bin()
        .args(["agent", "hook"])
        .args(args)
        .write_stdin(event.to_string())
        .output()
        .unwrap();
    parts(&o)
}

#[test]
fn claude_code_prompts_tools_and_outputs() {
    let tok = mint("cfut");
    let secret = &tok[5..];
    // A prompt holding a token: blocked, named by its kind and first characters.
    let (code, out, err) = hook(
        &json!({"hook_event_name": "UserPromptSubmit", "session_id": "s1", "cwd": "/tmp",
                "prompt": format!("here is my token {tok}")})
        .to_string(),
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (code, v["decision"].as_str()),
        (0, Some("block")),
        "{out}{err}"
    );
    assert!(
        v["reason"].as_str().unwrap().contains(&named(&tok)),
        "{out}"
    );
    // A Bash call whose command holds one: denied.
    let (code, out, _) = hook(
        &json!({"hook_event_name": "PreToolUse", "tool_name": "Bash",
                "tool_input": {"command": format!("export CF={tok}")}})
        .to_string(),
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(code, 0);
    assert_eq!(v["hookSpecificOutput"]["permissionDecision"], "deny");
    // Its output: given back masked, in the Bash tool's own shape.
    let (code, out2, _) = hook(
        &json!({"hook_event_name": "PostToolUse", "tool_name": "Bash",
                "tool_response": {"stdout": format!("CF={tok}\n"), "stderr": "", "interrupted": false}})
        .to_string(),
    );
    let v: Value = serde_json::from_str(&out2).unwrap();
    assert_eq!(code, 0);
    let stdout = v["hookSpecificOutput"]["updatedToolOutput"]["stdout"]
        .as_str()
        .unwrap();
    assert!(
        stdout.starts_with("CF=cfut_") && stdout.ends_with('\n'),
        "{stdout}"
    );
    // Nothing to say about a clean event.
    let (code, out3, err3) = hook(
        r#"{"hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": {"command": "ls"}}"#,
    );
    assert_eq!((code, out3.as_str(), err3.as_str()), (0, "", ""));
    for text in [&out, &out2] {
        assert!(!text.contains(secret), "a token in an answer");
    }
}

#[test]
fn claude_code_hook_fails_closed() {
    for bad in [
        "",
        "not json",
        "{}",
        r#"{"hook_event_name": "Teleport"}"#,
        r#"{"hook_event_name": "PostToolUse"}"#,
    ] {
        let (code, out, err) = hook(bad);
        assert_eq!(code, 2, "{bad}: {out}{err}");
        assert!(err.contains("blocked"), "{err}");
    }
    let o = bin()
        .args(["agent", "hook", "--agent", "no-such-agent"])
        .write_stdin("{}")
        .output()
        .unwrap();
    assert_eq!(parts(&o).0, 2);
}

/// Copilot CLI (docs.github.com/en/copilot/reference/hooks-reference):
/// events do not name themselves, `toolArgs` is a JSON string, the answer
/// to a tool call is `permissionDecision` / `modifiedArgs`; a prompt's and
/// a tool result's answers are ignored, so those block with exit 2.
#[test]
fn copilot_cli_denies_rewrites_and_blocks() {
    let tok = mint("cfat");
    let pre = ["--agent", "copilot-cli", "--event", "preToolUse"];
    let args = json!({"command": format!("curl -H 'Authorization: Bearer {tok}' x")}).to_string();
    let (code, out, err) = hook_for(
        &pre,
        &json!({"timestamp": 1, "cwd": "/w", "toolName": "bash", "toolArgs": args}).to_string(),
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (code, v["permissionDecision"].as_str()),
        (0, Some("deny")),
        "{err}"
    );
    // A clean shell command comes back wrapped, still a JSON string.
    let args = json!({"command": "cat .env"}).to_string();
    let (_, out, _) = hook_for(
        &pre,
        &json!({"toolName": "bash", "toolArgs": args}).to_string(),
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    let m: Value = serde_json::from_str(v["modifiedArgs"].as_str().unwrap()).unwrap();
    let wrapped = m["command"].as_str().unwrap().to_string();
    assert!(wrapped.ends_with(" agent exec -- 'cat .env'"), "{wrapped}");
    // Run as the agent's shell would: the .env is read, the token masked,
    // the status kept.
    let t = Tree::new();
    t.write(".env", format!("CF={tok}\n"));
    let o = std::process::Command::new("sh")
        .current_dir(t.path())
        .arg("-c")
        .arg(format!("{wrapped}; exit 3"))
        .output()
        .unwrap();
    let (code, out, err) = parts(&o);
    assert_eq!(code, 3);
    assert!(
        out.starts_with("CF=cfat_") && !out.contains(&tok[5..]),
        "{out}"
    );
    assert!(err.contains("1 credential(s)"), "{err}");
    for (event, ev) in [
        (
            "userPromptSubmitted",
            json!({"prompt": format!("use {tok}")}),
        ),
        (
            "postToolUse",
            json!({"toolName": "bash", "toolArgs": "{}",
            "toolResult": {"resultType": "success", "textResultForLlm": tok}}),
        ),
    ] {
        let (code, out, err) = hook_for(
            &["--agent", "copilot-cli", "--event", event],
            &ev.to_string(),
        );
        assert_eq!(code, 2, "{event}");
        assert!(!out.contains(&tok[5..]) && !err.contains(&tok[5..]));
        assert!(err.contains(&named(&tok)), "{err}");
    }
    let (code, _, _) = hook_for(&pre, "[]");
    assert_eq!(code, 2);
}

/// VS Code (code.visualstudio.com/docs/agents/reference/hooks-reference):
/// Claude Code's event shape; `hookSpecificOutput.permissionDecision` and
/// `updatedInput`; no replacement of a tool's output.
#[test]
fn vscode_denies_rewrites_and_blocks() {
    let tok = mint("cfut");
    let vs = ["--agent", "vscode"];
    let (code, out, _) = hook_for(
        &vs,
        &json!({"hook_event_name": "PreToolUse", "tool_name": "run_in_terminal",
                "tool_input": {"command": "printenv", "isBackground": false}})
        .to_string(),
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(code, 0);
    let cmd = v["hookSpecificOutput"]["updatedInput"]["command"]
        .as_str()
        .unwrap();
    assert!(cmd.ends_with(" agent exec -- 'printenv'"), "{cmd}");
    let o = std::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .env("CF_TOKEN", &tok)
        .output()
        .unwrap();
    let (code, out, _) = parts(&o);
    assert_eq!(code, 0);
    assert!(
        out.contains("CF_TOKEN=cfut_") && !out.contains(&tok[5..]),
        "{out}"
    );
    // Wrapped once, though VS Code also runs Claude Code's hooks.
    let (_, again, _) = hook_for(
        &vs,
        &json!({"hook_event_name": "PreToolUse", "tool_name": "run_in_terminal",
                "tool_input": {"command": cmd}})
        .to_string(),
    );
    assert_eq!(again, "");
    let (code, _, err) = hook_for(
        &vs,
        &json!({"hook_event_name": "PostToolUse", "tool_name": "readFile",
                "tool_input": {"path": ".env"}, "tool_response": format!("CF={tok}")})
        .to_string(),
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("reached the model") && !err.contains(&tok[5..]),
        "{err}"
    );
    let (code, _, _) = hook_for(&vs, "garbage");
    assert_eq!(code, 2);
}

pub(crate) fn agent_cmd(
    home: &std::path::Path,
    project: &std::path::Path,
    args: &[&str],
) -> (i32, String, String) {
    let o = bin()
        .current_dir(project)
        .env("HOME", home)
        .env_remove("XDG_STATE_HOME")
        .arg("agent")
        .args(args)
        .output()
        .unwrap();
    parts(&o)
}

/// The installed hook command `cmd` of `agent` runs this binary (an empty
/// event blocks, as the agent would run it: `sh -c`), and `status` says ok.
pub(crate) fn hook_runs_and_status_is_ok(
    home: &std::path::Path,
    project: &std::path::Path,
    agent: &str,
    cmd: &str,
) {
    assert!(cmd.starts_with('/'), "{agent}: {cmd}");
    let o = std::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{agent}: an empty event blocks");
    let (code, out, _) = agent_cmd(home, project, &["status"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("{agent}: ok")), "{out}");
}

/// Each agent's config, with a hook of someone else's in it: installed
/// into (merged, twice changes nothing, the command an absolute path that
/// runs), reported by `status`, and uninstalled to the same bytes.
#[test]
fn install_and_uninstall_round_trip_on_every_agents_config() {
    let home = Tree::new();
    let project = Tree::new();
    let cases = [
        (
            "claude-code",
            "project",
            ".claude/settings.json",
            r#"{"permissions": {"allow": ["Bash(ls)"]}, "hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "lint.sh"}]}]}}"#,
        ),
        (
            "claude-code",
            "local",
            ".claude/settings.local.json",
            r#"{"hooks": {}}"#,
        ),
        (
            "codex",
            "project",
            ".codex/hooks.json",
            r#"{"hooks": {"PostToolUse": [{"hooks": [{"type": "command", "command": "audit.sh"}]}]}}"#,
        ),
        (
            "gemini",
            "project",
            ".gemini/settings.json",
            r#"{"theme": "dark"}"#,
        ),
        (
            "cursor",
            "project",
            ".cursor/hooks.json",
            r#"{"version": 1, "hooks": {"afterFileEdit": [{"command": "fmt.sh"}]}}"#,
        ),
        ("copilot-cli", "project", ".github/hooks/burnkey.json", ""),
        ("vscode", "project", ".github/hooks/burnkey-vscode.json", ""),
    ];
    for (agent, scope, rel, before) in cases {
        let path = project.path().join(rel);
        if !before.is_empty() {
            project.write(rel, before);
        }
        let (code, out, err) = agent_cmd(
            home.path(),
            project.path(),
            &["install", "--agent", agent, "--scope", scope],
        );
        assert_eq!(code, 0, "{agent}: {out}{err}");
        assert!(out.contains("installed into"), "{out}");
        let first = std::fs::read_to_string(&path).unwrap();
        let (_, out, _) = agent_cmd(
            home.path(),
            project.path(),
            &["install", "--agent", agent, "--scope", scope],
        );
        assert!(out.contains("unchanged"), "{agent}: {out}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), first);
        let v: Value = serde_json::from_str(&first).unwrap();
        if !before.is_empty() {
            // Every key and hook of before is still there.
            let b: Value = serde_json::from_str(before).unwrap();
            for (k, x) in b.as_object().unwrap() {
                if k != "hooks" {
                    assert_eq!(&v[k], x, "{agent}: {k}");
                }
            }
            for other in ["lint.sh", "audit.sh", "fmt.sh"] {
                assert_eq!(before.contains(other), first.contains(other), "{agent}");
            }
        }
        // The configured command runs this binary and answers.
        let cmd = first
            .lines()
            .find(|l| l.contains(" agent hook --agent "))
            .and_then(|l| l.split('"').nth(3))
            .unwrap()
            .to_string();
        hook_runs_and_status_is_ok(home.path(), project.path(), agent, &cmd);
        let (code, out, err) = agent_cmd(
            home.path(),
            project.path(),
            &["uninstall", "--agent", agent, "--scope", scope],
        );
        assert_eq!(code, 0, "{out}{err}");
        if before.is_empty() {
            assert!(!path.exists(), "{agent}: burnkey's own file stays");
        } else {
            assert_eq!(std::fs::read_to_string(&path).unwrap(), before, "{agent}");
        }
    }
    // A config burnkey cannot parse is refused, untouched.
    project.write(".cursor/hooks.json", "{oops");
    let (code, _, err) = agent_cmd(
        home.path(),
        project.path(),
        &["install", "--agent", "cursor"],
    );
    assert_ne!(code, 0);
    assert!(err.contains("not JSON"), "{err}");
    assert_eq!(
        std::fs::read_to_string(project.path().join(".cursor/hooks.json")).unwrap(),
        "{oops"
    );
}

/// `status` catches the breaks users hit: a moved binary, no fail-closed
/// setting, a hook registered twice; `uninstall` after an edit keeps the
/// edit.
#[test]
fn status_catches_a_broken_install_and_uninstall_keeps_edits() {
    let home = Tree::new();
    let project = Tree::new();
    let (code, _, err) = agent_cmd(
        home.path(),
        project.path(),
        &["install", "--agent", "cursor"],
    );
    assert_eq!(code, 0, "{err}");
    let path = project.path().join(".cursor/hooks.json");
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let ours = v["hooks"]["preToolUse"][0].clone();
    let mut moved = ours.clone();
    moved["command"] = json!("/gone/burnkey agent hook --agent cursor");
    moved["failClosed"] = json!(false);
    v["hooks"]["beforeReadFile"] = json!([moved]);
    v["hooks"]["postToolUse"] = json!([ours.clone(), ours]);
    v["hooks"]["stop"] = json!([{"command": "notify.sh"}]);
    std::fs::write(&path, v.to_string()).unwrap();
    let (code, out, _) = agent_cmd(home.path(), project.path(), &["status"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("cursor: PROBLEM"), "{out}");
    assert!(
        out.contains("\"/gone/burnkey\", which no longer exists"),
        "{out}"
    );
    assert!(out.contains("beforeReadFile does not fail closed"), "{out}");
    assert!(out.contains("registered 2 times on postToolUse"), "{out}");
    let (code, _, _) = agent_cmd(
        home.path(),
        project.path(),
        &["uninstall", "--agent", "cursor"],
    );
    assert_eq!(code, 0);
    let left: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(
        left,
        json!({"version": 1, "hooks": {"stop": [{"command": "notify.sh"}]}})
    );
}

/// Claude Code applies `updatedToolOutput` only when it has the tool's own
/// output shape and silently drops a bare string (anthropics/claude-code
/// #68951: a maintainer's repro on 2.1.233, the string dropped with "does
/// not match Bash's output shape", the object `{stdout, stderr,
/// interrupted}` applied; #84439 and #86753: validated against the tool's
/// output schema). So the answer keeps every key and every value that is
/// not a string, for Bash's object and for Read's.
#[test]
fn claude_code_output_is_replaced_in_the_tools_own_shape() {
    let tok = mint("cfk");
    let bash = json!({"stdout": format!("key={tok}\n"), "stderr": "warn", "interrupted": false,
                      "isImage": false, "noOutputExpected": false});
    let read = json!({"type": "text", "file": {"filePath": "/w/.env",
                      "content": format!("K={tok}\n"), "numLines": 1, "startLine": 1, "totalLines": 1}});
    for (tool, response) in [("Bash", bash), ("Read", read)] {
        let (code, out, _) = hook(
            &json!({"hook_event_name": "PostToolUse", "tool_name": tool,
                    "tool_input": {}, "tool_response": response})
            .to_string(),
        );
        assert_eq!(code, 0);
        assert!(!out.contains(&tok[4..]), "{out}");
        let v: Value = serde_json::from_str(&out).unwrap();
        let got = &v["hookSpecificOutput"]["updatedToolOutput"];
        fn same_shape(a: &Value, b: &Value) -> bool {
            match (a, b) {
                (Value::Object(x), Value::Object(y)) => {
                    x.len() == y.len()
                        && x.iter()
                            .all(|(k, v)| y.get(k).is_some_and(|w| same_shape(v, w)))
                }
                (Value::String(x), Value::String(y)) => x.len() == y.len(),
                (x, y) => x == y,
            }
        }
        assert!(same_shape(got, &response), "{tool}: {got} vs {response}");
    }
}

/// A read of a file holding a token reads a private masked copy instead
/// (Claude Code's `updatedInput`, code.claude.com/docs/en/hooks); a clean
/// file is read as it is.
#[test]
fn claude_code_reads_a_masked_copy_of_a_file_holding_a_token() {
    let tok = mint("cfut");
    let t = Tree::new();
    t.write(".env", format!("CF={tok}\nOTHER=1\n"));
    t.write("README.md", "hello\n");
    let copies = Tree::new();
    let run = |file: &str| {
        let o = bin()
            .args(["agent", "hook", "--agent", "claude-code"])
            .env("BURNKEY_AGENT_DIR", copies.path().join("c"))
            .write_stdin(
                json!({"hook_event_name": "PreToolUse", "session_id": "abc", "cwd": t.path(),
                       "tool_name": "Read", "tool_input": {"file_path": file, "limit": 10}})
                .to_string(),
            )
            .output()
            .unwrap();
        parts(&o)
    };
    let (code, out, _) = run(".env");
    assert_eq!(code, 0);
    assert!(!out.contains(&tok[5..]), "{out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let o = &v["hookSpecificOutput"];
    assert_eq!(o["permissionDecision"], "allow");
    assert_eq!(o["updatedInput"]["limit"], 10);
    let copy = std::path::PathBuf::from(o["updatedInput"]["file_path"].as_str().unwrap());
    assert!(
        copy.starts_with(copies.path().join("c").join("abc")),
        "{copy:?}"
    );
    let text = std::fs::read_to_string(&copy).unwrap();
    assert!(
        text.starts_with("CF=cfut_") && text.ends_with("\nOTHER=1\n") && !text.contains(&tok[5..])
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let (code, out, _) = run(&t.path().join("README.md").to_string_lossy());
    assert_eq!((code, out.as_str()), (0, ""));
}

/// Codex (developers.openai.com/codex/hooks) cannot replace a shell
/// command's output: the command is rewritten to mask it at the source,
/// with only the fields of Codex's schema.
#[test]
fn codex_shell_commands_run_masked() {
    let (code, out, _) = hook_for(
        &["--agent", "codex"],
        &json!({"hook_event_name": "PreToolUse", "tool_name": "Bash",
                "tool_input": {"command": "cat .env"}})
        .to_string(),
    );
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    let o = v["hookSpecificOutput"].as_object().unwrap();
    let mut keys: Vec<&str> = o.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        ["hookEventName", "permissionDecision", "updatedInput"]
    );
    assert!(o["updatedInput"]["command"]
        .as_str()
        .unwrap()
        .ends_with(" agent exec -- 'cat .env'"));
}

/// Every agent, each stage in its documented shape (the pages are cited
/// in each module: src/agent/*.rs), through the installed binary: what a
/// token in a prompt, in a tool call and in a tool's output gets, in that
/// agent's form, and no byte of the token in any answer; then its
/// fail-closed paths: garbage, an unknown event, an event too large for
/// burnkey (its own error), each exit 2.
#[test]
fn every_agent_answers_each_stage_in_its_form_and_fails_closed() {
    let tok = mint("cfut");
    let secret = &tok[5..];
    type Check = fn(i32, &Value, &str, &str) -> bool;
    let cases: Vec<(&str, Value, Check)> = vec![
        // codex (developers.openai.com/codex/hooks)
        (
            "codex",
            json!({"hook_event_name": "UserPromptSubmit", "prompt": format!("x {tok}")}),
            |c, v, _, _| c == 0 && v["decision"] == "block",
        ),
        (
            "codex",
            json!({"hook_event_name": "PreToolUse", "tool_name": "Bash",
                         "tool_input": {"command": format!("echo {tok}")}}),
            |c, v, _, _| c == 0 && v["hookSpecificOutput"]["permissionDecision"] == "deny",
        ),
        (
            "codex",
            json!({"hook_event_name": "PostToolUse", "tool_name": "mcp__db__query",
                         "tool_input": {}, "tool_response": {"rows": [format!("k={tok}")]}}),
            |c, v, _, tok| {
                c == 0
                    && v["hookSpecificOutput"]["updatedMCPToolOutput"]["rows"][0]
                        .as_str()
                        .is_some_and(|s| s.len() == tok.len() + 2 && s.starts_with("k=cfut_"))
            },
        ),
        (
            "codex",
            json!({"hook_event_name": "PostToolUse", "tool_name": "Bash",
                         "tool_input": {}, "tool_response": format!("{tok}\n")}),
            |c, v, _, _| c == 0 && v["decision"] == "block",
        ),
        // gemini (geminicli.com/docs/hooks/reference)
        (
            "gemini",
            json!({"hook_event_name": "BeforeAgent", "prompt": format!("x {tok}")}),
            |c, v, _, _| c == 0 && v["decision"] == "deny",
        ),
        (
            "gemini",
            json!({"hook_event_name": "BeforeTool", "tool_name": "run_shell_command",
                          "tool_input": {"command": format!("echo {tok}")}}),
            |c, v, _, _| c == 0 && v["decision"] == "deny",
        ),
        (
            "gemini",
            json!({"hook_event_name": "AfterTool", "tool_name": "read_file",
                          "tool_input": {}, "tool_response": {"llmContent": format!("K={tok}\n")}}),
            |c, v, _, _| {
                c == 0
                    && v["decision"] == "deny"
                    && v["reason"]
                        .as_str()
                        .is_some_and(|r| r.starts_with("K=cfut_"))
            },
        ),
        // cursor (cursor.com/docs/agent/hooks)
        (
            "cursor",
            json!({"hook_event_name": "beforeSubmitPrompt", "prompt": format!("x {tok}")}),
            |c, v, _, _| c == 0 && v["continue"] == false,
        ),
        (
            "cursor",
            json!({"hook_event_name": "beforeShellExecution", "command": format!("echo {tok}"), "cwd": "/w"}),
            |c, v, _, _| c == 0 && v["permission"] == "deny",
        ),
        (
            "cursor",
            json!({"hook_event_name": "beforeReadFile", "file_path": "/w/.env",
                          "content": format!("K={tok}\n")}),
            |c, v, _, _| c == 0 && v["permission"] == "deny",
        ),
        (
            "cursor",
            json!({"hook_event_name": "afterMCPExecution", "tool_name": "q",
                          "tool_input": "{}", "result_json": format!("{{\"k\": \"{tok}\"}}")}),
            |c, v, _, _| {
                c == 0
                    && v["updated_mcp_tool_output"]
                        .as_str()
                        .is_some_and(|s| s.contains("cfut_"))
            },
        ),
        (
            "cursor",
            json!({"hook_event_name": "afterShellExecution", "command": "env",
                          "output": format!("K={tok}\n")}),
            |c, _, err, _| c == 0 && err.contains("it has reached the model"),
        ),
        // claude-code (code.claude.com/docs/en/hooks), MCP output
        (
            "claude-code",
            json!({"hook_event_name": "PostToolUse", "tool_name": "mcp__gh__get",
                               "tool_input": {}, "tool_response": [{"type": "text", "text": tok}]}),
            |c, v, _, _| {
                c == 0 && v["hookSpecificOutput"]["updatedMCPToolOutput"][0]["type"] == "text"
            },
        ),
    ];
    for (agent, event, check) in cases {
        let (code, out, err) = hook_for(&["--agent", agent], &event.to_string());
        assert!(
            !out.contains(secret) && !err.contains(secret),
            "{agent}: the token in {out}{err}"
        );
        let v: Value = serde_json::from_str(&out).unwrap_or(Value::Null);
        assert!(
            check(code, &v, &err, &tok),
            "{agent} {event}: {code} {out} {err}"
        );
    }
    let big = "x".repeat((64 << 20) + 1);
    for agent in [
        "claude-code",
        "codex",
        "gemini",
        "cursor",
        "copilot-cli",
        "vscode",
    ] {
        for bad in [
            "{not json",
            r#"{"hook_event_name": "Teleport", "toolName": 1}"#,
            &big,
        ] {
            let (code, out, err) = hook_for(&["--agent", agent], bad);
            assert_eq!(code, 2, "{agent}: {out} {err}");
            assert!(out.is_empty(), "{agent}: {out}");
        }
    }
}

/// `agent doctor` runs each installed hook as its agent would, with a
/// canary token in a prompt: every agent's install blocks it; a moved
/// binary, a hook that lets it through and one that echoes it are caught.
#[test]
fn doctor_runs_each_hook_with_a_canary_and_catches_broken_ones() {
    let home = Tree::new();
    let project = Tree::new();
    for agent in [
        "claude-code",
        "codex",
        "gemini",
        "cursor",
        "copilot-cli",
        "vscode",
    ] {
        let (code, _, err) = agent_cmd(home.path(), project.path(), &["install", "--agent", agent]);
        assert_eq!(code, 0, "{err}");
    }
    let (code, out, err) = agent_cmd(home.path(), project.path(), &["doctor"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.matches("blocks a canary prompt").count(), 6, "{out}");
    assert!(!out.contains("PROBLEM"), "{out}");
    // Break Claude Code's prompt hook three ways.
    let path = project.path().join(".claude/settings.json");
    let good = std::fs::read_to_string(&path).unwrap();
    let cmd = good
        .lines()
        .find(|l| l.contains(" agent hook --agent claude-code"))
        .and_then(|l| l.split('"').nth(3))
        .unwrap()
        .to_string();
    let bin_path = cmd.split(" agent hook").next().unwrap().to_string();
    for (broken, says) in [
        (
            cmd.replace(&bin_path, "/moved/away/burnkey"),
            "does not run (exit 127)",
        ),
        (
            "true # agent hook --agent claude-code".to_string(),
            "let a canary prompt through",
        ),
        (
            "cat # agent hook --agent claude-code".to_string(),
            "holds the canary",
        ),
    ] {
        std::fs::write(&path, good.replace(&cmd, &broken)).unwrap();
        let (code, out, _) = agent_cmd(home.path(), project.path(), &["doctor"]);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("claude-code: PROBLEM"), "{out}");
        assert!(out.contains(says), "{says}: {out}");
        assert!(!out.contains("cfut_"), "the canary in the report: {out}");
    }
}

/// `agent scrub` on fixture stores in each agent's layout: the listing,
/// masking in place, JSON lines still valid, nothing else changed.
#[test]
fn scrub_lists_and_masks_tokens_in_the_agents_stores() {
    let home = Tree::new();
    let project = Tree::new();
    let tok = mint("cfut");
    let masked = format!("cfut_{}", "*".repeat(tok.len() - 5));
    let files: Vec<(&str, String)> = vec![
        (".claude/projects/-home-u-app/5b1f0c.jsonl", format!(
            "{{\"type\":\"user\",\"message\":{{\"role\":\"user\",\"content\":\"deploy with {tok}\"}},\"uuid\":\"u1\"}}\n{{\"type\":\"assistant\",\"message\":{{\"content\":[{{\"type\":\"text\",\"text\":\"ok\"}}]}}}}\n{{\"type\":\"user\",\"message\":{{\"content\":[{{\"type\":\"tool_result\",\"content\":\"CF={tok}\\n\"}}]}}}}\n")),
        (".codex/sessions/2026/12/07/rollout-2026-12-07T10-00-00-abc.jsonl", format!(
            "{{\"type\":\"response_item\",\"payload\":{{\"type\":\"function_call_output\",\"output\":\"K={tok}\"}}}}\n")),
        (".codex/history.jsonl", format!("{{\"session_id\":\"s\",\"ts\":1,\"text\":\"use {tok}\"}}\n")),
        (".gemini/tmp/9f8e/chats/session-2026-12-07.json", format!(
            "{{\n  \"messages\": [\n    {{\"type\": \"user\", \"content\": \"key {tok}\"}}\n  ]\n}}\n")),
        // Written with an escape: masked, and still JSON.
        (".gemini/tmp/9f8e/logs.json", format!("[{{\"message\": \"{}\"}}]\n", tok.replacen('_', "\\u005f", 1))),
        (".copilot/session-state/7c2d.jsonl", format!("{{\"type\":\"user.message\",\"data\":{{\"content\":\"{tok}\"}}}}\n")),
    ];
    for (rel, text) in &files {
        home.write(rel, text);
    }
    home.write(
        ".claude/projects/-home-u-app/clean.jsonl",
        "{\"type\":\"user\"}\n",
    );
    home.write(".claude/projects/-home-u-app/notes.txt", format!("{tok}\n"));
    let (code, out, err) = agent_cmd(home.path(), project.path(), &["scrub"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(!out.contains(&tok[5..]), "{out}");
    assert!(out.contains("7 credential(s) in 6 file(s)"), "{out}");
    assert!(out.contains("5b1f0c.jsonl: 2 found"), "{out}");
    assert!(out.contains(&named(&tok)), "{out}");
    for (rel, text) in &files {
        assert_eq!(
            &std::fs::read_to_string(home.path().join(rel)).unwrap(),
            text,
            "a dry run changed {rel}"
        );
    }
    let (code, out, _) = agent_cmd(home.path(), project.path(), &["scrub", "--in-place"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("masked where they were"), "{out}");
    for (rel, text) in &files {
        let now = std::fs::read_to_string(home.path().join(rel)).unwrap();
        assert!(!now.contains(&tok[5..]), "{rel}: {now}");
        if rel.ends_with(".jsonl") {
            assert_eq!(now, text.replace(&tok, &masked), "{rel}");
            for line in now.lines() {
                serde_json::from_str::<Value>(line)
                    .unwrap_or_else(|e| panic!("{rel}: {line}: {e}"));
            }
        } else {
            serde_json::from_str::<Value>(&now).unwrap_or_else(|e| panic!("{rel}: {now}: {e}"));
        }
    }
    // Not a store file, so not touched.
    assert!(
        std::fs::read_to_string(home.path().join(".claude/projects/-home-u-app/notes.txt"))
            .unwrap()
            .contains(&tok)
    );
    let (code, out, _) = agent_cmd(home.path(), project.path(), &["scrub"]);
    assert_eq!(
        (code, out.trim()),
        (
            0,
            "0 credential(s) in 0 file(s) of the agents' stores: none found"
        )
    );
}
