//! Encodings, found where they are: base64 runs (standard and URL-safe
//! alphabets, padded or not, wrapped at a fixed width), JSON/JavaScript
//! `\uXXXX`, `\xNN` and URL `%XX` escapes inside a token, and UTF-16 text.
//!
//! Nothing is decoded blindly. Base64 candidates come from a pass that
//! touches one SIMD compare per 16 bytes: a block holding any byte below
//! `+` (space, newline, quote, bracket, comma, any non-ASCII byte) cannot
//! lie inside a run, and source text has one in nearly every block. The
//! rare block that passes is checked byte by byte and grown into its run;
//! a run counts when it is long enough to hold the shortest token, mixes
//! upper and lower case (the base64 of text always does; hex, constants and
//! lowercase identifiers do not) and is not an underscore-separated name.
//! Only then is it decoded, at all four character alignments (so the run's
//! start need not be known), and only a decoding that reads as text is
//! searched. Escapes cost nothing on plain text: the engine tries them only
//! where a rule's prefix was found and its shape check failed at a `\` or
//! `%` (see [`crate::engine::Engine::find`]).

/// Value of a base64 character in either alphabet; 0xFF for others.
static B64: [u8; 256] = {
    let mut t = [0xFFu8; 256];
    let mut i = 0;
    while i < 26 {
        t[b'A' as usize + i] = i as u8;
        t[b'a' as usize + i] = 26 + i as u8;
        i += 1;
    }
    i = 0;
    while i < 10 {
        t[b'0' as usize + i] = 52 + i as u8;
        i += 1;
    }
    t[b'+' as usize] = 62;
    t[b'-' as usize] = 62;
    t[b'/' as usize] = 63;
    t[b'_' as usize] = 63;
    t
};

const UPPER: u8 = 1;
const LOWER: u8 = 2;
const SEP: u8 = 4;
const DIGIT: u8 = 8;
/// What escapes are written with besides letters and digits: `%5F`,
/// `\x5f`, `\u005f`, `&#95;`, `=5F`.
const ESC: u8 = 16;

/// What kind of run character a byte is (a base64 character, or one an
/// escape is written with): 0 for none.
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = if b.is_ascii_uppercase() {
            UPPER
        } else if b.is_ascii_lowercase() {
            LOWER
        } else if b.is_ascii_digit() {
            DIGIT
        } else if matches!(b, b'+' | b'/' | b'-' | b'_') {
            SEP
        } else if matches!(b, b'%' | b'\\' | b'&' | b'#' | b';' | b'=') {
            ESC
        } else {
            0
        };
        i += 1;
    }
    t
};

/// Whether `b` is a base64 character.
#[inline]
pub(crate) fn is_b64(b: u8) -> bool {
    CLASS[b as usize] & !ESC != 0
}

/// Whether `b` can be in a run: a base64 character or one an escape is
/// written with.
#[inline]
fn in_run(b: u8) -> bool {
    CLASS[b as usize] != 0
}

/// Bit `i` set when byte `i` of the 16 at `p` is below `#`: no run
/// character, and in source text nearly every block has one.
#[inline(always)]
fn low_bytes(block: &[u8]) -> u32 {
    debug_assert!(block.len() >= 16);
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        // SAFETY: SSE2 is part of x86_64; the load is unaligned and reads
        // 16 bytes that `block` holds.
        unsafe {
            let v = _mm_loadu_si128(block.as_ptr() as *const __m128i);
            // Signed: bytes >= 0x80 are negative, below `#` too.
            let lt = _mm_cmplt_epi8(v, _mm_set1_epi8(b'#' as i8));
            _mm_movemask_epi8(lt) as u32
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let mut m = 0u32;
        for (i, &b) in block[..16].iter().enumerate() {
            m |= (((b as i8) < b'#' as i8) as u32) << i;
        }
        m
    }
}

/// The shortest run [`runs`] is sure to find. The base64 of a token of 36 bytes or more is at least
/// this long (every built-in family but GitLab's legacy 20-character
/// token, which is found inside a longer run, such as an encoded `.env`).
pub(crate) const MIN_RUN: usize = 47;

/// Runs of base64 characters and of the characters escapes are written
/// with (`% \ & # ; =`) in `hay[lo..hi]` that could hold an encoded token:
/// at least `min` long (and [`MIN_RUN`]), and either base64 with upper
/// and lower case and at most one separator (`+/-_`) per 8 characters, or
/// holding an escape's character (`%63%66%75…`, `\x63…`, `&#99;…`,
/// `github%5Fpat_…`), or hex digits only, half as long again
/// (`636675…`). Calls
/// `f(start, end)` in order; `f` returns where to go on. One pass finds
/// the runs of every in-text encoding.
///
/// A run of [`MIN_RUN`] covers a block of 16 bytes that starts at a
/// multiple of 32 (offsets are absolute: `base` is that of `hay[0]`, so a
/// stream sees what a whole slice sees) and one of that block's
/// neighbours. So only every other block is probed: with AVX2, two per
/// register, classified exactly by two nibble-table shuffles, four per
/// branch; elsewhere a compare rules out blocks with a byte below `+`
/// before a byte-by-byte check. On the source tree (`benches/compare.sh`)
/// 6% of blocks are base64 characters throughout (long names, hashes),
/// and only those probes have their neighbours read. Counted by callgrind
/// over 100 MB of it: 0.63 instructions a byte, against 0.93 for
/// classifying every block.
pub(crate) fn runs(
    hay: &[u8],
    lo: usize,
    hi: usize,
    base: u64,
    min: usize,
    f: impl FnMut(usize, usize, &RunInfo) -> usize,
) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2.
        return unsafe { runs_avx2(hay, lo, hi, base, min, f) };
    }
    runs_with(
        hay,
        lo,
        hi,
        base,
        min,
        f,
        |w| {
            (0..4).fold(0, |m, j| {
                m | (full_block(&w[32 * j..]) as u64) << (16 * j + 15)
            })
        },
        |b| (0..16).fold(0, |m, i| m | (in_run(b[i]) as u32) << i),
    )
}

