//! Report writers: text for people, JSON / JSON lines for scripts, SARIF for
//! code-scanning tools. None of them prints a full token unless
//! [`ReportOptions::show_secret`] is set.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::{json, Value};

use crate::finding::{Finding, Stats};
use crate::rules::RuleSet;
use crate::walk::Outcome;

/// The SARIF schema URI written into reports.
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Output formats of `burnkey scan`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// `path:line:col rule redacted`, one finding per line.
    Text,
    /// One JSON document: `{"findings": [...], "stats": {...}}`.
    Json,
    /// One JSON finding per line.
    Jsonl,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// GitHub Actions workflow commands: `::error file=…` annotations for
    /// the first ten findings, a notice for the rest.
    Github,
}

/// Options shared by the writers.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReportOptions {
    /// Include each full token (`secret` in JSON). Off by default.
    pub show_secret: bool,
    /// ANSI colours in text output.
    pub color: bool,
}

impl ReportOptions {
    /// The token as reports show it: redacted unless `show_secret`.
    pub fn token<'f>(&self, f: &'f Finding) -> &'f str {
        if self.show_secret {
            &f.secret
        } else {
            &f.redacted
        }
    }
}

#[derive(Serialize)]
struct WireFinding<'a> {
    #[serde(flatten)]
    finding: &'a Finding,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<&'a str>,
}

fn wire(f: &Finding, opts: ReportOptions) -> WireFinding<'_> {
    WireFinding {
        finding: f,
        secret: opts.show_secret.then_some(f.secret.as_str()),
    }
}

/// Writes `out` in `format`. `extra` adds top-level members to the JSON
/// document (e.g. `revocations`).
pub fn write(
    w: &mut dyn Write,
    format: ReportFormat,
    out: &Outcome,
    rules: &RuleSet,
    opts: ReportOptions,
    extra: Option<(&str, Value)>,
) -> io::Result<()> {
    match format {
        ReportFormat::Text => {
            for f in &out.findings {
                writeln!(w, "{}", text_line(f, opts))?;
            }
            Ok(())
        }
        ReportFormat::Json => {
            #[derive(Serialize)]
            struct Doc<'a> {
                findings: Vec<WireFinding<'a>>,
                stats: &'a Stats,
            }
            let doc = Doc {
                findings: out.findings.iter().map(|f| wire(f, opts)).collect(),
                stats: &out.stats,
            };
            let mut v = serde_json::to_value(&doc).map_err(io::Error::other)?;
            if let Some((k, x)) = extra {
                v[k] = x;
            }
            serde_json::to_writer_pretty(&mut *w, &v).map_err(io::Error::other)?;
            writeln!(w)
        }
        ReportFormat::Jsonl => {
            for f in &out.findings {
                serde_json::to_writer(&mut *w, &wire(f, opts)).map_err(io::Error::other)?;
                writeln!(w)?;
            }
            Ok(())
        }
        ReportFormat::Sarif => {
            serde_json::to_writer_pretty(&mut *w, &sarif(out, rules, opts))
                .map_err(io::Error::other)?;
            writeln!(w)
        }
        ReportFormat::Github => {
            for f in out.findings.iter().take(MAX_ANNOTATIONS) {
                writeln!(w, "{}", annotation(f, opts))?;
            }
            if out.findings.len() > MAX_ANNOTATIONS {
                writeln!(
                    w,
                    "::notice title=burnkey::{} more findings are not annotated (GitHub shows 10 per step): see the job summary and the SARIF report.",
                    out.findings.len() - MAX_ANNOTATIONS
                )?;
            }
            Ok(())
        }
    }
}

/// GitHub shows at most this many error annotations per step.
pub const MAX_ANNOTATIONS: usize = 10;

/// Escapes a workflow-command message: `%`, CR, LF.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow-command property: the message escapes plus `:` and `,`.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// `::error file=…,line=…,col=…,endColumn=…,title=…::message` for a finding.
pub fn annotation(f: &Finding, opts: ReportOptions) -> String {
    let token = opts.token(f);
    let mut msg = format!(
        "{} {} (checksum {}).",
        f.rule_name,
        token,
        f.checksum.as_str()
    );
    if let Some(c) = &f.commit {
        msg.push_str(&format!(" Introduced in commit {}.", &c[..c.len().min(12)]));
    }
    msg.push_str(" Revoke or rotate it now, then remove it. A known test token? Put burnkey:allow on its line or its fingerprint in .burnkeyignore.");
    format!(
        "::error file={},line={},col={},endColumn={},title={}::{}",
        escape_property(&f.path),
        f.line,
        f.column,
        f.end_column,
        escape_property(&format!("Leaked {}", f.rule_name)),
        escape_data(&msg)
    )
}

