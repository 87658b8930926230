//! Every command example in README.md runs, against the installed binary,
//! and prints what the README says it prints.
//!
//! A ` ```console ` block is a session: `$ command` lines (a line ending in
//! `\` continues on the next), then `? N` when the exit status is not 0,
//! then the expected output, stdout and stderr as a terminal shows them.
//! In expected output, `[..]` stands for any text within a line and a line
//! `...` for any number of lines. A command ending in `# not run: REASON`
//! is shown, not run, and counted. A ` ```sh ` block must follow a
//! `<!-- not run: REASON -->` line: its commands are counted as not run.
//! TOML and YAML blocks must parse.
//!
//! The blocks run in order, in one shell session each, in `~/project` of
//! an empty home (see [`setup`]): a repository with a token at HEAD and one
//! in its history, logs, a mirror, reports, and `BURNKEY_*_URL` pointing at
//! a fake of Cloudflare's, GitHub's and npm's APIs on 127.0.0.1.
//! `README_PRINT=1` prints what each command printed, to write a block.

use std::path::{Path, PathBuf};

use crate::common::*;
use crate::journeys::User;
use crate::verify::{fake, Known};

/// One fenced block of the README.
struct Block {
    info: String,
    /// 1-based line of the opening fence.
    line: usize,
    body: Vec<String>,
    /// The reason in a `<!-- not run: … -->` just before the fence.
    not_run: Option<String>,
}

fn blocks(readme: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let lines: Vec<&str> = readme.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let Some(info) = lines[i].strip_prefix("```") else {
            i += 1;
            continue;
        };
        let not_run = i
            .checked_sub(1)
            .and_then(|p| lines[p].trim().strip_prefix("<!-- not run:"))
            .and_then(|r| r.strip_suffix("-->"))
            .map(|r| r.trim().to_string());
        let start = i;
        i += 1;
        let mut body = Vec::new();
        while i < lines.len() && !lines[i].starts_with("```") {
            body.push(lines[i].to_string());
            i += 1;
        }
        out.push(Block {
            info: info.trim().to_string(),
            line: start + 1,
            body,
            not_run,
        });
        i += 1;
    }
    out
}

/// One `$` command of a console block and what it must print.
struct Step {
    line: usize,
    command: String,
    status: i32,
    expected: Vec<String>,
    not_run: Option<String>,
}

fn steps(b: &Block) -> Vec<Step> {
    let mut out: Vec<Step> = Vec::new();
    let mut i = 0;
    while i < b.body.len() {
        let Some(first) = b.body[i].strip_prefix("$ ") else {
            let step = out.last_mut().unwrap_or_else(|| {
                panic!("README line {}: output before a command", b.line + 1 + i)
            });
            match b.body[i].strip_prefix("? ") {
                Some(code) if step.expected.is_empty() => {
                    step.status = code.trim().parse().expect("? N: a number")
                }
                _ => step.expected.push(b.body[i].clone()),
            }
            i += 1;
            continue;
        };
        let line = b.line + 1 + i;
        let mut command = first.to_string();
        while command.ends_with('\\') {
            i += 1;
            command.push('\n');
            command.push_str(&b.body[i]);
        }
        let not_run = command
            .split_once("# not run:")
            .map(|(_, r)| r.trim().to_string());
        out.push(Step {
            line,
            command,
            status: 0,
            expected: Vec::new(),
            not_run,
        });
        i += 1;
    }
    out
}

