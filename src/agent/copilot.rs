//! GitHub Copilot CLI's hook protocol (docs.github.com, Copilot CLI hooks
//! reference: `.github/hooks/*.json`, `{"version": 1, "hooks": {EVENT:
//! [{"type": "command", "bash", "timeoutSec"}]}}`). Events carry no event
//! name: the install names it on the command line (`--event`). A prompt
//! (`userPromptSubmitted`, `prompt`) cannot be answered, its output being
//! ignored: burnkey exits 2 and says why on stderr. A tool call
//! (`preToolUse`, `toolName`, `toolArgs`: a JSON string in the CLI, an
//! object in the SDK) holding a token is denied (`permissionDecision:
//! "deny"`); a shell command is rewritten (`modifiedArgs`) to run under
//! `burnkey agent exec`, so its output reaches the model masked, and a
//! read (`view`) of a file holding a token reads a masked copy. After a
//! tool (`postToolUse`, `toolResult.textResultForLlm`) the output cannot
//! be replaced: burnkey blocks and says that the token reached the model.

use serde_json::{json, Value};

use crate::agent::reply::{allow, block_tokens_in, fail_closed, mask_value, reason, say, Reply};
use crate::agent::rewrite;
use crate::scan::Scanner;

/// Copilot CLI's answer to `v`, an event of kind `event`.
pub fn answer(scanner: &Scanner, v: &Value, event: Option<&str>) -> Reply {
    let event = event.or_else(|| infer(v));
    match event {
        Some("userPromptSubmitted") => block_tokens_in(
            scanner,
            v,
            "prompt",
            "the prompt",
            "Copilot CLI takes no answer to a prompt: this hook can only stop it.",
        ),
        Some("preToolUse") => {
            let Some(raw) = v.get("toolArgs") else {
                return fail_closed("a preToolUse event without toolArgs");
            };
            // The CLI writes the arguments as a JSON string.
            let (args, as_string) = match raw {
                Value::String(s) => match serde_json::from_str::<Value>(s) {
                    Ok(a) => (a, true),
                    Err(_) => (raw.clone(), false),
                },
                other => (other.clone(), false),
            };
            let mut seen = Vec::new();
            mask_value(scanner, &args, "toolArgs", &mut seen);
            if !seen.is_empty() {
                return deny(reason("the tool call", &seen));
            }
            let tool = v["toolName"].as_str().unwrap_or("");
            let wrapped = match rewrite::input(scanner, tool, &args, v) {
                Err(why) => return deny(why),
                Ok(w) => w,
            };
            match wrapped {
                Some(w) => say(json!({
                    "permissionDecision": "allow",
                    "modifiedArgs": if as_string { Value::String(w.to_string()) } else { w },
                })),
                None => allow(),
            }
        }
        Some("postToolUse") => block_tokens_in(
            scanner,
            v,
            "toolResult",
            "the tool's output",
            "Copilot CLI cannot replace a tool's output: it has reached the model. Rotate it.",
        ),
        Some("sessionStart" | "sessionEnd" | "errorOccurred" | "agentStop" | "subagentStop") => {
            allow()
        }
        _ => fail_closed("an event burnkey does not know"),
    }
}

/// A tool call denied, `why` shown to the user.
fn deny(why: String) -> Reply {
    say(json!({"permissionDecision": "deny", "permissionDecisionReason": why}))
}

/// The event's kind from its fields, when the command line does not name
/// it.
fn infer(v: &Value) -> Option<&'static str> {
    if v.get("toolResult").is_some() {
        Some("postToolUse")
    } else if v.get("toolArgs").is_some() {
        Some("preToolUse")
    } else if v.get("prompt").is_some() {
        Some("userPromptSubmitted")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;

    const NPM: &str = "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"; // burnkey:allow

    fn run(v: Value, event: Option<&str>) -> Reply {
        let r = answer(&Scanner::new(RuleSet::builtin()), &v, event);
        assert!(
            !r.stdout.contains(&NPM[4..]) && !r.stderr.contains(&NPM[4..]),
            "{r:?}"
        );
        r
    }

    #[test]
    fn tool_args_as_a_json_string_are_denied_or_rewritten_as_a_json_string() {
        let args = json!({"command": format!("npm publish --token {NPM}")}).to_string();
        let r = run(
            json!({"timestamp": 1, "cwd": "/w", "toolName": "bash", "toolArgs": args}),
            Some("preToolUse"),
        );
        let v: Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(v["permissionDecision"], "deny");
        assert!(v["permissionDecisionReason"]
            .as_str()
            .unwrap()
            .contains("npm-access-token npm_…MHLZ (sha256:9c39f503cb9ef69c)"));
        let args = json!({"command": "cat .env"}).to_string();
        let r = run(
            json!({"toolName": "bash", "toolArgs": args}),
            Some("preToolUse"),
        );
        let v: Value = serde_json::from_str(&r.stdout).unwrap();
        let modified: Value = serde_json::from_str(v["modifiedArgs"].as_str().unwrap()).unwrap();
        assert!(modified["command"]
            .as_str()
            .unwrap()
            .ends_with(" agent exec -- 'cat .env'"));
        // Another tool is left alone.
        let r = run(
            json!({"toolName": "view", "toolArgs": {"path": "README.md"}}),
            None,
        );
        assert_eq!((r.code, r.stdout.as_str()), (0, ""));
    }

    #[test]
    fn a_prompt_or_an_output_holding_a_token_blocks_and_says_what_happened() {
        let r = run(json!({"prompt": format!("use {NPM}")}), None);
        assert_eq!(r.code, 2);
        assert!(r.stderr.contains("can only stop it"), "{r:?}");
        let r = run(
            json!({"toolName": "bash", "toolArgs": "{}",
                   "toolResult": {"resultType": "success", "textResultForLlm": NPM}}),
            Some("postToolUse"),
        );
        assert_eq!(r.code, 2);
        assert!(
            r.stderr.contains("has reached the model. Rotate it."),
            "{r:?}"
        );
        let r = run(json!({"something": 1}), None);
        assert_eq!(r.code, 2);
    }
}
