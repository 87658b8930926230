//! Hooks for AI coding agents: credentials never enter the model's
//! context. An agent runs `burnkey agent hook --agent NAME` at prompt
//! submission, before a tool runs and after it returns, with the event as
//! JSON on standard input; [`hook`] reads it, scans every string in it
//! offline, and answers in that agent's protocol: a prompt holding a token
//! is blocked, a tool call whose input holds one is denied, a tool's
//! output holding one is given back with the token masked where the agent
//! takes a replacement. Any error of burnkey's own blocks (fail closed).
//!
//! Claude Code's, Codex's, Gemini CLI's, Cursor's, Copilot CLI's and VS
//! Code's protocols, and Kiro's, Windsurf's, Mistral Vibe's and Junie's,
//! whose hooks can only block (Vibe's can rewrite a call, and replace an
//! output by denying it); [`exec`] runs a shell command with its output masked,
//! for agents that can rewrite a command but not replace its output.

pub mod claude;
pub mod codex;
pub mod copilot;
pub mod cursor;
#[cfg(feature = "cli")]
pub mod doctor;
pub mod exec;
pub mod file_read;
pub mod gemini;
#[cfg(feature = "cli")]
pub mod install;
pub mod junie;
pub mod kiro;
pub mod mcp;
pub mod reply;
pub mod rewrite;
pub mod scrub;
pub mod shell;
pub mod vibe;
pub mod vscode;
pub mod windsurf;

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
    /// GitHub Copilot CLI (docs.github.com, Copilot CLI hooks reference).
    CopilotCli,
    /// VS Code's agent (code.visualstudio.com/docs/agents/reference/hooks-reference).
    VsCode,
    /// Kiro CLI (kiro.dev/docs/cli/hooks).
    Kiro,
    /// Windsurf Cascade (docs.windsurf.com/windsurf/cascade/hooks).
    Windsurf,
    /// Mistral Vibe (docs.mistral.ai/vibe/code/cli/hooks).
    Vibe,
    /// JetBrains Junie CLI (junie.jetbrains.com/docs/junie-cli-hooks).
    Junie,
}

impl Agent {
    /// Every agent, as `--agent` names it.
    pub const ALL: [(&'static str, Agent); 10] = [
        ("claude-code", Agent::ClaudeCode),
        ("codex", Agent::Codex),
        ("gemini", Agent::Gemini),
        ("cursor", Agent::Cursor),
        ("copilot-cli", Agent::CopilotCli),
        ("vscode", Agent::VsCode),
        ("kiro", Agent::Kiro),
        ("windsurf", Agent::Windsurf),
        ("vibe", Agent::Vibe),
        ("junie", Agent::Junie),
    ];

    /// The name `--agent` takes.
    pub fn name(self) -> &'static str {
        Agent::ALL
            .iter()
            .find(|(_, a)| *a == self)
            .map(|(n, _)| *n)
            .expect("every agent is named")
    }

    /// The agent called `name`.
    pub fn by_name(name: &str) -> Option<Agent> {
        Agent::ALL.iter().find(|(n, _)| *n == name).map(|(_, a)| *a)
    }
}

/// Answers `event` (the JSON the agent wrote) for `agent`; `kind` is the
/// event's name where the agent does not write it in the event (Copilot
/// CLI: the install puts it on the command line).
pub fn hook(agent: Agent, scanner: &Scanner, event: &[u8]) -> Reply {
    hook_kind(agent, scanner, event, None)
}

/// [`hook`], with the event's kind named.
pub fn hook_kind(agent: Agent, scanner: &Scanner, event: &[u8], kind: Option<&str>) -> Reply {
    let parsed: Result<Value, _> = serde_json::from_slice(event);
    let Ok(v) = parsed else {
        return fail_closed("the event is not JSON");
    };
    match agent {
        Agent::ClaudeCode => claude::answer(scanner, &v),
        Agent::Codex => codex::answer(scanner, &v),
        Agent::Gemini => gemini::answer(scanner, &v),
        Agent::Cursor => cursor::answer(scanner, &v),
        Agent::CopilotCli => copilot::answer(scanner, &v, kind),
        Agent::VsCode => vscode::answer(scanner, &v),
        Agent::Kiro => kiro::answer(scanner, &v),
        Agent::Windsurf => windsurf::answer(scanner, &v),
        Agent::Vibe => vibe::answer(scanner, &v),
        Agent::Junie => junie::answer(scanner, &v),
    }
}
