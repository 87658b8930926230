//! Codex CLI's hook protocol (developers.openai.com/codex/hooks): Claude
//! Code's event shape and its answers to a prompt and a tool call; a shell
//! command is rewritten (`updatedInput`) to run under `burnkey agent
//! exec`, which masks its output at the source. After a
//! tool, Codex takes a replacement only of an MCP tool's output
//! (`hookSpecificOutput.updatedMCPToolOutput`); for any other tool a
//! `decision: "block"` puts its reason where the output would have been in
//! what the model sees (the terminal has shown the output already). Codex
//! refuses an answer with a field its schema lacks, and fails open then:
//! only the schema's fields are written.

use serde_json::{json, Value};

use crate::agent::claude::{is_mcp, pre_tool, prompt};
use crate::agent::reply::{allow, fail_closed, reason, say, tokens_in, Reply};
use crate::agent::shell;
use crate::scan::Scanner;

/// Codex's answer to `v`.
pub fn answer(scanner: &Scanner, v: &Value) -> Reply {
    let Some(event) = v["hook_event_name"].as_str() else {
        return fail_closed("the event names no hook_event_name");
    };
    match event {
        "UserPromptSubmit" => prompt(scanner, v),
        "PreToolUse" => {
            let r = pre_tool(scanner, v);
            if !r.stdout.is_empty() || r.code != 0 {
                return r;
            }
            // A shell command runs under `burnkey agent exec`: Codex cannot
            // replace its output, so the output is masked at the source.
            // Only the schema's fields: Codex fails open on others.
            let tool = v["tool_name"].as_str().unwrap_or("");
            let wrapped = shell::is_shell(tool)
                .then(shell::current_burnkey)
                .flatten()
                .and_then(|b| shell::wrap_input(&v["tool_input"], &b));
            match wrapped {
                Some(w) => say(json!({"hookSpecificOutput": {
                    "hookEventName": "PreToolUse",
                    "permissionDecision": "allow",
                    "updatedInput": w,
                }})),
                None => r,
            }
        }
        "PostToolUse" => {
            let (masked, seen) = match tokens_in(scanner, v, "tool_response", "tool_response") {
                Ok(x) => x,
                Err(r) => return r,
            };
            if seen.is_empty() {
                return allow();
            }
            match is_mcp(v) {
                true => say(json!({"hookSpecificOutput": {
                    "hookEventName": "PostToolUse",
                    "updatedMCPToolOutput": masked,
                }})),
                false => say(json!({
                    "decision": "block",
                    "reason": format!(
                        "{} The output was kept from the model; it showed in the terminal.",
                        reason("the tool's output", &seen)
                    ),
                })),
            }
        }
        "SessionStart" | "Stop" => allow(),
        _ => fail_closed("an event burnkey does not know"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::{hook, Agent};
    use crate::rules::RuleSet;

    const NPM: &str = "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"; // burnkey:allow

    fn run(event: Value) -> (Reply, Value) {
        let scanner = Scanner::new(RuleSet::builtin());
        let r = hook(Agent::Codex, &scanner, event.to_string().as_bytes());
        assert!(
            !r.stdout.contains(&NPM[4..]) && !r.stderr.contains(&NPM[4..]),
            "{r:?}"
        );
        let v = serde_json::from_str(&r.stdout).unwrap_or(Value::Null);
        (r, v)
    }

    #[test]
    fn a_shell_output_is_kept_from_the_model_and_an_mcp_output_masked() {
        let (r, v) = run(
            json!({"hook_event_name": "PostToolUse", "tool_name": "Bash",
            "tool_input": {"command": "cat ~/.npmrc"},
            "tool_response": format!("//registry.npmjs.org/:_authToken={NPM}\n")}),
        );
        assert_eq!(
            (r.code, v["decision"].as_str()),
            (0, Some("block")),
            "{r:?}"
        );
        assert!(v["reason"]
            .as_str()
            .unwrap()
            .contains("npm-access-token npm_…MHLZ (sha256:9c39f503cb9ef69c)"));
        // Only the fields Codex's schema has.
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["decision", "reason"]);
        let (_, v) = run(
            json!({"hook_event_name": "PostToolUse", "tool_name": "mcp__vault__read",
            "tool_response": {"content": [{"type": "text", "text": NPM}]}}),
        );
        let out = &v["hookSpecificOutput"];
        assert_eq!(out["hookEventName"], "PostToolUse");
        assert!(out["updatedMCPToolOutput"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("npm_"));
        let (_, v) = run(json!({"hook_event_name": "UserPromptSubmit", "prompt": NPM}));
        assert_eq!(v["decision"], "block");
    }
}
