//! Hex: text written as its bytes' hex digits, two a byte, upper or lower
//! case (`636675745f…`: a dump, a `0x…` literal, a hex-encoded config),
//! decoded at both alignments. `\x63\x66…` is an escape's
//! (`escapes.rs`).

use super::decoder::{Decoded, Encoding};
use crate::engine::decode::{hex, pieces, texty, RunInfo};

/// The encoding.
pub(crate) struct Hex;

/// Whether the first bytes the hex digits stand for look like ASCII text:
/// printable (high digit `2`–`7`) or a tab or line end, three in four. A
/// hash (hex of random bytes) manages 3 in 8, zeros none: not decoded.
fn ascii_highs(digits: &[u8]) -> bool {
    let pairs = digits.chunks_exact(2).take(32);
    let n = pairs.len();
    let texty = pairs
        .filter(|p| {
            matches!(p[0], b'2'..=b'7')
                || p[0] == b'0' && matches!(p[1], b'9' | b'a' | b'A' | b'd' | b'D')
        })
        .count();
    4 * texty >= 3 * n
}

impl Encoding for Hex {
    fn min_run(&self, min_token: usize) -> usize {
        2 * min_token
    }

    fn run(
        &self,
        text: &[u8],
        (s, e, _): (usize, usize, usize),
        info: &RunInfo,
        min_token: usize,
        f: &mut Decoded<'_>,
    ) -> usize {
        // Hex digits throughout (a `0x` before them allowed).
        if info.non_hex > 1 || info.len < 2 * min_token {
            return e;
        }
        let mut dec = Vec::new();
        let mut split = pieces(&text[s..e], s, 2 * min_token, |b| b.is_ascii_hexdigit());
        let mut whole = (info.non_hex == 0).then_some((s, e));
        let mut next = || match whole.take() {
            Some(w) => Some(w),
            None if info.non_hex > 0 => split.next(),
            None => None,
        };
        while let Some((ps, pe)) = next() {
            for phase in 0..2 {
                if !ascii_highs(&text[ps + phase..pe]) {
                    continue;
                }
                dec.clear();
                dec.extend(
                    text[ps + phase..pe]
                        .chunks_exact(2)
                        // (Hex digits throughout: `pieces` kept only those.)
                        .map(|p| hex(p[0]).unwrap_or(0) << 4 | hex(p[1]).unwrap_or(0)),
                );
                if texty(&dec) {
                    let at = |j: usize| ps + phase + 2 * j;
                    f(&dec, &|a, b| (at(a), at(b)), "hex");
                }
            }
        }
        e
    }
}
