//! The `burnkey` command line (feature `cli`): arguments (clap derive) and
//! dispatch to one module per command. Each command returns an `Exit`
//! status; [`main`] maps errors to exit 2. Not part of the library's API.

mod agent_cmd;
mod args;
mod controls;
mod hook_cmd;
mod output;
mod redact_cmd;
mod report_cmd;
mod revoke_cmd;
mod rules_cmd;
mod scan_cmd;
mod serve_cmd;
mod token_cmd;

use args::{Cli, Cmd, Exit};

/// Runs the command line: the `burnkey` binary's whole `main`.
pub fn main() -> std::process::ExitCode {
    use std::io::Write;
    use std::process::ExitCode;
    match run() {
        Ok(code) => ExitCode::from(code as u8),
        Err(err) => {
            // A closed pipe (`burnkey scan | head`) is not a failure.
            if let Some(e) = err.downcast_ref::<std::io::Error>() {
                if e.kind() == std::io::ErrorKind::BrokenPipe {
                    return ExitCode::from(0);
                }
            }
            let _ = writeln!(std::io::stderr(), "burnkey: error: {err:#}");
            ExitCode::from(Exit::Error as u8)
        }
    }
}

/// What `burnkey --help` says first: the families come from the rules, so
/// the help names every one the binary finds.
pub(crate) fn about() -> String {
    format!(
        "Find leaked checksummed API tokens: {}. Verify and revoke them, and mint your own.",
        crate::RuleSet::builtin().families()
    )
}

/// The kinds `mint --kind` takes, from the rules: `cfut, cfat, …`.
fn mint_kinds() -> String {
    let rules = crate::RuleSet::builtin();
    let mut kinds: Vec<&str> = Vec::new();
    for r in rules.rules().iter().filter(|r| !r.is_keyword()) {
        if !kinds.contains(&r.format.kind()) {
            kinds.push(r.format.kind());
        }
    }
    kinds.join(", ")
}

/// The command line, parsed with the help texts written from the rules.
fn parse_args() -> Cli {
    use clap::{CommandFactory, FromArgMatches};
    let kind_help = format!(
        "Kind to mint: {}, or your own prefix (e.g. acme)",
        mint_kinds()
    );
    let matches = Cli::command()
        .about(about())
        .mut_subcommand("mint", |c| c.mut_arg("kind", |a| a.help(kind_help)))
        .get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

/// Parses the command line and runs the command.
fn run() -> anyhow::Result<Exit> {
    let cli = parse_args();
    match cli.cmd {
        Cmd::Scan(a) => scan_cmd::run(*a),
        Cmd::Redact(a) => redact_cmd::run(a),
        Cmd::Serve(a) => serve_cmd::run(*a),
        Cmd::Check(a) => token_cmd::check(a),
        Cmd::Mint(a) => token_cmd::mint(a),
        Cmd::Verify(a) => token_cmd::verify(a),
        Cmd::Store(c) => token_cmd::store(c),
        Cmd::Rules(c) => rules_cmd::run(c),
        Cmd::Report(c) => report_cmd::run(c),
        Cmd::Hook(c) => hook_cmd::run(c),
        Cmd::Revoke(c) => revoke_cmd::run(c),
        Cmd::Agent(c) => agent_cmd::run(c),
        Cmd::McpProxy { command } => agent_cmd::mcp_proxy(&command),
        Cmd::EventField { file, keys } => event_field(&file, &keys),
    }
}

/// `burnkey event-field FILE KEY...`: the string (or number, or bool) at
/// that path of a JSON object, or an empty line when it is absent or null.
fn event_field(file: &std::path::Path, keys: &[String]) -> anyhow::Result<Exit> {
    use anyhow::Context;
    let text = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let doc: serde_json::Value =
        serde_json::from_slice(&text).with_context(|| format!("{} is not JSON", file.display()))?;
    let v = keys.iter().try_fold(&doc, |v, k| v.get(k.as_str()));
    let s = match v {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
    println!("{s}");
    Ok(Exit::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
