//! Mistral Vibe's hook protocol (docs.mistral.ai/vibe/code/cli/hooks:
//! `[[hooks]]` tables in `.vibe/hooks.toml` or `~/.vibe/hooks.toml`, each
//! `name`, `type` (`pre_tool`, `post_tool`, `post_agent`), `match`,
//! `command`, `timeout`, `strict`). The event is JSON on stdin
//! (`hook_event_name`, `tool_name`, qualified as `file_system.bash`,
//! `tool_input`; after a tool `tool_output`, `tool_output_text`,
//! `tool_error`). Before a tool, `{"decision": "deny", "reason"}` stops the
//! call and `{"hook_specific_output": {"tool_input"}}` replaces its input:
//! a call holding a token is denied, a read of a file holding one reads a
//! masked copy, a shell command runs under `burnkey agent exec`. After a
//! tool, a deny replaces what the model sees with the reason: burnkey puts
//! the output there with its tokens masked. `strict = true` (the install
//! sets it) makes a failed or timed-out hook deny, and blank the output.

use serde_json::{json, Value};

use crate::agent::reply::{allow, fail_closed, mask_text, mask_value, reason, say, Reply, Seen};
use crate::agent::rewrite;
use crate::scan::Scanner;

/// Vibe's answer to `v`.
pub fn answer(scanner: &Scanner, v: &Value) -> Reply {
    let Some(event) = v["hook_event_name"].as_str() else {
        return fail_closed("the event names no hook_event_name");
    };
    match event {
        "pre_tool" => pre_tool(scanner, v),
        "post_tool" => post_tool(scanner, v),
        "post_agent" => allow(),
        _ => fail_closed("an event burnkey does not know"),
    }
}

fn deny(why: String) -> Reply {
    say(json!({"decision": "deny", "reason": why}))
}

fn pre_tool(scanner: &Scanner, v: &Value) -> Reply {
    let Some(input) = v.get("tool_input") else {
        return fail_closed("a pre_tool event without tool_input");
    };
    let mut seen = Vec::new();
    mask_value(scanner, input, "tool_input", &mut seen);
    if !seen.is_empty() {
        return deny(reason("the tool call", &seen));
    }
    // Vibe qualifies a tool by its group (`file_system.read_file`).
    let tool = v["tool_name"].as_str().unwrap_or("");
    let leaf = tool.rsplit('.').next().unwrap_or(tool);
    match rewrite::input(scanner, leaf, input, v) {
        Err(why) => deny(why),
        Ok(Some(w)) => say(json!({"hook_specific_output": {"tool_input": w}})),
        Ok(None) => allow(),
    }
}

fn post_tool(scanner: &Scanner, v: &Value) -> Reply {
    let mut seen: Vec<Seen> = Vec::new();
    for field in ["tool_output", "tool_output_text", "tool_error"] {
        mask_value(scanner, &v[field], field, &mut seen);
    }
    if seen.is_empty() {
        return allow();
    }
    // What the model reads instead: the output as Vibe would have shown
    // it, masked, and why.
    let text = match v["tool_output_text"].as_str() {
        Some(t) if !t.is_empty() => mask_text(scanner, t).0,
        _ => {
            let mut again = Vec::new();
            mask_value(scanner, &v["tool_output"], "tool_output", &mut again).to_string()
        }
    };
    deny(format!(
        "{text}\n\n[{} It was masked above; the tool's output is otherwise as it was.]",
        reason("the tool's output", &seen)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::reply::testing::{answer, mint};
    use crate::agent::Agent;

    fn tok() -> String {
        mint("npm-access-token")
    }

    fn run(event: Value, tok: &str) -> (Reply, Value) {
        let r = answer(Agent::Vibe, &event, tok);
        let v = serde_json::from_str(&r.stdout).unwrap_or(Value::Null);
        (r, v)
    }

    #[test]
    fn a_tool_call_holding_a_token_is_denied() {
        let t = tok();
        let (r, v) = run(
            json!({"hook_event_name": "pre_tool", "cwd": "/", "tool_name": "file_system.write_file",
                                "tool_call_id": "c1", "tool_input": {"path": "a", "content": format!("t={t}")}}),
            &t,
        );
        assert_eq!(r.code, 0);
        assert_eq!(v["decision"], "deny");
        assert!(
            v["reason"].as_str().unwrap().contains("tool_input.content"),
            "{v}"
        );
    }

    #[test]
    fn a_shell_command_is_rewritten_and_a_read_of_a_token_file_reads_a_masked_copy() {
        let t = tok();
        let (_, v) = run(
            json!({"hook_event_name": "pre_tool", "cwd": "/", "tool_name": "bash",
                                "tool_input": {"command": "cat .npmrc", "timeout": 30}}),
            &t,
        );
        let cmd = v["hook_specific_output"]["tool_input"]["command"]
            .as_str()
            .unwrap_or("");
        assert!(
            cmd.contains(" agent exec -- ") && cmd.ends_with("'cat .npmrc'"),
            "{v}"
        );
        assert_eq!(v["hook_specific_output"]["tool_input"]["timeout"], 30);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".npmrc"), format!("_authToken={t}\n")).unwrap();
        let (_, v) = run(
            json!({"hook_event_name": "pre_tool", "cwd": dir.path(), "tool_name": "file_system.read_file",
                                "tool_input": {"path": ".npmrc"}}),
            &t,
        );
        let copy = v["hook_specific_output"]["tool_input"]["path"]
            .as_str()
            .unwrap_or_else(|| panic!("{v}"));
        let masked = std::fs::read_to_string(copy).unwrap();
        assert!(
            masked.starts_with("_authToken=npm_") && !masked.contains(&t),
            "{masked}"
        );
        // A clean call passes unchanged, nothing said.
        let (r, _) = run(
            json!({"hook_event_name": "pre_tool", "cwd": "/", "tool_name": "grep", "tool_input": {"pattern": "x"}}),
            &t,
        );
        assert_eq!((r.code, r.stdout.as_str()), (0, ""));
    }

    #[test]
    fn an_output_holding_a_token_is_given_back_masked() {
        let t = tok();
        let (r, v) = run(
            json!({"hook_event_name": "post_tool", "cwd": "/", "tool_name": "bash",
                                "tool_input": {"command": "env"}, "tool_status": "success",
                                "tool_output": {"stdout": format!("A=1\nNPM={t}\nB=2\n"), "returncode": 0},
                                "tool_output_text": format!("stdout: A=1\nNPM={t}\nB=2\n"), "tool_error": null}),
            &t,
        );
        assert_eq!(r.code, 0);
        assert_eq!(v["decision"], "deny");
        let reason = v["reason"].as_str().unwrap();
        assert!(
            reason.starts_with("stdout: A=1\nNPM=npm_") && reason.contains("\nB=2\n"),
            "{reason}"
        );
        assert!(reason.contains("tool_output.stdout"), "{reason}");
        let (r, _) = run(
            json!({"hook_event_name": "post_tool", "tool_output_text": "fine", "tool_output": null}),
            &t,
        );
        assert_eq!((r.code, r.stdout.as_str()), (0, ""));
        assert_eq!(run(json!({"hook_event_name": "pre_tool"}), &t).0.code, 2);
        assert_eq!(run(json!({"hook_event_name": "post_agent"}), &t).0.code, 0);
    }
}
