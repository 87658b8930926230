//! What an in-text encoding does: read the runs the run finder found
//! (stretches of base64 characters and of the characters escapes are
//! written with), decode what it can of each, say where each decoded byte
//! came from.

use crate::engine::decode::RunInfo;

/// Maps a decoded span `start..end` to the span of `text` that encodes it.
pub(crate) type Span<'a> = &'a dyn Fn(usize, usize) -> (usize, usize);

/// Where decodings go: the decoded bytes, where they came from, and the
/// encoding's name as a match shows it (`base64`, `percent`, `html`, …).
pub(crate) type Decoded<'f> = dyn FnMut(&[u8], Span<'_>, &str) + 'f;

/// An encoding found inside text.
pub(crate) trait Encoding: Sync {
    /// The shortest run the shortest token (`min_token` bytes) can be
    /// written as in this encoding: the run finder looks for runs as long
    /// as the shortest of every encoding's.
    fn min_run(&self, min_token: usize) -> usize;

    /// Calls `f` with each decoding of what the run `text[s..e]` (`run`
    /// is `(s, e, hi)`; `info` counts what it is made of) holds in this
    /// encoding. `hi` is how far `text` may be read (a base64 run
    /// goes on across wrapped lines); `min_token` is the shortest token's
    /// length: a stretch too short to hold one is not decoded. Returns
    /// where the run ends as this encoding reads it (at least `e`).
    fn run(
        &self,
        text: &[u8],
        run: (usize, usize, usize),
        info: &RunInfo,
        min_token: usize,
        f: &mut Decoded<'_>,
    ) -> usize;

    /// Where a stretch that more data after `text` may still extend
    /// starts (looking no further back than `floor`): a streaming filter
    /// holds back from there. `text.len()` when `text` does not end in one.
    fn open_from(&self, text: &[u8], _min_token: usize, _floor: usize) -> usize {
        text.len()
    }
}
