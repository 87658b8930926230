//! `burnkey mcp-proxy -- SERVER…`: a stdio MCP proxy any agent can put in
//! front of any MCP server. JSON-RPC passes through line by line, in order,
//! byte for byte, both ways; a message from the server holding a token
//! (a tool's result, a resource's contents, a notification: any string,
//! nested) comes out with the token masked and every other byte the same;
//! a `tools/call` whose arguments hold a token never reaches the server:
//! the client gets a JSON-RPC error naming the token's fingerprint. The
//! server's standard error is passed on masked too. The server's exit
//! status is the proxy's.

use std::io::{self, BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use crate::agent::reply::{mask_value, reason, Seen};
use crate::findings::matched::Match;
use crate::scan::Scanner;

/// The JSON-RPC error code of a refused call (in the range JSON-RPC leaves
/// to implementations).
pub const REFUSED: i64 = -32001;

/// A line from the server, tokens masked: the same bytes where it holds
/// none; else each token's characters after its prefix masked in place, so
/// the JSON stays what it was. Should masking in place break the JSON (a
/// token written with escapes), the message is parsed, masked and written
/// anew.
pub fn mask_line(scanner: &Scanner, line: &[u8]) -> Vec<u8> {
    match masked_line(scanner, line) {
        Some((out, _)) => out,
        None => b"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{\"level\":\"error\",\"data\":\"burnkey: a message could not be masked and was dropped\"}}\n".to_vec(),
    }
}

/// [`mask_line`], and the tokens masked; `None` if the redactor failed
/// (writing to memory: it does not).
pub fn masked_line(scanner: &Scanner, line: &[u8]) -> Option<(Vec<u8>, Vec<Match>)> {
    let (out, found) = crate::agent::reply::mask_bytes(scanner, line).ok()?;
    if found.is_empty() {
        // Nothing masked: `out` is the line, already copied once.
        return Some((out, found));
    }
    let was_json = serde_json::from_slice::<Value>(line).ok();
    let out = match was_json {
        Some(v) if serde_json::from_slice::<Value>(&out).is_err() => {
            let mut seen = Vec::new();
            let mut s = mask_value(scanner, &v, "message", &mut seen).to_string();
            if line.ends_with(b"\n") {
                s.push('\n');
            }
            s.into_bytes()
        }
        _ => out,
    };
    Some((out, found))
}

/// For a line from the client: the error to answer instead of passing it
/// on, when it is a `tools/call` whose arguments hold a token.
pub fn refusal(scanner: &Scanner, line: &[u8]) -> Option<Vec<u8>> {
    let v: Value = serde_json::from_slice(line).ok()?;
    if v["method"] != "tools/call" {
        return None;
    }
    let mut seen: Vec<Seen> = Vec::new();
    mask_value(scanner, &v["params"], "the arguments", &mut seen);
    if seen.is_empty() {
        return None;
    }
    let tool = v["params"]["name"].as_str().unwrap_or("?");
    let mut out = json!({
        "jsonrpc": "2.0",
        "id": v.get("id").cloned().unwrap_or(Value::Null),
        "error": {
            "code": REFUSED,
            "message": format!("{} The call to {tool:?} was not made.", reason("a tool call", &seen)),
            "data": {"refused_by": "burnkey", "fingerprints": seen.iter().map(|s| s.fingerprint.clone()).collect::<Vec<_>>()},
        },
    })
    .to_string();
    out.push('\n');
    Some(out.into_bytes())
}

/// Runs `command` as the MCP server and proxies this process's stdin and
/// stdout to it, until the server's output ends; returns the server's exit
/// status (128 + a signal). The client's side may still be waiting on
/// stdin then: the caller exits.
pub fn run(scanner: &Scanner, command: &[String]) -> io::Result<i32> {
    let (prog, args) = command
        .split_first()
        .ok_or_else(|| io::Error::other("no server command"))?;
    let mut child = Command::new(prog)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| io::Error::new(e.kind(), format!("starting {prog:?}: {e}")))?;
    let mut to_server = child.stdin.take().expect("piped");
    let from_server = child.stdout.take().expect("piped");
    // The server's log (stderr, which agents keep) masked too.
    let log = child.stderr.take().map(|err| {
        let scanner = scanner.clone();
        std::thread::spawn(move || crate::agent::exec::pump(&scanner, err, io::stderr()))
    });
    let out = Arc::new(Mutex::new(io::stdout()));
    // Client to server: each line on, or refused. Detached: it ends when
    // the client closes stdin, or with the process.
    {
        let (scanner, out) = (scanner.clone(), Arc::clone(&out));
        std::thread::spawn(move || {
            let mut input = io::stdin().lock();
            let mut line = Vec::new();
            loop {
                line.clear();
                match input.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                let sent = match refusal(&scanner, &line) {
                    Some(err) => send(&out, &err),
                    None => to_server.write_all(&line).and_then(|_| to_server.flush()),
                };
                if sent.is_err() {
                    break;
                }
            }
            // The client is gone: the server reads the end of its input.
            drop(to_server);
        });
    }
    // Server to client: each line, masked.
    let mut from = BufReader::new(from_server);
    let mut line = Vec::new();
    loop {
        line.clear();
        match from.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if send(&out, &mask_line(scanner, &line)).is_err() {
            break;
        }
    }
    let status = child.wait()?;
    // All of the server's log, before the proxy exits.
    if let Some(log) = log {
        let _ = log.join();
    }
    Ok(status.code().unwrap_or_else(|| {
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            128 + status.signal().unwrap_or(0)
        }
        #[cfg(not(unix))]
        1
    }))
}

