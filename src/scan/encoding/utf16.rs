//! UTF-16 strings inside binary data: Windows executables and their
//! resources, .NET assemblies, a file whose ASCII header is followed by
//! UTF-16 text. A whole UTF-16 file is a layer of its own (`scan::layers`);
//! these are stretches of code units that are ASCII characters (a zero
//! byte beside each printable one), looked for only in data that holds a
//! zero byte in its first block, where text has none.

use super::decoder::Decoded;

/// Whether `b` is an ASCII character text holds.
pub(crate) fn ascii_text(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\r' | 0x20..=0x7e)
}

/// Calls `f` with the characters of each stretch of at least `min_units`
/// UTF-16 code units of ASCII in `hay[lo..hi]` (`base`: the offset of
/// `hay[0]` in its stream, by which a stretch is named `utf-16le` when
/// its units start at even offsets and `utf-16be` when at odd ones: the
/// same bytes, one off).
pub(crate) fn in_binary(
    hay: &[u8],
    (lo, hi): (usize, usize),
    base: u64,
    min_units: usize,
    f: &mut Decoded<'_>,
) {
    let mut dec = Vec::new();
    for parity in 0..2 {
        let mut j = lo + parity;
        while j + 1 < hi {
            if hay[j + 1] != 0 || !ascii_text(hay[j]) {
                j += 2;
                continue;
            }
            let start = j;
            dec.clear();
            while j + 1 < hi && hay[j + 1] == 0 && ascii_text(hay[j]) {
                dec.push(hay[j]);
                j += 2;
            }
            if dec.len() >= min_units {
                let name = match (base + start as u64) % 2 {
                    0 => "utf-16le",
                    _ => "utf-16be",
                };
                f(&dec, &|a, b| (start + 2 * a, start + 2 * b - 1), name);
            }
        }
    }
}
