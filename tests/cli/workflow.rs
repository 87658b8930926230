//! Runs a workflow's jobs the way GitHub does, offline (with
//! [`runner`](crate::runner)): a job's `if:`, its matrix (`strategy.matrix`,
//! an expression over `needs`), its steps with `bash -e` as the default
//! shell, and its `outputs`. The caller orders the jobs (`needs`) and
//! emulates the `uses:` steps through a [`Host`].

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{json, Value};
use yaml_rust2::{Yaml, YamlLoader};

use crate::runner::{self, entries, scalar, Context, Host};

pub struct Workflow {
    doc: Yaml,
}

/// What one job printed and produced.
pub struct JobRun {
    /// 0 when every step passed, else the first failing step's status.
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// The job summary (every step's `GITHUB_STEP_SUMMARY`, in order).
    pub summary: String,
    /// The job's `outputs`, evaluated over its steps.
    pub outputs: BTreeMap<String, String>,
}

impl JobRun {
    /// How `needs.JOB` reads in later jobs.
    pub fn as_need(&self) -> Value {
        json!({
            "result": if self.code == 0 { "success" } else { "failure" },
            "outputs": self.outputs,
        })
    }
}

impl Workflow {
    pub fn load(path: &Path) -> Workflow {
        let text = std::fs::read_to_string(path).unwrap();
        let mut docs = YamlLoader::load_from_str(&text).expect("the workflow is YAML");
        Workflow {
            doc: docs.remove(0),
        }
    }

    fn job(&self, name: &str) -> &Yaml {
        let job = &self.doc["jobs"][name];
        assert!(!job.is_badvalue(), "the workflow has no job {name}");
        job
    }

    /// The `workflow_call` inputs: the given ones, else their defaults.
    /// An input the workflow does not declare is a test bug.
    pub fn inputs(&self, given: &[(&str, &str)]) -> Value {
        let declared = &self.doc["on"]["workflow_call"]["inputs"];
        let mut out = serde_json::Map::new();
        for (name, spec) in entries(declared) {
            let v = match given.iter().find(|(k, _)| *k == name) {
                Some((_, v)) => json!(v),
                None => match &spec["default"] {
                    Yaml::Integer(i) => json!(i),
                    other => json!(scalar(other)),
                },
            };
            out.insert(name, v);
        }
        for (k, _) in given {
            assert!(out.contains_key(*k), "the workflow has no input {k}");
        }
        Value::Object(out)
    }

    /// The names of a job's `needs`.
    pub fn needs(&self, name: &str) -> Vec<String> {
        match &self.job(name)["needs"] {
            Yaml::String(s) => vec![s.clone()],
            Yaml::Array(a) => a.iter().map(scalar).collect(),
            _ => Vec::new(),
        }
    }

    /// Whether the job runs, by its `if:`, given the jobs it needs.
    pub fn runs(&self, name: &str, contexts: &Value, needs_failed: bool) -> bool {
        let mut ctx = Context::new(contexts.clone());
        ctx.failed = needs_failed;
        ctx.condition(self.job(name)["if"].as_str())
    }

    /// The matrix's combinations: `strategy.matrix` evaluated, as
    /// `include` entries (the only form the workflow uses).
    pub fn matrix(&self, name: &str, contexts: &Value) -> Vec<Value> {
        let m = &self.job(name)["strategy"]["matrix"];
        let value = match m {
            Yaml::String(s) => Context::new(contexts.clone())
                .eval(s.trim().trim_start_matches("${{").trim_end_matches("}}")),
            Yaml::BadValue => return vec![json!({})],
            _ => panic!("only an expression matrix is supported"),
        };
        let include = value["include"]
            .as_array()
            .expect("the matrix is {\"include\": [...]}");
        assert!(
            value.as_object().unwrap().len() == 1,
            "only `include` is supported"
        );
        include.clone()
    }

    /// Runs one job (one matrix combination) in `workspace`, with the
    /// runner's variables set (`RUNNER_TEMP` = `temp`).
    pub fn run_job(
        &self,
        name: &str,
        contexts: &Value,
        workspace: &Path,
        temp: &Path,
        env: &[(&str, String)],
        host: &mut dyn Host,
    ) -> JobRun {
        let job = self.job(name);
        let mut ctx = Context::new(contexts.clone());
        let mut vars: Vec<(&str, String)> = vec![
            ("GITHUB_ACTIONS", "true".into()),
            ("CI", "true".into()),
            ("GITHUB_WORKSPACE", workspace.to_string_lossy().into_owned()),
            ("RUNNER_TEMP", temp.to_string_lossy().into_owned()),
        ];
        vars.extend(env.iter().cloned());
        let steps = job["steps"].as_vec().expect("the job has steps");
        let r = runner::run_steps(
            runner::Job {
                steps,
                workspace,
                temp,
                default_shell: Some("bash-default"),
                env: runner::base_env(&vars),
            },
            &mut ctx,
            host,
        );
        ctx.strict = false;
        let outputs = entries(&job["outputs"])
            .into_iter()
            .map(|(k, v)| (k, ctx.subst(&scalar(v))))
            .collect();
        JobRun {
            code: r.code,
            stdout: r.stdout,
            stderr: r.stderr,
            summary: r.summary,
            outputs,
        }
    }
}
