//! What users do, end to end, each journey a test: from an empty `HOME`,
//! with git and the installed binary (`BURNKEY_BIN`, else cargo's), real
//! repositories, real servers on 127.0.0.1, and the real workflow steps.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::*;
use crate::runner::{Host, Uses};
use crate::workflow::Workflow;

/// A user with an empty home, whose `PATH` holds only `burnkey` and `git`
/// (and `sh`, which git runs hooks with).
pub struct User {
    pub home: Tree,
    bin: PathBuf,
}

impl User {
    pub fn new() -> User {
        let home = Tree::new();
        let bin = home.join(".local/bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::os::unix::fs::symlink(exe(), bin.join("burnkey")).unwrap();
        for tool in ["git", "sh"] {
            let found = std::env::split_paths(&std::env::var_os("PATH").unwrap())
                .map(|d| d.join(tool))
                .find(|p| p.is_file())
                .unwrap_or_else(|| panic!("{tool} is on the test's PATH"));
            std::os::unix::fs::symlink(found, bin.join(tool)).unwrap();
        }
        let user = User { home, bin };
        user.git(
            user.home.path(),
            &["config", "--global", "user.name", "A User"],
        );
        user.git(
            user.home.path(),
            &["config", "--global", "user.email", "user@example.com"],
        );
        user.git(
            user.home.path(),
            &["config", "--global", "init.defaultBranch", "main"],
        );
        user
    }

    /// The folder on this user's `PATH`.
    pub fn bin(&self) -> &Path {
        &self.bin
    }

    /// `prog` as this user runs it: only their environment.
    pub fn cmd(&self, prog: &str, dir: &Path) -> Command {
        let mut c = Command::new(self.bin.join(prog));
        c.env_clear()
            .env("HOME", self.home.path())
            .env("PATH", &self.bin)
            .env("TMPDIR", self.home.path())
            .env("LANG", "C.UTF-8")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .current_dir(dir);
        c
    }

    pub fn burnkey(&self, dir: &Path, args: &[&str]) -> Output {
        self.cmd("burnkey", dir).args(args).output().unwrap()
    }

    pub fn git(&self, dir: &Path, args: &[&str]) -> String {
        let o = self.cmd("git", dir).args(args).output().unwrap();
        assert!(
            o.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    }

    /// A new repository at `~/name`.
    pub fn repo(&self, name: &str) -> PathBuf {
        let dir = self.home.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        self.git(&dir, &["init", "-q"]);
        dir
    }

    pub fn commit(&self, dir: &Path, msg: &str) -> String {
        self.git(dir, &["add", "-A"]);
        self.git(dir, &["commit", "-q", "--allow-empty", "-m", msg]);
        self.git(dir, &["rev-parse", "HEAD"])
    }
}

/// `git daemon` serving every repository under `root` on 127.0.0.1, read
/// only: `git://127.0.0.1:PORT/owner/name.git`.
pub struct GitDaemon {
    child: Child,
    pub url: String,
}

impl GitDaemon {
    pub fn start(root: &Path) -> GitDaemon {
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let mut child = Command::new("git")
                .arg("daemon")
                .args(["--reuseaddr", "--export-all", "--listen=127.0.0.1"])
                .arg(format!("--port={port}"))
                .arg(format!("--base-path={}", root.display()))
                .arg(root)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("git daemon runs");
            let until = Instant::now() + Duration::from_secs(10);
            while Instant::now() < until {
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return GitDaemon {
                        child,
                        url: format!("git://127.0.0.1:{port}"),
                    };
                }
                if child.try_wait().unwrap().is_some() {
                    break; // the port was taken meanwhile: another one
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("git daemon did not start");
    }
}

impl Drop for GitDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The runner's side of a workflow: `actions/checkout` copies the caller's
/// files, the artifact actions copy to and from `artifacts/NAME`, and the
/// "Install burnkey" step puts the installed binary on `PATH`.
struct Runner {
    caller: PathBuf,
    artifacts: PathBuf,
    installs: usize,
}

fn copy_into(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    if src.is_file() {
        std::fs::copy(src, dst.join(src.file_name().unwrap())).unwrap();
        return;
    }
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_into(&e.path(), &dst.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), dst.join(e.file_name())).unwrap();
        }
    }
}

