//! A clean tool call's input rewritten so that no token reaches the model
//! through the tool's output, for agents that can rewrite input but not
//! replace output (Copilot CLI, VS Code).

use serde_json::Value;

use crate::agent::file_read;
use crate::agent::shell;
use crate::scan::Scanner;

/// `input`, of a call to `tool` in event `v`, rewritten: a read of a file
/// holding a token reads a masked copy ([`file_read`]); a shell command
/// runs under `burnkey agent exec` ([`shell`]). `None`: left as it is;
/// `Err`: a reason to deny (the copy could not be made).
pub(crate) fn input(
    scanner: &Scanner,
    tool: &str,
    input: &Value,
    v: &Value,
) -> Result<Option<Value>, String> {
    if let Some((copy, _)) = file_read::rewrite(scanner, tool, input, v)? {
        return Ok(Some(copy));
    }
    Ok(shell::is_shell(tool)
        .then(shell::current_burnkey)
        .flatten()
        .and_then(|b| shell::wrap_input(input, &b)))
}