/// Whether the 16 bytes at `b` are all run characters.
#[inline(always)]
fn full_block(b: &[u8]) -> bool {
    low_bytes(b) == 0 && b[..16].iter().all(|&c| in_run(c))
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn runs_avx2(
    hay: &[u8],
    lo: usize,
    hi: usize,
    base: u64,
    min: usize,
    f: impl FnMut(usize, usize, &RunInfo) -> usize,
) {
    // SAFETY (of the call inside): this function runs only with AVX2.
    runs_with(
        hay,
        lo,
        hi,
        base,
        min,
        f,
        |w| unsafe { probes_avx2(w) },
        |b| unsafe { members_avx2(b) },
    )
}

/// Bit 16j + 15 set when the 16 bytes at `w[32 * j..]` (j < 4) are all
/// base64 characters (see [`outsiders`]). Two probes per 32-byte register.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn probes_avx2(w: &[u8]) -> u64 {
    use std::arch::x86_64::*;
    assert!(w.len() >= 112);

    // SAFETY: `w` holds the 112 bytes read.
    unsafe {
        let mut m = 0u64;
        for k in 0..2 {
            let at = |j: usize| w.as_ptr().add(64 * k + 32 * j) as *const __m128i;
            let v = _mm256_inserti128_si256(
                _mm256_castsi128_si256(_mm_loadu_si128(at(0))),
                _mm_loadu_si128(at(1)),
                1,
            );
            m |= (_mm256_movemask_epi8(outsiders(v)) as u32 as u64) << (32 * k);
        }
        none_lanes(m)
    }
}

/// The nibble tables of the exact run class: a byte is a run character
/// when its low nibble's bits and its high nibble's share one.
#[cfg(target_arch = "x86_64")]
const fn nib_lo_bits(l: u8) -> i8 {
    (matches!(l, 0x3 | 0x5 | 0x6 | 0xB | 0xD | 0xF) as i8)
        | ((l <= 9 || l == 0xB || l == 0xD) as i8) << 1
        | ((l >= 1) as i8) << 2
        | ((l <= 0xA || l == 0xC || l == 0xF) as i8) << 3
        | ((l <= 0xA) as i8) << 4
}
#[cfg(target_arch = "x86_64")]
const NIB_LO: [i8; 16] = {
    let mut t = [0i8; 16];
    let mut i = 0;
    while i < 16 {
        t[i] = nib_lo_bits(i as u8);
        i += 1;
    }
    t
};
#[cfg(target_arch = "x86_64")]
const NIB_HI: [i8; 16] = [0, 0, 1, 2, 4, 8, 4, 16, 0, 0, 0, 0, 0, 0, 0, 0];

/// 0xFF in each byte of `v` that is not a run character, 0 elsewhere: a
/// byte is one when its low nibble's bits and its high nibble's share one
/// (2: `# % & + - /`; 3: digits, `; =`; 4, 6: `A-O a-o`; 5: `P-Z \ _`;
/// 7: `p-z`).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn outsiders(v: std::arch::x86_64::__m256i) -> std::arch::x86_64::__m256i {
    use std::arch::x86_64::*;
    // SAFETY: the tables are 16 bytes each, read into both halves.
    unsafe {
        let lo_lut =
            _mm256_broadcastsi128_si256(_mm_loadu_si128(NIB_LO.as_ptr() as *const __m128i));
        let hi_lut =
            _mm256_broadcastsi128_si256(_mm_loadu_si128(NIB_HI.as_ptr() as *const __m128i));
        let nib = _mm256_set1_epi8(0x0F);
        let l = _mm256_shuffle_epi8(lo_lut, _mm256_and_si256(v, nib));
        let h = _mm256_shuffle_epi8(hi_lut, _mm256_and_si256(_mm256_srli_epi16(v, 4), nib));
        _mm256_cmpeq_epi8(_mm256_and_si256(l, h), _mm256_setzero_si256())
    }
}

/// Bit i set when `b[i]` (i < 16) is a base64 character.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn members_avx2(b: &[u8]) -> u32 {
    use std::arch::x86_64::*;
    assert!(b.len() >= 16);
    // SAFETY: `b` holds the 16 bytes read; the upper half of the register
    // is not looked at.
    unsafe {
        let v = _mm256_castsi128_si256(_mm_loadu_si128(b.as_ptr() as *const __m128i));
        !(_mm256_movemask_epi8(outsiders(v)) as u32) & 0xFFFF
    }
}

