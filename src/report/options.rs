//! How reports show tokens: what every format reads.

use crate::findings::finding::Finding;

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
