//! The report formats of `burnkey scan --format`: a name and a printer
//! each.

use super::options::ReportOptions;
use super::printer::Printer;

/// A report format of `burnkey scan`: its name on the command line, and
/// how to make its printer.
#[derive(Clone, Copy)]
pub struct ReportFormat {
    name: &'static str,
    printer: fn(ReportOptions) -> Box<dyn Printer>,
}

/// Every format, in `--help`'s order. A new format is its file and a line
/// here.
pub static FORMATS: &[ReportFormat] = &[
    // `path:line:col rule redacted`, one finding per line.
    ReportFormat::new("text", |o| Box::new(super::text::Text(o))),
    // One JSON document: `{"findings": [...], "stats": {...}}`.
    ReportFormat::new("json", |o| Box::new(super::json::Json(o))),
    // One JSON finding per line.
    ReportFormat::new("jsonl", |o| Box::new(super::json::Jsonl(o))),
    // SARIF 2.1.0, for GitHub code scanning.
    ReportFormat::new("sarif", |o| Box::new(super::sarif::Sarif(o))),
    // GitHub Actions workflow commands: `::error file=…` annotations for
    // the first ten findings, a notice for the rest.
    ReportFormat::new("github", |o| Box::new(super::github::Github::new(o))),
];

impl ReportFormat {
    const fn new(
        name: &'static str,
        printer: fn(ReportOptions) -> Box<dyn Printer>,
    ) -> ReportFormat {
        ReportFormat { name, printer }
    }

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        self.name
    }

    /// A printer of this format.
    pub fn printer(self, opts: ReportOptions) -> Box<dyn Printer> {
        (self.printer)(opts)
    }
}

impl PartialEq for ReportFormat {
    fn eq(&self, other: &ReportFormat) -> bool {
        self.name == other.name
    }
}

impl Eq for ReportFormat {}

impl std::fmt::Debug for ReportFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

impl std::str::FromStr for ReportFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<ReportFormat, String> {
        FORMATS
            .iter()
            .copied()
            .find(|f| f.name == s)
            .ok_or_else(|| format!("unknown report format {s:?}"))
    }
}