/// The top bit of each 16-bit lane of `m` that is zero (bit 16j + 15 for
/// lane j).
#[inline(always)]
fn none_lanes(m: u64) -> u64 {
    const LOW15: u64 = 0x7FFF_7FFF_7FFF_7FFF;
    // The top bit of each lane: set when any bit of the lane is.
    let any = (((m & LOW15) + LOW15) | m) & !LOW15;
    !any & !LOW15
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn runs_with(
    hay: &[u8],
    lo: usize,
    hi: usize,
    base: u64,
    min: usize,
    mut f: impl FnMut(usize, usize, &RunInfo) -> usize,
    probes4: impl Fn(&[u8]) -> u64,
    members16: impl Fn(&[u8]) -> u32,
) {
    let min = min.max(MIN_RUN);
    let hay = &hay[..hi];
    let align = |p: usize| p + ((32 - ((base + p as u64) % 32) as usize) % 32);
    let mut q = align(lo);
    while q + 16 <= hi {
        let (span, mut full) = match hay.get(q..q + 112) {
            Some(w) => (128, probes4(w)),
            None => {
                let n = (hi - q).div_ceil(32);
                let full = (0..n).filter(|j| q + 32 * j + 16 <= hi).fold(0, |m, j| {
                    m | (full_block(&hay[q + 32 * j..]) as u64) << (16 * j + 15)
                });
                (32 * n, full)
            }
        };
        if full == 0 {
            q += span;
            continue;
        }
        let mut next = q + span;
        while full != 0 {
            let p = q + 32 * (full.trailing_zeros() / 16) as usize;
            full &= full - 1;
            let pair = (p >= lo + 16 && members16(&hay[p - 16..]) == 0xFFFF)
                || (p + 32 <= hi && members16(&hay[p + 16..]) == 0xFFFF);
            if !pair {
                continue;
            }
            // The run's ends, sixteen bytes at a time.
            let mut s = p;
            while s >= lo + 16 {
                let m = members16(&hay[s - 16..]);
                s -= (m << 16).leading_ones() as usize;
                if m != 0xFFFF {
                    break;
                }
            }
            while s > lo && in_run(hay[s - 1]) {
                s -= 1;
            }
            let mut e = p + 16;
            while e + 16 <= hi {
                let m = members16(&hay[e..]);
                e += m.trailing_ones() as usize;
                if m != 0xFFFF {
                    break;
                }
            }
            while e < hi && in_run(hay[e]) {
                e += 1;
            }
            let info = (e - s >= min).then(|| RunInfo::of(&hay[s..e]));
            let end = if let Some(info) = info.filter(|i| i.worth(min)) {
                f(s, e, &info).max(e)
            } else {
                e
            };
            next = align(end);
            break;
        }
        q = next;
    }
}

/// Where the base64 run starts that more data after `hay` may still
/// extend: the base64 characters that end it, or the first piece at
/// least `min` long (a run starts there) of the wrapped lines that
/// [`Run::gather`] joins to them (pieces a multiple of 4 and at least 16
/// long). `hay.len()` when the data does not end in one; looks back no
/// further than `floor`.
pub(crate) fn open_run(hay: &[u8], min: usize, floor: usize) -> usize {
    let mut q = hay.len();
    while q > floor && in_run(hay[q - 1]) {
        q -= 1;
    }
    let tail = q;
    let mut start = None;
    while q > floor {
        // Before the piece at `q`: indentation, a line break, a piece.
        let mut k = q;
        while k > floor && matches!(hay[k - 1], b' ' | b'\t') {
            k -= 1;
        }
        if k == floor || hay[k - 1] != b'\n' {
            break;
        }
        k -= 1;
        if k > floor && hay[k - 1] == b'\r' {
            k -= 1;
        }
        let mut s = k;
        while s > floor && is_b64(hay[s - 1]) {
            s -= 1;
        }
        if !(k - s).is_multiple_of(4) || k - s < 16 {
            break;
        }
        if k - s >= min.max(MIN_RUN) {
            start = Some(s);
        }
        q = s;
    }
    start.unwrap_or(tail)
}

/// Base64: see [`RunInfo::base64`].
pub(crate) fn plausible(run: &[u8]) -> bool {
    RunInfo::of(run).base64()
}

/// What [`RunInfo::of`] adds for a byte: 1 in the 12-bit field of each
/// count it is in (upper, lower, separator, escape character, no hex digit).
static COUNTS: [u64; 256] = {
    let mut t = [0u64; 256];
    let mut i = 0;
    while i < 256 {
        let c = CLASS[i];
        let b = i as u8;
        t[i] = (c == UPPER) as u64
            | ((c == LOWER) as u64) << 12
            | ((c == SEP) as u64) << 24
            | ((c == ESC) as u64) << 36
            | (!b.is_ascii_hexdigit() as u64) << 48;
        i += 1;
    }
    t
};

/// What a run found by [`runs`] is made of, counted once for every
/// encoding that reads it.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct RunInfo {
    pub len: usize,
    pub upper: usize,
    pub lower: usize,
    /// Base64's separators, `+ / - _`.
    pub seps: usize,
    /// The characters escapes are written with, `% \ & # ; =`.
    pub escs: usize,
    /// Characters that are no hex digit.
    pub non_hex: usize,
}

