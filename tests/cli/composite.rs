//! Runs a composite action's `run:` steps the way the GitHub runner does,
//! offline and in-process, so the action tests need only this repository,
//! Rust, git and bash.
//!
//! What it models: inputs with defaults (and `required`, which the real
//! runner does not enforce); per-step `env:`; `bash` and `sh` shells with the
//! runner's flags; the `GITHUB_OUTPUT`, `GITHUB_ENV`, `GITHUB_PATH` and
//! `GITHUB_STEP_SUMMARY` files (fresh per step; env and path carry over to
//! later steps); step outputs; `continue-on-error`; the action's `outputs`.
//! `uses:` steps are skipped with a notice. Expressions are limited to
//! `inputs.*`, `steps.ID.outputs.*` and `github.*` (the event payload,
//! `action_path`, `workspace`, `event_name`, `sha`): anything else panics,
//! which keeps `run:` bodies expression-free by construction.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;
use yaml_rust2::{Yaml, YamlLoader};

/// What a run of the action printed and produced.
pub struct ActionRun {
    /// The exit status of the first failing step, else 0.
    pub code: i32,
    /// The steps' stdout, in order, with each step summary framed by
    /// `--- step summary ---` / `--- end summary ---`.
    pub stdout: String,
    /// The steps' stderr, in order.
    pub stderr: String,
    /// The action's `outputs`, evaluated over the steps that ran.
    pub outputs: BTreeMap<String, String>,
}

/// The invocation: where the action lives, the event, the inputs given.
pub struct Invocation<'a> {
    pub action_dir: &'a Path,
    pub workspace: &'a Path,
    pub event_name: &'a str,
    pub event: &'a Value,
    pub inputs: &'a [(&'a str, &'a str)],
    /// Directory for the runner's files (`RUNNER_TEMP`, the event file).
    pub temp: &'a Path,
    /// Extra variables for every step (e.g. `PATH`).
    pub env: &'a [(&'a str, String)],
}

fn scalar(y: &Yaml) -> String {
    match y {
        Yaml::String(s) | Yaml::Real(s) => s.clone(),
        Yaml::Integer(i) => i.to_string(),
        Yaml::Boolean(b) => b.to_string(),
        _ => String::new(),
    }
}

fn entries(y: &Yaml) -> Vec<(String, &Yaml)> {
    match y.as_hash() {
        Some(h) => h.iter().map(|(k, v)| (scalar(k), v)).collect(),
        None => Vec::new(),
    }
}

struct Context {
    inputs: BTreeMap<String, String>,
    github: Value,
    steps: BTreeMap<String, BTreeMap<String, String>>,
    strict: bool,
}

impl Context {
    fn lookup(&self, expr: &str) -> String {
        let parts: Vec<&str> = expr.split('.').collect();
        let found = match parts.as_slice() {
            ["inputs", name] => self.inputs.get(*name).cloned(),
            ["steps", id, "outputs", name] => match self.steps.get(*id) {
                Some(outs) => Some(outs.get(*name).cloned().unwrap_or_default()),
                // Outputs of a step that never ran evaluate to "".
                None if !self.strict => Some(String::new()),
                None => None,
            },
            ["github", rest @ ..] => {
                let mut cur = &self.github;
                let mut ok = true;
                for p in rest {
                    match cur.get(p) {
                        Some(v) => cur = v,
                        None => ok = false,
                    }
                }
                ok.then(|| match cur {
                    Value::Null => String::new(),
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
            }
            _ => None,
        };
        found.unwrap_or_else(|| panic!("unsupported or unknown expression: {expr}"))
    }

    fn subst(&self, s: &str) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find("${{") {
            out.push_str(&rest[..i]);
            let after = &rest[i + 3..];
            let j = after.find("}}").expect("unterminated expression");
            out.push_str(&self.lookup(after[..j].trim()));
            rest = &after[j + 2..];
        }
        out.push_str(rest);
        out
    }
}

/// Parses `GITHUB_OUTPUT` / `GITHUB_ENV`: `k=v` lines and `k<<DELIM` blocks.
pub fn parse_kv(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let heredoc = line
            .find("<<")
            .filter(|&h| line.find('=').is_none_or(|e| h < e));
        if let Some(h) = heredoc {
            let (key, delim) = (&line[..h], &line[h + 2..]);
            let end = (i + 1..lines.len())
                .find(|&j| lines[j] == delim)
                .unwrap_or_else(|| panic!("unterminated {key}<<{delim} block"));
            out.insert(key.to_string(), lines[i + 1..end].join("\n"));
            i = end + 1;
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            out.insert(k.to_string(), v.to_string());
        }
        i += 1;
    }
    out
}

