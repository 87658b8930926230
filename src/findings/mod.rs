//! What a scan produces and what filters it: the scanner's raw [`matched`]
//! tokens, a [`finding`] and where it is,
//! the [`stats`] of a run, the [`outcome`] sinks findings go to, the
//! allowlists (`allow`: inline, fingerprints, `.burnkeyignore`), the
//! [`baseline`], and a live check's [`verification`] attached to a finding.
//! It imports the engine's match types and the rules, never a source.

pub(crate) mod allow;
pub mod baseline;
pub mod finding;
pub mod matched;
pub mod outcome;
pub mod stats;
pub mod verification;
