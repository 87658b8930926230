//! JSON for scripts: one document (`{"findings": [...], "stats": {...}}`),
//! or one finding per line. Both are serialized straight into the writer,
//! a finding at a time: no document is built in memory.

use std::io::{self, Write};

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

use super::options::ReportOptions;
use crate::findings::finding::Finding;
use crate::findings::stats::Stats;

/// A finding as written: its fields, plus `secret` with `--show-secret`.
#[derive(serde::Serialize)]
pub(crate) struct WireFinding<'a> {
    #[serde(flatten)]
    finding: &'a Finding,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<&'a str>,
}

pub(crate) fn wire(f: &Finding, opts: ReportOptions) -> WireFinding<'_> {
    WireFinding {
        finding: f,
        secret: opts.show_secret.then_some(f.secret()),
    }
}

struct Doc<'a> {
    findings: &'a [Finding],
    stats: &'a Stats,
    opts: ReportOptions,
    extra: &'a [(&'a str, Value)],
}

impl Serialize for Doc<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Seq<'a>(&'a [Finding], ReportOptions);
        impl Serialize for Seq<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.iter().map(|f| wire(f, self.1)))
            }
        }
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("findings", &Seq(self.findings, self.opts))?;
        m.serialize_entry("stats", self.stats)?;
        for (k, v) in self.extra {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// The whole document, pretty-printed; `extra` adds top-level members.
pub fn write_document(
    w: &mut dyn Write,
    findings: &[Finding],
    stats: &Stats,
    opts: ReportOptions,
    extra: &[(&str, Value)],
) -> io::Result<()> {
    let doc = Doc {
        findings,
        stats,
        opts,
        extra,
    };
    serde_json::to_writer_pretty(&mut *w, &doc).map_err(io::Error::from)?;
    writeln!(w)
}

/// One finding as a line.
pub fn write_line(w: &mut dyn Write, f: &Finding, opts: ReportOptions) -> io::Result<()> {
    serde_json::to_writer(&mut *w, &wire(f, opts)).map_err(io::Error::from)?;
    writeln!(w)
}

/// `--format json`: one document at the end.
pub struct Json(pub ReportOptions);

impl super::printer::Printer for Json {
    fn streams(&self) -> bool {
        false
    }

    fn document(
        &mut self,
        w: &mut dyn Write,
        d: &super::printer::Document<'_>,
    ) -> io::Result<Option<String>> {
        write_document(w, d.findings, d.stats, self.0, d.extra)?;
        Ok(None)
    }
}

/// `--format jsonl`: a JSON object a finding.
pub struct Jsonl(pub ReportOptions);

impl super::printer::Printer for Jsonl {
    fn streams(&self) -> bool {
        true
    }

    fn finding(&mut self, w: &mut dyn Write, f: &Finding) -> io::Result<()> {
        write_line(w, f, self.0)
    }
}
