//! Which report, and how it shows tokens: what every format reads.

use crate::findings::finding::Finding;

/// Output formats of `burnkey scan`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

impl ReportFormat {
    /// Every format.
    pub const ALL: [ReportFormat; 5] = [
        ReportFormat::Text,
        ReportFormat::Json,
        ReportFormat::Jsonl,
        ReportFormat::Sarif,
        ReportFormat::Github,
    ];

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ReportFormat::Text => "text",
            ReportFormat::Json => "json",
            ReportFormat::Jsonl => "jsonl",
            ReportFormat::Sarif => "sarif",
            ReportFormat::Github => "github",
        }
    }
}

impl std::str::FromStr for ReportFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<ReportFormat, String> {
        ReportFormat::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| format!("unknown report format {s:?}"))
    }
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
            f.secret()
        } else {
            f.redacted()
        }
    }
}
