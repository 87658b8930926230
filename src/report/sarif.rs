//! SARIF 2.1.0 for code-scanning tools (GitHub code scanning).

use std::io::{self, Write};

use serde_json::{json, Map, Value};

use super::model::Reported;
use super::options::ReportOptions;
use super::remedy::{rule_help_markdown, ROTATE};
use crate::findings::finding::Finding;
use crate::rules::{Confidence, RuleSet};

/// The SARIF schema URI written into reports.
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// GitHub code scanning takes at most this many results per run; beyond
/// it the upload is rejected. The rest are counted in the run's properties.
pub const MAX_RESULTS: usize = 25_000;

/// Writes one SARIF log with one run, a result at a time (no document is
/// built in memory), at most [`MAX_RESULTS`] of them. Returns how many
/// findings were left out.
pub fn write(
    w: &mut dyn Write,
    findings: &[Finding],
    rules: &RuleSet,
    opts: ReportOptions,
) -> io::Result<usize> {
    let omitted = findings.len().saturating_sub(MAX_RESULTS);
    let log = Log {
        findings: &findings[..findings.len() - omitted],
        omitted,
        rules,
        opts,
    };
    serde_json::to_writer_pretty(&mut *w, &log).map_err(io::Error::from)?;
    writeln!(w)?;
    Ok(omitted)
}

struct Log<'a> {
    findings: &'a [Finding],
    omitted: usize,
    rules: &'a RuleSet,
    opts: ReportOptions,
}

impl serde::Serialize for Log<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        struct Results<'a>(&'a Log<'a>);
        impl serde::Serialize for Results<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let cwd = std::env::current_dir().ok();
                let log = self.0;
                s.collect_seq(
                    log.findings
                        .iter()
                        .map(|f| result(f, log.rules, log.opts, cwd.as_deref())),
                )
            }
        }
        struct Run<'a>(&'a Log<'a>);
        impl serde::Serialize for Run<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(None)?;
                m.serialize_entry("tool", &tool(self.0.rules))?;
                m.serialize_entry("columnKind", "utf16CodeUnits")?;
                m.serialize_entry("results", &Results(self.0))?;
                if self.0.omitted > 0 {
                    m.serialize_entry(
                        "properties",
                        &json!({"burnkey": {
                            "omittedResults": self.0.omitted,
                            "reason": format!("GitHub code scanning accepts at most {MAX_RESULTS} results per run; the first {MAX_RESULTS} in path order are listed"),
                        }}),
                    )?;
                }
                m.end()
            }
        }
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("$schema", SARIF_SCHEMA)?;
        m.serialize_entry("version", "2.1.0")?;
        m.serialize_entry("runs", &[Run(self)])?;
        m.end()
    }
}