impl RunInfo {
    /// Counts `run`: one table lookup and one add a byte, five counters
    /// of 12 bits packed in a word, emptied every 4095 bytes.
    pub(crate) fn of(run: &[u8]) -> RunInfo {
        const MASK: u64 = 0xFFF;
        let mut i = RunInfo {
            len: run.len(),
            ..RunInfo::default()
        };
        for chunk in run.chunks(4095) {
            let w: u64 = chunk.iter().map(|&b| COUNTS[b as usize]).sum();
            i.upper += (w & MASK) as usize;
            i.lower += (w >> 12 & MASK) as usize;
            i.seps += (w >> 24 & MASK) as usize;
            i.escs += (w >> 36 & MASK) as usize;
            i.non_hex += (w >> 48 & MASK) as usize;
        }
        i
    }

    /// Base64: upper and lower case, each at least one character in 16 (the
    /// base64 of text or of random bytes has about 40% of each; a `0x`
    /// before upper-case hex does not make it base64), and separators no
    /// denser than one in 8.
    pub(crate) fn base64(&self) -> bool {
        let n = self.len;
        self.upper > 0
            && self.lower > 0
            && 16 * self.upper >= n
            && 16 * self.lower >= n
            && self.seps * 8 <= n
    }

    /// Whether some encoding may read the run (`min` long at least):
    /// base64 (escape characters aside), an escape's character, or hex
    /// digits (a `0x` allowed) half as long again as `min`.
    fn worth(&self, min: usize) -> bool {
        let letters = self.len - self.escs;
        (self.upper > 0 && self.lower > 0 && self.seps * 8 <= letters)
            || self.escs > 0
            || (self.non_hex <= 1 && 2 * self.len >= 3 * min)
    }
}

/// The stretches of `run` (at `s` in the text) whose bytes all meet
/// `keep`, at least `min` long: as `(start, end)` in the text.
pub(crate) fn pieces<'r>(
    run: &'r [u8],
    s: usize,
    min: usize,
    keep: impl Fn(u8) -> bool + 'r,
) -> impl Iterator<Item = (usize, usize)> + 'r {
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < run.len() {
            while i < run.len() && !keep(run[i]) {
                i += 1;
            }
            let a = i;
            while i < run.len() && keep(run[i]) {
                i += 1;
            }
            if i - a >= min {
                return Some((s + a, s + i));
            }
        }
        None
    })
}

/// A base64 run gathered across line breaks, as `base64` (76 columns) and
/// PEM (64) wrap it, with the offset of every piece in the text.
#[derive(Debug, Default)]
pub(crate) struct Run {
    /// The base64 characters, without line breaks or padding.
    pub chars: Vec<u8>,
    /// (index in `chars`, offset in the text) where each line's piece starts.
    pieces: Vec<(usize, usize)>,
}

impl Run {
    /// Gathers the run at `hay[s..e]` and the wrapped lines that follow it,
    /// up to `hi`: a piece whose length is a multiple of 4 ending at a line
    /// break continues on the next line (after any indentation). Returns
    /// the text offset where the run ends.
    pub fn gather(&mut self, hay: &[u8], s: usize, e: usize, hi: usize) -> usize {
        self.chars.clear();
        self.pieces.clear();
        let (mut s, mut e) = (s, e);
        loop {
            self.pieces.push((self.chars.len(), s));
            self.chars.extend_from_slice(&hay[s..e]);
            if (e - s) % 4 != 0 || e - s < 16 {
                return e;
            }
            let mut n = e;
            if hay.get(n) == Some(&b'\r') {
                n += 1;
            }
            if hay.get(n) != Some(&b'\n') {
                return e;
            }
            n += 1;
            while n < hi && n - e < 24 && matches!(hay[n], b' ' | b'\t') {
                n += 1;
            }
            let mut m = n;
            while m < hi && is_b64(hay[m]) {
                m += 1;
            }
            if m == n {
                return e;
            }
            (s, e) = (n, m);
        }
    }

    /// The text offset of character `i` of the run.
    pub fn offset(&self, i: usize) -> usize {
        let k = self.pieces.partition_point(|&(c, _)| c <= i) - 1;
        let (c, at) = self.pieces[k];
        at + (i - c)
    }

