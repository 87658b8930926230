//! What an in-text encoding does: find its stretches, decode them, say
//! where each decoded byte came from.

/// Maps a decoded span `start..end` to the span of `text` that encodes it.
pub(crate) type Span<'a> = &'a dyn Fn(usize, usize) -> (usize, usize);

/// An encoding found inside text.
pub(crate) trait Encoding: Sync {
    /// As in a match's `encoding`: `base64`.
    fn name(&self) -> &'static str;

    /// Calls `f` with each decoding of what `text[lo..hi]` holds in this
    /// encoding, and where in `text` each decoded span is. `base` is the
    /// offset of `text[0]` in its stream (a finder may align on it, so that
    /// a stream sees what a whole slice sees); `min_token` is the shortest
    /// token's length: a stretch too short to hold one is not decoded.
    fn decodings(
        &self,
        text: &[u8],
        lo: usize,
        hi: usize,
        base: u64,
        min_token: usize,
        f: &mut dyn FnMut(&[u8], Span<'_>),
    );

    /// Where a stretch that more data after `text` may still extend
    /// starts (looking no further back than `floor`): a streaming filter
    /// holds back from there. `text.len()` when `text` does not end in one.
    fn open_from(&self, text: &[u8], _min_token: usize, _floor: usize) -> usize {
        text.len()
    }
}