/// Writes one whole message to the client.
fn send(out: &Mutex<io::Stdout>, bytes: &[u8]) -> io::Result<()> {
    let mut o = out.lock().unwrap_or_else(|e| e.into_inner());
    o.write_all(bytes)?;
    o.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::reply::testing::mint;
    use crate::rules::RuleSet;

    fn tok() -> String {
        mint("npm-access-token")
    }

    #[test]
    fn a_line_is_masked_in_place_or_left_as_it_is() {
        let s = Scanner::new(RuleSet::builtin());
        let t = tok();
        let line = format!("{{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{{\"content\":[{{\"type\":\"text\",\"text\":\"k={t}\"}}]}}}}\n");
        let out = String::from_utf8(mask_line(&s, line.as_bytes())).unwrap();
        let masked = format!("npm_{}", "*".repeat(t.len() - 4));
        assert_eq!(out, line.replace(&t, &masked));
        let clean = b"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n";
        assert_eq!(mask_line(&s, clean), clean);
        // Written with an escape: masked, and still JSON.
        let esc = line.replace(&t, &t.replacen('_', "\\u005f", 1));
        let out = mask_line(&s, esc.as_bytes());
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert!(!String::from_utf8_lossy(&out).contains(&t[4..]));
        assert_eq!(v["id"], 7);
    }

    #[test]
    fn a_tool_call_holding_a_token_is_refused_with_its_fingerprint() {
        let s = Scanner::new(RuleSet::builtin());
        let t = tok();
        let call = json!({"jsonrpc": "2.0", "id": "c1", "method": "tools/call",
            "params": {"name": "deploy", "arguments": {"env": {"NPM": t}}}})
        .to_string();
        let err: Value = serde_json::from_slice(&refusal(&s, call.as_bytes()).unwrap()).unwrap();
        assert_eq!(err["id"], "c1");
        assert_eq!(err["error"]["code"], REFUSED);
        let fp = err["error"]["data"]["fingerprints"][0].as_str().unwrap();
        assert!(fp.starts_with("sha256:"));
        assert!(!err.to_string().contains(&t[4..]));
        let clean = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
            "params": {"name": "x", "arguments": {}}})
        .to_string();
        assert!(refusal(&s, clean.as_bytes()).is_none());
        assert!(refusal(&s, b"not json\n").is_none());
    }
}
