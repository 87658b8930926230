//! Hooks for AI coding agents: credentials never enter the model's
//! context. An agent runs `burnkey agent hook --agent NAME` at prompt
//! submission, before a tool runs and after it returns, with the event as
//! JSON on standard input; [`hook`] reads it, scans every string in it
//! offline, and answers in that agent's protocol: a prompt holding a token
//! is blocked, a tool call whose input holds one is denied, a tool's
//! output holding one is given back with the token masked where the agent
//! takes a replacement. Any error of burnkey's own blocks (fail closed).
//!
//! Work in progress (issue #29): Claude Code's, Codex's, Gemini CLI's and Cursor's protocols.

pub mod claude;
pub mod codex;
pub mod cursor;
pub mod gemini;
pub mod reply;

use serde_json::Value;

pub use reply::{fail_closed, mask_text, mask_value, reason, Reply, Seen};

use crate::scan::Scanner;

/// The agents whose hook protocols burnkey speaks (`--agent NAME`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Agent {
    /// Claude Code (code.claude.com/docs/en/hooks).
    ClaudeCode,
    /// Codex CLI (developers.openai.com/codex/hooks).
    Codex,
    /// Gemini CLI (geminicli.com/docs/hooks/reference).
    Gemini,
    /// Cursor (cursor.com/docs/agent/hooks).
    Cursor,
}

impl Agent {
    /// Every agent, as `--agent` names it.
    pub const ALL: [(&'static str, Agent); 4] = [
        ("claude-code", Agent::ClaudeCode),
        ("codex", Agent::Codex),
        ("gemini", Agent::Gemini),
        ("cursor", Agent::Cursor),
    ];

    /// The agent called `name`.
    pub fn by_name(name: &str) -> Option<Agent> {
        Agent::ALL.iter().find(|(n, _)| *n == name).map(|(_, a)| *a)
    }
}

/// Answers `event` (the JSON the agent wrote) for `agent`.
pub fn hook(agent: Agent, scanner: &Scanner, event: &[u8]) -> Reply {
    let parsed: Result<Value, _> = serde_json::from_slice(event);
    let Ok(v) = parsed else {
        return fail_closed("the event is not JSON");
    };
    match agent {
        Agent::ClaudeCode => claude::answer(scanner, &v),
        Agent::Codex => codex::answer(scanner, &v),
        Agent::Gemini => gemini::answer(scanner, &v),
        Agent::Cursor => cursor::answer(scanner, &v),
    }
}
