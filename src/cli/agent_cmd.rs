//! `burnkey agent hook --agent NAME`: one event on stdin, the agent's
//! answer on stdout, exit 0; or exit 2 and a reason on stderr, which every
//! agent takes as a block (fail closed: an error of burnkey's own, a panic
//! included, blocks).

use std::io::{Read, Write};

use super::args::{AgentCmd, Exit};
use std::path::PathBuf;

use crate::agent::install::{command, config_path, Scope};
use crate::agent::{fail_closed, hook_kind, Agent, Reply};
use crate::rules::RuleSet;
use crate::scan::Scanner;

/// The largest event read (a tool's output included).
const MAX_EVENT: u64 = 64 << 20;

pub(crate) fn run(cmd: AgentCmd) -> anyhow::Result<Exit> {
    let (agent, event) = match cmd {
        AgentCmd::Hook { agent, event } => (agent, event),
        AgentCmd::Install {
            agent,
            scope,
            dry_run,
        } => return configure(&agent, scope.as_deref(), dry_run, true),
        AgentCmd::Uninstall {
            agent,
            scope,
            dry_run,
        } => return configure(&agent, scope.as_deref(), dry_run, false),
        AgentCmd::Status => return status(false),
        AgentCmd::Doctor => return status(true),
        AgentCmd::Scrub { in_place, agent } => return scrub(in_place, agent.as_deref()),
        AgentCmd::Exec { command } => {
            let scanner = Scanner::new(RuleSet::builtin());
            let code = crate::agent::exec::run(&scanner, &command.join(" "))?;
            std::process::exit(code);
        }
    };
    let reply = match Agent::by_name(&agent) {
        None => fail_closed(&format!("no agent called {agent:?}")),
        Some(a) => answer(a, event.as_deref()),
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

fn answer(agent: Agent, kind: Option<&str>) -> Reply {
    let mut event = Vec::new();
    let read = std::io::stdin().take(MAX_EVENT + 1).read_to_end(&mut event);
    if read.is_err() {
        return fail_closed("the event could not be read");
    }
    if event.len() as u64 > MAX_EVENT {
        return fail_closed("the event is larger than 64 MiB");
    }
    std::panic::catch_unwind(|| hook_kind(agent, &Scanner::new(RuleSet::builtin()), &event, kind))
        .unwrap_or_else(|_| fail_closed("an internal error"))
}

/// The folders `install` works with: the project (the current folder),
/// the home folder, and burnkey's state folder.
fn places() -> anyhow::Result<(PathBuf, PathBuf, PathBuf)> {
    let project = std::env::current_dir()?;
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .ok_or_else(|| anyhow::anyhow!("HOME is not set"))?;
    let state = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| home.join(".local/state"))
        .join("burnkey");
    Ok((project, home, state))
}

/// The path the hook command names: the `burnkey` on `PATH` that is this
/// binary (a link such as `/opt/homebrew/bin/burnkey` outlives an upgrade;
/// the versioned folder it points into does not), else this binary.
fn burnkey_path() -> anyhow::Result<String> {
    let me = std::env::current_exe()?;
    let real = me.canonicalize().unwrap_or(me.clone());
    let on_path = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("burnkey"))
            .filter(|c| c.is_absolute())
            .find(|c| c.canonicalize().ok().as_ref() == Some(&real))
    });
    let chosen = on_path.unwrap_or(me);
    chosen
        .to_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow::anyhow!("the path of burnkey is not UTF-8"))
}

/// The agent `--agent` names, or an error listing those there are.
fn agent_named(name: &str) -> anyhow::Result<Agent> {
    Agent::by_name(name).ok_or_else(|| {
        anyhow::anyhow!(
            "no agent called {name:?}: {}",
            Agent::ALL.map(|(n, _)| n).join(", ")
        )
    })
}

fn configure(
    agent: &str,
    scope: Option<&str>,
    dry_run: bool,
    install: bool,
) -> anyhow::Result<Exit> {
    let a = agent_named(agent)?;
    let (project, home, state) = places()?;
    let scope = scope.unwrap_or(match config_path(a, Scope::Project, &project, &home) {
        Some(_) => "project",
        None => "user",
    });
    let s = Scope::by_name(scope)
        .ok_or_else(|| anyhow::anyhow!("no scope called {scope:?}: user, project or local"))?;
    let path = config_path(a, s, &project, &home)
        .ok_or_else(|| anyhow::anyhow!("{agent} has no {scope} config burnkey knows"))?;
    let change = if install {
        let cmd = command(&burnkey_path()?, a);
        crate::agent::install::install(a, &path, &cmd, &state, dry_run)?
    } else {
        crate::agent::install::uninstall(a, &path, &state, dry_run)?
    };
    let shown = crate::report::text::escape_control(&path.to_string_lossy()).into_owned();
    let mut out = std::io::stdout().lock();
    if dry_run {
        match &change.content {
            Some(c) => write!(out, "{c}")?,
            None => writeln!(out, "(would remove {shown})")?,
        }
    } else {
        let verb = match (install, change.changed) {
            (_, false) => "unchanged",
            (true, true) => "installed into",
            (false, true) if change.content.is_none() => "removed (burnkey made it)",
            (false, true) => "uninstalled from",
        };
        writeln!(out, "{agent}: {verb} {shown}")?;
    }
    Ok(Exit::Ok)
}

