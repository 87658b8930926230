//! Helpers shared by the CLI tests: temp trees, the real binary, minted tokens.

use std::path::{Path, PathBuf};
use std::process::Output;

use burnkey::FormatSet;
use serde_json::Value;

/// The `burnkey` binary under test: the one named by `BURNKEY_BIN` (CI
/// sets it to the binary `cargo install --locked --path .` installed, the
/// one users get: built without the dev-dependencies' features), else the
/// one cargo built for this test run.
pub fn exe() -> PathBuf {
    match std::env::var_os("BURNKEY_BIN") {
        Some(p) if !p.is_empty() => {
            let p = PathBuf::from(p);
            assert!(
                p.is_absolute() && p.is_file(),
                "BURNKEY_BIN must name the installed binary by its absolute path: {}",
                p.display()
            );
            p
        }
        _ => debug_exe(),
    }
}

/// The binary cargo built for this run, whatever `BURNKEY_BIN` says: for
/// the few tests that need a hook only a debug build has (a pause that makes
/// a race certain); the installed binary has none.
pub fn debug_exe() -> PathBuf {
    assert_cmd::cargo::cargo_bin("burnkey")
}

/// The real `burnkey` binary.
pub fn bin() -> assert_cmd::Command {
    let mut c = assert_cmd::Command::new(exe());
    c.env_remove("NO_COLOR");
    c
}

/// A fresh token of `kind` (minted at test time, so the repository holds none).
pub fn mint(kind: &str) -> String {
    FormatSet::builtin().by_name(kind).unwrap().mint().unwrap()
}

/// `token` with its last checksum character changed.
pub fn corrupt(token: &str) -> String {
    let mut t = token.to_string();
    let last = t.pop().unwrap();
    t.push(if last == '0' { '1' } else { '0' });
    t
}

pub fn sha(s: &str) -> String {
    burnkey::checksum::sha256_hex(s.as_bytes())
}

/// A temporary directory tree.
pub struct Tree {
    pub dir: tempfile::TempDir,
}

impl Tree {
    pub fn new() -> Tree {
        Tree {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn join(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let p = self.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, content).unwrap();
        p
    }
}

/// Exit code, stdout, stderr of a finished command.
pub fn parts(o: &Output) -> (i32, String, String) {
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Runs `burnkey scan --format json ARGS` in `cwd`; returns exit code and document.
pub fn scan_json(cwd: &Path, args: &[&str]) -> (i32, Value) {
    let o = bin()
        .current_dir(cwd)
        .args(["scan", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let (code, out, err) = parts(&o);
    let doc: Value = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {out}\nstderr: {err}"));
    (code, doc)
}

/// The findings of a JSON report.
pub fn findings(doc: &Value) -> &Vec<Value> {
    doc["findings"].as_array().expect("findings array")
}

/// The `secret_sha256` values of a JSON report's findings.
pub fn hashes(doc: &Value) -> Vec<String> {
    findings(doc)
        .iter()
        .map(|f| f["secret_sha256"].as_str().unwrap().to_string())
        .collect()
}