impl Host for Runner {
    fn uses(&mut self, step: &Uses<'_>, log: &mut String) -> i32 {
        let with = |k: &str| step.with.get(k).cloned().unwrap_or_default();
        match step.action {
            "actions/checkout" => {
                assert_eq!(with("persist-credentials"), "false");
                copy_into(&self.caller, step.workspace);
            }
            "actions/upload-artifact" => {
                let mut found = 0;
                let dst = self.artifacts.join(with("name"));
                for p in with("path")
                    .lines()
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                {
                    let src = step.workspace.join(p);
                    if src.exists() {
                        copy_into(&src, &dst);
                        found += 1;
                    }
                }
                if found == 0 {
                    assert_eq!(with("if-no-files-found"), "ignore");
                    log.push_str("::warning::no files to upload\n");
                }
            }
            "actions/download-artifact" => {
                let pattern = with("pattern");
                let stem = pattern.strip_suffix('*').expect("a `prefix*` pattern");
                assert_eq!(with("merge-multiple"), "true");
                let dst = step.workspace.join(with("path"));
                std::fs::create_dir_all(&dst).unwrap();
                for e in std::fs::read_dir(&self.artifacts).unwrap() {
                    let e = e.unwrap();
                    if e.file_name().to_string_lossy().starts_with(stem) {
                        copy_into(&e.path(), &dst);
                    }
                }
            }
            other => panic!("the runner does not emulate {other}"),
        }
        0
    }

    fn replace_run(&mut self, name: &str, env: &mut BTreeMap<String, String>) -> Option<i32> {
        if name != "Install burnkey" {
            return None;
        }
        self.installs += 1;
        let bin = exe().parent().unwrap().to_string_lossy().into_owned();
        let old = env.get("PATH").cloned().unwrap_or_default();
        env.insert("PATH".into(), format!("{bin}:{old}"));
        Some(0)
    }
}

/// What the organisation-wide workflow did, job by job.
struct OrgRun {
    plan: crate::workflow::JobRun,
    scans: Vec<crate::workflow::JobRun>,
    merge: crate::workflow::JobRun,
    /// The merge job's workspace (its `burnkey-org.json` and `.sarif`).
    merged: Tree,
    installs: usize,
}

/// Runs org-scan.yml's plan → scan (each shard) → merge jobs for
/// `repositories`, cloned from `server`.
fn run_org_scan(server: &str, repositories: &str, shards: &str) -> OrgRun {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let wf = Workflow::load(&root.join(".github/workflows/org-scan.yml"));
    let caller = Tree::new();
    let work = Tree::new();
    let mut runner = Runner {
        caller: caller.path().to_path_buf(),
        artifacts: work.join("artifacts"),
        installs: 0,
    };
    std::fs::create_dir_all(&runner.artifacts).unwrap();
    let inputs = wf.inputs(&[("repositories", repositories), ("shards", shards)]);
    let github = json!({"server_url": server, "token": "not-a-secret"});
    let home = Tree::new();
    let env = [
        ("HOME", home.path().to_string_lossy().into_owned()),
        ("GIT_CONFIG_NOSYSTEM", "1".to_string()),
    ];
    let run = |name: &str, ctx: &Value, runner: &mut Runner| {
        let ws = Tree::new();
        let temp = Tree::new();
        let r = wf.run_job(name, ctx, ws.path(), temp.path(), &env, runner);
        (r, ws)
    };

    let ctx = json!({"inputs": inputs, "github": github, "secrets": {}});
    let (plan, _) = run("plan", &ctx, &mut runner);
    assert_eq!(plan.code, 0, "plan: {}\n{}", plan.stdout, plan.stderr);

    assert_eq!(wf.needs("scan"), ["plan"]);
    let needs = json!({"plan": plan.as_need()});
    let mut ctx = json!({"inputs": inputs, "github": github, "secrets": {}, "needs": needs});
    let mut scans = Vec::new();
    if wf.runs("scan", &ctx, false) {
        for combination in wf.matrix("scan", &ctx) {
            ctx["matrix"] = combination;
            scans.push(run("scan", &ctx, &mut runner).0);
        }
    }

    assert_eq!(wf.needs("merge"), ["scan"]);
    let failed = scans.iter().any(|s| s.code != 0);
    let scan_need = json!({"result": if failed { "failure" } else { "success" }, "outputs": {}});
    let ctx =
        json!({"inputs": inputs, "github": github, "secrets": {}, "needs": {"scan": scan_need}});
    assert!(wf.runs("merge", &ctx, failed), "merge runs always()");
    let (merge, merged) = run("merge", &ctx, &mut runner);
    OrgRun {
        plan,
        scans,
        merge,
        merged,
        installs: runner.installs,
    }
}

