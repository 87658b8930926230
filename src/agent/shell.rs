//! Shell commands rewritten to mask their own output, for agents that can
//! rewrite a tool's input but not replace its output (Copilot CLI, VS
//! Code): the command runs under `burnkey agent exec`, which passes its
//! standard output and standard error through the redactor and exits with
//! its status. The output the model reads then never held the token.

use serde_json::Value;

/// The input fields that hold a shell command, by tool: Claude Code's and
/// Codex's `Bash` and VS Code's `run_in_terminal` (`command`), Copilot
/// CLI's `bash` and `powershell` (`command`).
const SHELL_TOOLS: [&str; 6] = [
    "Bash",
    "bash",
    "shell",
    "run_in_terminal",
    "runInTerminal",
    "powershell",
];

/// What starts a command this module has rewritten (an event can arrive
/// twice: VS Code and Cursor also run Claude Code's hooks).
const MARK: &str = " agent exec -- ";

/// Whether `tool` runs shell commands.
pub fn is_shell(tool: &str) -> bool {
    SHELL_TOOLS.contains(&tool)
}

/// `input` (a shell tool's input object) with its command wrapped, or
/// `None` if it has no command or is wrapped already.
pub fn wrap_input(input: &Value, burnkey: &str) -> Option<Value> {
    let command = input.get("command")?.as_str()?;
    if command.contains(MARK) {
        return None;
    }
    let mut out = input.clone();
    out["command"] = Value::String(wrap(command, burnkey));
    Some(out)
}

/// `command` run by `burnkey agent exec`: one POSIX-quoted word, so that
/// the shell the agent uses passes it through unchanged.
pub fn wrap(command: &str, burnkey: &str) -> String {
    format!("{}{MARK}{}", quote(burnkey), quote(command))
}

/// `s` in single quotes, each `'` written `'\''`.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The path of the running burnkey, for the rewritten command (the hook's
/// own binary: the one the agent's config names).
pub fn current_burnkey() -> Option<String> {
    std::env::current_exe().ok()?.to_str().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_command_is_wrapped_once_and_quoted_for_any_posix_shell() {
        let input = json!({"command": "echo 'it''s' \"$HOME\"", "description": "d"});
        let w = wrap_input(&input, "/opt/burn key/burnkey").unwrap();
        assert_eq!(
            w["command"],
            r#"'/opt/burn key/burnkey' agent exec -- 'echo '\''it'\'''\''s'\'' "$HOME"'"#
        );
        assert_eq!(w["description"], "d");
        // Run through sh, the quoted word is the command again.
        let o = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf %s {}", quote("echo 'it''s' \"$HOME\"")))
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&o.stdout), "echo 'it''s' \"$HOME\"");
        assert!(wrap_input(&w, "/opt/burnkey").is_none());
        assert!(wrap_input(&json!({"path": "x"}), "/b").is_none());
    }
}
