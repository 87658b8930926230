//! Baselines: `--write-baseline` records what is known, `--baseline`
//! reports only what is new — keyed on the secret, not the line.

use crate::common::*;
use crate::git::{commit_all, repo};

#[test]
fn a_baseline_is_keyed_on_the_secret_not_the_line() {
    let t = Tree::new();
    let known = mint("cfut");
    t.write("src/a.txt", format!("one\nk = {known}\n"));
    let (code, _) = scan_json(t.path(), &[".", "--write-baseline", "base.toml"]);
    assert_eq!(code, 1, "writing a baseline still reports");
    let text = std::fs::read_to_string(t.path().join("base.toml")).unwrap();
    assert!(!text.contains(&known), "no secret in a baseline");
    assert!(
        text.contains(&sha(&known)) && text.contains("pin_path = false"),
        "{text}"
    );
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(t.path().join("base.toml"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Known: clean, and counted.
    let (code, doc) = scan_json(t.path(), &["src", "--baseline", "base.toml"]);
    assert_eq!(code, 0);
    assert_eq!(doc["stats"]["suppressed"]["baseline"], 1);
    // Moved to another line and another file: still known.
    t.write("src/a.txt", "one\n");
    t.write("src/b.txt", format!("x\ny\nz\n    k = {known}\n"));
    let (code, doc) = scan_json(t.path(), &["src", "--baseline", "base.toml"]);
    assert_eq!(code, 0, "{doc}");
    // A new token on the known line is new.
    let fresh = mint("cfut");
    t.write("src/b.txt", format!("x\ny\nz\n    k = {known}, {fresh}\n"));
    let (code, doc) = scan_json(t.path(), &["src", "--baseline", "base.toml"]);
    assert_eq!(code, 1);
    assert_eq!(hashes(&doc), vec![sha(&fresh)]);
    assert_eq!(doc["stats"]["suppressed"]["baseline"], 1);
    // Pinned to its path: elsewhere it is new again.
    t.write(
        "pinned.toml",
        text.replace("pin_path = false", "pin_path = true"),
    );
    let (code, doc) = scan_json(t.path(), &["src", "--baseline", "pinned.toml"]);
    assert_eq!(code, 1);
    assert_eq!(findings(&doc).len(), 2, "b.txt is not the pinned a.txt");
    t.write("src/a.txt", format!("{known}\n"));
    t.write("src/b.txt", "");
    let (code, _) = scan_json(t.path(), &["src", "--baseline", "pinned.toml"]);
    assert_eq!(code, 0);
    // Stdin too.
    let o = bin()
        .current_dir(t.path())
        .args(["scan", "-", "--baseline", "base.toml", "--format", "json"])
        .write_stdin(format!("{known}\n{fresh}\n"))
        .output()
        .unwrap();
    let (code, out, _) = parts(&o);
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(hashes(&doc), vec![sha(&fresh)]);
    // A broken or missing baseline is an error, never a clean scan.
    t.write("bad.toml", "version = 1\n[[finding]]\nrule_id = 3\n");
    for b in ["bad.toml", "missing.toml"] {
        let o = bin()
            .current_dir(t.path())
            .args(["scan", "src", "--baseline", b])
            .output()
            .unwrap();
        let (code, _, err) = parts(&o);
        assert_eq!(code, 2, "{b}: {err}");
        assert!(err.contains(b), "{err}");
    }
}

#[test]
fn baselines_work_on_history_too() {
    let t = repo();
    let known = mint("ghp");
    t.write("a.txt", format!("{known}\n"));
    commit_all(&t, "one");
    t.write("a.txt", format!("edit\n{known}\n"));
    commit_all(&t, "two");
    let (code, _) = scan_json(t.path(), &["--git", "--write-baseline", "b.toml"]);
    assert_eq!(code, 1);
    let (code, doc) = scan_json(t.path(), &["--git", "--baseline", "b.toml"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(
        doc["stats"]["suppressed"]["baseline"], 1,
        "one merged finding"
    );
    let fresh = mint("ghp");
    t.write("c.txt", format!("{fresh}\n"));
    commit_all(&t, "three");
    let (code, doc) = scan_json(t.path(), &["--git", "--baseline", "b.toml"]);
    assert_eq!(code, 1);
    assert_eq!(hashes(&doc), vec![sha(&fresh)]);
}
