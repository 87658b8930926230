//! A small MCP server over stdio for `burnkey mcp-proxy`'s tests, built by
//! the tests with `rustc` alone (no dependencies): one JSON-RPC message a
//! line. It answers `initialize`, `tools/list`, `tools/call` (a token from
//! `FAKE_TOKEN` in text and in structured content) and `resources/read`
//! (the token in a file's contents), sends a notification and a request of
//! its own, logs every line it receives to `FAKE_LOG` (and its key to
//! stderr, as a careless server would), and exits with
//! status 3 on the `exit` notification (0 at the end of its input). It reads
//! only what its tests send: `"method":"…"` and `"id":…` written compactly.

use std::io::{BufRead, Write};

/// The value after `"key":` in `line`, as written (a string keeps its quotes).
fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let at = line.find(&format!("\"{key}\":"))? + key.len() + 3;
    let rest = &line[at..];
    let end = if rest.starts_with('"') {
        rest[1..].find('"')? + 2
    } else {
        rest.find([',', '}']).unwrap_or(rest.len())
    };
    Some(&rest[..end])
}

fn main() {
    let tok = std::env::var("FAKE_TOKEN").unwrap_or_default();
    let log = std::env::var_os("FAKE_LOG");
    let mut out = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        if let Some(path) = &log {
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .unwrap();
            writeln!(f, "{line}").unwrap();
        }
        let id = field(&line, "id").unwrap_or("null");
        let method = field(&line, "method").map(|m| m.trim_matches('"'));
        let mut say = |s: String| {
            out.write_all(s.as_bytes()).unwrap();
            out.write_all(b"\n").unwrap();
            out.flush().unwrap();
        };
        match method {
            Some("initialize") => {
                eprintln!("fake server: starting with deploy key {tok}");
                say(format!(r#"{{"jsonrpc":"2.0","id":{id},"result":{{"protocolVersion":"2025-06-18","capabilities":{{"tools":{{}},"resources":{{}}}},"serverInfo":{{"name":"fake","version":"1"}}}}}}"#));
                say(format!(r#"{{"jsonrpc":"2.0","method":"notifications/message","params":{{"level":"info","data":"ready; deploy key {tok}"}}}}"#));
            }
            Some("notifications/initialized") => {}
            Some("tools/list") => {
                say(format!(r#"{{"jsonrpc":"2.0","id":{id},"result":{{"tools":[{{"name":"leak","description":"returns a key","inputSchema":{{"type":"object"}}}}]}}}}"#));
                say(r#"{"jsonrpc":"2.0","id":"s1","method":"ping"}"#.to_string());
            }
            Some("tools/call") => say(format!(
                r#"{{"jsonrpc":"2.0","id":{id},"result":{{"content":[{{"type":"text","text":"the key is {tok}"}}],"structuredContent":{{"key":"{tok}","nested":{{"list":["{tok}",1,true,null]}}}},"isError":false}}}}"#
            )),
            Some("resources/read") => say(format!(
                r#"{{"jsonrpc":"2.0","id":{id},"result":{{"contents":[{{"uri":"file:///w/.env","mimeType":"text/plain","text":"K={tok}\nOTHER=1\n"}}]}}}}"#
            )),
            Some("exit") => std::process::exit(3),
            // A response to the server's own request.
            None => say(format!(
                r#"{{"jsonrpc":"2.0","method":"notifications/message","params":{{"level":"info","data":"got {}"}}}}"#,
                id.trim_matches('"')
            )),
            Some(_) => say(format!(
                r#"{{"jsonrpc":"2.0","id":{id},"error":{{"code":-32601,"message":"no such method"}}}}"#
            )),
        }
    }
}
