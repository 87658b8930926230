//! VS Code's agent hook protocol (code.visualstudio.com/docs/agents/
//! reference/hooks-reference: `.github/hooks/*.json`, `{"hooks": {EVENT:
//! [{"type": "command", "command", "timeout"}]}}`): Claude Code's event
//! shape (`hook_event_name`, `tool_name`, `tool_input`, `tool_response`).
//! A prompt holding a token is stopped with exit 2; a tool call holding one
//! is denied (`hookSpecificOutput.permissionDecision: "deny"`); a terminal
//! command (`run_in_terminal`) is rewritten (`updatedInput`) to run under
//! `burnkey agent exec`, so its output reaches the model masked, and a
//! read of a file holding a token reads a masked copy. A tool's
//! output cannot be replaced: burnkey blocks (exit 2) and says that the
//! token reached the model.

use serde_json::{json, Value};

use crate::agent::claude::deny;
use crate::agent::reply::{allow, block_tokens_in, fail_closed, reason, say, tokens_in, Reply};
use crate::agent::rewrite;
use crate::scan::Scanner;

/// VS Code's answer to `v`.
pub fn answer(scanner: &Scanner, v: &Value) -> Reply {
    let Some(event) = v["hook_event_name"].as_str() else {
        return fail_closed("the event names no hook_event_name");
    };
    match event {
        "UserPromptSubmit" => block_tokens_in(scanner, v, "prompt", "the prompt", ""),
        "PreToolUse" => {
            let (_, seen) = match tokens_in(scanner, v, "tool_input", "tool_input") {
                Ok(x) => x,
                Err(r) => return r,
            };
            if !seen.is_empty() {
                return deny(reason("the tool call", &seen));
            }
            let tool = v["tool_name"].as_str().unwrap_or("");
            let wrapped = match rewrite::input(scanner, tool, &v["tool_input"], v) {
                Err(why) => return deny(why),
                Ok(w) => w,
            };
            match wrapped {
                Some(w) => say(json!({"hookSpecificOutput": {
                    "hookEventName": "PreToolUse",
                    "permissionDecision": "allow",
                    "updatedInput": w,
                }})),
                None => allow(),
            }
        }
        "PostToolUse" => block_tokens_in(
            scanner,
            v,
            "tool_response",
            "the tool's output",
            "VS Code cannot replace a tool's output: it has reached the model. Rotate it.",
        ),
        "SessionStart" | "Stop" | "SubagentStart" | "SubagentStop" | "PreCompact" => allow(),
        _ => fail_closed("an event burnkey does not know"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;

    const NPM: &str = "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"; // burnkey:allow

    fn run(v: Value) -> Reply {
        let r = answer(&Scanner::new(RuleSet::builtin()), &v);
        assert!(
            !r.stdout.contains(&NPM[4..]) && !r.stderr.contains(&NPM[4..]),
            "{r:?}"
        );
        r
    }

    #[test]
    fn a_terminal_command_is_rewritten_and_one_holding_a_token_denied() {
        let r = run(
            json!({"hook_event_name": "PreToolUse", "tool_name": "run_in_terminal",
            "tool_input": {"command": "env", "isBackground": false}, "tool_use_id": "t1"}),
        );
        let v: Value = serde_json::from_str(&r.stdout).unwrap();
        let o = &v["hookSpecificOutput"];
        assert!(o["updatedInput"]["command"]
            .as_str()
            .unwrap()
            .ends_with(" agent exec -- 'env'"));
        assert_eq!(o["updatedInput"]["isBackground"], false);
        let r = run(
            json!({"hook_event_name": "PreToolUse", "tool_name": "run_in_terminal",
            "tool_input": {"command": format!("curl -H 'npm: {NPM}' x")}}),
        );
        let v: Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(v["hookSpecificOutput"]["permissionDecision"], "deny");
        let r = run(
            json!({"hook_event_name": "PostToolUse", "tool_name": "readFile",
            "tool_input": {}, "tool_response": format!("token={NPM}")}),
        );
        assert_eq!(r.code, 2);
        assert!(r.stderr.contains("it has reached the model"), "{r:?}");
        let r = run(json!({"hook_event_name": "Bogus"}));
        assert_eq!(r.code, 2);
    }
}