/// Runs the composite action in `inv.action_dir` for one event.
pub fn run(inv: &Invocation<'_>) -> ActionRun {
    let text = std::fs::read_to_string(inv.action_dir.join("action.yml")).unwrap();
    let doc = YamlLoader::load_from_str(&text).expect("action.yml is YAML");
    let action = &doc[0];
    assert_eq!(
        action["runs"]["using"].as_str(),
        Some("composite"),
        "not a composite action"
    );
    let mut inputs = BTreeMap::new();
    for (name, spec) in entries(&action["inputs"]) {
        let given = inv.inputs.iter().find(|(k, _)| *k == name);
        let value = given.map_or_else(|| scalar(&spec["default"]), |(_, v)| v.to_string());
        let required = spec["required"].as_bool().unwrap_or(false);
        assert!(
            !(required && value.is_empty()),
            "missing required input {name}"
        );
        inputs.insert(name, value);
    }
    for (k, _) in inv.inputs {
        assert!(inputs.contains_key(*k), "the action has no input {k}");
    }
    let event_path = inv.temp.join("event.json");
    std::fs::write(&event_path, inv.event.to_string()).unwrap();
    let action_path = inv.action_dir.to_string_lossy().into_owned();
    let workspace = inv.workspace.to_string_lossy().into_owned();
    let sha = inv.event["after"]
        .as_str()
        .or(inv.event["pull_request"]["head"]["sha"].as_str())
        .unwrap_or("")
        .to_string();
    let mut github = serde_json::json!({
        "event_name": inv.event_name,
        "action_path": action_path,
        "workspace": workspace,
        "sha": sha,
    });
    github["event"] = inv.event.clone();
    let mut base: BTreeMap<String, String> = std::env::vars().collect();
    for k in [
        "GITHUB_OUTPUT",
        "GITHUB_ENV",
        "GITHUB_PATH",
        "GITHUB_STEP_SUMMARY",
    ] {
        base.remove(k);
    }
    for (k, v) in [
        ("GITHUB_ACTIONS", "true"),
        ("CI", "true"),
        ("GITHUB_EVENT_NAME", inv.event_name),
        ("GITHUB_EVENT_PATH", &event_path.to_string_lossy()),
        ("GITHUB_ACTION_PATH", &action_path),
        ("GITHUB_WORKSPACE", &workspace),
        ("RUNNER_TEMP", &inv.temp.to_string_lossy()),
        ("GITHUB_SHA", &sha),
    ] {
        base.insert(k.to_string(), v.to_string());
    }
    for (k, v) in inv.env {
        base.insert(k.to_string(), v.clone());
    }
    let mut ctx = Context {
        inputs,
        github,
        steps: BTreeMap::new(),
        strict: true,
    };
    let mut run = ActionRun {
        code: 0,
        stdout: String::new(),
        stderr: String::new(),
        outputs: BTreeMap::new(),
    };
    let files = [
        "GITHUB_OUTPUT",
        "GITHUB_ENV",
        "GITHUB_PATH",
        "GITHUB_STEP_SUMMARY",
    ]
    .map(|n| (n, inv.temp.join(n.to_ascii_lowercase())));
    let steps = action["runs"]["steps"].as_vec().expect("runs.steps");
    for step in steps {
        let Some(script) = step["run"].as_str() else {
            run.stdout.push_str(&format!(
                "::notice::skipping `uses:` step {}\n",
                scalar(&step["uses"])
            ));
            continue;
        };
        let shell: &[&str] = match step["shell"].as_str() {
            Some("bash") => &["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"],
            Some("sh") => &["sh", "-e", "-c"],
            other => panic!("composite run steps need shell bash or sh, not {other:?}"),
        };
        for (_, f) in &files {
            std::fs::write(f, "").unwrap();
        }
        let mut env = base.clone();
        for (k, f) in &files {
            env.insert(k.to_string(), f.to_string_lossy().into_owned());
        }
        for (k, v) in entries(&step["env"]) {
            env.insert(k, ctx.subst(&scalar(v)));
        }
        // The real runner substitutes expressions in the script too (the
        // injection risk that keeps our bodies expression-free).
        let script = ctx.subst(script);
        let o = Command::new(shell[0])
            .args(&shell[1..])
            .arg(&script)
            .env_clear()
            .envs(&env)
            .current_dir(inv.workspace)
            .output()
            .expect("the step's shell runs");
        run.stdout.push_str(&String::from_utf8_lossy(&o.stdout));
        run.stderr.push_str(&String::from_utf8_lossy(&o.stderr));
        let read = |n: &str| {
            let path = &files.iter().find(|(k, _)| *k == n).unwrap().1;
            std::fs::read_to_string(path).unwrap()
        };
        let outs = parse_kv(&read("GITHUB_OUTPUT"));
        base.extend(parse_kv(&read("GITHUB_ENV")));
        for p in read("GITHUB_PATH")
            .lines()
            .rev()
            .filter(|l| !l.trim().is_empty())
        {
            let old = base.get("PATH").cloned().unwrap_or_default();
            base.insert("PATH".into(), format!("{p}:{old}"));
        }
        if let Some(id) = step["id"].as_str() {
            ctx.steps.insert(id.to_string(), outs);
        }
        let summary = read("GITHUB_STEP_SUMMARY");
        if !summary.is_empty() {
            run.stdout.push_str(&format!(
                "--- step summary ---\n{summary}--- end summary ---\n"
            ));
        }
        let code = o.status.code().unwrap_or(-1);
        if code != 0 && !step["continue-on-error"].as_bool().unwrap_or(false) {
            run.code = code;
            break;
        }
    }
    ctx.strict = false;
    for (name, spec) in entries(&action["outputs"]) {
        run.outputs.insert(name, ctx.subst(&scalar(&spec["value"])));
    }
    run
}