/// `status`, and with `probe` (`doctor`) each hook run with a canary.
fn status(probe: bool) -> anyhow::Result<Exit> {
    let (project, home, _) = places()?;
    let mut out = std::io::stdout().lock();
    let mut bad = false;
    let mut found: Vec<(Agent, Scope)> = Vec::new();
    for (name, a) in Agent::ALL {
        for s in [Scope::Project, Scope::Local, Scope::User] {
            let Some(path) = config_path(a, s, &project, &home) else {
                continue;
            };
            let shown = crate::report::text::escape_control(&path.to_string_lossy()).into_owned();
            match crate::agent::install::status(a, &path) {
                Ok(None) => {}
                Ok(Some(mut st)) => {
                    found.push((a, s));
                    let mut passed = None;
                    if probe {
                        match doctor(a, &path)? {
                            Ok(fine) => passed = Some(fine),
                            Err(problem) => st.problems.push(problem),
                        }
                    }
                    let word = if st.problems.is_empty() {
                        "ok"
                    } else {
                        "PROBLEM"
                    };
                    writeln!(out, "{name}: {word} {shown}")?;
                    if let Some(fine) = passed {
                        writeln!(out, "  {fine}")?;
                    }
                    for p in &st.problems {
                        writeln!(out, "  {p}")?;
                        bad = true;
                    }
                }
                Err(e) => {
                    writeln!(out, "{name}: PROBLEM {shown}: {e}")?;
                    bad = true;
                }
            }
        }
    }
    // Cursor and VS Code run Claude Code's hooks too.
    let claude = found.iter().any(|(a, _)| *a == Agent::ClaudeCode);
    for other in [Agent::Cursor, Agent::VsCode] {
        if claude && found.iter().any(|(a, _)| *a == other) {
            writeln!(
                out,
                "note: {} also runs Claude Code's hooks: each event is answered twice (the answers agree; a shell command is wrapped once)",
                other.name()
            )?;
        }
    }
    if found.is_empty() {
        writeln!(
            out,
            "no agent config here or in your home folder runs burnkey's hooks"
        )?;
    }
    Ok(if bad { Exit::Found } else { Exit::Ok })
}

/// `burnkey mcp-proxy -- SERVER…`: exits with the server's status.
pub(crate) fn mcp_proxy(command: &[String]) -> anyhow::Result<Exit> {
    let scanner = Scanner::new(RuleSet::builtin());
    let code = crate::agent::mcp::run(&scanner, command)?;
    let _ = std::io::stdout().flush();
    std::process::exit(code)
}

/// What running the prompt hook configured in `path` with a canary shows:
/// what it did when it blocked it, else the problem.
fn doctor(agent: Agent, path: &std::path::Path) -> anyhow::Result<Result<String, String>> {
    use crate::agent::doctor::{probe, prompt_event};
    let canary = crate::token::format::FormatSet::builtin()
        .by_name("cfut")
        .expect("a built-in kind")
        .mint()?;
    let (event, _) = prompt_event(agent, &canary);
    let Some(cmd) = crate::agent::install::hook_command(agent, path, event)? else {
        return Ok(Err(format!("no hook on {event} to run")));
    };
    let p = probe(agent, &cmd, &canary);
    Ok(if p.ok {
        Ok(format!("{event}: {}", p.detail))
    } else {
        Err(format!("{event}: {}", p.detail))
    })
}

fn scrub(in_place: bool, only: Option<&str>) -> anyhow::Result<Exit> {
    let agents: Vec<Agent> = match only {
        Some(name) => vec![agent_named(name)?],
        None => Agent::ALL.iter().map(|(_, a)| *a).collect(),
    };
    let (_, home, _) = places()?;
    let scanner = Scanner::new(RuleSet::builtin());
    let mut out = std::io::stdout().lock();
    let (mut files, mut tokens, mut left) = (0, 0, 0);
    let mut skipped = Vec::new();
    for a in agents {
        for f in crate::agent::scrub::scrub(&scanner, a, &home, in_place, &mut skipped) {
            files += 1;
            tokens += f.tokens.len();
            if !f.masked {
                left += f.tokens.len();
            }
            let shown = crate::report::text::escape_control(&f.path.to_string_lossy()).into_owned();
            let verb = if f.masked { "masked" } else { "found" };
            writeln!(out, "{}: {shown}: {} {verb}", a.name(), f.tokens.len())?;
            for t in &f.tokens {
                // A database names the record (its table and key).
                let at = match t.field.as_str() {
                    "the file" => String::new(),
                    field => format!(" in {}", crate::report::text::escape_control(field)),
                };
                writeln!(out, "  {} {} ({}){at}", t.rule_id, t.shown, t.fingerprint)?;
            }
        }
    }
    for (p, why) in &skipped {
        let shown = crate::report::text::escape_control(&p.to_string_lossy()).into_owned();
        eprintln!("burnkey: skipped {shown}: {why}");
    }
    let tail = match (tokens, in_place) {
        (0, _) => "none found".to_string(),
        (_, false) => {
            "nothing changed; --in-place masks them, then rotate any that was real".into()
        }
        (_, true) => "masked where they were; rotate any that was real".into(),
    };
    writeln!(
        out,
        "{tokens} credential(s) in {files} file(s) of the agents' stores: {tail}{}",
        if skipped.is_empty() {
            String::new()
        } else {
            format!(" ({} skipped, on stderr)", skipped.len())
        }
    )?;
    Ok(if left > 0 || (in_place && !skipped.is_empty()) {
        Exit::Found
    } else {
        Exit::Ok
    })
}