fn md_cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('\r', " ")
        .replace('\n', "↵")
        .replace('`', "'")
}

/// The rules behind `out`'s findings, each once, in order of first finding:
/// whose remediation help a report lists.
pub fn rules_found<'r>(out: &Outcome, rules: &'r RuleSet) -> Vec<&'r crate::rules::Rule> {
    let mut found: Vec<&crate::rules::Rule> = Vec::new();
    for f in &out.findings {
        if let Some(r) = rules.get(&f.rule_id) {
            if !found.iter().any(|x| x.id() == r.id()) {
                found.push(r);
            }
        }
    }
    found
}

/// A Markdown summary (for `$GITHUB_STEP_SUMMARY`): counts, a table of
/// every finding (redacted), and what to do.
pub fn markdown_summary(out: &Outcome, rules: &RuleSet) -> String {
    let n = out.findings.len();
    let mut s = String::from("## burnkey\n\n");
    if n == 0 {
        s.push_str(&format!(
            "No leaked tokens found ({} files or blobs, {}).\n",
            out.stats.files_scanned,
            human_bytes(out.stats.bytes_scanned)
        ));
        return s;
    }
    s.push_str(&format!(
        "**{n} leaked token{}** found ({} files or blobs scanned).\n\n| Rule | File | Line | Commit | Token | Checksum |\n|---|---|---|---|---|---|\n",
        if n == 1 { "" } else { "s" },
        out.stats.files_scanned
    ));
    // Stay well under the 1 MiB summary limit.
    let mut shown = 0;
    for f in &out.findings {
        if s.len() > 900 * 1024 {
            break;
        }
        s.push_str(&format!(
            "| {} | `{}` | {} | {} | `{}` | {} |\n",
            md_cell(&f.rule_id),
            md_cell(&f.path),
            f.line,
            f.commit
                .as_deref()
                .map_or("-".to_string(), |c| format!("`{}`", &c[..c.len().min(12)])),
            md_cell(&f.redacted),
            f.checksum.as_str()
        ));
        shown += 1;
    }
    if shown < n {
        s.push_str(&format!(
            "\n…and {} more: see the SARIF report.\n",
            n - shown
        ));
    }
    s.push_str("\n### What to do\n\n1. **Revoke or rotate each token now**: it is in the repository's history, and forks and clones keep it even after a fix.\n");
    for r in rules_found(out, rules) {
        s.push_str(&format!("   - {}: {}\n", r.format.name, r.help));
    }
    s.push_str("2. Remove it from the code (and from history if the branch is not merged yet).\n3. A known test token? Put `burnkey:allow` on its line, or add its fingerprint (`burnkey scan --print-fingerprints`) to `.burnkeyignore`.\n");
    s
}

/// One line of text output: `path:line:col rule redacted`.
pub fn text_line(f: &Finding, opts: ReportOptions) -> String {
    let (path, pos, rule, off) = if opts.color {
        ("\x1b[35m", "\x1b[32m", "\x1b[1;31m", "\x1b[0m")
    } else {
        ("", "", "", "")
    };
    let token = opts.token(f);
    let mut s = format!(
        "{path}{}{off}:{pos}{}:{}{off} {rule}{}{off} {token}",
        f.path, f.line, f.column, f.rule_id
    );
    if f.checksum != crate::engine::Checksum::Valid {
        s.push_str(&format!(" (checksum {})", f.checksum.as_str()));
    }
    if let Some(c) = &f.commit {
        s.push_str(&format!(" commit {}", &c[..c.len().min(12)]));
    }
    s
}

