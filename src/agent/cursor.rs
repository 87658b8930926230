//! Cursor's hook protocol (cursor.com/docs/agent/hooks): `.cursor/hooks.json`
//! runs a command per event, camelCase, the event in `hook_event_name`.
//! A prompt (`beforeSubmitPrompt`, `prompt`) is stopped with `{"continue":
//! false, "user_message"}`. Before an action — `preToolUse` (`tool_input`),
//! `beforeShellExecution` (`command`), `beforeMCPExecution` (`tool_input`,
//! a JSON string), `beforeReadFile` (`file_path` and the file's `content`)
//! — `{"permission": "deny", "user_message", "agent_message"}` stops it: a
//! file holding a token is never read into the model's context. After an
//! MCP call (`afterMCPExecution`, `result_json`) the result is replaced by
//! `updated_mcp_tool_output`, masked. After a shell command or another
//! tool, Cursor takes no answer: the output has reached the model already,
//! and burnkey says so on stderr, for Cursor's hook log.

use serde_json::{json, Value};

use crate::agent::reply::{fail_closed, reason, say, tokens_in, Reply};
use crate::scan::Scanner;

/// Cursor's answer to `v`.
pub fn answer(scanner: &Scanner, v: &Value) -> Reply {
    let Some(event) = v["hook_event_name"].as_str() else {
        return fail_closed("the event names no hook_event_name");
    };
    let field = match event {
        "beforeSubmitPrompt" => "prompt",
        "preToolUse" | "beforeMCPExecution" => "tool_input",
        "beforeShellExecution" => "command",
        "beforeReadFile" => "content",
        "afterMCPExecution" => "result_json",
        "afterShellExecution" => "output",
        "postToolUse" => "tool_output",
        "sessionStart" | "sessionEnd" | "stop" | "afterFileEdit" | "afterAgentResponse"
        | "afterAgentThought" | "preCompact" | "subagentStart" | "subagentStop"
        | "postToolUseFailure" => return say(json!({})),
        _ => return fail_closed("an event burnkey does not know"),
    };
    let (masked, seen) = match tokens_in(scanner, v, field, field) {
        Ok(x) => x,
        Err(r) => return r,
    };
    if seen.is_empty() {
        return say(json!({}));
    }
    match event {
        "beforeSubmitPrompt" => {
            say(json!({"continue": false, "user_message": reason("the prompt", &seen)}))
        }
        "beforeReadFile" => say(json!({"permission": "deny"})),
        "afterMCPExecution" => say(json!({"updated_mcp_tool_output": masked})),
        "afterShellExecution" | "postToolUse" => Reply {
            code: 0,
            stdout: "{}".into(),
            stderr: format!(
                "{} Cursor cannot replace this output: it has reached the model; rotate the credential.\n",
                reason("the tool's output", &seen)
            ),
        },
        _ => {
            let why = reason("the tool call", &seen);
            say(json!({"permission": "deny", "user_message": why, "agent_message": why}))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::{hook, Agent};
    use crate::rules::RuleSet;

    fn run(event: Value, tok: &str) -> (Reply, Value) {
        let scanner = Scanner::new(RuleSet::builtin());
        let r = hook(Agent::Cursor, &scanner, event.to_string().as_bytes());
        assert!(
            !r.stdout.contains(&tok[5..]) && !r.stderr.contains(&tok[5..]),
            "{r:?}"
        );
        (
            r.clone(),
            serde_json::from_str(&r.stdout).unwrap_or(Value::Null),
        )
    }

    #[test]
    fn cursor_events_in_their_shapes() {
        let set = RuleSet::builtin();
        let tok = set
            .get("cloudflare-account-api-token")
            .unwrap()
            .format
            .mint()
            .unwrap();
        let run = |e: Value| run(e, &tok);
        let (_, v) = run(json!({"hook_event_name": "beforeSubmitPrompt", "prompt": tok}));
        assert_eq!(v["continue"], false);
        let (_, v) = run(json!({"hook_event_name": "beforeShellExecution",
            "command": format!("wrangler secret put X <<< {tok}"), "cwd": "/w"}));
        assert_eq!(v["permission"], "deny");
        let (_, v) = run(
            json!({"hook_event_name": "beforeReadFile", "file_path": "/w/.env",
            "content": format!("CF={tok}\n")}),
        );
        assert_eq!(v, json!({"permission": "deny"}));
        let (_, v) = run(
            json!({"hook_event_name": "afterMCPExecution", "tool_name": "kv",
            "tool_input": "{}", "result_json": format!("{{\"value\":\"{tok}\"}}")}),
        );
        assert!(v["updated_mcp_tool_output"]
            .as_str()
            .unwrap()
            .contains("cfat_"));
        let (r, _) = run(
            json!({"hook_event_name": "afterShellExecution", "command": "env",
            "output": format!("CF={tok}")}),
        );
        assert!(r.stderr.contains("has reached the model"), "{r:?}");
        let (r, v) =
            run(json!({"hook_event_name": "beforeReadFile", "file_path": "a", "content": "x"}));
        assert_eq!((r.code, v), (0, json!({})));
        let (r, _) = run(json!({"hook_event_name": "beforeTeleport"}));
        assert_eq!(r.code, 2);
    }
}