    /// Decodes the run from character `phase` (0..4) into `out`, and
    /// returns whether it reads as text. Byte `j` of `out` comes from
    /// character [`char_of`]`(phase, j)`.
    pub fn decode(&self, phase: usize, out: &mut Vec<u8>) -> bool {
        out.clear();
        let chars = self.chars.get(phase..).unwrap_or_default();
        let mut groups = chars.chunks_exact(4);
        for (i, g) in (&mut groups).enumerate() {
            let v = (B64[g[0] as usize] as u32) << 18
                | (B64[g[1] as usize] as u32) << 12
                | (B64[g[2] as usize] as u32) << 6
                | B64[g[3] as usize] as u32;
            out.extend_from_slice(&[(v >> 16) as u8, (v >> 8) as u8, v as u8]);
            // Three of the four phases are noise: seen in the first 48
            // bytes, before the rest of a long run is decoded.
            if i == 15 && !texty(out) && !packed(out) {
                return false;
            }
        }
        let tail = groups.remainder();
        if tail.len() >= 2 {
            let v = (B64[tail[0] as usize] as u32) << 18
                | (B64[tail[1] as usize] as u32) << 12
                | tail.get(2).map_or(0, |&c| (B64[c as usize] as u32) << 6);
            out.push((v >> 16) as u8);
            if tail.len() == 3 {
                out.push((v >> 8) as u8);
            }
        }
        texty(out) || packed(out)
    }
}

/// Whether decoded bytes start a compressed stream (gzip, xz, bzip2,
/// zstd): binary, yet worth handing on, since the scanner decompresses
/// what a decoding starts (a gzip in base64).
fn packed(b: &[u8]) -> bool {
    b.starts_with(&[0x1f, 0x8b, 0x08])
        || b.starts_with(&[0xFD, b'7', b'z', b'X', b'Z', 0])
        || b.starts_with(&[0x28, 0xB5, 0x2F, 0xFD])
        || b.len() > 4 && b.starts_with(b"BZh") && (b'1'..=b'9').contains(&b[3])
}

/// The run character that byte `j` of a decoding from `phase` starts in.
pub(crate) fn char_of(phase: usize, j: usize) -> usize {
    phase + j / 3 * 4 + j % 3
}

/// Whether decoded bytes read as text: three in four printable ASCII,
/// whitespace or NUL (UTF-16). Random bytes manage 39%.
pub(crate) fn texty(b: &[u8]) -> bool {
    // Written to vectorize.
    let ok: usize = b
        .iter()
        .map(|&c| {
            (c.wrapping_sub(0x20) < 0x5f) as usize
                + (c == b'\t' || c == b'\n' || c == b'\r' || c == 0) as usize
        })
        .sum();
    ok * 4 >= b.len() * 3
}

/// Escape syntaxes, as a set.
pub(crate) const JSON: u8 = 1;
pub(crate) const HEX: u8 = 2;
pub(crate) const PERCENT: u8 = 4;
pub(crate) const HTML: u8 = 8;
pub(crate) const QP: u8 = 16;

/// The encoding name of a set of escape syntaxes: `percent`,
/// `json-escape+hex-escape`, …
pub(crate) fn escape_name(kinds: u8) -> String {
    let names = [
        (JSON, "json-escape"),
        (HEX, "hex-escape"),
        (PERCENT, "percent"),
        (HTML, "html"),
        (QP, "quoted-printable"),
    ];
    let used: Vec<&str> = names
        .iter()
        .filter(|(k, _)| kinds & k != 0)
        .map(|(_, n)| *n)
        .collect();
    used.join("+")
}

/// The value of a hex digit.
#[inline]
pub(crate) fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The named HTML character references for characters tokens hold (not
/// the whole table: these are the ones an HTML writer uses for them).
const NAMED: &[(&[u8], u8)] = &[
    (b"&lowbar;", b'_'),
    (b"&UnderBar;", b'_'),
    (b"&hyphen;", b'-'),
    (b"&dash;", b'-'),
    (b"&period;", b'.'),
    (b"&plus;", b'+'),
    (b"&sol;", b'/'),
    (b"&equals;", b'='),
];

/// A numeric HTML character reference at `hay[at..]` (`&#95;`,
/// `&#x5F;`, leading zeros allowed) for an ASCII character.
fn numeric_ref(hay: &[u8], at: usize) -> Option<(u8, usize)> {
    let rest = hay.get(at + 2..)?;
    let (radix, digits) = match rest.first()? {
        b'x' | b'X' => (16, &rest[1..]),
        _ => (10, rest),
    };
    let mut v: u32 = 0;
    for (n, &d) in digits.iter().enumerate() {
        let len = 2 + (radix == 16) as usize + n + 1;
        if d == b';' {
            return (n > 0 && v < 0x80).then_some((v as u8, len));
        }
        if len >= MAX_ESCAPE_LEN || v >= 0x80 {
            return None;
        }
        v = v * radix + (d as char).to_digit(radix)?;
    }
    None
}

/// An escape found in text: the byte it stands for (none for a
/// quoted-printable soft line break, which stands for nothing), its length
/// and its syntax.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Escape {
    pub byte: Option<u8>,
    pub len: usize,
    pub kind: u8,
}

