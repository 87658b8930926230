//! Kiro CLI's hook protocol (kiro.dev/docs/cli/hooks, and the standalone
//! hook files of Kiro CLI 3: `.kiro/hooks/*.json`, `{"version": "v1",
//! "hooks": [{"name", "trigger", "matcher", "action": {"type": "command",
//! "command"}, "timeout", "enabled"}]}`). The event is JSON on stdin
//! (`hook_event_name`, `cwd`, `prompt`, `tool_name`, `tool_input`,
//! `tool_response`), its name in either case (`preToolUse` in Kiro CLI 2,
//! `PreToolUse` in 3). Kiro takes no answer but the exit status: 2 blocks
//! a tool call (and, in Kiro CLI 3, a prompt) with stderr given to the
//! model. A tool call holding a token is blocked, and so is a read of a
//! file holding one (Kiro cannot be pointed at a masked copy). After a
//! tool, nothing can be replaced: burnkey says so on stderr.

use serde_json::Value;

use crate::agent::file_read;
use crate::agent::reply::{allow, block, block_tokens_in, fail_closed, reason, Reply};
use crate::scan::Scanner;

/// Kiro's answer to `v`.
pub fn answer(scanner: &Scanner, v: &Value) -> Reply {
    let Some(event) = v["hook_event_name"].as_str() else {
        return fail_closed("the event names no hook_event_name");
    };
    match event {
        "userPromptSubmit" | "UserPromptSubmit" => block_tokens_in(
            scanner,
            v,
            "prompt",
            "the prompt",
            "(Kiro CLI 3 stops it; Kiro CLI 2 only warns: if it was sent, rotate it.)",
        ),
        "preToolUse" | "PreToolUse" => pre_tool(scanner, v),
        "postToolUse" | "PostToolUse" => block_tokens_in(
            scanner,
            v,
            "tool_response",
            "the tool's output",
            "Kiro cannot replace a tool's output: it has reached the model. Rotate it.",
        ),
        "agentSpawn" | "SessionStart" | "stop" | "Stop" | "PreTaskExec" | "PostTaskExec"
        | "PostFileCreate" | "PostFileSave" | "PostFileDelete" | "Manual" => allow(),
        _ => fail_closed("an event burnkey does not know"),
    }
}

/// For an agent that can only block, before a tool (`tool_name`,
/// `tool_input`): a call holding a token, or a read of a file holding one,
/// blocked.
pub(crate) fn pre_tool(scanner: &Scanner, v: &Value) -> Reply {
    let r = block_tokens_in(scanner, v, "tool_input", "the tool call", "");
    if r.code != 0 {
        return r;
    }
    read_of_token_file(scanner, v, "tool_input")
}

/// A read (by `v["tool_name"]`, its input in `v[field]`) of a file holding
/// a token, blocked.
fn read_of_token_file(scanner: &Scanner, v: &Value, field: &str) -> Reply {
    let tool = v["tool_name"].as_str().unwrap_or("");
    let leaf = tool.rsplit(['.', '/']).next().unwrap_or(tool);
    if !file_read::is_read(leaf) {
        return allow();
    }
    let paths = file_read::paths_read(&v[field]);
    block_token_files(scanner, &paths, v["cwd"].as_str())
}

/// A block of a read of `paths` (relative to `cwd`) when one holds a
/// token, or could not be checked; else nothing.
pub(crate) fn block_token_files(scanner: &Scanner, paths: &[&str], cwd: Option<&str>) -> Reply {
    match file_read::tokens_in_files(scanner, paths, cwd) {
        Err(why) => block(why),
        Ok(seen) if seen.is_empty() => allow(),
        Ok(seen) => block(format!(
            "{} Do not read it; ask the user for what you need from it.",
            reason("the file to read", &seen)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::reply::testing::{answer, mint};
    use crate::agent::{hook, Agent};
    use crate::rules::RuleSet;
    use serde_json::json;

    fn tok() -> String {
        mint("github-personal-access-token")
    }

    fn run(event: Value, tok: &str) -> Reply {
        answer(Agent::Kiro, &event, tok)
    }

    #[test]
    fn a_prompt_or_a_tool_call_holding_a_token_is_blocked_with_exit_2() {
        let t = tok();
        for ev in ["userPromptSubmit", "UserPromptSubmit"] {
            let r = run(
                json!({"hook_event_name": ev, "cwd": "/", "prompt": format!("use {t}")}),
                &t,
            );
            assert_eq!(r.code, 2, "{r:?}");
            assert!(
                r.stderr.contains("github-personal-access-token")
                    && r.stderr.contains("the prompt")
            );
        }
        let r = run(
            json!({"hook_event_name": "preToolUse", "cwd": "/", "tool_name": "execute_bash",
                   "tool_input": {"command": format!("curl -H 'Authorization: {t}' x")}}),
            &t,
        );
        assert_eq!(r.code, 2);
        assert!(r.stderr.contains("tool_input.command"), "{r:?}");
        // Clean events pass with nothing said.
        let ok = run(
            json!({"hook_event_name": "PreToolUse", "cwd": "/", "tool_name": "execute_bash",
                            "tool_input": {"command": "ls"}}),
            &t,
        );
        assert_eq!(
            (ok.code, ok.stdout.as_str(), ok.stderr.as_str()),
            (0, "", "")
        );
    }

    #[test]
    fn a_read_of_a_file_holding_a_token_is_blocked_and_output_is_flagged() {
        let t = tok();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".env"), format!("GH={t}\n")).unwrap();
        std::fs::write(dir.path().join("ok.txt"), "fine\n").unwrap();
        let cwd = dir.path().to_str().unwrap();
        let r = run(
            json!({"hook_event_name": "preToolUse", "cwd": cwd, "tool_name": "fs_read",
                           "tool_input": {"operations": [{"mode": "Line", "path": ".env"}]}}),
            &t,
        );
        assert_eq!(r.code, 2);
        assert!(r.stderr.contains("the file to read"), "{r:?}");
        let r = run(
            json!({"hook_event_name": "PreToolUse", "cwd": cwd, "tool_name": "read",
                           "tool_input": {"path": "ok.txt"}}),
            &t,
        );
        assert_eq!(r.code, 0);
        let r = run(
            json!({"hook_event_name": "postToolUse", "cwd": cwd, "tool_name": "execute_bash",
                           "tool_input": {"command": "env"}, "tool_response": {"stdout": t.clone()}}),
            &t,
        );
        assert_eq!(r.code, 2);
        assert!(r.stderr.contains("cannot replace"), "{r:?}");
    }

    #[test]
    fn what_it_cannot_read_blocks() {
        let t = tok();
        for bad in [
            json!({"cwd": "/"}),
            json!({"hook_event_name": "somethingNew"}),
            json!({"hook_event_name": "preToolUse", "tool_name": "x"}),
        ] {
            assert_eq!(run(bad, &t).code, 2);
        }
        let scanner = Scanner::new(RuleSet::builtin());
        assert_eq!(hook(Agent::Kiro, &scanner, b"not json").code, 2);
        assert_eq!(
            run(json!({"hook_event_name": "agentSpawn", "cwd": "/"}), &t).code,
            0
        );
    }
}
