//! The second hardening round: what a hostile repository, pull request,
//! tree or client could still do. Each test names its item of the issue and
//! failed on the release before the fix.

use std::path::Path;

use crate::common::*;
use crate::git::{commit_all, git, repo};

/// A program that leaves a mark when run: what a repository's config would
/// make git run.
fn trap_program(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let mark = dir.join("ran");
    let prog = dir.join("evil.sh");
    std::fs::write(
        &prog,
        format!("#!/bin/sh\ntouch '{}'\nexit 1\n", mark.display()),
    )
    .unwrap();
    std::fs::set_permissions(&prog, std::fs::Permissions::from_mode(0o755)).unwrap();
    (prog, mark)
}

/// Item 3: `--staged` / `--pre-commit` ran the repository's
/// `core.fsmonitor` program (through `git diff --cached`), and a pager,
/// external diff or hooks path in its config are no safer.
#[test]
fn item3_a_repositorys_config_runs_no_program() {
    let t = repo();
    let outside = Tree::new();
    let (prog, mark) = trap_program(outside.path());
    t.write("a.env", format!("T={}\n", mint("cfut")));
    commit_all(&t, "one");
    t.write("b.env", format!("T={}\n", mint("cfut")));
    git(t.path(), &["add", "-A"]);
    // Set last: git itself would run them for the test's own commands.
    let p = prog.to_str().unwrap();
    for (k, v) in [
        ("core.fsmonitor", p),
        ("core.pager", p),
        ("diff.external", p),
        ("core.hooksPath", outside.path().to_str().unwrap()),
    ] {
        git(t.path(), &["config", k, v]);
    }
    for args in [
        &["--staged"][..],
        &["--pre-commit"],
        &["--git"],
        &["--git-range", "HEAD~0..HEAD"],
    ] {
        let (code, _) = scan_json(t.path(), args);
        assert!(code <= 1, "{args:?}");
        assert!(!mark.exists(), "{args:?} ran the repository's program");
    }
}

/// Item 11: `git replace` hid a token from `--git` (a mirror clone fetches
/// `refs/replace/*`): objects are read as they are stored.
#[test]
fn item11_replace_refs_cannot_hide_a_blob() {
    let t = repo();
    let tok = mint("cfat");
    t.write("deploy.env", format!("CLOUDFLARE_API_TOKEN={tok}\n"));
    commit_all(&t, "leak");
    let leaked = git(t.path(), &["rev-parse", "HEAD:deploy.env"]);
    t.write("clean.txt", "nothing to see\n");
    git(t.path(), &["add", "clean.txt"]);
    let clean = git(t.path(), &["rev-parse", ":clean.txt"]);
    git(t.path(), &["replace", &leaked, &clean]);
    assert_eq!(
        git(t.path(), &["cat-file", "-p", &leaked]),
        "nothing to see",
        "the replacement is in force for git itself"
    );
    let m = Tree::new();
    git(
        m.path(),
        &[
            "clone",
            "-q",
            "--mirror",
            t.path().to_str().unwrap(),
            "r.git",
        ],
    );
    for dir in [t.path().to_path_buf(), m.join("r.git")] {
        let (code, doc) = scan_json(Path::new("/"), &["--git", dir.to_str().unwrap()]);
        assert_eq!(code, 1, "{}: {doc}", dir.display());
        assert_eq!(hashes(&doc), vec![sha(&tok)]);
    }
}

/// Log lines with a token every 1,000 lines, about `lines` × 30 bytes.
fn log_lines(lines: usize) -> (String, String) {
    let tok = mint("cfut");
    let text = (0..lines)
        .map(|i| match i % 1000 {
            500 => format!("{i:08} deploy CLOUDFLARE_API_TOKEN={tok}\n"),
            _ => format!("{i:08} request served in 12 ms\n"),
        })
        .collect();
    (text, tok)
}

