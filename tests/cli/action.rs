//! The GitHub Action, run offline: [`composite`](crate::composite) runs
//! action.yml's steps as the runner would, in real git repositories, with
//! fixture event JSON. The install step finds this build's burnkey on PATH.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

use crate::common::*;
use crate::composite;
use crate::git::{commit_all, git, repo};

pub(crate) struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    outputs: Vec<(String, String)>,
    /// `RUNNER_TEMP`, where the SARIF report goes: kept as long as the run.
    _temp: tempfile::TempDir,
}

impl Run {
    pub fn output(&self, k: &str) -> &str {
        self.outputs
            .iter()
            .find(|(n, _)| n == k)
            .map_or("", |(_, v)| v.as_str())
    }

    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    pub fn annotations(&self) -> Vec<&str> {
        self.stdout
            .lines()
            .filter(|l| l.starts_with("::error file="))
            .collect()
    }
}

pub(crate) fn run_action(checkout: &Path, event_name: &str, event: Value, inputs: &[&str]) -> Run {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let temp = tempfile::tempdir().unwrap();
    // The install step finds this build's burnkey on PATH.
    let bin_dir: PathBuf = crate::common::exe().parent().unwrap().to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let inputs: Vec<(&str, &str)> = inputs
        .iter()
        .map(|kv| kv.split_once('=').expect("name=value"))
        .collect();
    let r = composite::run(&composite::Invocation {
        action_dir: root,
        workspace: checkout,
        event_name,
        event: &event,
        inputs: &inputs,
        temp: temp.path(),
        env: &[
            ("PATH", path),
            ("TMPDIR", temp.path().to_string_lossy().into_owned()),
        ],
    });
    Run {
        code: r.code,
        stdout: r.stdout,
        stderr: r.stderr,
        outputs: r.outputs.into_iter().collect(),
        _temp: temp,
    }
}

/// An upstream repository and a clone of it (`depth` 0 = full).
fn upstream_and_clone(up: &Tree, branch: &str, depth: u32) -> Tree {
    let clones = Tree::new();
    let dst = clones.join("checkout");
    let mut c = Command::new("git");
    c.args(["clone", "-q", "--no-local", "-b", branch]);
    if depth > 0 {
        c.arg(format!("--depth={depth}"));
    }
    c.arg(format!("file://{}", up.path().display())).arg(&dst);
    assert!(c.status().unwrap().success());
    git(&dst, &["config", "user.email", "t@example.com"]);
    git(&dst, &["config", "user.name", "t"]);
    clones
}

fn checkout(c: &Tree) -> PathBuf {
    c.join("checkout")
}

pub(crate) fn push_event(before: &str, after: &str, branch: &str) -> Value {
    json!({"before": before, "after": after, "ref": format!("refs/heads/{branch}"), "repository": {"default_branch": "main"}})
}

/// Clones `up` (`depth` 0 = full) and runs the action for a push of `before..after` to main.
fn run_push(up: &Tree, before: &str, after: &str, depth: u32, inputs: &[&str]) -> Run {
    let c = upstream_and_clone(up, "main", depth);
    run_action(
        &checkout(&c),
        "push",
        push_event(before, after, "main"),
        inputs,
    )
}

fn assert_no_token(run: &Run, tokens: &[&str]) {
    let everything = run.all();
    for t in tokens {
        assert!(
            !everything.contains(t),
            "a full token leaked into the action's output"
        );
    }
}

