//! What the GitHub runner does with a list of steps, offline: expressions,
//! `if:` conditions, `run:` steps in a shell with the runner's files
//! (`GITHUB_OUTPUT`, `GITHUB_ENV`, `GITHUB_PATH`, `GITHUB_STEP_SUMMARY`),
//! and `uses:` steps handed to the caller. [`composite`](crate::composite)
//! runs action.yml's steps with it, [`workflow`](crate::workflow) a
//! workflow's jobs.
//!
//! Expressions: contexts are one JSON object (`inputs`, `github`, `matrix`,
//! `needs`, `secrets`, `runner`, `steps`); `||`, `&&`, `==`, `!=`, `!`,
//! parentheses, `'strings'`, numbers, `fromJSON`, `toJSON`, `format`,
//! `hashFiles` (of one file), `always()`,
//! `success()`, `failure()`, `cancelled()`. A path into a context that is
//! not there panics (a typo fails the test), except a secret that was not
//! given and the outputs of a step that never ran, which GitHub evaluates
//! to an empty string.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};
use yaml_rust2::Yaml;

pub fn scalar(y: &Yaml) -> String {
    match y {
        Yaml::String(s) | Yaml::Real(s) => s.clone(),
        Yaml::Integer(i) => i.to_string(),
        Yaml::Boolean(b) => b.to_string(),
        _ => String::new(),
    }
}