/// A bare repository `owner/name.git` under `root`, made from `dir`.
fn publish(user: &User, dir: &Path, root: &Path, name: &str) {
    let dst = root.join(format!("{name}.git"));
    std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
    user.git(
        root,
        &[
            "clone",
            "-q",
            "--bare",
            dir.to_str().unwrap(),
            dst.to_str().unwrap(),
        ],
    );
}

/// The organisation-wide workflow, whole: four repositories on a `git
/// daemon`, mirror-cloned by the scan jobs' own script — one leaked a token
/// in its history only, one is clean, one holds a token at HEAD, one cannot
/// be cloned — then merged into one JSON report, SARIF with a run per
/// repository, and a job summary.
#[test]
fn journey_organisation_wide_scan_through_the_workflow() {
    let user = User::new();
    let served = Tree::new();
    let (old, now) = (mint("cfut"), mint("ghp"));

    let history = user.repo("history");
    std::fs::write(
        history.join(".env"),
        format!("CLOUDFLARE_API_TOKEN={old}\n"),
    )
    .unwrap();
    user.commit(&history, "add config");
    std::fs::write(history.join(".env"), "CLOUDFLARE_API_TOKEN=\n").unwrap();
    user.commit(&history, "remove the token");
    publish(&user, &history, served.path(), "acme/history");

    let clean = user.repo("clean");
    std::fs::write(clean.join("README.md"), "nothing here\n").unwrap();
    user.commit(&clean, "init");
    publish(&user, &clean, served.path(), "acme/clean");

    let head = user.repo("head");
    std::fs::create_dir_all(head.join("deploy")).unwrap();
    std::fs::write(
        head.join("deploy/ci.sh"),
        format!("export GH_TOKEN={now}\n"),
    )
    .unwrap();
    user.commit(&head, "deploy script");
    publish(&user, &head, served.path(), "acme/head");

    let daemon = GitDaemon::start(served.path());
    let org = run_org_scan(
        &daemon.url,
        "acme/history acme/clean acme/head acme/missing",
        "2",
    );

    assert_eq!(org.plan.outputs["count"], "2", "{:?}", org.plan.outputs);
    assert_eq!(org.scans.len(), 2);
    assert_eq!(org.installs, 4, "each job installs burnkey once");
    let all_scans: String = org
        .scans
        .iter()
        .map(|s| format!("{}{}", s.stdout, s.stderr))
        .collect();
    assert!(
        all_scans.contains("::error title=burnkey::cannot clone acme/missing"),
        "{all_scans}"
    );
    assert!(
        !all_scans.contains("the scan of"),
        "no scan failed: {all_scans}"
    );
    // The shard that could not clone a repository fails; the other passes
    // (findings are the merge's to report).
    let codes: Vec<i32> = org.scans.iter().map(|s| s.code).collect();
    assert_eq!(codes.iter().filter(|&&c| c == 2).count(), 1, "{codes:?}");
    assert_eq!(codes.iter().filter(|&&c| c == 0).count(), 1, "{codes:?}");

    assert_eq!(
        org.merge.code, 0,
        "{}\n{}",
        org.merge.stdout, org.merge.stderr
    );
    assert_eq!(org.merge.outputs["findings"], "2");
    let merged: Value =
        serde_json::from_slice(&std::fs::read(org.merged.join("burnkey-org.json")).unwrap())
            .unwrap();
    let found: Vec<(String, String, String, usize)> = findings(&merged)
        .iter()
        .map(|f| {
            (
                f["repository"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
                f["secret_sha256"].as_str().unwrap().to_string(),
                f["still_in"].as_array().map_or(0, Vec::len),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("acme/head".into(), "deploy/ci.sh".into(), sha(&now), 1),
            ("acme/history".into(), ".env".into(), sha(&old), 0),
        ],
        "one finding per repository that leaked, the history one in no branch"
    );

    let sarif_text = std::fs::read_to_string(org.merged.join("burnkey-org.sarif")).unwrap();
    crate::scan::validate_sarif(&sarif_text);
    let sarif: Value = serde_json::from_str(&sarif_text).unwrap();
    let runs: Vec<&str> = sarif["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["automationDetails"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        runs,
        [
            "burnkey/acme/clean/",
            "burnkey/acme/head/",
            "burnkey/acme/history/"
        ],
        "one run per repository scanned"
    );

    let summary = &org.merge.summary;
    assert!(
        summary.contains("acme/head") && summary.contains("acme/history"),
        "{summary}"
    );
    assert!(summary.contains("deploy/ci.sh"), "{summary}");
    for t in [&old, &now] {
        assert!(!summary.contains(t.as_str()) && !all_scans.contains(t.as_str()));
        assert!(
            !sarif_text.contains(t.as_str()),
            "never a token in the SARIF"
        );
    }
}

/// No repository in the list: the plan says 0 shards, the scan jobs are
/// skipped, and the merge job says so in the summary and passes.
#[test]
fn journey_organisation_wide_scan_of_an_empty_list() {
    let org = run_org_scan("git://127.0.0.1:9", "", "4");
    assert_eq!(org.plan.outputs["count"], "0");
    assert!(org.scans.is_empty());
    assert_eq!(org.merge.code, 0);
    assert_eq!(org.merge.outputs["findings"], "0");
    assert!(org.merge.summary.contains("No reports to merge."));
}

/// A developer installs the hook, commits a token and is stopped with the
/// remedy; takes it out, and the commit goes through; history stays clean.
#[test]
fn journey_pre_commit_hook_blocks_a_token_then_lets_the_fix_through() {
    let user = User::new();
    let app = user.repo("app");
    std::fs::write(app.join("README.md"), "app\n").unwrap();
    user.commit(&app, "init");
    let (code, out, err) = parts(&user.burnkey(&app, &["hook", "install"]));
    assert_eq!(code, 0, "{out}{err}");

    let tok = mint("cfut");
    std::fs::create_dir_all(app.join("app")).unwrap();
    std::fs::write(
        app.join("app/settings.py"),
        format!("import os\nTOKEN = '{tok}'\n"),
    )
    .unwrap();
    user.git(&app, &["add", "-A"]);
    let o = user
        .cmd("git", &app)
        .args(["commit", "-q", "-m", "settings"])
        .output()
        .unwrap();
    let (code, _, err) = parts(&o);
    assert_ne!(code, 0, "the commit is blocked");
    assert!(err.contains("commit blocked"), "{err}");
    assert!(err.contains("app/settings.py:2:10"), "{err}");
    assert!(err.contains("cloudflare-user-api-token"), "{err}");
    assert!(err.contains("revoke or rotate it"), "the remedy: {err}");
    assert!(
        err.contains("git restore --staged"),
        "how to unstage: {err}"
    );
    assert!(
        !err.contains("not found"),
        "the hook needs only sh and burnkey: {err}"
    );
    assert!(!err.contains(&tok), "never the token");
    assert_eq!(user.git(&app, &["rev-list", "--count", "HEAD"]), "1");

    std::fs::write(
        app.join("app/settings.py"),
        "import os\nTOKEN = os.environ['CLOUDFLARE_API_TOKEN']\n",
    )
    .unwrap();
    user.git(&app, &["add", "-A"]);
    let o = user
        .cmd("git", &app)
        .args(["commit", "-q", "-m", "settings from the environment"])
        .output()
        .unwrap();
    assert_eq!(parts(&o).0, 0, "{}", parts(&o).2);
    assert_eq!(user.git(&app, &["rev-list", "--count", "HEAD"]), "2");
    let (code, _, err) = parts(&user.burnkey(&app, &["scan", "--git", "."]));
    assert_eq!(code, 0, "no token ever entered history: {err}");
}

/// A team scans its history, records what it has accepted in a baseline,
/// and from then on only a new token fails: on the command line and
/// through the Action on a push.
#[test]
fn journey_history_and_baseline_then_only_the_new_token_fails() {
    let user = User::new();
    let repo = user.repo("service");
    let (known, fresh) = (mint("cfut"), mint("npm"));
    std::fs::write(
        repo.join("old.env"),
        format!("CLOUDFLARE_API_TOKEN={known}\n"),
    )
    .unwrap();
    user.commit(&repo, "old config");
    std::fs::remove_file(repo.join("old.env")).unwrap();
    user.commit(&repo, "moved to the vault");

    let (code, doc, _) = {
        let o = user.burnkey(&repo, &["scan", "--git", ".", "--format", "json"]);
        let (c, out, err) = parts(&o);
        (c, serde_json::from_str::<Value>(&out).unwrap(), err)
    };
    assert_eq!(code, 1);
    assert_eq!(hashes(&doc), [sha(&known)], "found in history only");
    let o = user.burnkey(
        &repo,
        &[
            "scan",
            "--git",
            ".",
            "-q",
            "--write-baseline",
            ".burnkey-baseline.toml",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "writing a baseline still reports");
    let baseline = std::fs::read_to_string(repo.join(".burnkey-baseline.toml")).unwrap();
    assert!(baseline.contains(&sha(&known)) && !baseline.contains(&known));
    let base = user.commit(&repo, "accept the old token");
    let (code, _, err) = parts(&user.burnkey(
        &repo,
        &["scan", "--git", ".", "--baseline", ".burnkey-baseline.toml"],
    ));
    assert_eq!(code, 0, "the accepted token passes: {err}");

    std::fs::write(repo.join("deploy.sh"), format!("NPM_TOKEN={fresh}\n")).unwrap();
    let head = user.commit(&repo, "deploy");
    let o = user.burnkey(
        &repo,
        &[
            "scan",
            "--git",
            ".",
            "--baseline",
            ".burnkey-baseline.toml",
            "--format",
            "json",
        ],
    );
    let (code, out, _) = parts(&o);
    assert_eq!(code, 1);
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(hashes(&doc), [sha(&fresh)], "only the new token");
    assert_eq!(doc["stats"]["suppressed"]["baseline"], 1);

    // The same push through the Action, baseline from the base commit.
    let run = crate::action::run_action(
        &repo,
        "push",
        crate::action::push_event(&base, &head, "main"),
        &["baseline=.burnkey-baseline.toml"],
    );
    assert_eq!(run.code, 1, "{}", run.all());
    assert_eq!(run.output("findings"), "1");
    let ann = run.annotations();
    assert_eq!(ann.len(), 1, "{}", run.stdout);
    assert!(
        ann[0].starts_with("::error file=deploy.sh,line=1,"),
        "{}",
        ann[0]
    );
    assert!(!run.all().contains(&fresh) && !run.all().contains(&known));
}

const SCANNER_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

/// A service mints its own tokens into SQLite and runs `burnkey serve`; one
/// leaks into a repository; a scan with `--revoke` reports it to the
/// service, which revokes it; `burnkey verify` denies it from then on and
/// still allows the one that did not leak.
#[test]
fn journey_issuer_loop_mint_serve_leak_revoke_verify() {
    let user = User::new();
    let service = user.home.join("service");
    std::fs::create_dir_all(&service).unwrap();
    std::fs::write(
        service.join("acme.toml"),
        "provider = \"Acme\"\n\n[[rules]]\nid = \"acme-api-token\"\nname = \"Acme API token\"\nprefix = \"acme_\"\nbody_len = 40\nchecksum = \"crc32-hex8\"\ndescription = \"An Acme token.\"\n",
    )
    .unwrap();
    let rules = service.join("acme.toml");
    let rules = rules.to_str().unwrap();
    let o = user.burnkey(
        &service,
        &[
            "mint",
            "--kind",
            "acme-api-token",
            "--rules",
            rules,
            "--count",
            "2",
            "--scope",
            "dns:read@zone/example.com",
            "--store",
            "tokens.db",
        ],
    );
    let (code, out, err) = parts(&o);
    assert_eq!(code, 0, "{err}");
    let toks: Vec<&str> = out.lines().collect();
    let (leaked, kept) = (toks[0], toks[1]);
    let mode = std::fs::metadata(service.join("tokens.db")).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
        0o600
    );

    let mut c = user.cmd("burnkey", &service);
    c.env("BURNKEY_REVOKE_SECRET", SCANNER_SECRET);
    let serve = crate::serve::Serving::spawn(c, &["--store", "tokens.db", "--rules", rules]);

    let app = user.repo("app");
    std::fs::write(app.join(".env"), format!("ACME_TOKEN={leaked}\n")).unwrap();
    user.commit(&app, "config");
    std::fs::write(
        app.join("burnkey.toml"),
        format!(
            "[[revoke]]\nrules = [\"acme-*\"]\nurl = \"{}\"\nsecret_env = \"SCANNER_SECRET\"\n",
            serve.url("/v1/revocations")
        ),
    )
    .unwrap();
    let verify = |tok: &str| {
        let o = user.burnkey(
            &service,
            &[
                "verify",
                tok,
                "--store",
                "tokens.db",
                "--rules",
                rules,
                "--scope",
                "dns:read@zone/example.com",
            ],
        );
        let (code, out, _) = parts(&o);
        (code, out)
    };
    assert_eq!(verify(leaked).0, 0, "live before the leak is reported");

    let o = user
        .cmd("burnkey", &app)
        .env("SCANNER_SECRET", SCANNER_SECRET)
        .args(["scan", "--git", ".", "--rules", rules, "--revoke"])
        .output()
        .unwrap();
    let (code, out, err) = parts(&o);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("1 delivered"), "{err}");
    let outbox = user.home.join(".local/state/burnkey/outbox");
    let left: Vec<_> = std::fs::read_dir(&outbox)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .collect();
    assert!(
        left.is_empty(),
        "delivered: nothing waits in {}",
        outbox.display()
    );

    let (code, out) = verify(leaked);
    assert_eq!(code, 1);
    assert!(out.starts_with("denied: token revoked"), "{out}");
    assert_eq!(verify(kept).0, 0, "the other token still works");
    let log = serve.log();
    assert!(
        log.iter()
            .any(|l| l.contains("POST /v1/revocations 200") && l.contains("revoked=1")),
        "{log:?}"
    );
    for l in log.iter().chain([&out, &err]) {
        assert!(
            !l.contains(leaked) && !l.contains(kept),
            "never a token: {l}"
        );
    }
}

/// `tail -f app.log | burnkey redact`: the test is `tail`, writing a growing
/// log line by line; each line comes out masked before the next is written,
/// a token split across two writes included.
#[test]
fn journey_redact_masks_a_growing_log_as_it_grows() {
    let user = User::new();
    let mut child = user
        .cmd("burnkey", user.home.path())
        .arg("redact")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut log = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let next = || {
        rx.recv_timeout(Duration::from_secs(20))
            .expect("the line comes out while the log is still open")
    };
    let masked = |line: &str, tok: &str, prefix: &str| {
        line.replace(
            tok,
            &format!("{prefix}{}", "*".repeat(tok.len() - prefix.len())),
        )
    };

    let plain = "2026-12-06T10:00:00Z starting deploy";
    writeln!(log, "{plain}").unwrap();
    log.flush().unwrap();
    assert_eq!(next(), plain, "a clean line passes unchanged");
    for (kind, prefix) in [("cfut", "cfut_"), ("ghp", "ghp_"), ("npm", "npm_")] {
        let tok = mint(kind);
        let line = format!("2026-12-06T10:00:01Z auth token={tok} ok");
        writeln!(log, "{line}").unwrap();
        log.flush().unwrap();
        let got = next();
        assert_eq!(got, masked(&line, &tok, prefix));
        assert_eq!(got.len(), line.len(), "offsets and columns stay valid");
    }
    // A token split across two writes of the log.
    let tok = mint("cfat");
    let line = format!("2026-12-06T10:00:02Z CLOUDFLARE_API_TOKEN={tok}");
    let (a, b) = line.split_at(line.len() - 20);
    log.write_all(a.as_bytes()).unwrap();
    log.flush().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    writeln!(log, "{b}").unwrap();
    log.flush().unwrap();
    assert_eq!(next(), masked(&line, &tok, "cfat_"));

    drop(log);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}

/// `scan --verify` as a user runs it, every family that can be asked,
/// each against a loopback fake of its provider's documented API: `cfut_`,
/// `cfat_` paired by the account id beside it, `cfk_` by the e-mail beside
/// it, `ghp_`, `github_pat_`, `npm_`; a dead token is `invalid`, and
/// `--only-active` leaves it out.
#[test]
fn journey_verify_each_kind_against_its_provider() {
    use crate::verify::{fake, Known, ACCOUNT};
    let user = User::new();
    let repo = user.repo("infra");
    let (cfut, cfat, cfk) = (mint("cfut"), mint("cfat"), mint("cfk"));
    let (ghp, pat, npm, dead) = (mint("ghp"), mint("github_pat"), mint("npm"), mint("ghp"));
    let mut known = Known::default();
    known.cloudflare.insert(cfut.clone(), ("active", None));
    known
        .cloudflare
        .insert(cfat.clone(), ("active", Some(ACCOUNT)));
    known.keys.insert(cfk.clone(), "ops@example.com");
    known.github.insert(ghp.clone(), "octocat");
    known.github.insert(pat.clone(), "hubot");
    known.npm.insert(npm.clone(), "npmuser");
    let server = fake(known);
    let files = [
        ("user.env", format!("CLOUDFLARE_API_TOKEN={cfut}\n")),
        (
            "account.tf",
            format!("account_id = \"{ACCOUNT}\"\napi_token = \"{cfat}\"\n"),
        ),
        (
            "global.env",
            format!("CLOUDFLARE_EMAIL=ops@example.com\nCLOUDFLARE_API_KEY={cfk}\n"),
        ),
        ("gh.env", format!("GH_TOKEN={ghp}\n")),
        ("pat.env", format!("GITHUB_TOKEN={pat}\n")),
        (
            ".npmrc",
            format!("//registry.npmjs.org/:_authToken={npm}\n"),
        ),
        ("old.env", format!("GH_TOKEN={dead}\n")),
    ];
    for (name, text) in &files {
        std::fs::write(repo.join(name), text).unwrap();
    }
    let base = format!("http://{}", server.addr());
    let scan = |extra: &[&str]| {
        let o = user
            .cmd("burnkey", &repo)
            .env("BURNKEY_CLOUDFLARE_API_URL", format!("{base}/client/v4"))
            .env("BURNKEY_GITHUB_API_URL", format!("{base}/gh"))
            .env("BURNKEY_NPM_REGISTRY_URL", format!("{base}/npm"))
            .args(["scan", ".", "--verify", "--format", "json"])
            .args(extra)
            .output()
            .unwrap();
        let (code, out, err) = parts(&o);
        for t in [&cfut, &cfat, &cfk, &ghp, &pat, &npm, &dead] {
            assert!(!out.contains(t.as_str()) && !err.contains(t.as_str()));
        }
        (code, serde_json::from_str::<Value>(&out).unwrap(), err)
    };
    let (code, doc, err) = scan(&[]);
    assert_eq!(code, 1, "{err}");
    let by_path: BTreeMap<String, Value> = findings(&doc)
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["verification"].clone(),
            )
        })
        .collect();
    let status = |p: &str| by_path[p]["status"].as_str().unwrap_or("-").to_string();
    for p in [
        "user.env",
        "account.tf",
        "global.env",
        "gh.env",
        "pat.env",
        ".npmrc",
    ] {
        assert_eq!(status(p), "active", "{p}: {}", by_path[p]);
    }
    assert_eq!(status("old.env"), "invalid");
    assert_eq!(by_path["account.tf"]["paired"]["value"], ACCOUNT);
    assert_eq!(by_path["account.tf"]["paired"]["how"], "nearby");
    assert_eq!(by_path["global.env"]["paired"]["value"], "ops@example.com");
    assert_eq!(by_path["gh.env"]["account"], "octocat");
    assert_eq!(by_path["pat.env"]["account"], "hubot");
    assert_eq!(by_path[".npmrc"]["account"], "npmuser");

    let (code, doc, _) = scan(&["--only-active"]);
    assert_eq!(code, 1);
    let paths: Vec<&str> = findings(&doc)
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths.len(), 6, "{paths:?}");
    assert!(!paths.contains(&"old.env"));
}

