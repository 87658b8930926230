//! `burnkey agent doctor`: runs each installed hook as its agent would,
//! with a synthesized prompt carrying a canary token (minted for the
//! purpose, and said to be one), and checks that the answer blocks it in
//! that agent's form without echoing it. A hook that does not run (a moved
//! binary: the shell's 127), that answers nothing, or that lets the canary
//! through is an agent letting every credential through.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Instant;

use serde_json::{json, Value};

use crate::agent::Agent;

/// The event burnkey's prompt hook gets in `agent`, and the prompt event
/// holding `canary` (for Mistral Vibe, which has no prompt hook, a shell
/// tool call).
pub fn prompt_event(agent: Agent, canary: &str) -> (&'static str, Value) {
    let prompt =
        format!("burnkey agent doctor canary, minted for this check and never issued: {canary}");
    match agent {
        Agent::ClaudeCode | Agent::Codex | Agent::VsCode => (
            "UserPromptSubmit",
            json!({"hook_event_name": "UserPromptSubmit", "session_id": "burnkey-doctor", "cwd": "/", "prompt": prompt}),
        ),
        Agent::Gemini => (
            "BeforeAgent",
            json!({"hook_event_name": "BeforeAgent", "session_id": "burnkey-doctor", "prompt": prompt}),
        ),
        Agent::Cursor => (
            "beforeSubmitPrompt",
            json!({"hook_event_name": "beforeSubmitPrompt", "conversation_id": "burnkey-doctor", "prompt": prompt}),
        ),
        Agent::CopilotCli => (
            "userPromptSubmitted",
            json!({"timestamp": 0, "cwd": "/", "prompt": prompt}),
        ),
        Agent::Kiro | Agent::Junie => (
            "UserPromptSubmit",
            json!({"hook_event_name": "UserPromptSubmit", "cwd": "/", "session_id": "burnkey-doctor", "prompt": prompt}),
        ),
        Agent::Windsurf => (
            "pre_user_prompt",
            json!({"agent_action_name": "pre_user_prompt", "trajectory_id": "burnkey-doctor",
                   "execution_id": "burnkey-doctor", "tool_info": {"user_prompt": prompt}}),
        ),
        Agent::Vibe => (
            "pre_tool",
            json!({"hook_event_name": "pre_tool", "cwd": "/", "tool_name": "bash",
                   "tool_call_id": "burnkey-doctor", "tool_input": {"command": format!("echo '{prompt}'")}}),
        ),
    }
}

/// Whether `agent` takes (`code`, `stdout`) as a block of the prompt.
pub fn blocks(agent: Agent, code: Option<i32>, stdout: &str) -> bool {
    if code == Some(2) {
        return true;
    }
    let v: Value = serde_json::from_str(stdout).unwrap_or(Value::Null);
    code == Some(0)
        && match agent {
            Agent::ClaudeCode | Agent::Codex => v["decision"] == "block",
            Agent::Gemini => v["decision"] == "deny",
            Agent::Cursor => v["continue"] == false,
            Agent::Vibe => v["decision"] == "deny",
            Agent::CopilotCli | Agent::VsCode | Agent::Kiro | Agent::Windsurf | Agent::Junie => {
                false
            }
        }
}

/// What running a hook command with the canary prompt showed.
#[derive(Debug)]
pub struct Probe {
    /// Whether it blocked the canary without echoing it.
    pub ok: bool,
    /// What happened, in a sentence.
    pub detail: String,
}

/// Runs `command` (as the agent would: `sh -c`) with `agent`'s canary
/// prompt on stdin.
pub fn probe(agent: Agent, command: &str, canary: &str) -> Probe {
    let (_, event) = prompt_event(agent, canary);
    let started = Instant::now();
    let child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let out = child.and_then(|mut c| {
        if let Some(mut i) = c.stdin.take() {
            let _ = i.write_all(event.to_string().as_bytes());
        }
        c.wait_with_output()
    });
    let ms = started.elapsed().as_millis();
    let o = match out {
        Ok(o) => o,
        Err(e) => {
            return Probe {
                ok: false,
                detail: format!(
                    "the hook could not be run ({}): the agent lets everything through",
                    e.kind()
                ),
            }
        }
    };
    let (stdout, stderr) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    let code = o.status.code();
    let secret = &canary[canary.len() / 2..];
    if stdout.contains(secret) || stderr.contains(secret) {
        return Probe {
            ok: false,
            detail: "the hook's answer holds the canary: it would echo a credential to the model"
                .into(),
        };
    }
    match code {
        Some(127) | Some(126) => Probe {
            ok: false,
            detail: format!("the hook does not run (exit {}): a moved or missing binary; the agent lets everything through (reinstall)", code.unwrap_or(0)),
        },
        _ if blocks(agent, code, stdout.trim()) => Probe {
            ok: true,
            detail: format!("blocks a canary prompt ({ms} ms)"),
        },
        _ => Probe {
            ok: false,
            detail: format!(
                "the hook let a canary prompt through (exit {}): it does not guard this agent",
                code.map_or("by a signal".into(), |c| c.to_string())
            ),
        },
    }
}
