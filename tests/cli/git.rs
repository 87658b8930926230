//! Git sources on real repositories built in temp dirs: `--staged`,
//! `--git`, `--git-range`, `--since-commit`, `--pre-commit`.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::common::*;

pub fn git(dir: &Path, args: &[&str]) -> String {
    let o = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// A fresh repository with an identity and `main` as the default branch.
pub fn repo() -> Tree {
    let t = Tree::new();
    git(t.path(), &["init", "-q", "-b", "main"]);
    git(t.path(), &["config", "user.email", "t@example.com"]);
    git(t.path(), &["config", "user.name", "t"]);
    git(t.path(), &["config", "commit.gpgsign", "false"]);
    t
}

pub fn commit_all(t: &Tree, msg: &str) -> String {
    git(t.path(), &["add", "-A"]);
    git(t.path(), &["commit", "-q", "--allow-empty", "-m", msg]);
    git(t.path(), &["rev-parse", "HEAD"])
}

fn json_in(dir: &Path, args: &[&str]) -> (i32, Value, String) {
    let o = bin()
        .current_dir(dir)
        .args(["scan", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let (code, out, err) = parts(&o);
    let doc = serde_json::from_str(&out).unwrap_or(Value::Null);
    (code, doc, err)
}

#[test]
fn staged_reads_the_index_not_the_working_tree() {
    let t = repo();
    let staged = mint("cfut");
    let unstaged = mint("cfat");
    t.write("a.txt", format!("one\ntoken={staged}\n"));
    git(t.path(), &["add", "a.txt"]);
    // Edited away in the working tree after staging: still in the index.
    t.write("a.txt", "one\nclean now\n");
    t.write("b.txt", format!("token={unstaged}\n"));
    let (code, doc, _) = json_in(t.path(), &["--staged"]);
    assert_eq!(code, 1);
    assert_eq!(hashes(&doc), vec![sha(&staged)]);
    let f = &findings(&doc)[0];
    assert_eq!(
        (f["path"].as_str(), f["line"].as_u64(), f["column"].as_u64()),
        (Some("a.txt"), Some(2), Some(7))
    );
    assert_eq!(f["source"], "staged");
    assert!(f["blob"].is_string());
    // A plain scan sees the working tree instead.
    let (_, doc, _) = json_in(t.path(), &["."]);
    assert_eq!(hashes(&doc), vec![sha(&unstaged)]);
}

#[test]
fn staged_only_added_or_changed_files_renames_and_deletions() {
    let t = repo();
    let old = mint("cfut");
    t.write("old/keep.txt", format!("{old}\n"));
    t.write("old/gone.txt", format!("{old}\n"));
    commit_all(&t, "base");
    // Unchanged committed file with a token: not part of the staged change.
    let (code, doc, _) = json_in(t.path(), &["--staged"]);
    assert_eq!((code, findings(&doc).len()), (0, 0));
    // Deleting a file with a token is not a leak.
    git(t.path(), &["rm", "-q", "old/gone.txt"]);
    let (code, _, _) = json_in(t.path(), &["--staged"]);
    assert_eq!(code, 0);
    // A rename carries the content to a new path: reported there.
    git(t.path(), &["mv", "old/keep.txt", "new name.txt"]);
    let (code, doc, _) = json_in(t.path(), &["--staged"]);
    assert_eq!(code, 1);
    assert_eq!(findings(&doc)[0]["path"], "new name.txt");
}

#[test]
fn staged_in_an_empty_repository_and_in_a_subdirectory() {
    let t = repo();
    let (code, doc, err) = json_in(t.path(), &["--staged"]);
    assert_eq!((code, findings(&doc).len()), (0, 0), "{err}");
    let (code, doc, err) = json_in(t.path(), &["--git"]);
    assert_eq!(
        (code, findings(&doc).len()),
        (0, 0),
        "empty repository: {err}"
    );
    let tok = mint("npm");
    t.write("sub/dir/x.js", format!("t = '{tok}'"));
    git(t.path(), &["add", "-A"]);
    // Run from inside a subdirectory: paths are still repository paths.
    let (code, doc, _) = json_in(&t.join("sub/dir"), &["--staged"]);
    assert_eq!(code, 1);
    assert_eq!(findings(&doc)[0]["path"], "sub/dir/x.js");
}

#[test]
fn history_finds_what_a_later_commit_removed() {
    let t = repo();
    let tok = mint("cfk");
    t.write("config.yml", "key: none\n");
    commit_all(&t, "one");
    t.write("config.yml", format!("key: none\nglobal: {tok}\n"));
    let added = commit_all(&t, "two: oops");
    t.write("config.yml", "key: none\n");
    commit_all(&t, "three: removed");
    let (code, doc, _) = json_in(t.path(), &["."]);
    assert_eq!(
        (code, findings(&doc).len()),
        (0, 0),
        "not in the working tree"
    );
    let (code, doc, err) = json_in(t.path(), &["--git"]);
    assert_eq!(code, 1, "{err}");
    let f = &findings(&doc)[0];
    assert_eq!(f["secret_sha256"], sha(&tok));
    assert_eq!(f["commit"], added.as_str(), "the commit that introduced it");
    assert_eq!(f["path"], "config.yml");
    assert_eq!(f["line"], 2);
    assert_eq!(f["source"], "commit");
    let blob = git(t.path(), &["rev-parse", &format!("{added}:config.yml")]);
    assert_eq!(f["blob"], blob.as_str());
    // --git with an explicit repository path, from elsewhere.
    let (code, doc, _) = json_in(Path::new("/"), &["--git", t.path().to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(findings(&doc).len(), 1);
}

#[test]
fn history_scans_each_blob_once_across_branches_tags_and_stash() {
    let t = repo();
    let shared = mint("cfut");
    t.write("a.txt", format!("{shared}\n"));
    t.write("copy.txt", format!("{shared}\n"));
    commit_all(&t, "base");
    git(t.path(), &["checkout", "-q", "-b", "feature"]);
    let on_branch = mint("ghp");
    t.write("feature.txt", format!("{on_branch}\n"));
    let branch_commit = commit_all(&t, "feature");
    git(t.path(), &["checkout", "-q", "main"]);
    let stashed = mint("cfat");
    t.write("a.txt", format!("{shared}\n{stashed}\n"));
    git(t.path(), &["stash", "-q"]);
    let (code, doc, err) = json_in(t.path(), &["--git"]);
    assert_eq!(code, 1, "{err}");
    let mut hs = hashes(&doc);
    hs.sort();
    // Blobs: base a.txt (= copy.txt, one blob, reported once), feature.txt,
    // and the stash's a.txt, which holds both the shared and the stashed token.
    let mut want = vec![sha(&shared), sha(&on_branch), sha(&stashed), sha(&shared)];
    want.sort();
    assert_eq!(hs, want, "{doc}");
    let f = findings(&doc)
        .iter()
        .find(|f| f["secret_sha256"] == sha(&on_branch))
        .unwrap();
    assert_eq!(f["commit"], branch_commit.as_str());
    assert_eq!(
        doc["stats"]["files_scanned"].as_u64().unwrap(),
        3,
        "distinct blobs"
    );
}

#[test]
fn range_scans_what_the_pushed_commits_add_including_merges() {
    let t = repo();
    let before = mint("cfut");
    t.write("base.txt", format!("{before}\n"));
    let base = commit_all(&t, "base");
    git(t.path(), &["checkout", "-q", "-b", "topic"]);
    let in_topic = mint("npm");
    t.write("topic.txt", format!("{in_topic}\n"));
    let topic_commit = commit_all(&t, "topic");
    git(t.path(), &["checkout", "-q", "main"]);
    t.write("main.txt", "clean\n");
    commit_all(&t, "main moves on");
    git(
        t.path(),
        &["merge", "-q", "--no-ff", "-m", "merge topic", "topic"],
    );
    let head = git(t.path(), &["rev-parse", "HEAD"]);
    let (code, doc, err) = json_in(t.path(), &["--git-range", &format!("{base}..{head}")]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        hashes(&doc),
        vec![sha(&in_topic)],
        "the base's token is not in the range"
    );
    assert_eq!(findings(&doc)[0]["commit"], topic_commit.as_str());
    let (code, doc, _) = json_in(t.path(), &["--since-commit", &base]);
    assert_eq!(code, 1);
    assert_eq!(hashes(&doc), vec![sha(&in_topic)]);
    // A range with nothing new.
    let (code, doc, _) = json_in(t.path(), &["--git-range", &format!("{head}..{head}")]);
    assert_eq!((code, findings(&doc).len()), (0, 0));
    // A new branch pushed (all-zero base): its commits not on any remote.
    let zero = "0".repeat(40);
    let (code, doc, _) = json_in(t.path(), &["--git-range", &format!("{zero}..{head}")]);
    assert_eq!(code, 1);
    assert_eq!(findings(&doc).len(), 2, "no remote: the whole history");
    // A bad range is an error, with git's reason.
    let (code, _, err) = json_in(t.path(), &["--git-range", "nope..HEAD"]);
    assert_eq!(code, 2);
    assert!(err.contains("nope"), "{err}");
    let (code, _, _) = json_in(t.path(), &["--git-range", "--output=/tmp/x"]);
    assert_eq!(code, 2, "options are not smuggled into git");
}

#[test]
fn odd_paths_spaces_newlines_invalid_utf8() {
    let t = repo();
    let tok = mint("cfut");
    use std::os::unix::ffi::OsStrExt;
    let names: [&[u8]; 3] = [b"with space.txt", b"new\nline.txt", b"bad\xff.txt"];
    for n in names {
        std::fs::write(
            t.path().join(std::ffi::OsStr::from_bytes(n)),
            format!("{tok}\n"),
        )
        .unwrap();
        // Distinct blobs per path, so each is reported.
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(t.path().join(std::ffi::OsStr::from_bytes(n)))
            .unwrap();
        std::io::Write::write_all(&mut f, n).unwrap();
    }
    git(t.path(), &["add", "-A"]);
    let want = vec!["bad\u{fffd}.txt", "new\nline.txt", "with space.txt"];
    let (code, doc, _) = json_in(t.path(), &["--staged"]);
    assert_eq!(code, 1);
    let paths: Vec<&str> = findings(&doc)
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, want);
    commit_all(&t, "odd");
    let (code, doc, _) = json_in(t.path(), &["--git"]);
    assert_eq!(code, 1);
    let mut paths: Vec<&str> = findings(&doc)
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    paths.sort();
    assert_eq!(paths, want, "full paths, even with a newline");
}

#[test]
fn shallow_clone_scans_what_is_there_and_deepening_is_suggested() {
    let t = repo();
    let old = mint("cfut");
    t.write("a.txt", format!("{old}\n"));
    let first = commit_all(&t, "one");
    t.write("a.txt", "clean\n");
    commit_all(&t, "two");
    let new = mint("cfat");
    t.write("b.txt", format!("{new}\n"));
    commit_all(&t, "three");
    let clones = Tree::new();
    let dst = clones.join("shallow");
    let src = format!("file://{}", t.path().display());
    let o = Command::new("git")
        .args(["clone", "-q", "--depth", "1", &src])
        .arg(&dst)
        .output()
        .unwrap();
    assert!(o.status.success());
    let (code, doc, err) = json_in(&dst, &["--git"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(hashes(&doc), vec![sha(&new)], "only what the clone holds");
    let (code, _, err) = json_in(&dst, &["--git-range", &format!("{first}..HEAD")]);
    assert_eq!(code, 2);
    assert!(err.contains("shallow") && err.contains("--deepen"), "{err}");
}

#[test]
fn submodules_are_passed_over_without_crashing() {
    let sub = repo();
    let inner = mint("ghp");
    sub.write("inner.txt", format!("{inner}\n"));
    commit_all(&sub, "inner");
    let t = repo();
    t.write("top.txt", "clean\n");
    commit_all(&t, "top");
    let o = Command::new("git")
        .arg("-C")
        .arg(t.path())
        .args(["-c", "protocol.file.allow=always", "submodule", "add", "-q"])
        .arg(sub.path())
        .arg("vendor/sub")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (code, doc, err) = json_in(t.path(), &["--staged"]);
    assert_eq!(
        code, 0,
        "the gitlink is not a blob; .gitmodules is clean: {err}"
    );
    assert_eq!(doc["stats"]["files_scanned"], 1);
    commit_all(&t, "add sub");
    let (code, doc, err) = json_in(t.path(), &["--git"]);
    assert_eq!((code, findings(&doc).len()), (0, 0), "{err}");
    // A plain scan sees the checked-out submodule's files (its .git is skipped).
    let (code, doc, _) = json_in(t.path(), &["."]);
    assert_eq!(code, 1);
    assert_eq!(findings(&doc)[0]["path"], "vendor/sub/inner.txt");
}

#[test]
fn corrupt_and_missing_objects_are_reported_and_skipped() {
    let t = repo();
    let good = mint("cfut");
    t.write("good.txt", format!("{good}\n"));
    t.write(
        "bad.txt",
        format!("this blob will be damaged {}\n", mint("cfat")),
    );
    commit_all(&t, "one");
    let bad_blob = git(t.path(), &["rev-parse", "HEAD:bad.txt"]);
    let obj = t.join(&format!(
        ".git/objects/{}/{}",
        &bad_blob[..2],
        &bad_blob[2..]
    ));
    let mut perms = std::fs::metadata(&obj).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o644);
    std::fs::set_permissions(&obj, perms).unwrap();
    let mut bytes = std::fs::read(&obj).unwrap();
    let n = bytes.len();
    for b in &mut bytes[n / 2..] {
        *b ^= 0x5a;
    }
    std::fs::write(&obj, bytes).unwrap();
    let (code, doc, err) = json_in(t.path(), &["--git"]);
    assert_eq!(code, 1, "the good blob is still scanned: {err}");
    assert_eq!(hashes(&doc), vec![sha(&good)]);
    let errors = doc["stats"]["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{doc}");
    assert!(errors[0]["path"].as_str().unwrap().starts_with(&bad_blob));
    // A missing object (deleted outright): history lists it as missing and
    // goes on; so does a range.
    std::fs::remove_file(&obj).unwrap();
    let (code, doc, err) = json_in(t.path(), &["--git"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(hashes(&doc), vec![sha(&good)]);
    let errors = doc["stats"]["errors"].as_array().unwrap();
    assert!(
        errors.len() == 1
            && errors[0]["path"].as_str().unwrap().starts_with(&bad_blob)
            && errors[0]["message"].as_str().unwrap().contains("missing"),
        "{doc}"
    );
    let (code, doc, _) = json_in(
        t.path(),
        &["--git-range", &format!("{}..HEAD", "0".repeat(40))],
    );
    assert_eq!(code, 1);
    let errors = doc["stats"]["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e["message"].as_str().unwrap().contains("missing")),
        "{doc}"
    );
}

#[test]
fn not_a_repository_and_no_git_are_clear_errors() {
    let t = Tree::new();
    for flag in [
        &["--staged"][..],
        &["--git"][..],
        &["--since-commit", "HEAD"][..],
    ] {
        let (code, _, err) = json_in(t.path(), flag);
        assert_eq!(code, 2, "{flag:?}");
        assert!(err.contains("not a git repository"), "{err}");
    }
    let o = bin()
        .current_dir(t.path())
        .env("PATH", "/nonexistent")
        .args(["scan", "--staged"])
        .output()
        .unwrap();
    let (code, _, err) = parts(&o);
    assert_eq!(code, 2);
    assert!(err.contains("git is not installed"), "{err}");
    let o = bin().args(["scan", "--staged", "--git"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "one source at a time");
}

#[test]
fn pre_commit_mode_uses_the_push_range_when_given() {
    let t = repo();
    let a = mint("cfut");
    t.write("a.txt", format!("{a}\n"));
    let c1 = commit_all(&t, "one");
    let b = mint("npm");
    t.write("b.txt", format!("{b}\n"));
    let c2 = commit_all(&t, "two");
    let o = bin()
        .current_dir(t.path())
        .args(["scan", "--pre-commit", "--format", "json"])
        .env("PRE_COMMIT_FROM_REF", &c1)
        .env("PRE_COMMIT_TO_REF", &c2)
        .output()
        .unwrap();
    let (code, out, _) = parts(&o);
    assert_eq!(code, 1);
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(hashes(&doc), vec![sha(&b)]);
    // Without the refs it is the staged scan.
    let c = mint("cfat");
    t.write("c.txt", format!("{c}\n"));
    git(t.path(), &["add", "c.txt"]);
    let o = bin()
        .current_dir(t.path())
        .env_remove("PRE_COMMIT_FROM_REF")
        .env_remove("PRE_COMMIT_TO_REF")
        .args(["scan", "--pre-commit", "--format", "json"])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_str(&parts(&o).1).unwrap();
    assert_eq!(hashes(&doc), vec![sha(&c)]);
}

#[test]
fn burnkeyignore_applies_to_git_sources() {
    let t = repo();
    let tok = mint("cfut");
    t.write("fixtures/a.txt", format!("{tok}\n"));
    t.write("src/b.txt", format!("{tok} // burnkey:allow\n"));
    t.write(".burnkeyignore", "fixtures/\n");
    git(t.path(), &["add", "-A"]);
    let (code, doc, _) = json_in(t.path(), &["--staged"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["stats"]["skipped"]["burnkeyignore"], 1);
    assert_eq!(doc["stats"]["suppressed"]["inline"], 1);
}

#[test]
fn max_filesize_applies_to_blobs_as_to_files() {
    let t = repo();
    let small = mint("cfut");
    let big = mint("cfat");
    t.write("small.txt", format!("{small}\n"));
    // 2 KiB: over a 1K limit, with a token at its start.
    t.write("big.txt", format!("{big}\n{}", "x".repeat(2048)));
    commit_all(&t, "one");
    let (code, doc, err) = json_in(t.path(), &["--git", "--max-filesize", "1K"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(hashes(&doc), vec![sha(&small)]);
    assert_eq!(doc["stats"]["skipped"]["too_large"], 1, "{doc}");
    assert_eq!(doc["stats"]["files_scanned"], 1);
    // The index and ranges read the same setting.
    t.write("big2.txt", format!("{}\n{}", mint("npm"), "y".repeat(2048)));
    git(t.path(), &["add", "big2.txt"]);
    let (code, doc, _) = json_in(t.path(), &["--staged", "--max-filesize", "1K"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["stats"]["skipped"]["too_large"], 1, "{doc}");
    let (code, doc, _) = json_in(t.path(), &["--staged"]);
    assert_eq!((code, findings(&doc).len()), (1, 1), "no limit: scanned");
}

/// A token kept by later edits is one finding per path, at the commit that
/// introduced it, with how many versions carried it, the last commit that
/// did and the refs that still hold it; a copy at another path is another
/// finding; `--all-occurrences` gives one per blob as before.
#[test]
fn history_reports_each_token_once_per_path() {
    let t = repo();
    let tok = mint("cfut");
    let other = mint("ghp");
    t.write("a.txt", format!("key = {tok}\n"));
    let c1 = commit_all(&t, "plant");
    t.write("a.txt", format!("// edited\nkey = {tok}\n"));
    let c2 = commit_all(&t, "edit, token kept");
    git(t.path(), &["branch", "old"]);
    t.write("b.txt", format!("// edited\nkey = {tok}\n"));
    t.write("c.txt", format!("{other}\n"));
    let c3 = commit_all(&t, "copy to b.txt");
    t.write("a.txt", "// edited\nkey = removed\n");
    git(t.path(), &["rm", "-q", "c.txt"]);
    let c4 = commit_all(&t, "remove from a.txt and c.txt");
    git(t.path(), &["tag", "-a", "v1", "-m", "v1"]);
    let (code, doc, err) = json_in(t.path(), &["--git"]);
    assert_eq!(code, 1, "{err}");
    let got: Vec<(String, String, String, u64, Vec<String>)> = findings(&doc)
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["commit"].as_str().unwrap().to_string(),
                f["last_commit"].as_str().unwrap().to_string(),
                f["occurrences"].as_u64().unwrap(),
                f["still_in"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "a.txt".into(),
                c1.clone(),
                c2.clone(),
                2,
                vec!["refs/heads/old".into()]
            ),
            (
                "b.txt".into(),
                c3.clone(),
                c3.clone(),
                1,
                vec!["refs/heads/main".into(), "refs/tags/v1".into()]
            ),
            ("c.txt".into(), c3.clone(), c3.clone(), 1, vec![]),
        ],
        "{doc}"
    );
    assert_ne!(c4, c3);
    // The copy is the same blob as a.txt's second version: found at both
    // paths, with each path's fingerprint.
    let fps: std::collections::HashSet<&str> = findings(&doc)
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(fps.len(), 3);
    // Every blob, as before.
    let (code, all, _) = json_in(t.path(), &["--git", "--all-occurrences"]);
    assert_eq!(code, 1);
    assert_eq!(
        findings(&all).len(),
        3,
        "a.txt v1, a.txt v2 (= b.txt), c.txt"
    );
    assert!(findings(&all)
        .iter()
        .all(|f| f.get("occurrences").is_none()));
    // A range is merged the same way.
    let range = format!("{c1}..{c4}");
    let (code, doc, _) = json_in(t.path(), &["--git-range", &range]);
    assert_eq!(code, 1);
    let paths: Vec<(&str, u64)> = findings(&doc)
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap(),
                f["occurrences"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(paths, vec![("a.txt", 1), ("b.txt", 1), ("c.txt", 1)]);
    // Text says where it still is.
    let o = bin()
        .current_dir(t.path())
        .args(["scan", "--git"])
        .output()
        .unwrap();
    let (_, out, _) = parts(&o);
    assert!(
        out.contains("(2 versions, last ")
            && out.contains("(still in old)")
            && out.contains("(history only)"),
        "{out}"
    );
}

/// History is read as the blobs reachable from the refs, newest first,
/// which name a path but no commit; findings are then placed where the log
/// says each blob was first added. A file renamed or copied after its token
/// was planted, a merge, a branch that deleted it: each finding names the
/// commit and path that first held its blob, exactly as the log-driven
/// scan (which a path glob in `.burnkeyignore` selects) places them.
#[test]
fn history_places_renamed_and_copied_tokens_where_they_were_added() {
    let t = repo();
    let (moved, copied, side, clean) = (mint("cfut"), mint("cfat"), mint("cfk"), mint("ghp"));
    t.write("old/config.yml", format!("key: {moved}\n"));
    t.write("src/a.txt", format!("{copied}\n"));
    let planted = commit_all(&t, "plant");
    git(t.path(), &["mv", "old", "new"]);
    let renamed = commit_all(&t, "rename old/ to new/");
    t.write("src/copy.txt", format!("{copied}\n"));
    let copy = commit_all(&t, "copy a.txt");
    git(t.path(), &["checkout", "-q", "-b", "side"]);
    t.write("side.txt", format!("{side}\n"));
    let on_side = commit_all(&t, "side token");
    git(t.path(), &["rm", "-q", "side.txt"]);
    commit_all(&t, "side token removed");
    git(t.path(), &["checkout", "-q", "main"]);
    t.write("clean.txt", format!("fine {}\n", &clean[..10]));
    commit_all(&t, "unrelated");
    git(
        t.path(),
        &["merge", "-q", "--no-ff", "-m", "merge side", "side"],
    );
    let places = |doc: &Value| -> Vec<(String, String, String, u64, u64, u64)> {
        findings(doc)
            .iter()
            .map(|f| {
                (
                    f["path"].as_str().unwrap().to_string(),
                    f["commit"].as_str().unwrap().to_string(),
                    f["fingerprint"].as_str().unwrap().to_string(),
                    f["line"].as_u64().unwrap(),
                    f["column"].as_u64().unwrap(),
                    f["occurrences"].as_u64().unwrap_or(0),
                )
            })
            .collect()
    };
    let (code, doc, err) = json_in(t.path(), &["--git"]);
    assert_eq!(code, 1, "{err}");
    let got = places(&doc);
    let at: Vec<(&str, &str)> = got.iter().map(|p| (p.0.as_str(), p.1.as_str())).collect();
    assert_eq!(
        at,
        vec![
            ("new/config.yml", renamed.as_str()),
            ("old/config.yml", planted.as_str()),
            ("side.txt", on_side.as_str()),
            ("src/a.txt", planted.as_str()),
            ("src/copy.txt", copy.as_str()),
        ],
        "{doc}"
    );
    // The log-driven scan (a path glob that matches nothing selects it)
    // places every finding the same, and so for every blob.
    t.write(".burnkeyignore", "nothing-here/\n");
    let (_, by_log, _) = json_in(t.path(), &["--git"]);
    assert_eq!(places(&by_log), got);
    let (_, all_log, _) = json_in(t.path(), &["--git", "--all-occurrences"]);
    std::fs::remove_file(t.join(".burnkeyignore")).unwrap();
    let (_, all, _) = json_in(t.path(), &["--git", "--all-occurrences"]);
    assert_eq!(places(&all), places(&all_log));
    assert_eq!(findings(&all).len(), 3, "one per blob: {all}");
    // An allowed fingerprint is the placed finding's.
    t.write(".burnkeyignore", format!("{}\n", got[1].2));
    let (_, doc, _) = json_in(t.path(), &["--git"]);
    assert_eq!(findings(&doc).len(), 4, "{doc}");
    assert!(findings(&doc).iter().all(|f| f["path"] != "old/config.yml"));
    assert_eq!(doc["stats"]["suppressed"]["fingerprint"], 1, "{doc}");
}

/// A path glob in `.burnkeyignore` leaves out places, not blobs: the same
/// content added at a path that is not ignored (a fixture copied into the
/// code) is found there, and a copy into an ignored folder is not reported.
/// Both ways of reading history agree.
#[test]
fn an_ignored_path_hides_only_its_own_places_in_history() {
    let t = repo();
    let (fixture, live) = (mint("cfut"), mint("cfat"));
    t.write(".burnkeyignore", "fixtures/\n");
    // A range reads the allowlist of its base.
    let base = commit_all(&t, "the allowlist");
    t.write("fixtures/sample.env", format!("TOKEN={fixture}\n"));
    t.write("app/config.yml", format!("key: {live}\n"));
    commit_all(&t, "a fixture and a config");
    t.write("app/.env", format!("TOKEN={fixture}\n"));
    let copied = commit_all(&t, "the fixture copied into the app");
    t.write("fixtures/config.yml", format!("key: {live}\n"));
    commit_all(&t, "the config copied into the fixtures");
    let places = |doc: &Value| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = findings(doc)
            .iter()
            .map(|f| {
                (
                    f["secret_sha256"].as_str().unwrap().into(),
                    f["path"].as_str().unwrap().into(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let mut want = vec![
        (sha(&fixture), "app/.env".to_string()),
        (sha(&live), "app/config.yml".to_string()),
    ];
    want.sort();
    let range = format!("{base}..HEAD");
    for args in [
        &["--git"][..],
        &["--git", "--all-occurrences"][..],
        &["--git-range", &range][..],
    ] {
        let (code, doc, err) = json_in(t.path(), args);
        assert_eq!(code, 1, "{err}");
        assert_eq!(places(&doc), want, "{args:?}: {doc}");
        // The two places in fixtures/, counted.
        assert_eq!(
            doc["stats"]["skipped"]["burnkeyignore"], 2,
            "{args:?}: {doc}"
        );
        let at_env = findings(&doc)
            .iter()
            .find(|f| f["path"] == "app/.env")
            .map(|f| f["commit"].as_str().unwrap().to_string());
        assert_eq!(at_env.as_deref(), Some(copied.as_str()), "{doc}");
    }
}

/// What the organisation-wide workflow does with every repository: `git
/// clone --mirror` (a bare repository, no work tree), then `scan --git`.
/// History and ranges are read from the objects; `.burnkeyignore` and a
/// relative `--baseline` from `HEAD`; `--staged` has no index to read.
#[test]
fn a_mirror_clone_is_scanned_with_its_allowlist_and_baseline_from_head() {
    let t = repo();
    let (gone, known, fixture, head) = (mint("cfk"), mint("cfut"), mint("cfat"), mint("ghp"));
    t.write("config.yml", format!("global: {gone}\n"));
    let planted = commit_all(&t, "one: oops");
    t.write("config.yml", "global: none\n");
    t.write("fixtures/sample.env", format!("TOKEN={fixture}\n"));
    t.write(".burnkeyignore", "fixtures/\n");
    t.write("old/known.txt", format!("{known}\n"));
    let o = bin()
        .current_dir(t.path())
        .args(["scan", "old", "--write-baseline", ".burnkey-baseline.toml"])
        .output()
        .unwrap();
    assert_eq!(parts(&o).0, 1);
    let before = commit_all(&t, "two: removed, a fixture, a baseline");
    t.write("deploy.sh", format!("export GH_TOKEN={head}\n"));
    let last = commit_all(&t, "three: another");

    let m = Tree::new();
    let mirror = m.join("app.git");
    git(
        m.path(),
        &[
            "clone",
            "-q",
            "--mirror",
            t.path().to_str().unwrap(),
            "app.git",
        ],
    );
    assert_eq!(git(&mirror, &["rev-parse", "--is-bare-repository"]), "true");
    let dir = mirror.to_str().unwrap();

    let (code, doc, err) = json_in(
        m.path(),
        &[
            "--git",
            dir,
            "--repository",
            "org/app",
            "--baseline",
            ".burnkey-baseline.toml",
        ],
    );
    assert_eq!(code, 1, "{err}");
    let mut got: Vec<(String, String, String)> = findings(&doc)
        .iter()
        .map(|f| {
            assert_eq!(f["repository"], "org/app");
            (
                f["secret_sha256"].as_str().unwrap().into(),
                f["path"].as_str().unwrap().into(),
                f["commit"].as_str().unwrap().into(),
            )
        })
        .collect();
    got.sort();
    let mut want = vec![
        (sha(&gone), "config.yml".to_string(), planted.clone()),
        (sha(&head), "deploy.sh".to_string(), last.clone()),
    ];
    want.sort();
    assert_eq!(got, want, "{doc}");
    assert_eq!(doc["stats"]["skipped"]["burnkeyignore"], 1, "{doc}");
    assert_eq!(doc["stats"]["suppressed"]["baseline"], 1, "{doc}");

    // A range of the mirror: only what it adds.
    let (code, doc, err) = json_in(
        m.path(),
        &["--git-range", &format!("{before}..{last}"), dir],
    );
    assert_eq!(code, 1, "{err}");
    assert_eq!(hashes(&doc), vec![sha(&head)]);

    // A baseline named but in neither place is an error, not a clean run.
    let (code, _, err) = json_in(m.path(), &["--git", dir, "--baseline", "nope.toml"]);
    assert_eq!(code, 2);
    assert!(err.contains("nope.toml") && err.contains("HEAD"), "{err}");

    // No index in a bare repository: a clear error, from outside or inside.
    for (cwd, args) in [
        (m.path(), vec!["--staged", dir]),
        (mirror.as_path(), vec!["--pre-commit"]),
    ] {
        let (code, _, err) = json_in(cwd, &args);
        assert_eq!(code, 2, "{args:?}");
        assert!(
            err.contains("bare repository") && err.contains("--staged"),
            "{err}"
        );
    }
}