/// Writes one SARIF log from merged findings (`burnkey report
/// merge`): one run per repository, those `scanned` (with no result when
/// nothing was found there: code scanning then knows it was scanned) and
/// those the findings are tagged with; a single run when there is none.
/// Each run holds at most [`MAX_RESULTS`] results.
pub fn write_merged(
    w: &mut dyn Write,
    findings: &[Reported],
    scanned: &[&str],
    rules: &RuleSet,
) -> io::Result<()> {
    let mut by_repo: std::collections::BTreeMap<Option<&str>, Vec<&Reported>> = Default::default();
    for r in scanned {
        by_repo.entry(Some(r)).or_default();
    }
    for f in findings {
        by_repo.entry(f.repository.as_deref()).or_default().push(f);
    }
    if by_repo.is_empty() {
        by_repo.insert(None, Vec::new());
    }
    let runs: Vec<Value> = by_repo
        .into_iter()
        .map(|(repo, fs)| {
            let omitted = fs.len().saturating_sub(MAX_RESULTS);
            let results: Vec<Value> = fs[..fs.len() - omitted]
                .iter()
                .map(|f| value_result(f, rules, None))
                .collect();
            let mut run = json!({
                "tool": tool(rules),
                "columnKind": "utf16CodeUnits",
                "results": results,
            });
            if let Some(r) = repo {
                run["automationDetails"] = json!({"id": format!("burnkey/{r}/")});
                run["properties"] = json!({"repository": r});
            }
            if omitted > 0 {
                run["properties"]["burnkey"] = json!({"omittedResults": omitted});
            }
            run
        })
        .collect();
    let log = json!({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": runs});
    serde_json::to_writer_pretty(&mut *w, &log).map_err(io::Error::from)?;
    writeln!(w)
}

/// One result from a finding as its report holds it: the token is shown
/// only if the finding carries it (`secret`, with `--show-secret`), else
/// its redacted form.
fn value_result(f: &Reported, rules: &RuleSet, cwd: Option<&std::path::Path>) -> Value {
    let rule_id = f.rule_id.as_str();
    let token = f.secret.as_deref().unwrap_or(&f.redacted);
    let mut message = format!("{} {token} found (checksum {}).", f.rule_name, f.checksum);
    if let Some(c) = &f.commit {
        message.push_str(&format!(" Introduced in commit {c}."));
    }
    if let Some(r) = &f.repository {
        message.push_str(&format!(" Repository {r}."));
    }
    message.push_str(&format!(" {ROTATE}"));
    let start = f.column_utf16.unwrap_or(f.column);
    let width = f.end_column.saturating_sub(f.column);
    // Where, in words, for a token inside an archive or an encoding.
    let mut inside = Vec::new();
    if let Some(m) = &f.member {
        inside.push(format!(
            "in archive member {m} (line {}, column {})",
            f.line, f.column
        ));
    }
    if let Some(e) = &f.encoding {
        inside.push(format!("encoded as {e}"));
    }
    let mut props = Map::new();
    for k in [
        "checksum",
        "confidence",
        "member",
        "encoding",
        "redacted",
        "secret_sha256",
        "source",
        "commit",
        "repository",
        "occurrences",
        "last_commit",
        "still_in",
        "verification",
    ] {
        if let Some(v) = f.property(k) {
            props.insert(k.to_string(), v);
        }
    }
    let mut r = json!({
        "ruleId": rule_id,
        "level": match f.confidence.as_deref() {
            Some(c) if c != Confidence::High.as_str() => "warning",
            _ => "error",
        },
        "message": {"text": message},
        "locations": [{
            "physicalLocation": {
                "artifactLocation": {"uri": uri_path(&f.path, cwd)},
                // UTF-16 code units, as the run's columnKind says.
                "region": {
                    "startLine": f.line,
                    "startColumn": start,
                    "endLine": f.line,
                    "endColumn": start + width,
                },
            },
        }],
        "partialFingerprints": {"burnkeyFingerprint/v1": f.fingerprint},
        "properties": props,
    });
    if !inside.is_empty() {
        let loc = &mut r["locations"][0];
        loc["message"] = json!({"text": inside.join(", ")});
        // The member's lines are not the archive's.
        if f.member.is_some() {
            loc["physicalLocation"]
                .as_object_mut()
                .expect("an object")
                .remove("region");
        }
    }
    if let Some(i) = rules.rules().iter().position(|r| r.id() == rule_id) {
        r["ruleIndex"] = json!(i);
    }
    r
}

/// Percent-encodes a path for a SARIF `artifactLocation.uri`, relative to
/// `cwd` when it lies below it (a `file://` URI otherwise).
pub fn uri_path(path: &str, cwd: Option<&std::path::Path>) -> String {
    let rel = match cwd {
        Some(c) if path.starts_with('/') => std::path::Path::new(path)
            .strip_prefix(c)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_else(|_| path.to_string()),
        _ => path.to_string(),
    };
    let mut out = String::with_capacity(rel.len());
    for b in rel.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if rel.starts_with('/') {
        format!("file://{out}")
    } else {
        out
    }
}

/// The tool and its rules.
fn tool(rules: &RuleSet) -> Value {
    let sarif_rules: Vec<Value> = rules
        .rules()
        .iter()
        .map(|r| {
            let precision = match (r.format.has_checksum(), r.confidence) {
                (true, _) => "very-high",
                (false, Confidence::High) => "high",
                _ => "medium",
            };
            let short = if r.is_keyword() {
                format!("{} (by keyword)", r.format.name)
            } else {
                format!("{} ({})", r.format.name, r.format.marker())
            };
            json!({
                "id": r.id(),
                "name": r.format.name.replace(' ', ""),
                "shortDescription": {"text": short},
                "fullDescription": {"text": r.description},
                "help": {
                    "text": r.help,
                    "markdown": rule_help_markdown(r),
                },
                "defaultConfiguration": {"level": "error"},
                "properties": {
                    "tags": ["security", "secret"],
                    "precision": precision,
                    "security-severity": "9.0",
                },
            })
        })
        .collect();
    json!({"driver": {
        "name": "burnkey",
        "informationUri": "https://github.com/burnkey/burnkey",
        "semanticVersion": env!("CARGO_PKG_VERSION"),
        "version": env!("CARGO_PKG_VERSION"),
        "rules": sarif_rules,
    }})
}

/// One result: small, made and written one at a time, from the finding as
/// its report holds it (what `report merge` reads back), so both make the
/// same result.
fn result(
    f: &Finding,
    rules: &RuleSet,
    opts: ReportOptions,
    cwd: Option<&std::path::Path>,
) -> Value {
    value_result(&Reported::of(f, opts), rules, cwd)
}

/// `--format sarif`: one log at the end.
pub struct Sarif(pub ReportOptions);

impl super::printer::Printer for Sarif {
    fn streams(&self) -> bool {
        false
    }

    fn document(
        &mut self,
        w: &mut dyn Write,
        d: &super::printer::Document<'_>,
    ) -> io::Result<Option<String>> {
        Ok(omitted_note(write(w, d.findings, d.rules, self.0)?))
    }
}

/// What a capped log left out, said for stderr (its run's properties say
/// so too).
pub fn omitted_note(omitted: usize) -> Option<String> {
    (omitted > 0).then(|| format!(
        "warning: the SARIF report lists the first {MAX_RESULTS} findings; {omitted} more are left out (GitHub code scanning accepts at most {MAX_RESULTS} results per run)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_paths_are_encoded() {
        assert_eq!(uri_path("a b/c%d,e.rs", None), "a%20b/c%25d%2Ce.rs");
        assert_eq!(uri_path("src/lib.rs", None), "src/lib.rs");
        let cwd = std::path::Path::new("/repo");
        assert_eq!(uri_path("/repo/src/lib.rs", Some(cwd)), "src/lib.rs");
        assert_eq!(
            uri_path("/elsewhere/a b", Some(cwd)),
            "file:///elsewhere/a%20b"
        );
    }
}
