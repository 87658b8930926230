//! Windsurf Cascade's hook protocol (docs.windsurf.com/windsurf/cascade/hooks:
//! `hooks.json` at system, user `~/.codeium/windsurf/` and workspace
//! `.windsurf/` level, `{"hooks": {EVENT: [{"command", "show_output"}]}}`).
//! The event is JSON on stdin: `agent_action_name`, and what the action
//! holds in `tool_info` (`user_prompt`, `command_line`, `file_path`,
//! `edits`, `mcp_tool_arguments`). Only a pre-hook's exit 2 blocks, stderr
//! shown to Cascade; there is no answer to write and no output to
//! replace. Every string in `tool_info` is scanned (the fields differ by
//! action and by release); a read (`pre_read_code`, which carries the path
//! only) is checked by reading the file as Cascade would.

use serde_json::Value;

use crate::agent::kiro::block_token_files;
use crate::agent::reply::{allow, block_tokens_in, fail_closed, Reply};
use crate::scan::Scanner;

/// Windsurf's answer to `v`.
pub fn answer(scanner: &Scanner, v: &Value) -> Reply {
    let Some(event) = v["agent_action_name"].as_str() else {
        return fail_closed("the event names no agent_action_name");
    };
    let what = match event {
        "pre_user_prompt" => "the prompt",
        "pre_run_command" => "the command",
        "pre_mcp_tool_use" => "the MCP tool call",
        "pre_write_code" => "the code to write",
        "pre_read_code" => "the file to read",
        e if e.starts_with("post_") || e == "session_start" || e == "session_end" => {
            return allow()
        }
        _ => return fail_closed("an event burnkey does not know"),
    };
    let r = block_tokens_in(scanner, v, "tool_info", what, "");
    if r.code != 0 || event != "pre_read_code" {
        return r;
    }
    let Some(path) = v["tool_info"]["file_path"].as_str() else {
        return fail_closed("a pre_read_code event without tool_info.file_path");
    };
    // A folder (Cascade reads some recursively) is left to the reads of its
    // files, which come through this hook one by one.
    block_token_files(scanner, &[path], None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::reply::testing::{answer, mint};
    use crate::agent::Agent;
    use serde_json::json;

    fn tok() -> String {
        mint("npm-access-token")
    }

    fn run(event: Value, tok: &str) -> Reply {
        let r = answer(Agent::Windsurf, &event, tok);
        assert!(r.stdout.is_empty(), "Windsurf reads no answer: {r:?}");
        r
    }

    fn ev(name: &str, info: Value) -> Value {
        json!({"agent_action_name": name, "trajectory_id": "t", "execution_id": "e",
               "timestamp": "2026-12-07T00:00:00Z", "tool_info": info})
    }

    #[test]
    fn every_pre_action_holding_a_token_is_blocked_with_exit_2() {
        let t = tok();
        for (name, info, field) in [
            (
                "pre_user_prompt",
                json!({"user_prompt": format!("deploy with {t}")}),
                "tool_info.user_prompt",
            ),
            (
                "pre_run_command",
                json!({"command_line": format!("npm publish --token {t}"), "cwd": "/w"}),
                "tool_info.command_line",
            ),
            (
                "pre_mcp_tool_use",
                json!({"mcp_server_name": "gh", "mcp_tool_name": "create_issue",
                                         "mcp_tool_arguments": {"body": t.clone()}}),
                "tool_info.mcp_tool_arguments.body",
            ),
            (
                "pre_write_code",
                json!({"file_path": "/w/a.js", "edits": [{"old_string": "", "new_string": t.clone()}]}),
                "tool_info.edits[0].new_string",
            ),
        ] {
            let r = run(ev(name, info), &t);
            assert_eq!(r.code, 2, "{name}: {r:?}");
            assert!(
                r.stderr.contains("npm-access-token") && r.stderr.contains(field),
                "{name}: {r:?}"
            );
        }
        let clean = run(
            ev("pre_run_command", json!({"command_line": "ls", "cwd": "/"})),
            &t,
        );
        assert_eq!((clean.code, clean.stderr.as_str()), (0, ""));
    }

    #[test]
    fn a_read_is_checked_by_reading_the_file() {
        let t = tok();
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join(".npmrc");
        std::fs::write(&secret, format!("//registry.npmjs.org/:_authToken={t}\n")).unwrap();
        let r = run(ev("pre_read_code", json!({"file_path": secret})), &t);
        assert_eq!(r.code, 2);
        assert!(r.stderr.contains("the file to read"), "{r:?}");
        // A clean file and a folder are read.
        std::fs::write(dir.path().join("a.txt"), "fine").unwrap();
        for p in [dir.path().join("a.txt"), dir.path().to_path_buf()] {
            assert_eq!(
                run(ev("pre_read_code", json!({"file_path": p})), &t).code,
                0
            );
        }
        // Post actions cannot block: nothing to say.
        assert_eq!(
            run(
                ev("post_run_command", json!({"command_line": t.clone()})),
                &t
            )
            .code,
            0
        );
        assert_eq!(run(ev("pre_read_code", json!({})), &t).code, 2);
        assert_eq!(run(json!({"tool_info": {}}), &t).code, 2);
    }
}
