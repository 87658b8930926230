//! `burnkey agent hook --agent NAME`: one event on stdin, the agent's
//! answer on stdout, exit 0; or exit 2 and a reason on stderr, which every
//! agent takes as a block (fail closed: an error of burnkey's own, a panic
//! included, blocks).

use std::io::{Read, Write};

use super::args::{AgentCmd, Exit};
use crate::agent::{fail_closed, hook, Agent, Reply};
use crate::rules::RuleSet;
use crate::scan::Scanner;

/// The largest event read (a tool's output included).
const MAX_EVENT: u64 = 64 << 20;

pub(crate) fn run(cmd: AgentCmd) -> anyhow::Result<Exit> {
    let AgentCmd::Hook { agent } = cmd;
    let reply = match Agent::by_name(&agent) {
        None => fail_closed(&format!("no agent called {agent:?}")),
        Some(a) => answer(a),
    };
    // Nothing else is written: an agent reads stdout as its answer.
    let _ = std::io::stdout().write_all(reply.stdout.as_bytes());
    let _ = std::io::stderr().write_all(reply.stderr.as_bytes());
    Ok(if reply.code == 0 {
        Exit::Ok
    } else {
        Exit::Error
    })
}

fn answer(agent: Agent) -> Reply {
    let mut event = Vec::new();
    let read = std::io::stdin().take(MAX_EVENT + 1).read_to_end(&mut event);
    if read.is_err() {
        return fail_closed("the event could not be read");
    }
    if event.len() as u64 > MAX_EVENT {
        return fail_closed("the event is larger than 64 MiB");
    }
    std::panic::catch_unwind(|| hook(agent, &Scanner::new(RuleSet::builtin()), &event))
        .unwrap_or_else(|_| fail_closed("an internal error"))
}