/// The escape at `hay[at..]`: `%5F` (percent), `\x5f` (hex-escape),
/// `\u005f` (json-escape; above 0x7F it stands for no byte of a token:
/// none), `&#95;`, `&#x5F;`, `&lowbar;` (html), `=5F` and a soft line
/// break `=` + line end (quoted-printable).
#[inline]
pub(crate) fn escape_at(hay: &[u8], at: usize) -> Option<Escape> {
    let h = |i: usize| hay.get(at + i).copied().and_then(hex);
    let esc = |byte: u8, len: usize, kind: u8| {
        Some(Escape {
            byte: Some(byte),
            len,
            kind,
        })
    };
    match hay.get(at..at + 2)? {
        [b'%', _] => esc(h(1)? << 4 | h(2)?, 3, PERCENT),
        [b'\\', b'x'] => esc(h(2)? << 4 | h(3)?, 4, HEX),
        [b'\\', b'u'] => {
            let (a, b) = (h(2)? << 4 | h(3)?, h(4)? << 4 | h(5)?);
            if a == 0 && b < 0x80 {
                esc(b, 6, JSON)
            } else {
                None
            }
        }
        [b'&', b'#'] => {
            let (b, len) = numeric_ref(hay, at)?;
            esc(b, len, HTML)
        }
        [b'&', _] => NAMED
            .iter()
            .find(|(name, _)| hay[at..].starts_with(name))
            .and_then(|&(name, b)| esc(b, name.len(), HTML)),
        [b'=', b'\n'] => Some(Escape {
            byte: None,
            len: 2,
            kind: QP,
        }),
        [b'=', b'\r'] if hay.get(at + 2) == Some(&b'\n') => Some(Escape {
            byte: None,
            len: 3,
            kind: QP,
        }),
        [b'=', _] => esc(h(1)? << 4 | h(2)?, 3, QP),
        _ => None,
    }
}

/// The longest escape of one character (`&#x0000005F;`).
pub(crate) const MAX_ESCAPE_LEN: usize = 12;

/// The bytes that can begin an escape.
pub(crate) const ESCAPE_STARTS: [u8; 4] = [b'\\', b'%', b'&', b'='];

/// Whether an escape ends just before `at` and stands for a byte that is
/// not a word character: `%22cfut_…` starts a token as `"cfut_…` does.
pub(crate) fn escaped_boundary_before(hay: &[u8], at: usize) -> bool {
    (2..=at.min(MAX_ESCAPE_LEN)).any(|len| {
        escape_at(hay, at - len)
            .is_some_and(|e| e.len == len && !e.byte.is_some_and(|b| b.is_ascii_alphanumeric()))
    })
}

/// Unescapes `hay[at..]` into `out` (at most `max` bytes), recording in
/// `ends` the text offset just past each output byte. Returns the set of
/// escape syntaxes used.
pub(crate) fn unescape(
    hay: &[u8],
    at: usize,
    max: usize,
    out: &mut Vec<u8>,
    ends: &mut Vec<usize>,
) -> u8 {
    out.clear();
    ends.clear();
    let mut kinds = 0;
    let mut i = at;
    while i < hay.len() && out.len() < max {
        match escape_at(hay, i) {
            Some(e) => {
                kinds |= e.kind;
                i += e.len;
                let Some(b) = e.byte else {
                    // A soft line break: the byte before now ends here.
                    if let Some(last) = ends.last_mut() {
                        *last = i;
                    }
                    continue;
                };
                out.push(b);
            }
            None => {
                out.push(hay[i]);
                i += 1;
            }
        }
        ends.push(i);
    }
    kinds
}

/// UTF-16 byte order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Utf16 {
    /// Little-endian (Windows' "Unicode").
    Le,
    /// Big-endian.
    Be,
}

impl Utf16 {
    /// `utf-16le` or `utf-16be`.
    pub fn name(self) -> &'static str {
        match self {
            Utf16::Le => "utf-16le",
            Utf16::Be => "utf-16be",
        }
    }

    /// What the start of some data says: a byte order mark, or mostly
    /// ASCII text with a NUL in every other byte. Returns the order and the
    /// length of the mark.
    pub fn sniff(head: &[u8]) -> Option<(Utf16, usize)> {
        match head {
            [0xFF, 0xFE, ..] => return Some((Utf16::Le, 2)),
            [0xFE, 0xFF, ..] => return Some((Utf16::Be, 2)),
            _ => {}
        }
        let pairs = &head[..head.len().min(1024) & !1];
        // Text without a NUL (nearly every file) is settled at once.
        if pairs.len() < 16 || memchr::memchr(0, &pairs[..pairs.len().min(64)]).is_none() {
            return None;
        }
        let n = pairs.len() / 2;
        let (mut le, mut be) = (0, 0);
        for p in pairs.chunks_exact(2) {
            le += (p[1] == 0 && p[0] != 0) as usize;
            be += (p[0] == 0 && p[1] != 0) as usize;
        }
        if le * 10 >= n * 9 {
            Some((Utf16::Le, 0))
        } else if be * 10 >= n * 9 {
            Some((Utf16::Be, 0))
        } else {
            None
        }
    }

    /// Transcodes `src` (whole code units) to UTF-8 in `out`, recording in
    /// `from` the source offset each output byte came from. Unpaired
    /// surrogates become U+FFFD. Returns the bytes of `src` used (an odd
    /// byte or a lone high surrogate at the end waits for more).
    pub fn transcode(
        self,
        src: &[u8],
        at_end: bool,
        out: &mut Vec<u8>,
        mut from: Option<&mut Vec<usize>>,
    ) -> usize {
        let unit = |i: usize| -> u16 {
            match self {
                Utf16::Le => u16::from_le_bytes([src[i], src[i + 1]]),
                Utf16::Be => u16::from_be_bytes([src[i], src[i + 1]]),
            }
        };
        let mut i = 0;
        let mut buf = [0u8; 4];
        while i + 2 <= src.len() {
            let u = unit(i);
            let (c, len) = if (0xD800..0xDC00).contains(&u) {
                if i + 4 > src.len() && !at_end {
                    break;
                }
                let lo = if i + 4 <= src.len() { unit(i + 2) } else { 0 };
                if (0xDC00..0xE000).contains(&lo) {
                    let c = 0x10000 + (((u as u32) - 0xD800) << 10) + (lo as u32 - 0xDC00);
                    (char::from_u32(c).unwrap_or('\u{FFFD}'), 4)
                } else {
                    ('\u{FFFD}', 2)
                }
            } else {
                (char::from_u32(u as u32).unwrap_or('\u{FFFD}'), 2)
            };
            let s = c.encode_utf8(&mut buf);
            out.extend_from_slice(s.as_bytes());
            if let Some(f) = &mut from {
                f.extend(std::iter::repeat_n(i, s.len()));
            }
            i += len;
        }
        if at_end && i < src.len() {
            // A lone final byte.
            out.extend_from_slice("\u{FFFD}".as_bytes());
            if let Some(f) = &mut from {
                f.extend(std::iter::repeat_n(i, 3));
            }
            i = src.len();
        }
        i
    }
}

