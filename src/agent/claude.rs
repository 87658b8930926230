//! Claude Code's hook protocol (code.claude.com/docs/en/hooks): the event
//! names itself in `hook_event_name`; a prompt (`UserPromptSubmit`,
//! `prompt`) is blocked with `{"decision": "block", "reason"}`; a tool
//! call (`PreToolUse`, `tool_name`, `tool_input`) is denied with
//! `hookSpecificOutput.permissionDecision: "deny"`; a tool's output
//! (`PostToolUse`, `tool_response`) is replaced with
//! `hookSpecificOutput.updatedToolOutput` (`updatedMCPToolOutput` for an
//! MCP tool, `mcp__server__tool`), the same value with the tokens masked.

use serde_json::{json, Value};

use crate::agent::reply::{allow, fail_closed, reason, say, tokens_in, Reply};
use crate::scan::Scanner;

/// A prompt (`UserPromptSubmit`) holding a token: blocked (Claude Code's
/// shape, which Codex shares).
pub(crate) fn prompt(scanner: &Scanner, v: &Value) -> Reply {
    let (_, seen) = match tokens_in(scanner, v, "prompt", "the prompt") {
        Ok(x) => x,
        Err(r) => return r,
    };
    match seen.is_empty() {
        true => allow(),
        false => say(json!({"decision": "block", "reason": reason("the prompt", &seen)})),
    }
}

/// A tool call (`PreToolUse`) whose input holds a token: denied.
pub(crate) fn pre_tool(scanner: &Scanner, v: &Value) -> Reply {
    let (_, seen) = match tokens_in(scanner, v, "tool_input", "tool_input") {
        Ok(x) => x,
        Err(r) => return r,
    };
    if !seen.is_empty() {
        return deny(reason("the tool call", &seen));
    }
    // A read of a file holding a token reads a masked copy instead.
    let tool = v["tool_name"].as_str().unwrap_or("");
    match crate::agent::file_read::rewrite(scanner, tool, &v["tool_input"], v) {
        Ok(None) => allow(),
        Ok(Some((updated, seen))) => say(json!({"hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": "allow",
            "permissionDecisionReason": format!(
                "{} It reads a copy with the credentials masked.",
                reason("the file to read", &seen)
            ),
            "updatedInput": updated,
        }})),
        Err(why) => deny(why),
    }
}

/// A tool call denied, `why` shown to the model (Claude Code's shape, which
/// Codex and VS Code share).
pub(crate) fn deny(why: String) -> Reply {
    say(json!({"hookSpecificOutput": {
        "hookEventName": "PreToolUse",
        "permissionDecision": "deny",
        "permissionDecisionReason": why,
    }}))
}

/// Whether the event's tool is an MCP server's (`mcp__server__tool`).
pub(crate) fn is_mcp(v: &Value) -> bool {
    v["tool_name"]
        .as_str()
        .is_some_and(|t| t.starts_with("mcp__"))
}

