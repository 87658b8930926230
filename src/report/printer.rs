//! A report format as a printer (ripgrep's searcher → sink → printer
//! shape): the scan's sink hands each finding to the printer as it is made,
//! and a document format gets the whole report once the run is over.
//! A new format is its file, with a `Printer`, and its line in
//! [`FORMATS`](super::formats::FORMATS).

use std::io::{self, Write};

use serde_json::Value;

use crate::findings::finding::Finding;
use crate::findings::stats::Stats;
use crate::rules::RuleSet;

/// What a document format is written from.
pub struct Document<'a> {
    /// Every finding, sorted.
    pub findings: &'a [Finding],
    /// The run's counts.
    pub stats: &'a Stats,
    /// The rules scanned for.
    pub rules: &'a RuleSet,
    /// Members beside `findings` and `stats` (verification, revocations,
    /// the repository).
    pub extra: &'a [(&'a str, Value)],
}

/// A report format.
pub trait Printer: Send {
    /// Whether findings are written as they are made; else the whole
    /// [`Document`] is written at the end.
    fn streams(&self) -> bool;

    /// A finding, as the scan makes it (a streaming format writes it now).
    fn finding(&mut self, _w: &mut dyn Write, _f: &Finding) -> io::Result<()> {
        Ok(())
    }

    /// The findings are over: what closes a stream of `count`.
    fn end(&mut self, _w: &mut dyn Write, _count: u64) -> io::Result<()> {
        Ok(())
    }

    /// The whole report (document formats). Returns what the user should
    /// hear beside it (on stderr), if anything.
    fn document(&mut self, _w: &mut dyn Write, _d: &Document<'_>) -> io::Result<Option<String>> {
        Ok(None)
    }
}