/// A reader that turns UTF-16 into UTF-8 as it goes.
pub struct Utf16Reader<R> {
    inner: R,
    order: Utf16,
    /// Bytes read and not yet transcoded: `raw[..have]` (its length stays
    /// 64 KiB, zeroed once, not at every read).
    raw: Vec<u8>,
    have: usize,
    out: Vec<u8>,
    pos: usize,
    eof: bool,
}

impl<R: std::io::Read> Utf16Reader<R> {
    /// Reads `inner` (past any byte order mark) as UTF-16 in `order`.
    pub fn new(inner: R, order: Utf16) -> Utf16Reader<R> {
        Utf16Reader {
            inner,
            order,
            raw: vec![0; 64 * 1024],
            have: 0,
            out: Vec::with_capacity(96 * 1024),
            pos: 0,
            eof: false,
        }
    }
}

impl<R: std::io::Read> std::io::Read for Utf16Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pos == self.out.len() {
            if self.eof {
                return Ok(0);
            }
            let have = self.have;
            let n = loop {
                match self.inner.read(&mut self.raw[have..]) {
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    r => break r,
                }
            }?;
            self.have += n;
            self.eof = n == 0;
            self.out.clear();
            self.pos = 0;
            let used = self
                .order
                .transcode(&self.raw[..self.have], self.eof, &mut self.out, None);
            self.raw.copy_within(used..self.have, 0);
            self.have -= used;
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn found_runs(text: &[u8], base: u64, min: usize) -> Vec<(usize, usize)> {
        let mut v = Vec::new();
        runs(text, 0, text.len(), base, min, |s, e, _| {
            v.push((s, e));
            e
        });
        v
    }

    #[test]
    fn runs_are_found_at_any_offset_and_alignment() {
        let enc = base64::engine::general_purpose::STANDARD
            .encode("cfut_yGWmZQhXQCaSBLdVLIIN8nVy40xdnxVZmwkycbF1325c4830"); // burnkey:allow
        for pad in 0..40 {
            let text = format!("{}data: {enc} # x\n", " ".repeat(pad));
            for base in [0u64, 5, 15] {
                let r = found_runs(text.as_bytes(), base, 32);
                // The padding is in the run (`=` starts quoted-printable
                // escapes); base64 reads the characters before it.
                assert_eq!(
                    r,
                    vec![(pad + 6, pad + 6 + enc.len())],
                    "pad {pad} base {base}"
                );
            }
        }
    }

