//! base64 (standard and URL-safe alphabets), in runs of at least a token's
//! worth of characters, wrapped lines joined; each run decoded at the four
//! alignments a token may start at.

use super::decoder::{Decoded, Encoding};
use crate::engine::decode::{char_of, is_b64, open_run, pieces, plausible, Run, RunInfo};

/// The encoding.
pub(crate) struct Base64;

thread_local! {
    static SCRATCH: std::cell::Cell<(Run, Vec<u8>)> = std::cell::Cell::default();
}

/// The base64 characters wholly inside the shortest token's encoding at
/// its worst alignment.
fn min_run(min_token: usize) -> usize {
    (min_token.max(16) - 2) / 3 * 4
}

impl Encoding for Base64 {
    fn min_run(&self, min_token: usize) -> usize {
        min_run(min_token)
    }

    fn run(
        &self,
        text: &[u8],
        (s, e, hi): (usize, usize, usize),
        info: &RunInfo,
        min_token: usize,
        f: &mut Decoded<'_>,
    ) -> usize {
        let min = min_run(min_token);
        let whole = info.escs == 0 && info.base64();
        if info.escs == 0 && !whole {
            return e;
        }
        // Buffers kept from run to run on this thread (a decoding's own
        // runs, read while these are out, get fresh ones).
        let (mut run, mut dec) = SCRATCH.take();
        let mut end = e;
        // The run, or the base64 between its escape characters
        // (`&quot;…&quot;`).
        let mut split = pieces(&text[s..e], s, min, is_b64);
        let mut whole = whole.then_some((s, e));
        let mut next = || match whole.take() {
            Some(w) => Some(w),
            None if info.escs > 0 => split.next(),
            None => None,
        };
        while let Some((ps, pe)) = next() {
            if info.escs > 0 && !plausible(&text[ps..pe]) {
                continue;
            }
            end = end.max(run.gather(text, ps, pe, hi));
            let last = run.chars.len() - 1;
            for phase in 0..4 {
                if !run.decode(phase, &mut dec) || dec.is_empty() {
                    continue;
                }
                // A byte's text offset: where the character holding its
                // first bits is.
                let at = |j: usize| run.offset(char_of(phase, j).min(last));
                f(&dec, &|a, b| (at(a), at(b - 1) + 1), "base64");
            }
        }
        SCRATCH.set((run, dec));
        end
    }

    fn open_from(&self, text: &[u8], min_token: usize, floor: usize) -> usize {
        open_run(text, min_run(min_token), floor)
    }
}