#[test]
fn kv_files_parse_lines_and_heredocs() {
    let kv = parse_kv("a=1\nb<<EOF\nx=y\nz\nEOF\nc=d=e\n");
    assert_eq!(kv["a"], "1");
    assert_eq!(kv["b"], "x=y\nz");
    assert_eq!(kv["c"], "d=e");
}

#[test]
fn runner_substitutes_passes_env_and_stops_at_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("action.yml"),
        r##"
name: t
inputs:
  who:
    default: world
outputs:
  said:
    value: ${{ steps.one.outputs.said }}
  never:
    value: ${{ steps.three.outputs.x }}
runs:
  using: composite
  steps:
    - uses: actions/cache@v4
    - id: one
      shell: bash
      env:
        WHO: ${{ inputs.who }}
        REF: ${{ github.event.ref }}
      run: |
        echo "said=hello $WHO at $REF" >> "$GITHUB_OUTPUT"
        echo "CARRIED=yes" >> "$GITHUB_ENV"
        echo "# sum" >> "$GITHUB_STEP_SUMMARY"
    - id: two
      shell: bash
      run: echo "carried=$CARRIED"; exit 3
    - id: three
      shell: bash
      run: echo "x=1" >> "$GITHUB_OUTPUT"
"##,
    )
    .unwrap();
    let event = serde_json::json!({"ref": "refs/heads/main"});
    let r = run(&Invocation {
        action_dir: dir.path(),
        workspace: dir.path(),
        event_name: "push",
        event: &event,
        inputs: &[("who", "you")],
        temp: dir.path(),
        env: &[],
    });
    assert_eq!(r.code, 3);
    assert_eq!(r.outputs["said"], "hello you at refs/heads/main");
    assert_eq!(r.outputs["never"], "", "step three never ran");
    assert!(r.stdout.contains("carried=yes"), "{}", r.stdout);
    assert!(r.stdout.contains("--- step summary ---\n# sum\n"));
    assert!(r
        .stdout
        .starts_with("::notice::skipping `uses:` step actions/cache@v4"));
}
