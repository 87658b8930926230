//! JSON for scripts: one document (`{"findings": [...], "stats": {...}}`),
//! or one finding per line.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::Value;

use super::ReportOptions;
use crate::finding::Finding;
use crate::stats::Stats;

/// A finding as written: its fields, plus `secret` with `--show-secret`.
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

/// The whole document, pretty-printed; `extra` adds a top-level member.
pub fn write_document(
    w: &mut dyn Write,
    findings: &[Finding],
    stats: &Stats,
    opts: ReportOptions,
    extra: Option<(&str, Value)>,
) -> io::Result<()> {
    #[derive(Serialize)]
    struct Doc<'a> {
        findings: Vec<WireFinding<'a>>,
        stats: &'a Stats,
    }
    let doc = Doc {
        findings: findings.iter().map(|f| wire(f, opts)).collect(),
        stats,
    };
    let mut v = serde_json::to_value(&doc).map_err(io::Error::other)?;
    if let Some((k, x)) = extra {
        v[k] = x;
    }
    serde_json::to_writer_pretty(&mut *w, &v).map_err(io::Error::other)?;
    writeln!(w)
}

/// One finding per line.
pub fn write_lines(w: &mut dyn Write, findings: &[Finding], opts: ReportOptions) -> io::Result<()> {
    for f in findings {
        serde_json::to_writer(&mut *w, &wire(f, opts)).map_err(io::Error::other)?;
        writeln!(w)?;
    }
    Ok(())
}