pub fn entries(y: &Yaml) -> Vec<(String, &Yaml)> {
    match y.as_hash() {
        Some(h) => h.iter().map(|(k, v)| (scalar(k), v)).collect(),
        None => Vec::new(),
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

/// The expression contexts, and whether a step has failed so far.
pub struct Context {
    pub values: Value,
    /// Outputs of steps that never ran are an error while steps run (a
    /// step can only read earlier ones), "" when job outputs are read.
    pub strict: bool,
    pub failed: bool,
}

/// How a value reads where a string is wanted.
pub fn render(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

impl Context {
    pub fn new(values: Value) -> Context {
        let mut values = values;
        if values.get("steps").is_none() {
            values["steps"] = json!({});
        }
        Context {
            values,
            strict: true,
            failed: false,
        }
    }

    /// Records a step's outputs under `steps.ID.outputs`.
    pub fn set_outputs(&mut self, id: &str, outs: &BTreeMap<String, String>) {
        self.values["steps"][id] = json!({ "outputs": outs });
    }

    fn lookup(&self, path: &str) -> Value {
        let parts: Vec<&str> = path.split('.').collect();
        let root = parts[0];
        let Some(mut cur) = self.values.get(root) else {
            panic!("unsupported context in expression: {path}")
        };
        for (i, p) in parts[1..].iter().enumerate() {
            match cur.get(p) {
                Some(v) => cur = v,
                None => {
                    let step_never_ran = root == "steps" && i == 0;
                    let step_output = root == "steps" && i == 2;
                    if root == "secrets" || step_output || (step_never_ran && !self.strict) {
                        return Value::Null;
                    }
                    panic!("unknown expression: {path}")
                }
            }
        }
        cur.clone()
    }

    /// Evaluates one expression (what stands between `${{` and `}}`).
    pub fn eval(&self, expr: &str) -> Value {
        let tokens = tokenize(expr);
        let mut p = Parser {
            ctx: self,
            tokens: &tokens,
            at: 0,
        };
        let v = p.or();
        assert_eq!(p.at, tokens.len(), "trailing input in expression: {expr}");
        v
    }

    /// Whether a step's or job's `if:` holds: without a status function,
    /// GitHub adds `success() &&`.
    pub fn condition(&self, cond: Option<&str>) -> bool {
        let Some(c) = cond else { return !self.failed };
        let c = c.trim();
        let c = c
            .strip_prefix("${{")
            .and_then(|c| c.strip_suffix("}}"))
            .unwrap_or(c);
        let status = ["always(", "success(", "failure(", "cancelled("]
            .iter()
            .any(|f| c.contains(f));
        (status || !self.failed) && truthy(&self.eval(c))
    }

    /// `s` with every `${{ … }}` replaced by its value.
    pub fn subst(&self, s: &str) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find("${{") {
            out.push_str(&rest[..i]);
            let after = &rest[i + 3..];
            let j = after.find("}}").expect("unterminated expression");
            out.push_str(&render(&self.eval(after[..j].trim())));
            rest = &after[j + 2..];
        }
        out.push_str(rest);
        out
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Str(String),
    Num(f64),
    Ident(String),
    Op(&'static str),
}

fn tokenize(s: &str) -> Vec<Tok> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'\'' {
            let mut v = String::new();
            i += 1;
            loop {
                assert!(i < b.len(), "unterminated string in {s}");
                if b[i] == b'\'' {
                    if b.get(i + 1) == Some(&b'\'') {
                        v.push('\'');
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                let ch = s[i..].chars().next().unwrap();
                v.push(ch);
                i += ch.len_utf8();
            }
            out.push(Tok::Str(v));
        } else if let Some(op) = ["||", "&&", "==", "!=", "!", "(", ")", ","]
            .into_iter()
            .find(|op| s[i..].starts_with(op))
        {
            out.push(Tok::Op(op));
            i += op.len();
        } else if c.is_ascii_digit() {
            let start = i;
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                i += 1;
            }
            out.push(Tok::Num(s[start..i].parse().unwrap()));
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b"_-.".contains(&b[i])) {
                i += 1;
            }
            out.push(Tok::Ident(s[start..i].to_string()));
        } else {
            panic!("unsupported character {:?} in expression {s}", c as char);
        }
    }
    out
}

struct Parser<'a> {
    ctx: &'a Context,
    tokens: &'a [Tok],
    at: usize,
}

impl Parser<'_> {
    fn peek_op(&self, op: &str) -> bool {
        matches!(self.tokens.get(self.at), Some(Tok::Op(o)) if *o == op)
    }

    fn expect_op(&mut self, op: &str) {
        assert!(self.peek_op(op), "expected {op} in expression");
        self.at += 1;
    }

    fn or(&mut self) -> Value {
        let mut v = self.and();
        while self.peek_op("||") {
            self.at += 1;
            let r = self.and();
            if !truthy(&v) {
                v = r;
            }
        }
        v
    }

    fn and(&mut self) -> Value {
        let mut v = self.cmp();
        while self.peek_op("&&") {
            self.at += 1;
            let r = self.cmp();
            if truthy(&v) {
                v = r;
            }
        }
        v
    }

    fn cmp(&mut self) -> Value {
        let l = self.unary();
        for (op, want) in [("==", true), ("!=", false)] {
            if self.peek_op(op) {
                self.at += 1;
                let r = self.unary();
                // GitHub compares strings without case; numbers by value.
                let same = render(&l).eq_ignore_ascii_case(&render(&r));
                return Value::Bool(same == want);
            }
        }
        l
    }

    fn unary(&mut self) -> Value {
        if self.peek_op("!") {
            self.at += 1;
            return Value::Bool(!truthy(&self.unary()));
        }
        self.primary()
    }

    fn primary(&mut self) -> Value {
        let t = self
            .tokens
            .get(self.at)
            .cloned()
            .expect("incomplete expression");
        self.at += 1;
        match t {
            Tok::Op("(") => {
                let v = self.or();
                self.expect_op(")");
                v
            }
            Tok::Str(s) => Value::String(s),
            Tok::Num(n) => json!(n),
            Tok::Ident(name) if self.peek_op("(") => {
                self.at += 1;
                let mut args = Vec::new();
                while !self.peek_op(")") {
                    args.push(self.or());
                    if self.peek_op(",") {
                        self.at += 1;
                    }
                }
                self.at += 1;
                self.call(&name, &args)
            }
            Tok::Ident(path) => match path.as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                "null" => Value::Null,
                _ => self.ctx.lookup(&path),
            },
            Tok::Op(op) => panic!("unexpected {op} in expression"),
        }
    }

    fn call(&self, name: &str, args: &[Value]) -> Value {
        match (name, args) {
            ("always", []) => Value::Bool(true),
            ("success", []) => Value::Bool(!self.ctx.failed),
            ("failure", []) => Value::Bool(self.ctx.failed),
            ("cancelled", []) => Value::Bool(false),
            ("fromJSON", [v]) => serde_json::from_str(&render(v))
                .unwrap_or_else(|e| panic!("fromJSON of a value that is not JSON ({e})")),
            ("toJSON", [v]) => Value::String(v.to_string()),
            ("format", [f, rest @ ..]) => {
                let mut out = render(f);
                for (i, v) in rest.iter().enumerate() {
                    out = out.replace(&format!("{{{i}}}"), &render(v));
                }
                Value::String(out)
            }
            // One file, named by its path: its SHA-256 (the runner hashes
            // the hashes of every file a glob matches).
            ("hashFiles", [p]) => Value::String(
                std::fs::read(render(p))
                    .map(|b| burnkey::checksum::sha256_hex(&b))
                    .unwrap_or_default(),
            ),
            _ => panic!("unsupported function {name} with {} arguments", args.len()),
        }
    }
}