/// Item 7: `redact` panicked (exit 101) when its reader went away
/// (`burnkey redact big.log | head -1`) and when the disk filled up.
#[test]
fn item7_redact_ends_cleanly_when_its_reader_goes_or_the_disk_fills() {
    use std::process::{Command, Stdio};
    let t = Tree::new();
    let (text, tok) = log_lines(200_000);
    let big = t.write("big.log", &text);
    // The reader goes away: stdin a pipe, a regular file, or a path.
    for how in ["stdin-pipe", "stdin-file", "path"] {
        let script = match how {
            "stdin-pipe" => {
                "cat \"$1\" | \"$0\" redact | head -c 100 >/dev/null; echo ${PIPESTATUS[1]}"
            }
            "stdin-file" => {
                "\"$0\" redact < \"$1\" | head -c 100 >/dev/null; echo ${PIPESTATUS[0]}"
            }
            _ => "\"$0\" redact \"$1\" | head -c 100 >/dev/null; echo ${PIPESTATUS[0]}",
        };
        let o = Command::new("bash")
            .args(["-c", script])
            .arg(exe())
            .arg(&big)
            .output()
            .unwrap();
        let (_, out, err) = parts(&o);
        assert_eq!(out.trim(), "0", "{how}: {err}");
        assert!(!err.contains("panicked"), "{how}: {err}");
    }
    // The output's disk is full: an error naming it, exit 2, no panic.
    let o = Command::new(exe())
        .arg("redact")
        .arg(&big)
        .stdout(std::fs::File::create("/dev/full").unwrap())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let (code, _, err) = parts(&o);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("No space left") && !err.contains("panicked"),
        "{err}"
    );
    assert!(!err.contains(&tok));

    // --in-place on a full disk: a 1 MiB file system of its own (a mount
    // namespace; where none can be made, that case cannot run here).
    if !Command::new("unshare")
        .args(["-rm", "true"])
        .status()
        .is_ok_and(|s| s.success())
    {
        eprintln!(
            "item7: no user and mount namespace here: the full-disk --in-place case did not run"
        );
        return;
    }
    let (small, _) = log_lines(20_000); // 600 KB: the copy beside it does not fit
    t.write("src/app.log", &small);
    let script = r#"
        set -e
        mount -t tmpfs -o size=1m tmpfs "$2"
        cp "$1/src/app.log" "$2/app.log"
        set +e
        "$0" redact --in-place "$2/app.log" 2>"$1/err"
        echo $? > "$1/code"
        cmp -s "$1/src/app.log" "$2/app.log" && echo same > "$1/kept"
        ls -A "$2" > "$1/left"
    "#;
    std::fs::create_dir(t.join("mnt")).unwrap();
    let o = Command::new("unshare")
        .args(["-rm", "sh", "-c", script])
        .arg(exe())
        .arg(t.path())
        .arg(t.join("mnt"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let read = |n: &str| std::fs::read_to_string(t.join(n)).unwrap();
    let err = read("err");
    assert_eq!(read("code").trim(), "2", "{err}");
    assert!(
        err.contains("No space left") && !err.contains("panicked"),
        "{err}"
    );
    assert_eq!(read("kept").trim(), "same", "the file survived whole");
    assert_eq!(read("left").trim(), "app.log", "no temporary left behind");
}

/// Item 8: branch names with `<`, `>`, `&` (legal in git) reached the org
/// scan's job summary unescaped through `report merge --format markdown`.
#[test]
fn item8_branch_names_reach_the_merged_summary_escaped() {
    let t = repo();
    t.write("README", "x\n");
    commit_all(&t, "init");
    let branch = "x<img/src=q/onerror=alert(1)>&y(z)";
    git(t.path(), &["checkout", "-q", "-b", branch]);
    t.write("leak.env", format!("T={}\n", mint("cfut")));
    commit_all(&t, "leak");
    let report = t.join("r.json");
    let o = bin()
        .current_dir(t.path())
        .args([
            "scan",
            "--git",
            ".",
            "--repository",
            "o/r",
            "--format",
            "json",
            "-o",
        ])
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(parts(&o).0, 1);
    let o = bin()
        .args(["report", "merge", "--format", "markdown"])
        .arg(&report)
        .output()
        .unwrap();
    let (code, md, err) = parts(&o);
    assert_eq!(code, 1, "{err}");
    assert!(md.contains("| Still in |"), "{md}");
    let b = md.as_bytes();
    for (i, c) in b.iter().enumerate() {
        if matches!(c, b'<' | b'>' | b'&' | b'(') {
            assert_eq!(b[i - 1], b'\\', "unescaped at {i}: {md}");
        }
    }
    assert!(
        md.contains("x\\<img/src=q/onerror=alert\\(1\\)\\>\\&y\\(z\\)"),
        "{md}"
    );
}

/// Item 14: `report merge` added counts with wrapping arithmetic
/// (`u64::MAX + 1` merged to 0): it exits 2 naming the overflow.
#[test]
fn item14_report_merge_refuses_a_count_that_overflows() {
    let t = Tree::new();
    let doc = |n: u64| {
        format!("{{\"findings\": [], \"stats\": {{\"files_scanned\": 1, \"skipped\": {{\"fifo\": {n}}}}}}}")
    };
    let a = t.write("a.json", doc(u64::MAX));
    let b = t.write("b.json", doc(1));
    let o = bin()
        .args(["report", "merge", "--format", "json"])
        .arg(&a)
        .arg(&b)
        .output()
        .unwrap();
    let (code, out, err) = parts(&o);
    assert_eq!(code, 2, "{out}");
    assert!(
        err.contains("stats.skipped.fifo") && err.contains("overflow"),
        "{err}"
    );
    // Counts that fit still add up.
    let c = t.write("c.json", doc(u64::MAX - 1));
    let o = bin()
        .args(["report", "merge", "--format", "json"])
        .arg(&c)
        .arg(&b)
        .output()
        .unwrap();
    let (code, out, err) = parts(&o);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["stats"]["skipped"]["fifo"].as_u64(), Some(u64::MAX));
}

