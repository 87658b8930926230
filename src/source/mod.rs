//! What is scanned: any [`reader`] (standard input), the parallel
//! filesystem `walk`, and with the `cli`
//! feature `git` (the index, history and ranges, through a pool of
//! `cat-file` processes), its `history` and the pre-commit `hook`. A source
//! feeds the scanner and hands findings to a sink.

pub mod reader;
pub(crate) mod walk;

#[cfg(feature = "cli")]
pub(crate) mod git;
#[cfg(feature = "cli")]
pub(crate) mod history;
#[cfg(feature = "cli")]
pub(crate) mod hook;