/// A `uses:` step, for the caller to emulate.
pub struct Uses<'a> {
    /// `actions/checkout@…`, without the `@…`.
    pub action: &'a str,
    /// The step's `with:`, expressions evaluated.
    pub with: BTreeMap<String, String>,
    /// The step's working directory (the workspace).
    pub workspace: &'a Path,
}

/// What the caller does for the steps the runner does not run itself.
pub trait Host {
    /// Emulates a `uses:` step, printing to `log` (the job's stdout); its
    /// exit status.
    fn uses(&mut self, step: &Uses<'_>, log: &mut String) -> i32;
    /// Stands in for a `run:` step (by name, e.g. an install step), with the
    /// environment of later steps to change (`PATH`); `None` runs it.
    fn replace_run(&mut self, _name: &str, _env: &mut BTreeMap<String, String>) -> Option<i32> {
        None
    }
}

/// What the steps printed and produced.
#[derive(Default)]
pub struct StepsRun {
    /// The exit status of the first failing step (not `continue-on-error`),
    /// else 0.
    pub code: i32,
    /// The steps' stdout, in order, with each step summary framed by
    /// `--- step summary ---` / `--- end summary ---`.
    pub stdout: String,
    /// The steps' stderr, in order.
    pub stderr: String,
    /// The steps' summaries, joined as the job's summary.
    pub summary: String,
}

/// Where and how the steps run.
pub struct Job<'a> {
    pub steps: &'a [Yaml],
    pub workspace: &'a Path,
    /// The runner's files go here (`RUNNER_TEMP` is the caller's to set).
    pub temp: &'a Path,
    /// The shell of a `run:` step without `shell:` (`None`: it must say).
    pub default_shell: Option<&'a str>,
    /// The environment every step starts from.
    pub env: BTreeMap<String, String>,
}

fn shell_command(shell: &str) -> &'static [&'static str] {
    match shell {
        // What `shell: bash` means; a workflow step without `shell:` gets
        // `bash -e {0}`.
        "bash" => &["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"],
        "bash-default" => &["bash", "-e", "-c"],
        "sh" => &["sh", "-e", "-c"],
        other => panic!("unsupported shell {other}"),
    }
}

/// The runner's environment: the process's, less the runner's files,
/// plus `vars`.
pub fn base_env(vars: &[(&str, String)]) -> BTreeMap<String, String> {
    let mut env: BTreeMap<String, String> = std::env::vars().collect();
    for k in [
        "GITHUB_OUTPUT",
        "GITHUB_ENV",
        "GITHUB_PATH",
        "GITHUB_STEP_SUMMARY",
    ] {
        env.remove(k);
    }
    for (k, v) in vars {
        env.insert(k.to_string(), v.clone());
    }
    env
}