/// Item 1: outputs followed links planted in the scanned tree: `-o`
/// through a dangling link created its target, `--write-baseline` through
/// a link replaced the file it named (and made it 0600), `--sarif` and
/// `--markdown-summary` overwrote what their link named, and `redact
/// --in-place` masked a credential file outside the tree. Each is refused;
/// nothing outside changes; the process's own `/dev/stdout` still works.
#[test]
fn item1_outputs_never_follow_a_planted_link() {
    use std::os::unix::fs::{symlink, PermissionsExt};
    let t = Tree::new();
    let outside = Tree::new();
    let tok = mint("cfut");
    t.write("repo/app.env", format!("T={tok}\n"));
    let victim = outside.write("victim.txt", "precious\n");
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).unwrap();
    let dangling = outside.join("created-by-burnkey");
    for (name, target) in [
        ("out.json", &dangling),
        ("burnkey.sarif", &victim),
        ("summary.md", &victim),
        (".burnkey-baseline.toml", &victim),
    ] {
        symlink(target, t.join(&format!("repo/{name}"))).unwrap();
    }
    for args in [
        &["-o", "out.json"][..],
        &["--sarif", "burnkey.sarif"],
        &["--markdown-summary", "summary.md"],
        &["--write-baseline", ".burnkey-baseline.toml"],
        &["--show-secret", "-o", "out.json"],
    ] {
        let o = bin()
            .current_dir(t.join("repo"))
            .args(["scan", "app.env"])
            .args(args)
            .output()
            .unwrap();
        let (code, out, err) = parts(&o);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.contains("symlink"), "{args:?}: {err}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
        assert!(!dangling.exists(), "{args:?} created the link's target");
    }
    assert_eq!(
        std::fs::metadata(&victim).unwrap().permissions().mode() & 0o777,
        0o644
    );
    // The process's own descriptors are not planted links.
    let o = bin()
        .current_dir(t.join("repo"))
        .args(["scan", "app.env", "--format", "json", "-o", "/dev/stdout"])
        .output()
        .unwrap();
    let (code, out, _) = parts(&o);
    assert_eq!(code, 1);
    assert!(out.contains(&sha(&tok)));

    // redact --in-place: the regular file is masked, the link is refused
    // and what it names is untouched.
    let cred = outside.write("hosts.yml", format!("oauth_token: {}\n", mint("ghp")));
    let before = std::fs::read_to_string(&cred).unwrap();
    t.write("logs/app.log", format!("deploy {tok}\n"));
    symlink(&cred, t.join("logs/build.log")).unwrap();
    let o = bin()
        .current_dir(t.path())
        .args(["redact", "--in-place", "logs/app.log", "logs/build.log"])
        .output()
        .unwrap();
    let (code, _, err) = parts(&o);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("build.log") && err.contains("symlink"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&cred).unwrap(), before);
    assert!(std::fs::symlink_metadata(t.join("logs/build.log"))
        .unwrap()
        .file_type()
        .is_symlink());
    let masked = std::fs::read_to_string(t.join("logs/app.log")).unwrap();
    assert!(
        !masked.contains(&tok) && masked.starts_with("deploy cfut_"),
        "{masked}"
    );
}