/// Leaked Cloudflare and GitHub tokens revoked through the providers' own
/// APIs — Cloudflare's user and account routes, GitHub's credential
/// revocation — then verified dead.
#[test]
fn journey_revoke_through_the_providers_then_verify_dead() {
    use crate::server::{Act, Seen, Server};
    let user = User::new();
    let repo = user.repo("leaky");
    let (cfut, cfat, ghp) = (mint("cfut"), mint("cfat"), mint("ghp"));
    let account = crate::verify::ACCOUNT;
    let mut known = std::collections::HashMap::new();
    known.insert(cfut.clone(), ("aaaa1111", true, false));
    known.insert(cfat.clone(), ("cccc3333", true, true));
    let cloudflare = crate::revoke_api::cloudflare(known);
    let github = Server::start(|s: &Seen, _| {
        if s.method == "POST" && s.path == "/credentials/revoke" {
            Act::Reply(202, vec![])
        } else {
            Act::Reply(404, vec![])
        }
    });
    std::fs::write(
        repo.join("user.env"),
        format!("CLOUDFLARE_API_TOKEN={cfut}\n"),
    )
    .unwrap();
    std::fs::write(
        repo.join("account.env"),
        format!("CLOUDFLARE_ACCOUNT_ID={account}\nCLOUDFLARE_API_TOKEN={cfat}\n"),
    )
    .unwrap();
    std::fs::write(repo.join("gh.env"), format!("GH_TOKEN={ghp}\n")).unwrap();
    user.commit(&repo, "leak");
    std::fs::write(
        user.home.join("burnkey.toml"),
        "[[revoke]]\nvia = \"github\"\nrules = [\"github-*\"]\noutbox_key_env = \"BURNKEY_OUTBOX_KEY\"\n\n\
[[revoke]]\nvia = \"cloudflare\"\nrules = [\"cloudflare-user-api-token\", \"cloudflare-account-api-token\"]\noutbox_key_env = \"BURNKEY_OUTBOX_KEY\"\nconfirm = true\n",
    )
    .unwrap();
    let config = user.home.join("burnkey.toml");
    let cf_url = format!("http://{}/client/v4", cloudflare.addr());
    let run = |args: &[&str]| {
        let o = user
            .cmd("burnkey", &repo)
            .env(
                "BURNKEY_OUTBOX_KEY",
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            )
            .env("BURNKEY_CLOUDFLARE_API_URL", &cf_url)
            .env(
                "BURNKEY_GITHUB_API_URL",
                format!("http://{}", github.addr()),
            )
            .arg("scan")
            .args(args)
            .args(["--format", "json", "--config"])
            .arg(&config)
            .output()
            .unwrap();
        let (code, out, err) = parts(&o);
        for t in [&cfut, &cfat, &ghp] {
            assert!(!out.contains(t.as_str()) && !err.contains(t.as_str()));
        }
        (code, serde_json::from_str::<Value>(&out).unwrap(), err)
    };
    let (code, doc, err) = run(&["--git", ".", "--revoke"]);
    assert_eq!(code, 1, "{err}");
    let mut outcomes: Vec<String> = doc["revocations"]["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["outcome"]
                .as_str()
                .unwrap_or_else(|| panic!("{r}"))
                .to_string()
        })
        .collect();
    outcomes.sort();
    assert_eq!(outcomes, ["revoked", "revoked", "submitted"], "{err}");
    let mut deletes: Vec<String> = cloudflare
        .seen()
        .iter()
        .filter(|s| s.method == "DELETE")
        .map(|s| s.path.clone())
        .collect();
    deletes.sort();
    assert_eq!(
        deletes,
        [
            format!("/client/v4/accounts/{account}/tokens/cccc3333"),
            "/client/v4/user/tokens/aaaa1111".to_string(),
        ],
        "the account route and the user route"
    );
    let gh: Vec<Value> = github
        .seen()
        .iter()
        .map(|s| serde_json::from_slice(&s.body).unwrap())
        .collect();
    assert_eq!(gh, [json!({"credentials": [ghp]})]);
    let outbox = user.home.join(".local/state/burnkey/outbox");
    assert!(
        std::fs::read_dir(&outbox)
            .unwrap()
            .flatten()
            .all(|e| e.path().extension().is_none_or(|x| x != "json")),
        "nothing waits"
    );

    // Asked again, Cloudflare no longer knows them.
    let (_, doc, _) = run(&[".", "--verify"]);
    for f in findings(&doc) {
        if f["rule_id"].as_str().unwrap().starts_with("cloudflare") {
            assert_eq!(f["verification"]["status"], "invalid", "{f}");
        }
    }
}
