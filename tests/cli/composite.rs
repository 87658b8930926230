//! Runs a composite action's steps the way the GitHub runner does, offline
//! and in-process (with [`runner`](crate::runner)), so the action tests need
//! only this repository, Rust, git and bash.
//!
//! What it adds to the runner: inputs with defaults (and `required`, which
//! the real runner does not enforce); the event file and the variables the
//! runner sets (`GITHUB_EVENT_PATH`, `GITHUB_ACTION_PATH`, `RUNNER_TEMP`, …);
//! `github.*` (the event payload, `action_path`, `action_repository`, `workspace`, `event_name`,
//! `sha`) and `runner.*`; the action's `outputs`. `uses:` steps (the build
//! cache) are skipped with a notice.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{json, Value};
use yaml_rust2::YamlLoader;

use crate::runner::{self, entries, scalar, Context, Host, Uses};

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

/// `uses:` steps inside the action (the build cache) are skipped.
struct SkipUses;

impl Host for SkipUses {
    fn uses(&mut self, step: &Uses<'_>, log: &mut String) -> i32 {
        log.push_str(&format!(
            "::notice::skipping `uses:` step {}\n",
            step.action
        ));
        0
    }
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
    let temp = inv.temp.to_string_lossy().into_owned();
    let sha = inv.event["after"]
        .as_str()
        .or(inv.event["pull_request"]["head"]["sha"].as_str())
        .unwrap_or("")
        .to_string();
    let mut ctx = Context::new(json!({
        "inputs": inputs,
        "github": {
            "event_name": inv.event_name,
            "action_path": action_path,
            "action_repository": "burnkey/burnkey",
            "workspace": workspace,
            "sha": sha,
            "event": inv.event,
        },
        "runner": {"os": "Linux", "temp": temp},
    }));
    let mut vars: Vec<(&str, String)> = vec![
        ("GITHUB_ACTIONS", "true".into()),
        ("CI", "true".into()),
        ("GITHUB_EVENT_NAME", inv.event_name.into()),
        (
            "GITHUB_EVENT_PATH",
            event_path.to_string_lossy().into_owned(),
        ),
        ("GITHUB_ACTION_PATH", action_path.clone()),
        ("GITHUB_WORKSPACE", workspace.clone()),
        ("RUNNER_TEMP", temp.clone()),
        ("GITHUB_SHA", sha.clone()),
    ];
    vars.extend(inv.env.iter().cloned());
    let steps = action["runs"]["steps"].as_vec().expect("runs.steps");
    let r = runner::run_steps(
        runner::Job {
            steps,
            workspace: inv.workspace,
            temp: inv.temp,
            default_shell: None,
            env: runner::base_env(&vars),
        },
        &mut ctx,
        &mut SkipUses,
    );
    ctx.strict = false;
    let outputs = entries(&action["outputs"])
        .into_iter()
        .map(|(name, spec)| (name, ctx.subst(&scalar(&spec["value"]))))
        .collect();
    ActionRun {
        code: r.code,
        stdout: r.stdout,
        stderr: r.stderr,
        outputs,
    }
}

#[test]
fn kv_files_parse_lines_and_heredocs() {
    let kv = runner::parse_kv("a=1\nb<<EOF\nx=y\nz\nEOF\nc=d=e\n");
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
        .starts_with("::notice::skipping `uses:` step actions/cache\n"));
}