/// The one-line summary printed after a text report.
pub fn summary_line(stats: &Stats) -> String {
    let mut s = format!(
        "burnkey: {} finding{} in {} file{} ({}) in {:.2}s",
        stats.findings,
        if stats.findings == 1 { "" } else { "s" },
        stats.files_scanned,
        if stats.files_scanned == 1 { "" } else { "s" },
        human_bytes(stats.bytes_scanned),
        stats.elapsed_secs
    );
    let list = |m: &std::collections::BTreeMap<String, u64>| {
        m.iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let skipped: u64 = stats.skipped.values().sum();
    if skipped > 0 {
        s.push_str(&format!("; skipped {skipped} ({})", list(&stats.skipped)));
    }
    let suppressed: u64 = stats.suppressed.values().sum();
    if suppressed > 0 {
        s.push_str(&format!(
            "; allowed {suppressed} ({})",
            list(&stats.suppressed)
        ));
    }
    if !stats.errors.is_empty() {
        s.push_str(&format!(
            "; {} unreadable{}",
            stats.errors.len(),
            if stats.errors.len() == 1 {
                ""
            } else {
                " (see above)"
            }
        ));
    }
    s
}

/// `1.5 MiB` and the like.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
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

fn sarif(out: &Outcome, rules: &RuleSet, opts: ReportOptions) -> Value {
    let cwd = std::env::current_dir().ok();
    let sarif_rules: Vec<Value> = rules
        .rules()
        .iter()
        .map(|r| {
            let precision = if r.format.has_checksum() { "very-high" } else { "high" };
            json!({
                "id": r.id(),
                "name": r.format.name.replace(' ', ""),
                "shortDescription": {"text": format!("{} ({})", r.format.name, r.format.prefix)},
                "fullDescription": {"text": r.description},
                "help": {
                    "text": r.help,
                    "markdown": format!(
                        "**{}** leaked.\n\n1. {}\n2. Treat the token as compromised even if the commit is removed: it stays in history and forks.\n3. To accept a known test token, add its fingerprint to `.burnkeyignore` or put `burnkey:allow` on the line.",
                        r.format.name, r.help
                    ),
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
    let results: Vec<Value> = out
        .findings
        .iter()
        .map(|f| {
            let index = rules.rules().iter().position(|r| r.id() == f.rule_id);
            let token = opts.token(f);
            let mut message = format!("{} {} found (checksum {}).", f.rule_name, token, f.checksum.as_str());
            if let Some(c) = &f.commit {
                message.push_str(&format!(" Introduced in commit {c}."));
            }
            message.push_str(" Revoke it, then remove it.");
            let mut props = json!({
                "checksum": f.checksum.as_str(),
                "redacted": f.redacted,
                "secret_sha256": f.secret_sha256,
                "source": f.source.as_str(),
            });
            if let Some(c) = &f.commit {
                props["commit"] = json!(c);
            }
            let mut r = json!({
                "ruleId": f.rule_id,
                "level": if f.checksum == crate::engine::Checksum::Invalid { "warning" } else { "error" },
                "message": {"text": message},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri_path(&f.path, cwd.as_deref())},
                        "region": {
                            "startLine": f.line,
                            "startColumn": f.column,
                            "endLine": f.line,
                            "endColumn": f.end_column,
                        },
                    },
                }],
                "partialFingerprints": {"burnkeyFingerprint/v1": f.fingerprint},
                "properties": props,
            });
            if let Some(i) = index {
                r["ruleIndex"] = json!(i);
            }
            r
        })
        .collect();
    json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "burnkey",
                "informationUri": "https://github.com/burnkey/burnkey",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "version": env!("CARGO_PKG_VERSION"),
                "rules": sarif_rules,
            }},
            "results": results,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_found_lists_each_rule_once_even_interleaved() {
        let rules = RuleSet::builtin();
        let scanner = crate::Scanner::new(rules.clone());
        let fs = crate::FormatSet::builtin();
        let text = ["cfut", "npm", "cfut"]
            .map(|k| fs.by_name(k).unwrap().mint().unwrap())
            .join("\n");
        let mut out = Outcome::default();
        scanner.scan_slice(text.as_bytes(), |m| {
            out.findings.push(Finding::new(
                &rules,
                &m,
                "a".into(),
                "a",
                crate::finding::Origin::File,
            ))
        });
        let ids: Vec<&str> = rules_found(&out, &rules).iter().map(|r| r.id()).collect();
        assert_eq!(ids, vec!["cloudflare-user-api-token", "npm-access-token"]);
    }

    #[test]
    fn workflow_command_escaping() {
        assert_eq!(escape_data("50% a\r\nb: c, d"), "50%25 a%0D%0Ab: c, d");
        assert_eq!(escape_property("a,b:c%d\ne"), "a%2Cb%3Ac%25d%0Ae");
    }

    #[test]
    fn markdown_cells_cannot_break_the_table() {
        assert_eq!(md_cell("a|b\nc`d"), "a\\|b↵c'd");
    }

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

    #[test]
    fn human_sizes() {
        assert_eq!(human_bytes(5), "5 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(3 << 30), "3.0 GiB");
    }
}
