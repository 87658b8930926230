//! `burnkey agent hook`, run as Claude Code runs it (code.claude.com/docs/en/hooks:
//! the event as JSON on stdin; exit 0 with a JSON answer on stdout, or exit
//! 2 to block), against the installed binary. Work in progress (#29):
//! Claude Code's protocol.

use serde_json::{json, Value};

use crate::common::*;

fn hook(event: &str) -> (i32, String, String) {
    let o = bin()
        .args(["agent", "hook", "--agent", "claude-code"])
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
    assert!(v["reason"].as_str().unwrap().contains(&tok[..9]));
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
