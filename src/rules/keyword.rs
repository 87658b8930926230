//! The expressions of keyword rules (`before`, `parent`, `near`): compiled
//! the same way when a rule file is read (so a bad one fails there, naming
//! the file) and when the engine and the pairing of live checks use them.

use regex::bytes::{Regex, RegexBuilder};

/// Compiles one context expression: bytes, ASCII classes, bounded size.
pub(crate) fn compile(re: &str) -> Result<Regex, String> {
    RegexBuilder::new(re)
        .unicode(false)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| format!("bad regular expression {re:?}: {e}"))
}
