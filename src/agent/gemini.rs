//! Gemini CLI's hook protocol (geminicli.com/docs/hooks/reference;
//! google-gemini/gemini-cli, docs/hooks/reference.md): the event names
//! itself in `hook_event_name`; exit 0 with JSON on stdout, nothing else
//! on it. A prompt (`BeforeAgent`, `prompt`) is blocked with `decision:
//! "deny"`, which also keeps it out of the history; a tool call
//! (`BeforeTool`, `tool_input`) is denied alike, and a read of a file
//! holding one (`read_file`) rewritten (`hookSpecificOutput.tool_input`)
//! to read a masked copy; after a tool (`AfterTool`,
//! `tool_response.llmContent`), `decision: "deny"` makes `reason` the tool
//! result the model gets: burnkey gives the result with its tokens masked.

use serde_json::{json, Value};

use crate::agent::reply::{fail_closed, reason, say, tokens_in, Reply};
use crate::scan::Scanner;

/// Gemini parses stdout as JSON: an empty object lets it go on.
fn allow() -> Reply {
    say(json!({}))
}

/// Denied, with `why` sent to the agent.
fn deny(why: String) -> Reply {
    say(json!({"decision": "deny", "reason": why}))
}

/// Gemini CLI's answer to `v`.
pub fn answer(scanner: &Scanner, v: &Value) -> Reply {
    let Some(event) = v["hook_event_name"].as_str() else {
        return fail_closed("the event names no hook_event_name");
    };
    let (field, what) = match event {
        "BeforeAgent" => ("prompt", "the prompt"),
        "BeforeTool" => ("tool_input", "the tool call"),
        "AfterTool" => ("tool_response", "the tool's output"),
        "SessionStart"
        | "SessionEnd"
        | "AfterAgent"
        | "BeforeModel"
        | "AfterModel"
        | "BeforeToolSelection"
        | "Notification"
        | "PreCompress" => return allow(),
        _ => return fail_closed("an event burnkey does not know"),
    };
    let (masked, seen) = match tokens_in(scanner, v, field, field) {
        Ok(x) => x,
        Err(r) => return r,
    };
    if seen.is_empty() && event == "BeforeTool" {
        // A read of a file holding a token reads a masked copy instead.
        let tool = v["tool_name"].as_str().unwrap_or("");
        return match crate::agent::file_read::rewrite(scanner, tool, &v["tool_input"], v) {
            Ok(None) => allow(),
            Ok(Some((input, _))) => say(json!({"hookSpecificOutput": {
                "hookEventName": "BeforeTool",
                "tool_input": input,
            }})),
            Err(why) => deny(why),
        };
    }
    if seen.is_empty() {
        return allow();
    }
    if event != "AfterTool" {
        return deny(reason(what, &seen));
    }
    // The result the model gets: the same content, masked.
    let content = match &masked["llmContent"] {
        Value::String(s) => s.clone(),
        Value::Null => masked.to_string(),
        other => other.to_string(),
    };
    deny(format!(
        "{content}\n[burnkey: {} credential(s) masked in this output; rotate any that was real]",
        seen.len()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::{hook, Agent};
    use crate::rules::RuleSet;

    fn ghp() -> String {
        let set = RuleSet::builtin();
        set.get("github-personal-access-token")
            .unwrap()
            .format
            .mint()
            .unwrap()
    }

    fn run(event: Value, tok: &str) -> (Reply, Value) {
        let scanner = Scanner::new(RuleSet::builtin());
        let r = hook(Agent::Gemini, &scanner, event.to_string().as_bytes());
        assert!(
            !r.stdout.contains(&tok[4..]) && !r.stderr.contains(&tok[4..]),
            "{r:?}"
        );
        (
            r.clone(),
            serde_json::from_str(&r.stdout).unwrap_or(Value::Null),
        )
    }

    #[test]
    fn prompt_tool_and_output_in_geminis_shape() {
        let tok = ghp();
        let run = |e: Value| run(e, &tok);
        let (r, v) = run(json!({"hook_event_name": "BeforeAgent", "prompt": format!("use {tok}")}));
        assert_eq!((r.code, v["decision"].as_str()), (0, Some("deny")), "{r:?}");
        let (_, v) = run(
            json!({"hook_event_name": "BeforeTool", "tool_name": "run_shell_command",
            "tool_input": {"command": format!("gh auth login --with-token <<< {tok}")}}),
        );
        assert_eq!(v["decision"], "deny");
        let (_, v) = run(
            json!({"hook_event_name": "AfterTool", "tool_name": "read_file",
            "tool_input": {"absolute_path": "/w/.env"},
            "tool_response": {"llmContent": format!("A=1\nGH={tok}\nB=2\n"), "returnDisplay": "read"}}),
        );
        let text = v["reason"].as_str().unwrap();
        assert!(
            text.starts_with("A=1\nGH=ghp_") && text.contains("\nB=2\n"),
            "{text}"
        );
        // Clean events: an empty object, as Gemini parses stdout.
        let (r, _) =
            run(json!({"hook_event_name": "AfterTool", "tool_response": {"llmContent": "ok"}}));
        assert_eq!((r.code, r.stdout.as_str()), (0, "{}"));
        let (r, _) = run(json!({"hook_event_name": "Teleport"}));
        assert_eq!(r.code, 2);
    }
}
