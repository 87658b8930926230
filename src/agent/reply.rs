//! What every agent's protocol shares: the answer, the tokens seen in an
//! event, masking a JSON value, the reason that names tokens without
//! them, and the fail-closed block.

use serde_json::Value;

use crate::findings::matched::Match;
use crate::redact::Redactor;
use crate::scan::Scanner;

/// What the hook answers: the exit status, and what it writes to standard
/// output and standard error. No byte of it holds a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// 0 lets the agent read `stdout`; 2 blocks in every agent.
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// A token found in an event, as it may be named to the model: its kind,
/// its prefix and last four characters (`cfut_…4830`, as GitHub shows a
/// token), its fingerprint, and where it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub rule_id: String,
    /// The prefix and the last four characters.
    pub shown: String,
    /// `sha256:` and the first 16 hex digits of the token's SHA-256: the
    /// hash `.burnkeyignore` lists, to allow a known test token.
    pub fingerprint: String,
    pub field: String,
}

impl Seen {
    /// How `m`, found in `field`, is named.
    pub fn of(scanner: &Scanner, m: &Match, field: &str) -> Seen {
        let rule = &scanner.rules().rules()[m.rule];
        let secret = m.secret.as_str();
        let plen = rule.format.prefix_len_of(secret).min(secret.len() / 2);
        let chars = secret.chars().count();
        // The last four, but never more than a quarter of the token.
        let tail: String = secret.chars().skip(chars - (chars / 4).min(4)).collect();
        let head = secret.get(..plen).unwrap_or("");
        Seen {
            rule_id: rule.id().to_string(),
            shown: format!("{head}…{tail}"),
            fingerprint: format!(
                "sha256:{}",
                &crate::token::checksum::sha256_hex(secret.as_bytes())[..16]
            ),
            field: field.to_string(),
        }
    }
}

/// An answer on standard output, exit 0.
pub fn say(v: Value) -> Reply {
    Reply {
        code: 0,
        stdout: v.to_string(),
        stderr: String::new(),
    }
}

/// Nothing to say: the agent goes on.
pub fn allow() -> Reply {
    Reply {
        code: 0,
        stdout: String::new(),
        stderr: String::new(),
    }
}

/// `v[field]` masked, and the tokens in it (named as in `label`); a block
/// when the event has no such field.
pub fn tokens_in(
    scanner: &Scanner,
    v: &Value,
    field: &str,
    label: &str,
) -> Result<(Value, Vec<Seen>), Reply> {
    let Some(x) = v.get(field) else {
        return Err(fail_closed(&format!("an event without {field}")));
    };
    let mut seen = Vec::new();
    let masked = mask_value(scanner, x, label, &mut seen);
    Ok((masked, seen))
}

/// Every string in `v`, masked, and the tokens that were in them. `field`
/// names where `v` is (`tool_input`), for the reason.
pub fn mask_value(scanner: &Scanner, v: &Value, field: &str, seen: &mut Vec<Seen>) -> Value {
    match v {
        Value::String(s) => {
            let (masked, found) = mask_text(scanner, s);
            seen.extend(found.iter().map(|m| Seen::of(scanner, m, field)));
            Value::String(masked)
        }
        Value::Array(a) => Value::Array(
            a.iter()
                .enumerate()
                .map(|(i, x)| mask_value(scanner, x, &format!("{field}[{i}]"), seen))
                .collect(),
        ),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| {
                    (
                        k.clone(),
                        mask_value(scanner, x, &format!("{field}.{k}"), seen),
                    )
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// `text` with its tokens masked, and the matches.
pub fn mask_text(scanner: &Scanner, text: &str) -> (String, Vec<Match>) {
    // Writing to memory does not fail; were it to, the panic fails closed
    // (the hook blocks, the proxy ends).
    let (out, found) =
        mask_bytes(scanner, text.as_bytes()).expect("masking into memory does not fail");
    (String::from_utf8_lossy(&out).into_owned(), found)
}

/// `bytes` with their tokens masked in place by `redact`'s engine, and the
/// matches.
pub fn mask_bytes(scanner: &Scanner, bytes: &[u8]) -> std::io::Result<(Vec<u8>, Vec<Match>)> {
    use std::io::Write;
    let mut r = Redactor::new(scanner, Vec::new()).keep_matches(true);
    r.write_all(bytes)?;
    r.close()?;
    let found = r.matches().to_vec();
    Ok((r.finish()?, found))
}

/// `bytes` masked as [`mask_bytes`] does, and its tokens named as found
/// in `field`.
pub fn mask_named(
    scanner: &Scanner,
    bytes: &[u8],
    field: &str,
) -> std::io::Result<(Vec<u8>, Vec<Seen>)> {
    let (out, found) = mask_bytes(scanner, bytes)?;
    let seen = found.iter().map(|m| Seen::of(scanner, m, field)).collect();
    Ok((out, seen))
}

/// The reason given to the model and the user: the kinds and redacted
/// forms of the tokens, never a token.
pub fn reason(what: &str, seen: &[Seen]) -> String {
    let list: Vec<String> = seen
        .iter()
        .map(|s| {
            format!(
                "{} {} ({}) in {}",
                s.rule_id, s.shown, s.fingerprint, s.field
            )
        })
        .collect();
    format!(
        "burnkey: {what} holds a credential ({}). Remove it; if it was real, rotate it.",
        list.join("; ")
    )
}

/// Exit 2 with `why` on stderr: the block of an agent that takes no answer
/// at that stage (Copilot CLI, VS Code).
pub fn block(why: String) -> Reply {
    Reply {
        code: 2,
        stdout: String::new(),
        stderr: format!("{why}\n"),
    }
}

/// For a stage the agent takes no answer at: a [`block`] naming the tokens
/// in `v[field]` (as `what`, then `tail`), when it holds any; else nothing.
pub fn block_tokens_in(scanner: &Scanner, v: &Value, field: &str, what: &str, tail: &str) -> Reply {
    match tokens_in(scanner, v, field, field) {
        Err(r) => r,
        Ok((_, seen)) if seen.is_empty() => allow(),
        Ok((_, seen)) => block(format!("{} {tail}", reason(what, &seen)).trim_end().into()),
    }
}

/// Blocks, in the form every agent takes: exit 2, the reason on stderr.
pub fn fail_closed(why: &str) -> Reply {
    Reply {
        code: 2,
        stdout: String::new(),
        stderr: format!("burnkey agent hook: {why}; blocked (it fails closed)\n"),
    }
}

/// What the agents' tests share: a fresh token of a rule, and an agent's
/// answer to an event, checked to hold no part of the token.
#[cfg(test)]
pub(crate) mod testing {
    use super::Reply;
    use crate::agent::{hook, Agent};
    use crate::rules::RuleSet;
    use crate::scan::Scanner;

    /// A token of rule `id`, minted.
    pub fn mint(id: &str) -> String {
        RuleSet::builtin()
            .get(id)
            .expect("a built-in rule")
            .format
            .mint()
            .expect("a rule that mints")
    }

    /// `agent`'s answer to `event`, with no part of `tok` in it.
    pub fn answer(agent: Agent, event: &serde_json::Value, tok: &str) -> Reply {
        let scanner = Scanner::new(RuleSet::builtin());
        let r = hook(agent, &scanner, event.to_string().as_bytes());
        let tail = &tok[tok.len() - 12..];
        assert!(
            !r.stdout.contains(tail) && !r.stderr.contains(tail),
            "{r:?}"
        );
        r
    }
}