#[test]
fn push_with_a_token_fails_with_annotation_summary_sarif_and_count() {
    let up = repo();
    up.write("README", "hi\n");
    let before = commit_all(&up, "base");
    let tok = mint("cfut");
    up.write("app/settings.py", format!("import os\nTOKEN = '{tok}'\n"));
    let after = commit_all(&up, "oops");
    // Keep the clone: the SARIF file is read from it below.
    let c = upstream_and_clone(&up, "main", 0);
    let run = run_action(
        &checkout(&c),
        "push",
        push_event(&before, &after, "main"),
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.all());
    let ann = run.annotations();
    assert_eq!(ann.len(), 1, "{}", run.stdout);
    assert!(
        ann[0].starts_with("::error file=app/settings.py,line=2,col=10,endColumn=63,title=Leaked Cloudflare User API Token::"),
        "{}",
        ann[0]
    );
    assert!(ann[0].contains(&tok[..9]), "redacted token in the message");
    assert!(
        run.stdout.contains("--- step summary ---")
            && run
                .stdout
                .contains("| cloudflare-user-api-token | `app/settings.py` | 2 |"),
        "{}",
        run.stdout
    );
    assert_eq!(run.output("findings"), "1");
    let sarif_path = run.output("sarif");
    assert!(sarif_path.ends_with("burnkey.sarif"), "{sarif_path}");
    // Outside the checkout: nothing committed there can redirect it.
    assert!(
        !Path::new(&sarif_path).starts_with(checkout(&c))
            && !checkout(&c).join("burnkey.sarif").exists(),
        "{sarif_path}"
    );
    let sarif: Value = serde_json::from_str(&std::fs::read_to_string(sarif_path).unwrap()).unwrap();
    let res = &sarif["runs"][0]["results"][0];
    assert_eq!(
        res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "app/settings.py"
    );
    assert_eq!(res["properties"]["commit"], after.as_str());
    assert_no_token(&run, &[&tok]);
    assert!(!std::fs::read_to_string(sarif_path).unwrap().contains(&tok));
}

#[test]
fn push_that_does_not_move_the_branch_succeeds_with_a_notice() {
    let up = repo();
    up.write("a.txt", format!("{}\n", mint("cfat")));
    let head = commit_all(&up, "one");
    let c = upstream_and_clone(&up, "main", 1);
    let run = run_action(&checkout(&c), "push", push_event(&head, &head, "main"), &[]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stdout
            .contains("::notice title=burnkey::nothing to scan"),
        "{}",
        run.stdout
    );
    assert_eq!(run.output("findings"), "0");
}

#[test]
fn new_branch_scans_only_the_commits_new_to_the_repository() {
    let up = repo();
    let on_main = mint("cfut");
    up.write("main.txt", format!("{on_main}\n"));
    commit_all(&up, "main has an old token");
    git(up.path(), &["checkout", "-q", "-b", "feature"]);
    let on_branch = mint("npm");
    up.write("feature.js", format!("t = '{on_branch}'\n"));
    let after = commit_all(&up, "feature");
    git(up.path(), &["checkout", "-q", "main"]);
    let c = upstream_and_clone(&up, "feature", 0);
    let zero = "0".repeat(40);
    let run = run_action(
        &checkout(&c),
        "push",
        push_event(&zero, &after, "feature"),
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.all());
    let ann = run.annotations();
    assert_eq!(ann.len(), 1, "only the new branch's token: {}", run.stdout);
    assert!(ann[0].contains("file=feature.js"), "{}", ann[0]);
    assert_no_token(&run, &[&on_main, &on_branch]);
}

#[test]
fn pull_request_reports_pr_tokens_even_removed_ones_and_not_the_base() {
    let up = repo();
    let in_base = mint("cfk");
    up.write("base.txt", format!("{in_base}\n"));
    let base = commit_all(&up, "base");
    git(up.path(), &["checkout", "-q", "-b", "pr"]);
    let in_pr = mint("cfut");
    up.write("pr.txt", format!("{in_pr}\n"));
    commit_all(&up, "pr adds a token");
    let transient = mint("ghp");
    up.write("tmp.txt", format!("{transient}\n"));
    commit_all(&up, "pr adds another");
    std::fs::remove_file(up.join("tmp.txt")).unwrap();
    let head = commit_all(&up, "pr removes it again");
    let c = upstream_and_clone(&up, "pr", 0);
    let event = json!({"pull_request": {"base": {"sha": base}, "head": {"sha": head}}});
    let run = run_action(&checkout(&c), "pull_request", event, &[]);
    assert_eq!(run.code, 1, "{}", run.all());
    let ann = run.annotations().join("\n");
    assert!(ann.contains("file=pr.txt"), "{ann}");
    assert!(
        ann.contains("file=tmp.txt"),
        "added then removed within the PR: still in history: {ann}"
    );
    assert!(!ann.contains("file=base.txt"), "{ann}");
    assert_eq!(run.output("findings"), "2");
    assert_no_token(&run, &[&in_base, &in_pr, &transient]);
}