/// Whether `got` matches the pattern line `want` (`[..]`: any text).
fn line_matches(want: &str, got: &str) -> bool {
    let parts: Vec<&str> = want.split("[..]").collect();
    if parts.len() == 1 {
        return want == got;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !got.starts_with(first) || got.len() < first.len() + last.len() || !got.ends_with(last) {
        return false;
    }
    let mut rest = &got[first.len()..got.len() - last.len()];
    for p in &parts[1..parts.len() - 1] {
        match rest.find(p) {
            Some(at) => rest = &rest[at + p.len()..],
            None => return false,
        }
    }
    true
}

/// Whether the lines match the pattern (a line `...`: any lines).
fn lines_match(want: &[String], got: &[&str]) -> bool {
    match want.split_first() {
        None => got.is_empty(),
        Some((w, rest)) if w == "..." => (0..=got.len()).any(|k| lines_match(rest, &got[k..])),
        Some((w, rest)) => {
            !got.is_empty() && line_matches(w, got[0]) && lines_match(rest, &got[1..])
        }
    }
}

#[test]
fn patterns_match_what_they_should() {
    assert!(line_matches("a [..] b", "a xyz b"));
    assert!(line_matches("[..]", ""));
    assert!(!line_matches("a [..] b", "a xyz c"));
    assert!(line_matches("x[..]y[..]z", "x1y2z"));
    assert!(!line_matches("x[..]y[..]z", "x1z2y"));
    let want: Vec<String> = ["a", "...", "d"].map(String::from).to_vec();
    assert!(lines_match(&want, &["a", "b", "c", "d"]));
    assert!(lines_match(&want, &["a", "d"]));
    assert!(!lines_match(&want, &["a", "b"]));
    assert!(!lines_match(&want, &["a", "d", "e"]));
}

/// Everything the examples need, in a fresh home: returns the user, the
/// project folder, the environment for the session and the fake provider
/// (kept alive while the blocks run).
fn setup() -> (User, PathBuf, Vec<(String, String)>, crate::server::Server) {
    let user = User::new();
    let project = user.repo("project");
    let w = |rel: &str, text: &str| {
        let p = project.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    let (live, old, logged) = (mint("cfut"), mint("ghp"), mint("npm"));
    w(
        ".gitignore",
        "*.log\nlogs/\nreports/\n*.git/\n*.sarif\n*.json\ntokens.*\n",
    );
    w("src/main.rs", "fn main() {\n    println!(\"hello\");\n}\n");
    w(
        "deploy/release.sh",
        &format!("#!/bin/sh\nexport GH_TOKEN={old}\n"),
    );
    user.commit(&project, "release script");
    w(
        "deploy/release.sh",
        "#!/bin/sh\nexport GH_TOKEN=\"$RELEASE_TOKEN\"\n",
    );
    user.commit(&project, "release token from the environment");
    w(
        "config/app.env",
        &format!("APP_NAME=shop\nCLOUDFLARE_API_TOKEN={live}\n"),
    );
    user.commit(&project, "app config");
    w(
        "build.log",
        &format!("step 1 ok\nnpm publish with {logged}\nstep 2 ok\n"),
    );
    w("ci.log", "all green\n");
    w(
        "logs/a.jsonl",
        &format!("{{\"msg\": \"login\", \"token\": \"{logged}\"}}\n"),
    );
    w("logs/b.jsonl", "{\"msg\": \"nothing\"}\n");
    w(
        "repositories.txt",
        "# the organisation\nacme/api\nacme/web\nacme/docs\n",
    );
    user.git(&project, &["clone", "-q", "--mirror", ".", "repo.git"]);
    let mut known = Known::default();
    known.cloudflare.insert(live.clone(), ("active", None));
    let server = fake(known);
    let base = format!("http://{}", server.addr());
    let env = vec![
        (
            "PATH".into(),
            format!("{}:/usr/bin:/bin", user.bin().display()),
        ),
        (
            "BURNKEY_CLOUDFLARE_API_URL".into(),
            format!("{base}/client/v4"),
        ),
        ("BURNKEY_GITHUB_API_URL".into(), format!("{base}/gh")),
        ("BURNKEY_NPM_REGISTRY_URL".into(), format!("{base}/npm")),
        ("TOKEN".into(), live.clone()),
    ];
    (user, project, env, server)
}

/// Runs one console block as one shell session; returns each command's
/// exit status and output.
fn run_block(
    user: &User,
    dir: &Path,
    env: &[(String, String)],
    steps: &[&Step],
) -> Vec<(i32, String)> {
    const MARK: &str = "\u{1e}burnkey-readme-status ";
    let mut script = String::from("exec 2>&1\n");
    for s in steps {
        script.push_str(&s.command);
        script.push_str(&format!("\nprintf '\\n{MARK}%s\\n' \"$?\"\n"));
    }
    let o = user
        .cmd("sh", dir)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .arg("-c")
        .arg(&script)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    let mut out = Vec::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find(MARK) {
        let output = rest[..at].strip_suffix('\n').unwrap_or(&rest[..at]);
        let after = &rest[at + MARK.len()..];
        let (code, tail) = after.split_once('\n').unwrap_or((after, ""));
        out.push((code.trim().parse().unwrap(), output.to_string()));
        rest = tail;
    }
    assert_eq!(out.len(), steps.len(), "the session ended early: {text}");
    out
}

#[test]
fn every_readme_example_runs_and_prints_what_it_says() {
    let readme_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(readme_path).unwrap();
    let (user, project, env, _server) = setup();
    let print = std::env::var_os("README_PRINT").is_some();
    let (mut run, mut not_run, mut failures) = (0, Vec::new(), Vec::new());
    for b in blocks(&readme) {
        match b.info.as_str() {
            "console" => {
                let all = steps(&b);
                assert!(
                    !all.is_empty(),
                    "README line {}: an empty console block",
                    b.line
                );
                let todo: Vec<&Step> = all.iter().filter(|s| s.not_run.is_none()).collect();
                for s in all.iter().filter(|s| s.not_run.is_some()) {
                    not_run.push((s.line, s.not_run.clone().unwrap()));
                }
                let results = run_block(&user, &project, &env, &todo);
                for (s, (code, output)) in todo.iter().zip(results) {
                    run += 1;
                    let lines: Vec<&str> = output.lines().collect();
                    if print {
                        eprintln!(
                            "--- README line {}: $ {}\n? {code}\n{output}",
                            s.line, s.command
                        );
                    }
                    if code != s.status || !lines_match(&s.expected, &lines) {
                        failures.push(format!(
                            "README line {}: $ {}\nwanted status {} and:\n{}\ngot status {code} and:\n{output}\n",
                            s.line,
                            s.command,
                            s.status,
                            s.expected.join("\n")
                        ));
                    }
                }
            }
            "toml" => {
                let text = b.body.join("\n");
                if let Err(e) = text.parse::<toml::Table>() {
                    failures.push(format!(
                        "README line {}: TOML that does not parse: {e}",
                        b.line
                    ));
                }
            }
            "yaml" => {
                let text = b.body.join("\n");
                if let Err(e) = yaml_rust2::YamlLoader::load_from_str(&text) {
                    failures.push(format!(
                        "README line {}: YAML that does not parse: {e}",
                        b.line
                    ));
                }
            }
            "sh" | "bash" | "shell" => {
                let reason = b.not_run.clone().unwrap_or_else(|| {
                    panic!(
                        "README line {}: a command block that is neither a console session nor marked <!-- not run: why -->",
                        b.line
                    )
                });
                for l in b.body.iter().filter(|l| !l.trim().is_empty()) {
                    if !l.starts_with(' ') {
                        not_run.push((b.line, reason.clone()));
                    }
                }
            }
            _ => {}
        }
    }
    eprintln!(
        "README examples: {run} commands run, {} not run, out of {}",
        not_run.len(),
        run + not_run.len()
    );
    for (line, why) in &not_run {
        eprintln!("  not run (line {line}): {why}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(run >= 25, "the README's examples run: only {run}");
}
