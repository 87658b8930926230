//! JetBrains Junie CLI's hooks (junie.jetbrains.com/docs/junie-cli-hooks:
//! a `hooks` object in the user's `~/.junie/config.json`, Claude Code's
//! shape, `{EVENT: [{"matcher", "hooks": [{"type": "command", "command",
//! "timeout"}]}]}`; a project's own config is ignored for hooks, so that
//! a repository cannot run commands). The event is JSON on stdin, in the
//! form Codex and Gemini CLI write (`hook_event_name`, `prompt`,
//! `tool_name`, `tool_input`). Junie has no hook after a tool, and its
//! JSON answers are not documented: burnkey blocks with exit 2, the reason
//! on stderr, which every Claude-style agent takes. A read of a file
//! holding a token is blocked too.

use serde_json::Value;

use crate::agent::kiro::pre_tool;
use crate::agent::reply::{allow, block_tokens_in, fail_closed, Reply};
use crate::scan::Scanner;

/// Junie's answer to `v`.
pub fn answer(scanner: &Scanner, v: &Value) -> Reply {
    let Some(event) = v["hook_event_name"].as_str() else {
        return fail_closed("the event names no hook_event_name");
    };
    match event {
        "UserPromptSubmit" => block_tokens_in(scanner, v, "prompt", "the prompt", ""),
        "PreToolUse" => pre_tool(scanner, v),
        "SessionStart" | "SessionEnd" | "Stop" => allow(),
        _ => fail_closed("an event burnkey does not know"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::{hook, Agent};
    use crate::rules::RuleSet;
    use serde_json::json;

    #[test]
    fn prompts_tool_calls_and_reads_holding_a_token_are_blocked_with_exit_2() {
        let scanner = Scanner::new(RuleSet::builtin());
        let t = RuleSet::builtin()
            .get("github-personal-access-token")
            .unwrap()
            .format
            .mint()
            .unwrap();
        let run = |v: Value| {
            let r = hook(Agent::Junie, &scanner, v.to_string().as_bytes());
            assert!(
                !r.stderr.contains(&t[t.len() - 12..]) && r.stdout.is_empty(),
                "{r:?}"
            );
            r
        };
        let r = run(
            json!({"hook_event_name": "UserPromptSubmit", "session_id": "s", "prompt": format!("key {t}")}),
        );
        assert_eq!(r.code, 2);
        assert!(
            r.stderr.contains("github-personal-access-token") && r.stderr.contains("the prompt"),
            "{r:?}"
        );
        let r = run(
            json!({"hook_event_name": "PreToolUse", "tool_name": "bash", "tool_input": {"command": format!("export K={t}")}}),
        );
        assert_eq!(r.code, 2);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("k.env"), format!("K={t}\n")).unwrap();
        let r = run(
            json!({"hook_event_name": "PreToolUse", "cwd": dir.path(), "tool_name": "read_file", "tool_input": {"path": "k.env"}}),
        );
        assert_eq!(r.code, 2, "{r:?}");
        let ok = run(
            json!({"hook_event_name": "PreToolUse", "tool_name": "bash", "tool_input": {"command": "ls"}}),
        );
        assert_eq!((ok.code, ok.stderr.as_str()), (0, ""));
        assert_eq!(
            run(json!({"hook_event_name": "SessionStart", "source": "startup"})).code,
            0
        );
        assert_eq!(run(json!({"hook_event_name": "PostToolUse"})).code, 2);
        assert_eq!(run(json!({"hook_event_name": "PreToolUse"})).code, 2);
    }
}