/// Claude Code's answer to `v`.
pub fn answer(scanner: &Scanner, v: &Value) -> Reply {
    let Some(event) = v["hook_event_name"].as_str() else {
        return fail_closed("the event names no hook_event_name");
    };
    match event {
        "UserPromptSubmit" => prompt(scanner, v),
        "PreToolUse" => pre_tool(scanner, v),
        "PostToolUse" => {
            let (masked, seen) = match tokens_in(scanner, v, "tool_response", "tool_response") {
                Ok(x) => x,
                Err(r) => return r,
            };
            if seen.is_empty() {
                return allow();
            }
            let key = if is_mcp(v) {
                "updatedMCPToolOutput"
            } else {
                "updatedToolOutput"
            };
            say(json!({"hookSpecificOutput": {
                "hookEventName": "PostToolUse",
                key: masked,
                "additionalContext": reason("the tool's output", &seen),
            }}))
        }
        // Events burnkey is not installed for pass; an unknown one is
        // answered as none would be.
        "SessionStart" | "SessionEnd" | "Stop" | "SubagentStop" | "Notification" | "PreCompact" => {
            allow()
        }
        _ => fail_closed("an event burnkey does not know"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::{hook, Agent};
    use crate::rules::RuleSet;

    const CFUT: &str = "cfut_yGWmZQhXQCaSBLdVLIIN8nVy40xdnxVZmwkycbF1325c4830"; // burnkey:allow

    fn run(event: Value) -> Reply {
        let scanner = Scanner::new(RuleSet::builtin());
        hook(Agent::ClaudeCode, &scanner, event.to_string().as_bytes())
    }

    fn no_token(r: &Reply) {
        assert!(
            !r.stdout.contains(&CFUT[5..]) && !r.stderr.contains(&CFUT[5..]),
            "{r:?}"
        );
    }

    #[test]
    fn a_prompt_with_a_token_is_blocked_and_named_without_it() {
        let r = run(
            json!({"hook_event_name": "UserPromptSubmit", "session_id": "s",
            "prompt": format!("deploy with {CFUT} please")}),
        );
        let v: Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(
            (r.code, v["decision"].as_str()),
            (0, Some("block")),
            "{r:?}"
        );
        assert!(v["reason"].as_str().unwrap().contains(
            "cloudflare-user-api-token cfut_…4830 (sha256:24e0ae3c14c18d8c) in the prompt"
        ));
        no_token(&r);
        let clean = run(json!({"hook_event_name": "UserPromptSubmit", "prompt": "hello"}));
        assert_eq!(
            clean,
            Reply {
                code: 0,
                stdout: String::new(),
                stderr: String::new()
            }
        );
    }

    #[test]
    fn a_tool_call_with_a_token_is_denied() {
        let r = run(json!({"hook_event_name": "PreToolUse", "tool_name": "Bash",
            "tool_input": {"command": format!("curl -H 'Authorization: Bearer {CFUT}' x")}}));
        let v: Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(
            v["hookSpecificOutput"]["permissionDecision"], "deny",
            "{r:?}"
        );
        assert!(v["hookSpecificOutput"]["permissionDecisionReason"]
            .as_str()
            .unwrap()
            .contains("tool_input.command"));
        no_token(&r);
    }

    #[test]
    fn a_tool_output_comes_back_masked_in_its_own_shape() {
        let out =
            json!({"stdout": format!("TOKEN={CFUT}\nok\n"), "stderr": "", "interrupted": false});
        let r = run(
            json!({"hook_event_name": "PostToolUse", "tool_name": "Bash",
            "tool_input": {"command": "cat .env"}, "tool_response": out}),
        );
        let v: Value = serde_json::from_str(&r.stdout).unwrap();
        let o = &v["hookSpecificOutput"]["updatedToolOutput"];
        assert_eq!(o["interrupted"], false);
        assert!(
            o["stdout"].as_str().unwrap().starts_with("TOKEN=cfut_"),
            "{o}"
        );
        assert!(o["stdout"].as_str().unwrap().ends_with("\nok\n"), "{o}");
        no_token(&r);
        let mcp = run(
            json!({"hook_event_name": "PostToolUse", "tool_name": "mcp__db__query",
            "tool_response": [{"type": "text", "text": CFUT}]}),
        );
        let v: Value = serde_json::from_str(&mcp.stdout).unwrap();
        assert!(
            v["hookSpecificOutput"]["updatedMCPToolOutput"].is_array(),
            "{v}"
        );
        no_token(&mcp);
    }

    #[test]
    fn garbage_and_unknown_events_block() {
        let scanner = Scanner::new(RuleSet::builtin());
        for bad in [
            &b"not json"[..],
            b"{}",
            br#"{"hook_event_name": "Teleport"}"#,
            br#"{"hook_event_name": "PreToolUse"}"#,
        ] {
            let r = hook(Agent::ClaudeCode, &scanner, bad);
            assert_eq!(r.code, 2, "{}", String::from_utf8_lossy(bad));
            assert!(r.stderr.contains("blocked"));
        }
    }
}
