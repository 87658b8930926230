//! Tokens written with escapes where the engine cannot see them: every
//! character percent-encoded (`%63%66%75%74%5F…`), `\x`- or `\u`-escaped,
//! or an HTML character reference (`&#99;&#102;…`), as a URL encoder, a
//! JavaScript minifier or an e-mail obfuscator writes them, and a
//! separator escaped inside the part of a prefix the prefilter looks for
//! (`github%5Fpat_`, `github&lowbar;pat_`, `github=5Fpat_`: its needle
//! `b_pat` holds the
//! `_`). The engine finds a token whose prefix it sees, escapes or not;
//! a run it saw already gives the same token at the same place, and the
//! scanner keeps the engine's.

use super::decoder::{Decoded, Encoding};
use crate::engine::decode::{escape_at, escape_name, unescape, RunInfo, ESCAPE_STARTS};

/// The encoding.
pub(crate) struct Escapes;

impl Encoding for Escapes {
    fn min_run(&self, min_token: usize) -> usize {
        min_token
    }

    fn run(
        &self,
        text: &[u8],
        (s, e, _): (usize, usize, usize),
        info: &RunInfo,
        min_token: usize,
        f: &mut Decoded<'_>,
    ) -> usize {
        if info.escs == 0 {
            return e;
        }
        let run = &text[s..e];
        // An escape's character that starts none (`&&`, `\n` written as
        // text, `a=b`) is no reason to decode.
        let escape = |i: usize| ESCAPE_STARTS.contains(&run[i]) && escape_at(run, i).is_some();
        if run.len() < min_token || !(0..run.len()).any(escape) {
            return e;
        }
        let (mut out, mut ends) = (Vec::new(), Vec::new());
        let kinds = unescape(run, 0, run.len(), &mut out, &mut ends);
        if kinds != 0 {
            let at = |j: usize| s + if j == 0 { 0 } else { ends[j - 1] };
            f(&out, &|a, b| (at(a), s + ends[b - 1]), &escape_name(kinds));
        }
        e
    }
}