    #[test]
    fn simd_classes_are_the_table() {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            for b in 0..=255u8 {
                let block = [b; 128];
                // SAFETY: the CPU has AVX2.
                let (m, p) = unsafe { (members_avx2(&block), probes_avx2(&block)) };
                assert_eq!(m == 0xFFFF, in_run(b), "{b:#x}");
                assert_eq!(m == 0, !in_run(b), "{b:#x}");
                assert_eq!(p.count_ones(), if in_run(b) { 4 } else { 0 }, "{b:#x}");
            }
        }
    }

    #[test]
    fn the_portable_finder_finds_what_the_simd_one_does() {
        // Noise with runs of every length and alignment, wrapped lines and
        // separators.
        let mut x: u32 = 99;
        let mut text = Vec::new();
        for i in 0..3000 {
            x = x.wrapping_mul(1664525).wrapping_add(1013904223);
            let len = (x >> 20) as usize % 120;
            for _ in 0..len {
                x = x.wrapping_mul(1664525).wrapping_add(1013904223);
                let alphabet = b"ABCDEFGHIJKLMNOPQRSTabcdefghijklmnopqrst0123456789+_";
                text.push(alphabet[(x >> 24) as usize % alphabet.len()]);
            }
            text.push(b" \n.=:"[i % 5]);
            if i % 7 == 0 {
                // A run of every other sort too: a long one, wrapped.
                text.extend_from_slice(&[b'Q'; 40]);
                text.extend_from_slice(b"ab\n");
            }
        }
        let collect = |simd: bool| {
            let mut v = Vec::new();
            for (lo, base) in [(0, 0u64), (5, 3), (17, 16)] {
                let mut f = |s, e, _: &RunInfo| {
                    v.push((lo, s, e));
                    e
                };
                if simd {
                    runs(&text, lo, text.len() - 7, base, 47, &mut f);
                } else {
                    runs_with(
                        &text,
                        lo,
                        text.len() - 7,
                        base,
                        47,
                        &mut f,
                        |w| {
                            (0..4).fold(0, |m, j| {
                                m | (full_block(&w[32 * j..]) as u64) << (16 * j + 15)
                            })
                        },
                        |b| (0..16).fold(0, |m, i| m | (in_run(b[i]) as u32) << i),
                    );
                }
            }
            v
        };
        let simd = collect(true);
        assert!(simd.len() > 100);
        assert_eq!(simd, collect(false));
    }

    #[test]
    fn names_hex_and_constants_are_not_runs() {
        for t in [
            "4a96169a5dea36a2594011537ee0dc19e8f9f74e82c07434079447155a830152",
            "PCI_EXPRESS_RESIZABLE_BAR_CAPABILITY_AND_MORE_WORDS",
            "ring_core_0_17_14__ChaCha20_ctr32_neon_and_more",
            "only_derive_is_allowed_to_implement_this_trait",
            "735ADB30-0EBB-4788-A0E4-0F316490055D",
        ] {
            assert!(found_runs(t.as_bytes(), 0, 32).is_empty(), "{t}");
        }
    }

    #[test]
    fn wrapped_runs_join_and_map_back() {
        let body = "ab".repeat(100);
        let enc = base64::engine::general_purpose::STANDARD.encode(&body);
        let wrapped: String = enc
            .as_bytes()
            .chunks(76)
            .map(|c| format!("    {}\r\n", std::str::from_utf8(c).unwrap()))
            .collect();
        let text = wrapped.as_bytes();
        let mut run = Run::default();
        let first = found_runs(text, 0, 32)[0];
        let end = run.gather(text, first.0, first.1, text.len());
        assert_eq!(run.chars, enc.trim_end_matches('=').as_bytes());
        assert_eq!(&text[end..end + 3], b"=\r\n", "padding ends it");
        // Character 76 is the first of the second line.
        assert_eq!(run.offset(76), 4 + 76 + 2 + 4);
        let mut out = Vec::new();
        assert!(run.decode(0, &mut out));
        assert_eq!(out, body.as_bytes());
        // Wrong phases read as noise.
        for phase in 1..4 {
            assert!(!run.decode(phase, &mut out), "phase {phase}");
        }
    }

    #[test]
    fn escapes() {
        let mut out = Vec::new();
        let mut ends = Vec::new();
        let text = br"cfut\u005fab%5Fc\x5Fd\u00e9%zz";
        let kinds = unescape(text, 0, 100, &mut out, &mut ends);
        assert_eq!(out, b"cfut_ab_c_d\\u00e9%zz");
        assert_eq!(kinds, JSON | HEX | PERCENT);
        assert_eq!(ends[4], 10);
        assert_eq!(escape_name(PERCENT), "percent");
        assert!(escaped_boundary_before(b"x=%22cfu", 5));
        assert!(!escaped_boundary_before(b"x=%41cfu", 5));
        // Quoted-printable: `=22` is a quote.
        assert!(escaped_boundary_before(b"x=22cfu", 4));
        assert!(!escaped_boundary_before(b"x=2Gcfu", 4));
        assert!(!escaped_boundary_before(b"x=41cfu", 4));
    }

    #[test]
    fn utf16_sniff_and_transcode() {
        let s = "$env:CF = 'cfut_x' # é 😀";
        let le: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = s.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(Utf16::sniff(&le), Some((Utf16::Le, 0)));
        assert_eq!(Utf16::sniff(&be), Some((Utf16::Be, 0)));
        assert_eq!(Utf16::sniff(&[0xFF, 0xFE, b'a', 0]), Some((Utf16::Le, 2)));
        assert_eq!(Utf16::sniff(s.as_bytes()), None);
        for (order, data) in [(Utf16::Le, &le), (Utf16::Be, &be)] {
            // Trickled one byte at a time: surrogate pairs split across reads.
            struct One<'a>(&'a [u8]);
            impl std::io::Read for One<'_> {
                fn read(&mut self, b: &mut [u8]) -> std::io::Result<usize> {
                    let n = self.0.len().min(1).min(b.len());
                    b[..n].copy_from_slice(&self.0[..n]);
                    self.0 = &self.0[n..];
                    Ok(n)
                }
            }
            let mut got = String::new();
            std::io::Read::read_to_string(&mut Utf16Reader::new(One(data), order), &mut got)
                .unwrap();
            assert_eq!(got, s);
        }
    }
}