/// Item 2: control files were read through links and from devices: a
/// `.gitignore`/`.ignore` (read by the walker), `.burnkeyignore`, the
/// baseline or `burnkey.toml` linked to `/dev/zero` exhausted memory, and a
/// FIFO `.burnkeyignore` hung the scan. Ignore files that cannot be read
/// safely are passed over (their folder scanned with none); the control
/// files burnkey itself reads are refused with a clear error.
#[test]
fn item2_control_files_are_never_read_through_links_or_from_devices() {
    use std::os::unix::fs::symlink;
    use std::time::Duration;
    let mkfifo = |p: &Path| {
        assert!(std::process::Command::new("mkfifo")
            .arg(p)
            .status()
            .unwrap()
            .success())
    };
    let t = Tree::new();
    let (top, deep, fifo_dir) = (mint("cfut"), mint("cfat"), mint("npm"));
    t.write("tree/top.env", format!("T={top}\n"));
    t.write("tree/ignored.log", format!("T={}\n", mint("cfut")));
    t.write("tree/.gitignore", "*.log\n");
    t.write("tree/sub/deep.env", format!("T={deep}\n"));
    symlink("/dev/zero", t.join("tree/sub/.gitignore")).unwrap();
    t.write("tree/pipe/x.env", format!("T={fifo_dir}\n"));
    mkfifo(&t.join("tree/pipe/.ignore"));
    let o = bin()
        .current_dir(t.path())
        .args(["scan", "tree", "--format", "json"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let (code, out, err) = parts(&o);
    assert_eq!(code, 1, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let mut got = hashes(&doc);
    got.sort();
    let mut want = vec![sha(&top), sha(&deep), sha(&fifo_dir)];
    want.sort();
    assert_eq!(
        got, want,
        "the root's .gitignore still applies; the others' folders are scanned"
    );
    assert_eq!(doc["stats"]["skipped"]["ignore_file_unread"], 2, "{doc}");

    // A root whose own .gitignore is hostile: scanned whole, no hang.
    let r = Tree::new();
    r.write("a.env", format!("T={top}\n"));
    symlink("/dev/zero", r.join(".gitignore")).unwrap();
    let o = bin()
        .current_dir(r.path())
        .args(["scan", ".", "--format", "json"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let (code, out, err) = parts(&o);
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("\"ignore_file_unread\": 1"), "{out}");

    // What burnkey reads itself: a clear error (exit 2), never a hang.
    let c = Tree::new();
    c.write("a.env", format!("T={top}\n"));
    for (what, args) in [
        (".burnkeyignore", vec!["scan", "."]),
        ("base.toml", vec!["scan", ".", "--baseline", "base.toml"]),
        ("burnkey.toml", vec!["scan", ".", "--revoke-dry-run"]),
    ] {
        for kind in ["zero", "fifo"] {
            let p = c.join(what);
            match kind {
                "zero" => symlink("/dev/zero", &p).unwrap(),
                _ => mkfifo(&p),
            }
            let o = bin()
                .current_dir(c.path())
                .args(&args)
                .timeout(Duration::from_secs(60))
                .output()
                .unwrap();
            let (code, _, err) = parts(&o);
            assert_eq!(code, 2, "{what} as {kind}: {err}");
            assert!(
                err.contains(what)
                    && (err.contains("symlink") || err.contains("not a regular file")),
                "{what} as {kind}: {err}"
            );
            std::fs::remove_file(&p).unwrap();
        }
    }
}

/// Item 5: a scanned tree's `burnkey.toml` steered other roots' tokens:
/// `burnkey scan untrusted mine --revoke` sent `mine/`'s token to the URL
/// in `untrusted/burnkey.toml`, and its `confirm = true` consented for the
/// user. Settings that send or destroy tokens come only from `--config` or
/// the working directory.
#[test]
fn item5_a_scanned_trees_burnkey_toml_is_never_read() {
    use crate::server::{Act, Server};
    let t = Tree::new();
    let hook = Server::start(|_, _| Act::Reply(202, vec![]));
    let cf = Server::start(|_, _| Act::Reply(200, vec![]));
    let mine = mint("npm");
    t.write(
        "mine/.npmrc",
        format!("//registry.npmjs.org/:_authToken={mine}\n"),
    );
    t.write(
        "mine/cf.env",
        format!("CLOUDFLARE_API_TOKEN={}\n", mint("cfut")),
    );
    t.write(
        "untrusted/burnkey.toml",
        format!(
            "[[revoke]]\nrules = [\"*\"]\nurl = \"{}\"\nsecret_env = \"S\"\n\n[[revoke]]\nvia = \"cloudflare\"\nrules = [\"cloudflare-*\"]\nconfirm = true\noutbox_key_env = \"K\"\n",
            hook.url()
        ),
    );
    let run = |cwd: &Path, args: &[&str]| {
        let o = bin()
            .current_dir(cwd)
            .env("S", "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD")
            .env("K", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
            .env(
                "BURNKEY_CLOUDFLARE_API_URL",
                format!("http://{}/client/v4", cf.addr()),
            )
            .args(["scan", "--format", "json", "--outbox"])
            .arg(t.join("outbox"))
            .args(args)
            .output()
            .unwrap();
        parts(&o)
    };
    for args in [
        &["untrusted", "mine", "--revoke"][..],
        &["untrusted", "mine", "--revoke", "--yes"],
        &["mine", "untrusted", "--revoke-dry-run"],
    ] {
        let (code, _, err) = run(t.path(), args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains("working directory") && err.contains("--config"),
            "{err}"
        );
        assert!(
            hook.seen().is_empty() && cf.seen().is_empty(),
            "{args:?} sent something"
        );
    }
    // The working directory's own file is the user's: it is used.
    let (code, _, err) = run(&t.join("untrusted"), &["../mine", "--revoke-dry-run"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("would POST"), "{err}");
    assert!(hook.seen().is_empty() && cf.seen().is_empty());
}

/// Item 6: a pull request could allow its own leak: `.burnkeyignore` and
/// the baseline were read from the head, so a PR adding a token and a `*`
/// line passed (`--git-range` exit 0). A range reads them, and
/// `burnkey.toml`, from its base commit; `--config-from-head` opts out.
#[test]
fn item6_a_range_reads_its_controls_from_the_base_commit() {
    let t = repo();
    t.write("README", "x\n");
    t.write(".burnkeyignore", "fixtures/\n");
    let base = commit_all(&t, "base");
    let tok = mint("cfut");
    t.write("app.env", format!("T={tok}\n"));
    t.write("fixtures/ok.env", format!("T={}\n", mint("cfut")));
    t.write(".burnkeyignore", "*\n# allow everything\n");
    let o = bin()
        .current_dir(t.path())
        .args(["scan", "app.env", "--write-baseline", "pr-baseline.toml"])
        .output()
        .unwrap();
    assert_eq!(parts(&o).0, 1);
    let head = commit_all(&t, "a leak that allows itself");
    let range = format!("{base}..{head}");
    // The base's allowlist: fixtures/ is allowed, `*` is not in force.
    let (code, doc) = scan_json(t.path(), &["--git-range", &range]);
    assert_eq!(code, 1, "{doc}");
    assert_eq!(hashes(&doc), vec![sha(&tok)]);
    assert_eq!(doc["stats"]["skipped"]["burnkeyignore"], 1, "{doc}");
    // A baseline the pull request brings accepts nothing.
    let (code, doc) = scan_json(
        t.path(),
        &["--git-range", &range, "--baseline", "pr-baseline.toml"],
    );
    assert_eq!(code, 1, "{doc}");
    assert_eq!(hashes(&doc), vec![sha(&tok)]);
    // Opting into the head's files: the PR's own allowlist applies.
    let (code, doc) = scan_json(t.path(), &["--git-range", &range, "--config-from-head"]);
    assert_eq!((code, findings(&doc).len()), (0, 0), "{doc}");
    // --since-commit is a range too.
    let (code, _) = scan_json(t.path(), &["--since-commit", &base]);
    assert_eq!(code, 1);
}

/// Item 12: keyword rules named strings that are not Cloudflare's: a
/// `Bearer` sent to another host on the line after a Cloudflare `curl`
/// (and with `--verify` it went to Cloudflare), `cache_key` under
/// `[cloudflare.cache]`, `SENTRY_CF_KEY`, `CF_CSRF_TOKEN`. What they are
/// meant to find is still found.
#[test]
fn item12_keyword_rules_name_only_cloudflares_keys() {
    let t = Tree::new();
    let tok40 = "m31qzZcmzTUoRyj9nde9syxoAwuKmhr7jmPY72T3";
    let sha1 = "b2f2d0f0cc022238daceee2092f073ff80b94abc";
    let key37 = "b2f2d0f0cc022238daceee2092f073ff80b94";
    t.write(
        "not/deploy.sh",
        format!("curl https://api.cloudflare.com/client/v4/zones -H 'X-Auth-Email: a@b.co'\ncurl https://api.example.com/v1/me -H \"Authorization: Bearer {tok40}\"\n"),
    );
    t.write(
        "not/wrangler.toml",
        format!("[cloudflare.cache]\ncache_key = \"{sha1}\"\n"),
    );
    t.write(
        "not/sentry.env",
        format!("SENTRY_CF_KEY={key37}\nCF_CSRF_TOKEN={tok40}\n"),
    );
    let (code, doc) = scan_json(t.path(), &["not"]);
    assert_eq!((code, findings(&doc).len()), (0, 0), "{doc}");
    t.write(
        "yes/deploy.sh",
        format!("curl https://api.example.com/v1/me -H 'X-Trace: 1'\ncurl https://api.cloudflare.com/client/v4/zones \\\n  -H \"Authorization: Bearer {tok40}\"\n"),
    );
    t.write(
        "yes/cf.env",
        format!("CF_DNS_API_TOKEN={tok40}\nCF_API_KEY={key37}\n"),
    );
    t.write(
        "yes/cfg.toml",
        format!("[cloudflare]\napi_key = \"{key37}\"\n"),
    );
    let (code, doc) = scan_json(t.path(), &["yes"]);
    assert_eq!(code, 1);
    let mut got: Vec<(String, u64)> = findings(&doc)
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            ("yes/cf.env".to_string(), 1),
            ("yes/cf.env".to_string(), 2),
            ("yes/cfg.toml".to_string(), 2),
            ("yes/deploy.sh".to_string(), 3),
        ],
        "{doc}"
    );
}

/// Item 9: the expansion check looked at each stream past its first MiB,
/// so 255 deflate members of 1 MiB each in a few KB (in a gzip) inflated to
/// 255 MiB under `--max-compression-ratio 200`. The file's layers together
/// are held to it too.
#[test]
fn item9_many_small_streams_cannot_pass_the_ratio_one_by_one() {
    use std::io::Write;
    let deflate = |data: &[u8]| {
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    };
    let member = vec![b'a'; 1 << 20];
    let (body, crc) = (deflate(&member), crc32fast::hash(&member));
    let mut zip = Vec::new();
    let tok = mint("cfut");
    for i in 0..256u32 {
        let (name, data, packed, crc) = if i == 0 {
            let d = format!("T={tok}\n").into_bytes();
            let p = deflate(&d);
            ("first.env".to_string(), d.len(), p, crc32fast::hash(&d))
        } else {
            (format!("m{i:03}.txt"), member.len(), body.clone(), crc)
        };
        zip.extend_from_slice(b"PK\x03\x04\x14\x00\x00\x00\x08\x00\x00\x00\x00\x00");
        zip.extend_from_slice(&crc.to_le_bytes());
        zip.extend_from_slice(&(packed.len() as u32).to_le_bytes());
        zip.extend_from_slice(&(data as u32).to_le_bytes());
        zip.extend_from_slice(&(name.len() as u16).to_le_bytes());
        zip.extend_from_slice(&0u16.to_le_bytes());
        zip.extend_from_slice(name.as_bytes());
        zip.extend_from_slice(&packed);
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&zip).unwrap();
    let gz = gz.finish().unwrap();
    assert!(gz.len() < 64 << 10, "{} bytes", gz.len());
    let t = Tree::new();
    t.write("bomb.zip.gz", &gz);
    let (code, doc) = scan_json(t.path(), &["bomb.zip.gz", "--max-compression-ratio", "200"]);
    assert_eq!(code, 1, "{doc}");
    assert_eq!(
        hashes(&doc),
        vec![sha(&tok)],
        "what came before the limit is scanned"
    );
    assert_eq!(doc["stats"]["skipped"]["compression_ratio"], 1, "{doc}");
    assert!(
        doc["stats"]["members_scanned"].as_u64().unwrap() < 100,
        "stopped early: {doc}"
    );
}

/// Item 4: tokens in plain sight were missed because a layer claimed the
/// file: ASCII lines after UTF-16 text (PowerShell 5.1's `>` then
/// `Add-Content`), a stored zip member written with a data descriptor
/// (`zip -0 - … | cat > x.zip`: `archive_unstreamable`, nothing read),
/// bytes after the end of a zip, a tar or a gzip, a zip's comment, a tar
/// link's target. What a layer does not read is read as plain bytes; a
/// wrong-checksum decoy beside each is never reported.
#[test]
fn item4_what_a_layer_does_not_read_is_read_as_plain_bytes() {
    use std::io::Write;
    let t = Tree::new();
    let mut want = Vec::new();
    let mut plant = |t: &Tree, name: &str, build: &dyn Fn(&str, &str) -> Vec<u8>| {
        let tok = mint("cfut");
        t.write(name, build(&tok, &corrupt(&tok)));
        want.push((name.to_string(), sha(&tok)));
    };
    // UTF-16LE text with a BOM, then ASCII lines.
    plant(&t, "profile.txt", &|tok, decoy| {
        let mut b = vec![0xff, 0xfe];
        b.extend(
            "Get-ChildItem env:\r\nPATH=C:\\Windows\r\n"
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        );
        b.extend(format!("CLOUDFLARE_API_TOKEN={tok}\r\nOLD={decoy}\r\n").bytes());
        b
    });
    // A stored member with a data descriptor.
    plant(&t, "stream.zip", &|tok, decoy| {
        let data = format!("token: {tok}\nold: {decoy}\n").into_bytes();
        let mut z = b"PK\x03\x04\x0a\x00\x08\x00\x00\x00\x00\x00\x00\x00".to_vec();
        z.extend_from_slice(&[0; 12]); // crc and sizes: in the descriptor
        z.extend_from_slice(&5u16.to_le_bytes());
        z.extend_from_slice(&0u16.to_le_bytes());
        z.extend_from_slice(b"a.env");
        z.extend_from_slice(&data);
        z.extend_from_slice(b"PK\x07\x08");
        z.extend_from_slice(&crc32fast::hash(&data).to_le_bytes());
        z.extend_from_slice(&(data.len() as u32).to_le_bytes());
        z.extend_from_slice(&(data.len() as u32).to_le_bytes());
        z.extend_from_slice(b"PK\x05\x06");
        z.extend_from_slice(&[0; 18]);
        z
    });
    // A zip's comment, and bytes appended after a zip.
    let empty_zip = |comment: &str| {
        let mut z = b"PK\x05\x06".to_vec();
        z.extend_from_slice(&[0; 16]);
        z.extend_from_slice(&(comment.len() as u16).to_le_bytes());
        z.extend_from_slice(comment.as_bytes());
        z
    };
    plant(&t, "comment.zip", &|tok, decoy| {
        empty_zip(&format!("deploy {tok} {decoy}"))
    });
    plant(&t, "appended.zip", &|tok, decoy| {
        let mut z = empty_zip("");
        z.extend(format!("\n{tok}\n{decoy}\n").bytes());
        z
    });
    // Bytes after a gzip; after a tar's end; a tar link's target.
    plant(&t, "log.gz", &|tok, decoy| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(b"nothing here\n").unwrap();
        let mut g = e.finish().unwrap();
        g.extend(format!("trailer {tok} {decoy}\n").bytes());
        g
    });
    let tar_with = |link: Option<&str>, after: &str| {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(3);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, "a.txt", &b"abc"[..]).unwrap();
        if let Some(target) = link {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(tar::EntryType::Symlink);
            h.set_size(0);
            b.append_link(&mut h, "link", target).unwrap();
        }
        let mut out = b.into_inner().unwrap();
        out.extend(after.bytes());
        out
    };
    plant(&t, "after.tar", &|tok, decoy| {
        tar_with(None, &format!("{tok}\n{decoy}\n"))
    });
    plant(&t, "link.tar", &|tok, decoy| {
        tar_with(Some(&format!("/x/{tok}/{decoy}")), "")
    });
    let (code, doc) = scan_json(t.path(), &["."]);
    assert_eq!(code, 1, "{doc}");
    let mut got: Vec<(String, String)> = findings(&doc)
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().into(),
                f["secret_sha256"].as_str().unwrap().into(),
            )
        })
        .collect();
    got.sort();
    want.sort();
    assert_eq!(got, want, "{doc}");
    // --no-archives and --no-decode find them too (as before).
    let (_, plain) = scan_json(t.path(), &[".", "--no-archives"]);
    assert!(findings(&plain).len() >= 5, "{plain}");
}
