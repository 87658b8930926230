//! `burnkey report shards` and `burnkey report merge`: the planning and the
//! final step of an organisation-wide scan (see
//! `.github/workflows/org-scan.yml`), testable without Actions.

use std::io::{BufWriter, Read, Write};
use std::path::Path;

use anyhow::{bail, Context};
use serde_json::{json, Map, Value};

use crate::fsutil::create_output;
use crate::report;
use crate::report::model::{Merged, Report, Reported};
use crate::RuleSet;

use super::args::{Exit, OutFormat, ReportCmd};

/// GitHub runs at most this many jobs from one matrix.
pub(crate) const MAX_SHARDS: usize = 256;

pub(crate) fn run(c: ReportCmd) -> anyhow::Result<Exit> {
    match c {
        ReportCmd::Shards {
            list,
            shards,
            format,
        } => {
            let text = if list.as_os_str() == "-" {
                let mut s = String::new();
                std::io::stdin().read_to_string(&mut s)?;
                s
            } else {
                std::fs::read_to_string(&list)
                    .with_context(|| format!("cannot read {}", list.display()))?
            };
            let repos = parse_list(&text)?;
            let plan = plan_shards(&repos, shards)?;
            let mut out = std::io::stdout().lock();
            match format {
                OutFormat::Json => {
                    let include: Vec<Value> = plan
                        .iter()
                        .enumerate()
                        .map(|(i, s)| json!({"shard": i, "repositories": s.join(" ")}))
                        .collect();
                    writeln!(out, "{}", json!({ "include": include }))?;
                }
                OutFormat::Text => {
                    for s in &plan {
                        writeln!(out, "{}", s.join(" "))?;
                    }
                }
            }
            Ok(Exit::Ok)
        }
        ReportCmd::Merge {
            reports,
            format,
            output,
            rules,
        } => {
            let docs = reports
                .iter()
                .map(|p| read_report(p))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let merged = merge(docs)?;
            let mut w: Box<dyn Write> = match &output {
                // A report holds token hashes: 0600.
                Some(p) => Box::new(BufWriter::new(
                    create_output(p, false)
                        .with_context(|| format!("cannot write {}", p.display()))?,
                )),
                None => Box::new(BufWriter::new(std::io::stdout().lock())),
            };
            match format.as_str() {
                "sarif" => {
                    let rules = RuleSet::with_files(&rules)?;
                    let scanned: Vec<&str> =
                        merged.repositories.keys().map(String::as_str).collect();
                    report::sarif::write_merged(&mut w, &merged.findings, &scanned, &rules)?;
                }
                "markdown" => w.write_all(report::markdown::merged_summary(&merged).as_bytes())?,
                _ => {
                    serde_json::to_writer_pretty(&mut w, &merged)?;
                    writeln!(w)?;
                }
            }
            w.flush()?;
            Ok(if merged.findings.is_empty() {
                Exit::Ok
            } else {
                Exit::Found
            })
        }
    }
}

/// Repository names, one per line; blank lines and `#` comments skipped.
fn parse_list(text: &str) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        // A name goes on a command line and into a file name: owner/name.
        let ok = line.split('/').count() == 2
            && line.split('/').all(|p| {
                !p.is_empty()
                    && p != "."
                    && p != ".."
                    && p.bytes()
                        .all(|c| c.is_ascii_alphanumeric() || b"-_.".contains(&c))
            });
        if !ok {
            bail!(
                "line {}: {:?} is not a repository name (owner/name)",
                i + 1,
                report::text::escape_control(line)
            );
        }
        out.push(line.to_string());
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// `repos` in at most `shards` contiguous groups whose sizes differ by at
/// most one, in list order.
fn plan_shards(repos: &[String], shards: usize) -> anyhow::Result<Vec<Vec<String>>> {
    if shards == 0 || shards > MAX_SHARDS {
        bail!(
            "--shards must be 1 to {MAX_SHARDS} (GitHub runs at most {MAX_SHARDS} jobs per matrix)"
        );
    }
    let n = shards.min(repos.len());
    let mut out = Vec::with_capacity(n);
    let mut at = 0;
    for i in 0..n {
        let size = repos.len() / n + usize::from(i < repos.len() % n);
        out.push(repos[at..at + size].to_vec());
        at += size;
    }
    Ok(out)
}

