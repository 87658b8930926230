//! base64 (standard and URL-safe alphabets), in runs of at least a token's
//! worth of characters, wrapped lines joined; each run decoded at the four
//! alignments a token may start at.

use super::decoder::{Encoding, Span};
use crate::engine::decode::{char_of, open_run, runs, Run};

/// The encoding.
pub(crate) struct Base64;

/// The base64 characters wholly inside the shortest token's encoding at
/// its worst alignment.
fn min_run(min_token: usize) -> usize {
    (min_token.max(16) - 2) / 3 * 4
}

impl Encoding for Base64 {
    fn name(&self) -> &'static str {
        "base64"
    }

    fn decodings(
        &self,
        text: &[u8],
        lo: usize,
        hi: usize,
        base: u64,
        min_token: usize,
        f: &mut dyn FnMut(&[u8], Span<'_>),
    ) {
        let mut run = Run::default();
        let mut dec = Vec::new();
        runs(text, lo, hi, base, min_run(min_token), |s, e| {
            let end = run.gather(text, s, e, hi);
            let last = run.chars.len() - 1;
            for phase in 0..4 {
                if !run.decode(phase, &mut dec) || dec.is_empty() {
                    continue;
                }
                // A byte's text offset: where the character holding its
                // first bits is.
                let at = |j: usize| run.offset(char_of(phase, j).min(last));
                f(&dec, &|a, b| (at(a), at(b - 1) + 1));
            }
            end
        });
    }

    fn open_from(&self, text: &[u8], min_token: usize, floor: usize) -> usize {
        open_run(text, min_run(min_token), floor)
    }
}
