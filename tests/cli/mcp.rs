//! `burnkey mcp-proxy` in front of a real stdio MCP server (a small program
//! these tests build with `rustc`: tests/data/fake_mcp_server.rs), run as
//! an agent runs it: JSON-RPC a line each way. The server's own output,
//! run without the proxy, is the reference: through the proxy every byte is
//! the same but the token's.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::Value;

use crate::common::*;

/// The fake server, built once per run.
fn fake_server() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let dir = std::env::temp_dir().join(format!("burnkey-fake-mcp-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let out = dir.join("fake_mcp_server");
            let src =
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/fake_mcp_server.rs");
            let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
            let o = Command::new(rustc)
                .args(["--edition", "2021", "-O", "-o"])
                .arg(&out)
                .arg(&src)
                .output()
                .unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            out
        })
        .clone()
}

fn session(tok: &str) -> Vec<String> {
    [
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#.to_string(),
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#.to_string(),
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#.to_string(),
        r#"{"jsonrpc":"2.0","id":"s1","result":{}}"#.to_string(),
        r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"leak","arguments":{}}}"#.to_string(),
        r#"{"jsonrpc":"2.0","id":4,"method":"resources/read","params":{"uri":"file:///w/.env"}}"#.to_string(),
        format!(r#"{{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{{"name":"deploy","arguments":{{"env":{{"CF":"{tok}"}}}}}}}}"#),
        r#"{"jsonrpc":"2.0","method":"exit"}"#.to_string(),
    ]
    .to_vec()
}

/// Runs `cmd` with `lines` on stdin: its status, stdout and stderr.
fn run(mut cmd: Command, lines: &[String]) -> (i32, String, String) {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    for l in lines {
        input.write_all(format!("{l}\n").as_bytes()).unwrap();
    }
    drop(input);
    let o = child.wait_with_output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8(o.stdout).unwrap(),
        String::from_utf8(o.stderr).unwrap(),
    )
}

#[test]
fn mcp_proxy_masks_what_the_server_sends_refuses_calls_holding_a_token_and_keeps_every_other_byte()
{
    let tok = mint("cfut");
    let masked = format!("cfut_{}", "*".repeat(tok.len() - 5));
    let t = Tree::new();
    let (direct_log, proxy_log) = (t.path().join("direct.log"), t.path().join("proxy.log"));
    let all = session(&tok);
    // The reference: the server alone, without the call the proxy refuses.
    let without_refused: Vec<String> = all
        .iter()
        .filter(|l| !l.contains("\"id\":5"))
        .cloned()
        .collect();
    let mut direct = Command::new(fake_server());
    direct.env("FAKE_TOKEN", &tok).env("FAKE_LOG", &direct_log);
    let (code, reference, direct_err) = run(direct, &without_refused);
    assert_eq!(code, 3);
    assert!(direct_err.contains(&tok));
    assert!(
        reference.contains(&tok) && reference.lines().count() == 7,
        "{reference}"
    );
    let mut proxied = Command::new(exe());
    proxied
        .args(["mcp-proxy", "--"])
        .arg(fake_server())
        .env("FAKE_TOKEN", &tok)
        .env("FAKE_LOG", &proxy_log);
    let (code, out, err) = run(proxied, &all);
    assert_eq!(code, 3, "the server's exit status is the proxy's");
    assert!(!out.contains(&tok[5..]), "{out}");
    // The server's log, masked as well.
    assert_eq!(err, direct_err.replace(&tok, &masked));
    // The refusal, in the proxy's own line: id 5, the fingerprint.
    let (refusals, rest): (Vec<&str>, Vec<&str>) =
        out.lines().partition(|l| l.contains("\"refused_by\""));
    assert_eq!(refusals.len(), 1, "{out}");
    let err: Value = serde_json::from_str(refusals[0]).unwrap();
    assert_eq!(err["id"], 5);
    assert_eq!(err["error"]["code"], -32001);
    assert_eq!(
        err["error"]["data"]["fingerprints"][0],
        format!("sha256:{}", &sha(&tok)[..16])
    );
    // Every other line: the server's, the token masked in place (text,
    // structured content, resource contents, the notification).
    let expected: Vec<String> = reference
        .lines()
        .map(|l| l.replace(&tok, &masked))
        .collect();
    assert_eq!(rest, expected);
    for line in &rest {
        serde_json::from_str::<Value>(line).unwrap_or_else(|e| panic!("{line}: {e}"));
    }
    // The server got every line the client sent, byte for byte, but the
    // refused call.
    assert_eq!(
        std::fs::read_to_string(&proxy_log).unwrap(),
        std::fs::read_to_string(&direct_log).unwrap()
    );
}

/// One line in, one line out: the proxy holds nothing back waiting for
/// more input.
#[test]
fn mcp_proxy_answers_each_line_before_the_next_is_sent() {
    let tok = mint("cfat");
    let mut child = Command::new(exe())
        .args(["mcp-proxy", "--"])
        .arg(fake_server())
        .env("FAKE_TOKEN", &tok)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    let lines = session(&tok);
    let next = || {
        rx.recv_timeout(Duration::from_secs(20))
            .expect("a line within 20 s")
    };
    input
        .write_all(format!("{}\n", lines[0]).as_bytes())
        .unwrap();
    input.flush().unwrap();
    assert!(next().contains("\"id\":1"));
    assert!(next().contains("notifications/message"));
    input
        .write_all(format!("{}\n", lines[4]).as_bytes())
        .unwrap();
    input.flush().unwrap();
    let call = next();
    assert!(
        call.contains("\"id\":3") && call.contains("cfat_*") && !call.contains(&tok[5..]),
        "{call}"
    );
    // A refused call is answered at once, by the proxy.
    input
        .write_all(format!("{}\n", lines[6]).as_bytes())
        .unwrap();
    input.flush().unwrap();
    assert!(next().contains("\"refused_by\""));
    drop(input);
    assert_eq!(
        child.wait().unwrap().code(),
        Some(0),
        "the server ends at the end of its input"
    );
}