fn read_report(p: &Path) -> anyhow::Result<Report> {
    let text = std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?;
    let v: Value = serde_json::from_slice(&text)
        .with_context(|| format!("{}: not a JSON report", p.display()))?;
    if !v["findings"].is_array() || !v["stats"].is_object() {
        bail!(
            "{}: not a burnkey JSON report (no findings and stats)",
            p.display()
        );
    }
    serde_json::from_value(v).with_context(|| format!("{}: not a burnkey JSON report", p.display()))
}

/// Sums two JSON stats values: numbers added, objects merged key by key,
/// arrays concatenated. A sum that does not fit (a count over 2^64, a
/// float past its range) is an error naming the field (`at`), never a
/// wrapped or zeroed count.
fn add(into: &mut Value, v: &Value, at: &str) -> anyhow::Result<()> {
    match (into, v) {
        (Value::Number(a), Value::Number(b)) => {
            let sum = match (a.as_u64(), b.as_u64()) {
                (Some(x), Some(y)) => x.checked_add(y).map(Into::into),
                _ => serde_json::Number::from_f64(
                    a.as_f64().unwrap_or(0.0) + b.as_f64().unwrap_or(0.0),
                ),
            };
            *a =
                sum.ok_or_else(|| anyhow::anyhow!("stats.{at}: the sum of {a} and {b} overflows"))?;
        }
        (Value::Object(a), Value::Object(b)) => {
            for (k, x) in b {
                match a.get_mut(k) {
                    Some(y) => add(
                        y,
                        x,
                        &format!("{at}{}{k}", if at.is_empty() { "" } else { "." }),
                    )?,
                    None => {
                        a.insert(k.clone(), x.clone());
                    }
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => a.extend(b.iter().cloned()),
        _ => {}
    }
    Ok(())
}

/// Where a finding sorts in a merged report.
fn sort_key(f: &Reported) -> (&str, &str, u64, u64) {
    (
        f.repository.as_deref().unwrap_or(""),
        &f.path,
        f.line,
        f.column,
    )
}

/// The merged reports: findings in (repository, path, line, column)
/// order, stats summed, every repository scanned with its findings, and
/// how many reports went in.
fn merge(docs: Vec<Report>) -> anyhow::Result<Merged> {
    let mut m = Merged {
        reports: docs.len(),
        ..Merged::default()
    };
    let mut stats = Value::Object(Map::new());
    for d in docs {
        // A report of a repository with nothing found names it at its top.
        if let Some(r) = d.repository {
            m.repositories.entry(r).or_insert(0);
        }
        for f in d.findings {
            if let Some(r) = &f.repository {
                *m.repositories.entry(r.clone()).or_insert(0) += 1;
            }
            m.findings.push(f);
        }
        add(&mut stats, &Value::Object(d.stats), "")?;
    }
    m.findings.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
    if let Value::Object(s) = stats {
        m.stats = s;
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_are_contiguous_and_balanced() {
        let repos: Vec<String> = (0..10).map(|i| format!("o/r{i:02}")).collect();
        let p = plan_shards(&repos, 4).unwrap();
        let sizes: Vec<usize> = p.iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![3, 3, 2, 2]);
        assert_eq!(p.concat(), repos, "every repository once, in order");
        assert_eq!(plan_shards(&repos, 50).unwrap().len(), 10, "no empty shard");
        assert!(plan_shards(&repos, 0).is_err());
        assert!(plan_shards(&repos, 257).is_err());
        assert!(plan_shards(&[], 3).unwrap().is_empty());
    }

    #[test]
    fn lists_take_names_and_refuse_the_rest() {
        assert_eq!(
            parse_list("# org\nb/two\n\na/one  # first\nb/two\n").unwrap(),
            vec!["a/one", "b/two"]
        );
        for bad in ["a", "a/b/c", "../x", "a/..", "a/b c", "a/$(x)"] {
            assert!(parse_list(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn stats_add_up() {
        let mut a =
            json!({"files_scanned": 2, "skipped": {"fifo": 1}, "errors": [1], "elapsed_secs": 0.5});
        add(
            &mut a,
            &json!({"files_scanned": 3, "skipped": {"fifo": 2, "symlink": 1}, "errors": [2], "elapsed_secs": 1.0}),
            "",
        )
        .unwrap();
        assert_eq!(
            a,
            json!({"files_scanned": 5, "skipped": {"fifo": 3, "symlink": 1}, "errors": [1, 2], "elapsed_secs": 1.5})
        );
    }
}
