//! Report writers: text for people, JSON / JSON lines for scripts, SARIF for
//! code-scanning tools, GitHub workflow commands and a Markdown job summary
//! for CI. One module per format; [`remedy`] holds the remediation text they
//! share. None of them prints a full token unless
//! [`ReportOptions::show_secret`] is set.

pub mod formats;
pub mod github;
pub mod json;
pub mod markdown;
pub mod model;
pub mod options;
pub mod printer;
pub mod remedy;
pub mod sarif;
pub mod text;

pub use formats::{ReportFormat, FORMATS};
pub use markdown::markdown_summary;
pub use options::ReportOptions;
pub use printer::{Document, Printer};
pub use text::{human_bytes, summary_line};