/// Runs the steps in order as the runner does: a step runs when its `if:`
/// holds (by default, when no step before it failed).
pub fn run_steps(job: Job<'_>, ctx: &mut Context, host: &mut dyn Host) -> StepsRun {
    let mut env = job.env;
    let mut run = StepsRun::default();
    let files: Vec<(&str, PathBuf)> = [
        "GITHUB_OUTPUT",
        "GITHUB_ENV",
        "GITHUB_PATH",
        "GITHUB_STEP_SUMMARY",
    ]
    .into_iter()
    .map(|n| {
        (
            n,
            job.temp.join(format!("runner-{}", n.to_ascii_lowercase())),
        )
    })
    .collect();
    for step in job.steps {
        if !ctx.condition(step["if"].as_str()) {
            continue;
        }
        let name = scalar(&step["name"]);
        let code = if let Some(action) = step["uses"].as_str() {
            let with = entries(&step["with"])
                .into_iter()
                .map(|(k, v)| (k, ctx.subst(&scalar(v))))
                .collect();
            let step = Uses {
                action: action.split('@').next().unwrap(),
                with,
                workspace: job.workspace,
            };
            host.uses(&step, &mut run.stdout)
        } else if let Some(code) = host.replace_run(&name, &mut env) {
            code
        } else {
            let script = step["run"].as_str().expect("a step has run: or uses:");
            let shell = step["shell"]
                .as_str()
                .or(job.default_shell)
                .unwrap_or_else(|| panic!("step {name:?} needs a shell"));
            for (_, f) in &files {
                std::fs::write(f, "").unwrap();
            }
            let mut step_env = env.clone();
            for (k, f) in &files {
                step_env.insert(k.to_string(), f.to_string_lossy().into_owned());
            }
            for (k, v) in entries(&step["env"]) {
                step_env.insert(k, ctx.subst(&scalar(v)));
            }
            // The real runner substitutes expressions in the script too (the
            // injection risk that keeps our bodies expression-free).
            let script = ctx.subst(script);
            let cmd = shell_command(shell);
            let o = Command::new(cmd[0])
                .args(&cmd[1..])
                .arg(&script)
                .env_clear()
                .envs(&step_env)
                .current_dir(job.workspace)
                .output()
                .expect("the step's shell runs");
            run.stdout.push_str(&String::from_utf8_lossy(&o.stdout));
            run.stderr.push_str(&String::from_utf8_lossy(&o.stderr));
            let read = |n: &str| {
                let path = &files.iter().find(|(k, _)| *k == n).unwrap().1;
                std::fs::read_to_string(path).unwrap()
            };
            let outs = parse_kv(&read("GITHUB_OUTPUT"));
            env.extend(parse_kv(&read("GITHUB_ENV")));
            for p in read("GITHUB_PATH")
                .lines()
                .rev()
                .filter(|l| !l.trim().is_empty())
            {
                let old = env.get("PATH").cloned().unwrap_or_default();
                env.insert("PATH".into(), format!("{p}:{old}"));
            }
            if let Some(id) = step["id"].as_str() {
                ctx.set_outputs(id, &outs);
            }
            let summary = read("GITHUB_STEP_SUMMARY");
            if !summary.is_empty() {
                run.stdout.push_str(&format!(
                    "--- step summary ---\n{summary}--- end summary ---\n"
                ));
                run.summary.push_str(&summary);
            }
            o.status.code().unwrap_or(-1)
        };
        if code != 0 && !step["continue-on-error"].as_bool().unwrap_or(false) {
            if run.code == 0 {
                run.code = code;
            }
            ctx.failed = true;
        }
    }
    run
}

#[test]
fn expressions_follow_the_runner() {
    let mut ctx = Context::new(json!({
        "inputs": {"n": "0", "list": "a b"},
        "needs": {"plan": {"outputs": {"matrix": "{\"include\": [{\"shard\": 0}]}", "count": "0"}}},
        "secrets": {},
        "github": {"token": "t"},
    }));
    assert_eq!(ctx.eval("secrets.token || github.token"), json!("t"));
    assert_eq!(ctx.eval("needs.plan.outputs.count != '0'"), json!(false));
    assert_eq!(
        ctx.eval("fromJSON(needs.plan.outputs.matrix)")["include"][0]["shard"],
        json!(0)
    );
    assert_eq!(ctx.eval("!(inputs.n == '0') && 'x'"), json!(false));
    assert_eq!(ctx.subst("[${{ inputs.list }}]"), "[a b]");
    assert!(ctx.condition(None));
    assert!(ctx.condition(Some("always()")));
    ctx.failed = true;
    assert!(!ctx.condition(None), "a failed step stops the next");
    assert!(!ctx.condition(Some("inputs.list != ''")), "success() && …");
    assert!(ctx.condition(Some("${{ always() }}")));
    assert!(ctx.condition(Some("failure()")));
    let typo = std::panic::catch_unwind(|| ctx.eval("inputs.nope"));
    assert!(typo.is_err(), "an unknown input is a test bug");
}
