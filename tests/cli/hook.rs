//! `burnkey hook install|uninstall` and the hook in real `git commit`s.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use crate::common::*;
use crate::git::{commit_all, git, repo};

fn hook_cmd(dir: &Path, args: &[&str]) -> (i32, String, String) {
    parts(
        &bin()
            .current_dir(dir)
            .arg("hook")
            .args(args)
            .output()
            .unwrap(),
    )
}

fn try_commit(dir: &Path, msg: &str) -> (bool, String) {
    let o = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["commit", "-q", "-m", msg])
        .output()
        .unwrap();
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn installed_hook_blocks_a_token_and_lets_clean_commits_through() {
    let t = repo();
    let (code, out, _) = hook_cmd(t.path(), &["install"]);
    assert_eq!(code, 0, "{out}");
    let hook = t.join(".git/hooks/pre-commit");
    assert!(std::fs::metadata(&hook).unwrap().permissions().mode() & 0o111 != 0);
    t.write("ok.txt", "fine\n");
    git(t.path(), &["add", "ok.txt"]);
    let (ok, err) = try_commit(t.path(), "clean");
    assert!(ok, "{err}");
    let tok = mint("cfut");
    t.write("app/settings.py", format!("import os\nTOKEN = '{tok}'\n"));
    git(t.path(), &["add", "-A"]);
    let (ok, err) = try_commit(t.path(), "leak");
    assert!(!ok, "the commit must be blocked");
    assert!(err.contains("commit blocked"), "{err}");
    assert!(err.contains("app/settings.py:2:10"), "{err}");
    assert!(err.contains("cloudflare-user-api-token"), "{err}");
    assert!(
        err.contains("burnkey:allow") && err.contains(".burnkeyignore"),
        "how to allow a false positive: {err}"
    );
    assert!(!err.contains(&tok), "never the full token");
    // The user allows it inline: the commit goes through.
    t.write(
        "app/settings.py",
        format!("import os\nTOKEN = '{tok}'  # burnkey:allow\n"),
    );
    git(t.path(), &["add", "-A"]);
    let (ok, err) = try_commit(t.path(), "allowed");
    assert!(ok, "{err}");
    // `git commit -a` uses a temporary index: still checked.
    let other = mint("ghp");
    t.write("ok.txt", format!("{other}\n"));
    let o = Command::new("git")
        .arg("-C")
        .arg(t.path())
        .args(["commit", "-q", "-a", "-m", "x"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    // Uninstall removes it; commits are no longer checked.
    let (code, _, _) = hook_cmd(t.path(), &["uninstall"]);
    assert_eq!(code, 0);
    assert!(!hook.exists());
    let (code, _, err) = hook_cmd(t.path(), &["uninstall"]);
    assert_eq!(code, 1, "nothing to uninstall: {err}");
}

#[test]
fn foreign_hook_is_refused_or_chained_and_restored() {
    let t = repo();
    let hook = t.join(".git/hooks/pre-commit");
    let marker = t.join("legacy-ran");
    std::fs::write(&hook, format!("#!/bin/sh\ntouch '{}'\n", marker.display())).unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    let foreign = std::fs::read_to_string(&hook).unwrap();
    let (code, _, err) = hook_cmd(t.path(), &["install"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("not burnkey's") && err.contains("--chain"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&hook).unwrap(),
        foreign,
        "untouched"
    );
    let (code, out, err) = hook_cmd(t.path(), &["install", "--chain"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        std::fs::read_to_string(t.join(".git/hooks/pre-commit.legacy")).unwrap(),
        foreign
    );
    t.write("a.txt", "x\n");
    git(t.path(), &["add", "a.txt"]);
    let (ok, err) = try_commit(t.path(), "one");
    assert!(ok, "{err}");
    assert!(marker.exists(), "the chained hook ran");
    // Installing again refreshes ours and keeps the chain.
    let (code, out, _) = hook_cmd(t.path(), &["install", "--chain"]);
    assert_eq!(code, 0);
    assert!(out.contains("updated"), "{out}");
    // Uninstall puts the foreign hook back; uninstall refuses to touch it after.
    let (code, _, _) = hook_cmd(t.path(), &["uninstall"]);
    assert_eq!(code, 0);
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), foreign);
    assert!(!t.join(".git/hooks/pre-commit.legacy").exists());
    let (code, _, err) = hook_cmd(t.path(), &["uninstall"]);
    assert_eq!(code, 1);
    assert!(err.contains("not burnkey's"), "{err}");
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), foreign);
}

#[test]
fn core_hooks_path_is_honoured() {
    let t = repo();
    git(t.path(), &["config", "core.hooksPath", "my-hooks"]);
    let (code, out, _) = hook_cmd(t.path(), &["install"]);
    assert_eq!(code, 0, "{out}");
    assert!(t.join("my-hooks/pre-commit").exists());
    assert!(!t.join(".git/hooks/pre-commit").exists());
    t.write("a.txt", format!("{}\n", mint("cfat")));
    git(t.path(), &["add", "a.txt"]);
    assert!(!try_commit(t.path(), "leak").0);
}

#[test]
fn works_in_a_worktree() {
    let t = repo();
    t.write("a.txt", "x\n");
    commit_all(&t, "base");
    let wt_parent = Tree::new();
    let wt = wt_parent.join("wt");
    git(
        t.path(),
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            "wt-branch",
            wt.to_str().unwrap(),
        ],
    );
    let (code, out, _) = hook_cmd(&wt, &["install"]);
    assert_eq!(code, 0, "{out}");
    // Hooks are shared by worktrees: the hook lands in the common git dir.
    assert!(t.join(".git/hooks/pre-commit").exists(), "{out}");
    std::fs::write(wt.join("b.txt"), format!("{}\n", mint("cfk"))).unwrap();
    git(&wt, &["add", "b.txt"]);
    let (ok, err) = try_commit(&wt, "leak in worktree");
    assert!(!ok);
    assert!(err.contains("b.txt:1:1"), "{err}");
    let (code, _, _) = hook_cmd(&wt, &["uninstall"]);
    assert_eq!(code, 0);
}

#[test]
fn outside_a_repository_is_an_error() {
    let t = Tree::new();
    let (code, _, err) = hook_cmd(t.path(), &["install"]);
    assert_eq!(code, 2);
    assert!(err.contains("not a git repository"), "{err}");
}