#[test]
fn shallow_checkout_is_deepened_or_fails_loudly() {
    let up = repo();
    up.write("a.txt", "x\n");
    let before = commit_all(&up, "one");
    let tok = mint("cfat");
    up.write("b.txt", format!("{tok}\n"));
    commit_all(&up, "two");
    up.write("c.txt", "y\n");
    let after = commit_all(&up, "three");
    let run = run_push(&up, &before, &after, 1, &[]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.all().contains("deepening"), "{}", run.all());
    assert_eq!(run.annotations().len(), 1);
    // Without a remote to deepen from, the step fails with the fix: never a silent pass.
    let c2 = upstream_and_clone(&up, "main", 1);
    git(&checkout(&c2), &["remote", "remove", "origin"]);
    let run = run_action(
        &checkout(&c2),
        "push",
        push_event(&before, &after, "main"),
        &[],
    );
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stdout.contains("fetch-depth: 0"), "{}", run.stdout);
}

#[test]
fn fail_on_findings_false_passes_but_still_counts() {
    let up = repo();
    up.write("a.txt", "x\n");
    let before = commit_all(&up, "one");
    up.write("b.txt", format!("{}\n", mint("npm")));
    let after = commit_all(&up, "two");
    let run = run_push(&up, &before, &after, 0, &["fail-on-findings=false"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(run.output("findings"), "1");
    assert_eq!(run.annotations().len(), 1);
}

#[test]
fn annotation_properties_are_escaped() {
    let up = repo();
    up.write("a.txt", "x\n");
    let before = commit_all(&up, "one");
    let tok = mint("cfut");
    std::fs::write(up.path().join("we,ird:na%me\nx.txt"), format!("{tok}\n")).unwrap();
    let after = commit_all(&up, "odd name");
    let run = run_push(&up, &before, &after, 0, &[]);
    assert_eq!(run.code, 1, "{}", run.all());
    let ann = run.annotations();
    assert_eq!(ann.len(), 1, "{}", run.stdout);
    assert!(
        ann[0].starts_with("::error file=we%2Cird%3Ana%25me%0Ax.txt,line=1,col=1,"),
        "{}",
        ann[0]
    );
    assert_no_token(&run, &[&tok]);
}

#[test]
fn schedule_scans_the_whole_history() {
    let up = repo();
    let tok = mint("cfut");
    up.write("old.txt", format!("{tok}\n"));
    commit_all(&up, "one");
    std::fs::remove_file(up.join("old.txt")).unwrap();
    commit_all(&up, "cleaned up");
    let c = upstream_and_clone(&up, "main", 1);
    let run = run_action(&checkout(&c), "schedule", json!({}), &[]);
    assert_eq!(
        run.code,
        1,
        "the shallow checkout is unshallowed and history scanned: {}",
        run.all()
    );
    assert!(run.annotations()[0].contains("file=old.txt"));
}

/// `mode: staged` (a job that builds a commit, or a pre-commit check in
/// CI): the index, not the working tree and not the history.
#[test]
fn staged_mode_scans_the_index_only() {
    let up = repo();
    let old = mint("cfut");
    up.write("old.txt", format!("{old}\n"));
    commit_all(&up, "one");
    std::fs::remove_file(up.join("old.txt")).unwrap();
    commit_all(&up, "cleaned up");
    let c = upstream_and_clone(&up, "main", 0);
    let ws = checkout(&c);
    let clean = run_action(&ws, "push", json!({}), &["mode=staged"]);
    assert_eq!(clean.code, 0, "history is not the index: {}", clean.all());
    assert_eq!(clean.output("findings"), "0");

    let (staged, unstaged) = (mint("ghp"), mint("npm"));
    std::fs::write(ws.join("deploy.sh"), format!("export GH_TOKEN={staged}\n")).unwrap();
    git(&ws, &["add", "deploy.sh"]);
    std::fs::write(ws.join("notes.txt"), format!("{unstaged}\n")).unwrap();
    let run = run_action(&ws, "push", json!({}), &["mode=staged"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_eq!(run.output("findings"), "1", "the staged file only");
    let ann = run.annotations();
    assert_eq!(ann.len(), 1, "{}", run.stdout);
    assert!(
        ann[0].starts_with("::error file=deploy.sh,line=1,"),
        "{}",
        ann[0]
    );
    assert_no_token(&run, &[&old, &staged, &unstaged]);
}

#[test]
fn baseline_input_accepts_known_tokens_and_fails_on_new_ones() {
    let up = repo();
    let known = mint("cfut");
    up.write("a.txt", format!("k = {known}\n"));
    commit_all(&up, "one");
    // The team accepted the known token: a baseline in the repository.
    let o = bin()
        .current_dir(up.path())
        .args([
            "scan",
            ".",
            "-q",
            "--write-baseline",
            ".burnkey-baseline.toml",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    // A range reads its baseline from its base commit (what the pushed
    // commits cannot change): the pushes below start from this one.
    let baselined = commit_all(&up, "baseline");
    // The known token moves; nothing new: the push passes.
    up.write("a.txt", "moved\n");
    up.write("b.txt", format!("x\ny\nk = {known}\n"));
    let moved = commit_all(&up, "move it");
    let run = run_push(
        &up,
        &baselined,
        &moved,
        0,
        &["baseline=.burnkey-baseline.toml"],
    );
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(run.output("findings"), "0");
    // A new token next to it fails, and only it is reported.
    let fresh = mint("npm");
    up.write("b.txt", format!("x\ny\nk = {known} {fresh}\n"));
    let after = commit_all(&up, "new token");
    let run = run_push(&up, &moved, &after, 0, &["baseline=.burnkey-baseline.toml"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_eq!(run.output("findings"), "1");
    assert_eq!(run.annotations().len(), 1);
    // A baseline that is not there is a clear error.
    let run = run_push(&up, &moved, &after, 0, &["baseline=missing.toml"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stdout.contains("baseline"), "{}", run.stdout);
}

/// The second hardening round, end to end: a pull request whose head is
/// hostile — a symlink where the SARIF report used to go, a `.gitignore`
/// that is `/dev/zero`, a `*` `.burnkeyignore`, a `burnkey.toml` sending
/// every token to its own server — with `revoke: true`. The Action
/// finishes, reports the leak, writes nothing outside its own files and
/// sends nothing: the controls are the base commit's.
#[test]
fn a_hostile_pull_request_head_steers_nothing() {
    use crate::server::{Act, Server};
    let ours = Server::start(|_, _| Act::Reply(202, vec![]));
    let theirs = Server::start(|_, _| Act::Reply(202, vec![]));
    let up = repo();
    up.write("README", "x\n");
    up.write(
        "burnkey.toml",
        format!(
            "[[revoke]]\nrules = [\"npm-*\"]\nurl = \"{}\"\nsecret_env = \"HOOK_SECRET\"\n",
            ours.url()
        ),
    );
    let base = commit_all(&up, "base");
    git(up.path(), &["checkout", "-q", "-b", "pr"]);
    let tok = mint("cfut");
    up.write("app.env", format!("T={tok}\n"));
    up.write(".burnkeyignore", "*\n");
    up.write(
        "burnkey.toml",
        format!(
            "[[revoke]]\nrules = [\"*\"]\nurl = \"{}\"\nsecret_env = \"HOOK_SECRET\"\n",
            theirs.url()
        ),
    );
    std::os::unix::fs::symlink("/dev/zero", up.join(".gitignore")).unwrap();
    std::os::unix::fs::symlink("../victim.txt", up.join("burnkey.sarif")).unwrap();
    let head = commit_all(&up, "a leak, and everything to hide it");
    let c = upstream_and_clone(&up, "pr", 0);
    let victim = c.write("victim.txt", "precious\n");
    let event = json!({"pull_request": {"base": {"sha": base}, "head": {"sha": head}}});
    let run = run_action(&checkout(&c), "pull_request", event, &["revoke=true"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_eq!(run.output("findings"), "1", "{}", run.all());
    assert!(
        run.annotations()[0].contains("file=app.env"),
        "{}",
        run.all()
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    assert!(!run
        .output("sarif")
        .starts_with(checkout(&c).to_str().unwrap()));
    assert!(theirs.seen().is_empty(), "the head's burnkey.toml was used");
    assert!(
        ours.seen().is_empty(),
        "the base's rules do not name this token"
    );
    assert_no_token(&run, &[&tok]);
}
