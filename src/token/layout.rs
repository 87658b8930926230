//! Token layouts as data: what follows a token's prefix, segment by segment.
//!
//! A layout is a sequence of segments:
//!
//! - **literal**: fixed characters, e.g. a `_` separator or a version `.01.`;
//! - **random**: characters from an alphabet, a fixed number of them or a
//!   range (a range must end the token or stand before a literal that its
//!   alphabet does not contain, so that the match is never ambiguous);
//! - **length**: a number, fixed width, that must equal the length of a
//!   random segment (GitLab's routable tokens);
//! - **checksum**: a [`ChecksumSpec`] over some of the token's bytes: the
//!   prefix, named segments, or everything before the checksum. It may be
//!   followed by more segments (GitHub's fine-grained PATs end in 8 random
//!   characters after theirs).
//!
//! The same layout checks a string, finds a token in a haystack and mints a
//! new one, so the three can never disagree.

use crate::token::checksum::{ChecksumSpec, Scheme, MAX_WIDTH};

/// Most segments a layout may have.
pub const MAX_SEGMENTS: usize = 16;
/// Longest token (after its prefix) a layout may describe, in bytes.
pub const MAX_LEN: usize = 2048;
/// Fewest random characters a layout must have: fewer could not be told
/// from ordinary words.
pub const MIN_RANDOM: usize = 8;

/// A set of ASCII characters, e.g. `[A-Za-z0-9_-]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alphabet {
    bits: [u64; 2],
    chars: Vec<u8>,
    class: String,
}

/// Named alphabets and the classes they stand for.
const NAMED: &[(&str, &str)] = &[
    ("alnum", "A-Za-z0-9"),
    ("base62", "0-9A-Za-z"),
    ("hex", "0-9a-f"),
    ("hex-upper", "0-9A-F"),
    ("digits", "0-9"),
    ("base32", "A-Z2-7"),
    ("base36", "0-9a-z"),
];

impl Alphabet {
    /// An alphabet by name (`alnum`, `hex`, `hex-upper`, `digits`, `base32`,
    /// `base36`, `base62`) or as a class of characters and ranges,
    /// `A-Za-z0-9_-` (a `-` first or last is itself). Printable ASCII only,
    /// no spaces.
    pub fn parse(spec: &str) -> Result<Alphabet, String> {
        let class = NAMED
            .iter()
            .find(|(n, _)| *n == spec)
            .map_or(spec, |(_, c)| *c);
        let b = class.as_bytes();
        if b.is_empty() {
            return Err("an alphabet needs at least one character".into());
        }
        let mut bits = [0u64; 2];
        let mut i = 0;
        while i < b.len() {
            let lo = b[i];
            let hi = if i + 2 < b.len() && b[i + 1] == b'-' {
                i += 2;
                b[i]
            } else {
                lo
            };
            i += 1;
            if lo > hi {
                return Err(format!(
                    "alphabet {spec:?}: range {}-{} is backwards",
                    lo as char, hi as char
                ));
            }
            for c in lo..=hi {
                if !c.is_ascii_graphic() {
                    return Err(format!(
                        "alphabet {spec:?}: only printable ASCII without spaces is allowed"
                    ));
                }
                bits[(c >> 6) as usize] |= 1 << (c & 63);
            }
        }
        let chars: Vec<u8> = (0u8..128)
            .filter(|&c| bits[(c >> 6) as usize] >> (c & 63) & 1 == 1)
            .collect();
        Ok(Alphabet {
            bits,
            chars,
            class: format!("[{class}]"),
        })
    }

    /// Whether `c` belongs to the alphabet.
    #[inline]
    pub fn contains(&self, c: u8) -> bool {
        c < 128 && self.bits[(c >> 6) as usize] >> (c & 63) & 1 == 1
    }

    /// The alphabet as a class, for messages: `[A-Za-z0-9]`.
    pub fn class(&self) -> &str {
        &self.class
    }

    /// The characters, in byte order.
    pub fn chars(&self) -> &[u8] {
        &self.chars
    }
}

/// How many characters a random segment has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Len {
    /// Exactly this many.
    Fixed(usize),
    /// From `min` to `max`, inclusive; minted at `max`.
    Range(usize, usize),
}

impl Len {
    /// The fewest characters.
    pub fn min(self) -> usize {
        match self {
            Len::Fixed(n) | Len::Range(n, _) => n,
        }
    }

    /// The most characters.
    pub fn max(self) -> usize {
        match self {
            Len::Fixed(n) | Len::Range(_, n) => n,
        }
    }
}

/// What a checksum covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// The prefix.
    Prefix,
    /// One segment, by index.
    Segment(usize),
    /// Everything from the start of the token to the checksum.
    Before,
}

/// One segment of a layout, references resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    /// Fixed characters.
    Literal(String),
    /// Random characters.
    Random {
        /// Its name, for messages and references (`body` by default).
        name: String,
        /// The characters it may hold.
        alphabet: Alphabet,
        /// How many.
        len: Len,
    },
    /// The length of another segment, as a zero-padded number.
    Length {
        /// The segment it measures.
        of: usize,
        /// 10, 16 or 36.
        base: u32,
        /// Characters.
        width: usize,
    },
    /// A checksum.
    Checksum {
        /// How it is computed and written.
        spec: ChecksumSpec,
        /// What it covers, concatenated in this order.
        over: Vec<Part>,
    },
}

/// A segment as a rule file writes it: references by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SegmentSpec {
    /// Fixed characters.
    Literal(String),
    /// Random characters from `alphabet` (see [`Alphabet::parse`]).
    Random {
        /// Defaults to `body`.
        name: Option<String>,
        /// A named alphabet or a class.
        alphabet: String,
        /// How many.
        len: Len,
    },
    /// The length of the random segment named `of`.
    Length {
        /// The segment's name.
        of: String,
        /// `base10`, `base16` or `base36`.
        encoding: String,
        /// Characters.
        width: usize,
    },
    /// A checksum over `over`: `+`-joined names of `prefix`, segments, or
    /// `before` (everything before the checksum).
    Checksum {
        /// The checksum.
        spec: ChecksumSpec,
        /// What it covers.
        over: String,
    },
}

/// What follows a prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    segments: Vec<Segment>,
    min_len: usize,
    max_len: usize,
    checksum: Option<usize>,
}

/// Where a layout stopped matching.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fail {
    /// A character that segment `seg` does not allow, at byte `at`.
    BadChar { at: usize, seg: usize },
    /// The input ended inside the token.
    Short,
    /// A length field says `found`, its segment has `actual` characters.
    LengthField { found: usize, actual: usize },
}

/// Where each segment lies in a matched token, after the prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Spans {
    spans: [(u16, u16); MAX_SEGMENTS],
    /// Bytes after the prefix.
    pub(crate) len: usize,
}

impl Spans {
    /// Where segment `seg` starts, after the prefix.
    pub(crate) fn start(&self, seg: usize) -> usize {
        self.spans[seg].0 as usize
    }
}

fn digit_value(c: u8, base: u32) -> Option<u32> {
    let v = match c {
        b'0'..=b'9' => (c - b'0') as u32,
        b'a'..=b'z' => (c - b'a') as u32 + 10,
        _ => return None,
    };
    (v < base).then_some(v)
}

/// Checks `n` characters of `rest` from `*pos` with `ok`, for segment `seg`.
#[inline]
fn run(
    rest: &[u8],
    pos: &mut usize,
    n: usize,
    seg: usize,
    ok: impl Fn(u8) -> bool,
) -> Result<(), Fail> {
    let avail = rest.len().saturating_sub(*pos).min(n);
    if let Some(j) = rest[*pos..*pos + avail].iter().position(|&c| !ok(c)) {
        return Err(Fail::BadChar { at: *pos + j, seg });
    }
    if avail < n {
        return Err(Fail::Short);
    }
    *pos += n;
    Ok(())
}

impl Layout {
    /// The layout of the original rule files: `body_len` characters of
    /// `[A-Za-z0-9]`, then the `scheme`'s checksum of them.
    pub fn preset(body_len: usize, scheme: Scheme) -> Result<Layout, String> {
        let mut specs = vec![SegmentSpec::Random {
            name: None,
            alphabet: "alnum".into(),
            len: Len::Fixed(body_len),
        }];
        if let Some(spec) = scheme.spec() {
            specs.push(SegmentSpec::Checksum {
                spec,
                over: "body".into(),
            });
        }
        Layout::new(specs)
    }

    /// Builds and validates a layout.
    pub fn new(specs: Vec<SegmentSpec>) -> Result<Layout, String> {
        if specs.is_empty() || specs.len() > MAX_SEGMENTS {
            return Err(format!(
                "a layout needs 1 to {MAX_SEGMENTS} segments, not {}",
                specs.len()
            ));
        }
        let names: Vec<Option<String>> = specs
            .iter()
            .map(|s| match s {
                SegmentSpec::Random { name, .. } => Some(name.clone().unwrap_or("body".into())),
                _ => None,
            })
            .collect();
        let mut segments = Vec::with_capacity(specs.len());
        let mut checksum = None;
        for (i, s) in specs.into_iter().enumerate() {
            if matches!(s, SegmentSpec::Checksum { .. }) && checksum.replace(i).is_some() {
                return Err("a layout may have one checksum".into());
            }
            segments.push(segment(i, s, &names)?);
        }
        let (min_len, max_len) = check_whole(&segments)?;
        Ok(Layout {
            segments,
            min_len,
            max_len,
            checksum,
        })
    }

    /// The segments.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Fewest bytes after the prefix.
    pub fn min_len(&self) -> usize {
        self.min_len
    }

    /// Most bytes after the prefix.
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// The literal that locates a token of this layout from inside: where
    /// the layout opens with a random segment of variable length, then a
    /// literal of 3 bytes or more, then that segment's length (GitLab's
    /// routable tokens: `payload` `.01.` `0y` + checksum). Reading the
    /// length after the literal tells where the payload starts, whatever
    /// precedes it.
    pub fn located_literal(&self) -> Option<&str> {
        match self.segments.as_slice() {
            [Segment::Random {
                len: Len::Range(..),
                ..
            }, Segment::Literal(l), Segment::Length { of: 0, .. }, ..]
                if l.len() >= 3 =>
            {
                Some(l)
            }
            _ => None,
        }
    }

    /// For a layout with a [`Layout::located_literal`] standing at `lit` in
    /// `hay`: where the first segment starts, as its length field says
    /// (`None` if the field is not there or points before `hay`).
    pub(crate) fn located_start(&self, hay: &[u8], lit: usize) -> Option<usize> {
        let lit_len = self.located_literal()?.len();
        let Some(Segment::Length { base, width, .. }) = self.segments.get(2) else {
            return None;
        };
        let field = hay.get(lit + lit_len..lit + lit_len + width)?;
        let len = field.iter().try_fold(0usize, |n, &c| {
            Some(n * *base as usize + digit_value(c, *base)? as usize)
        })?;
        let Some(Segment::Random { len: range, .. }) = self.segments.first() else {
            return None;
        };
        (range.min()..=range.max()).contains(&len).then_some(())?;
        lit.checked_sub(len)
    }

    /// The checksum, if the layout has one.
    pub fn checksum(&self) -> Option<&ChecksumSpec> {
        match self.segments.get(self.checksum?) {
            Some(Segment::Checksum { spec, .. }) => Some(spec),
            _ => None,
        }
    }

    /// The body length and scheme, if this is a [`Layout::preset`] layout.
    pub fn as_preset(&self) -> Option<(usize, Scheme)> {
        let body = match self.segments.first()? {
            Segment::Random {
                alphabet,
                len: Len::Fixed(n),
                ..
            } if alphabet.chars() == Alphabet::parse("alnum").ok()?.chars() => *n,
            _ => return None,
        };
        Scheme::ALL
            .into_iter()
            .find(|s| Layout::preset(body, *s).ok().as_ref() == Some(self))
            .map(|s| (body, s))
    }

    /// The layout in one line: `40 [A-Za-z0-9] "_" crc32 hex, 8 characters
    /// over prefix+body`.
    pub fn describe(&self) -> String {
        let name = |p: &Part| match p {
            Part::Prefix => "prefix".to_string(),
            Part::Before => "before".to_string(),
            Part::Segment(j) => match &self.segments[*j] {
                Segment::Random { name, .. } => name.clone(),
                _ => format!("#{j}"),
            },
        };
        let parts: Vec<String> = self
            .segments
            .iter()
            .map(|s| match s {
                Segment::Literal(l) => format!("{l:?}"),
                Segment::Random { alphabet, len, .. } => match len {
                    Len::Fixed(n) => format!("{n} {}", alphabet.class()),
                    Len::Range(a, b) => format!("{a}-{b} {}", alphabet.class()),
                },
                Segment::Length { of, base, width } => format!(
                    "length of {} ({width} base-{base} digits)",
                    name(&Part::Segment(*of))
                ),
                Segment::Checksum { spec, over } => format!(
                    "{} over {}",
                    spec.describe(),
                    over.iter().map(name).collect::<Vec<_>>().join("+")
                ),
            })
            .collect();
        parts.join(" ")
    }

    /// The last byte class a token ends with: a following byte in it would
    /// make the token longer, so it is no boundary.
    #[cfg(feature = "scan")]
    pub(crate) fn extends(&self, c: u8) -> bool {
        match self.segments.last() {
            Some(Segment::Random { alphabet, .. }) => alphabet.contains(c),
            Some(Segment::Checksum { spec, .. }) => spec.is_digit(c),
            _ => false,
        }
    }

    /// Matches the layout at the start of `rest` (the bytes after a prefix;
    /// more may follow the token). Greedy and without backtracking, which
    /// the validation rules make exact.
    pub(crate) fn parse(&self, rest: &[u8]) -> Result<Spans, Fail> {
        let mut spans = Spans {
            spans: [(0, 0); MAX_SEGMENTS],
            len: 0,
        };
        let mut pos = 0;
        for (i, seg) in self.segments.iter().enumerate() {
            let start = pos;
            match seg {
                Segment::Literal(l) => {
                    for &want in l.as_bytes() {
                        match rest.get(pos) {
                            None => return Err(Fail::Short),
                            Some(&c) if c == want => pos += 1,
                            Some(_) => return Err(Fail::BadChar { at: pos, seg: i }),
                        }
                    }
                }
                Segment::Random { alphabet, len, .. } => match *len {
                    Len::Fixed(n) => run(rest, &mut pos, n, i, |c| alphabet.contains(c))?,
                    Len::Range(min, max) => {
                        let avail = rest.len().saturating_sub(pos).min(max);
                        let n = rest[pos..pos + avail]
                            .iter()
                            .position(|&c| !alphabet.contains(c))
                            .unwrap_or(avail);
                        if n < min {
                            return Err(if pos + n == rest.len() {
                                Fail::Short
                            } else {
                                Fail::BadChar {
                                    at: pos + n,
                                    seg: i,
                                }
                            });
                        }
                        pos += n;
                    }
                },
                Segment::Length { base, width, .. } => run(rest, &mut pos, *width, i, |c| {
                    digit_value(c, *base).is_some()
                })?,
                Segment::Checksum { spec, .. } => {
                    run(rest, &mut pos, spec.width, i, |c| spec.is_digit(c))?
                }
            }
            spans.spans[i] = (start as u16, pos as u16);
        }
        spans.len = pos;
        for (i, seg) in self.segments.iter().enumerate() {
            if let Segment::Length { of, base, .. } = seg {
                let (s, e) = spans.spans[i];
                let found = rest[s as usize..e as usize].iter().fold(0usize, |n, &c| {
                    n.saturating_mul(*base as usize)
                        .saturating_add(digit_value(c, *base).unwrap_or(0) as usize)
                });
                let (a, b) = spans.spans[*of];
                let actual = (b - a) as usize;
                if found != actual {
                    return Err(Fail::LengthField { found, actual });
                }
            }
        }
        Ok(spans)
    }

    /// The checksum's covered bytes within `token` (prefix of `plen` bytes,
    /// then the matched layout), as up to [`MAX_SEGMENTS`] slices.
    fn covered<'t>(
        &self,
        over: &[Part],
        token: &'t [u8],
        plen: usize,
        spans: &Spans,
        cs_start: usize,
        out: &mut [&'t [u8]; MAX_SEGMENTS + 2],
    ) -> usize {
        let mut n = 0;
        for p in over.iter().take(MAX_SEGMENTS + 2) {
            out[n] = match *p {
                Part::Prefix => &token[..plen],
                Part::Before => &token[..plen + cs_start],
                Part::Segment(j) => {
                    let (s, e) = spans.spans[j];
                    &token[plen + s as usize..plen + e as usize]
                }
            };
            n += 1;
        }
        n
    }

    /// For a parsed `token`: the checksum it carries and the one its bytes
    /// give, or `None` for a layout without a checksum.
    pub(crate) fn checksums<'t>(
        &self,
        token: &'t [u8],
        plen: usize,
        spans: &Spans,
        buf: &'t mut [u8; MAX_WIDTH],
    ) -> Option<(&'t [u8], &'t [u8])> {
        let i = self.checksum?;
        let Segment::Checksum { spec, over } = &self.segments[i] else {
            return None;
        };
        let (s, e) = spans.spans[i];
        let mut parts: [&[u8]; MAX_SEGMENTS + 2] = [&[]; MAX_SEGMENTS + 2];
        let n = self.covered(over, token, plen, spans, s as usize, &mut parts);
        let written = &token[plen + s as usize..plen + e as usize];
        Some((written, spec.encode(&parts[..n], buf)))
    }

    /// Whether a parsed `token`'s checksum holds (`None`: no checksum).
    #[inline]
    pub(crate) fn checksum_ok(&self, token: &[u8], plen: usize, spans: &Spans) -> Option<bool> {
        let mut buf = [0u8; MAX_WIDTH];
        let (written, want) = self.checksums(token, plen, spans, &mut buf)?;
        Some(self.checksum()?.same(written, want))
    }

    /// A description of what a segment allows, for messages: `[A-Za-z0-9]
    /// in the body`.
    pub(crate) fn expected(&self, seg: usize) -> String {
        match &self.segments[seg] {
            Segment::Literal(l) => format!("{l:?}"),
            Segment::Random { name, alphabet, .. } => {
                format!("{} in the {name}", alphabet.class())
            }
            Segment::Length { base, .. } => format!("a base-{base} length field"),
            Segment::Checksum { spec, .. } => {
                format!("{} in the checksum", spec.encoding.class())
            }
        }
    }

    /// Mints the bytes after `prefix` with `random(alphabet, n)` filling
    /// random segments.
    pub(crate) fn mint(
        &self,
        prefix: &[u8],
        mut random: impl FnMut(&Alphabet, &mut [u8]) -> Result<(), crate::error::Error>,
    ) -> Result<Vec<u8>, crate::error::Error> {
        let mut token = prefix.to_vec();
        let mut spans = Spans {
            spans: [(0, 0); MAX_SEGMENTS],
            len: 0,
        };
        let plen = prefix.len();
        // Pass 1: literals and random characters; fields keep their place.
        for (i, seg) in self.segments.iter().enumerate() {
            let start = token.len() - plen;
            match seg {
                Segment::Literal(l) => token.extend_from_slice(l.as_bytes()),
                Segment::Random { alphabet, len, .. } => {
                    let at = token.len();
                    token.resize(at + len.max(), 0);
                    random(alphabet, &mut token[at..])?;
                }
                Segment::Length { width, .. } => token.resize(token.len() + width, b'0'),
                Segment::Checksum { spec, .. } => token.resize(token.len() + spec.width, b'0'),
            }
            spans.spans[i] = (start as u16, (token.len() - plen) as u16);
        }
        spans.len = token.len() - plen;
        // Pass 2: length fields.
        for (i, seg) in self.segments.iter().enumerate() {
            if let Segment::Length { of, base, width } = seg {
                let (a, b) = spans.spans[*of];
                let mut n = (b - a) as u32;
                let (s, _) = spans.spans[i];
                for k in (0..*width).rev() {
                    token[plen + s as usize + k] =
                        b"0123456789abcdefghijklmnopqrstuvwxyz"[(n % base) as usize];
                    n /= base;
                }
            }
        }
        // Pass 3: the checksum, over the finished bytes before it.
        if let Some(i) = self.checksum {
            let mut buf = [0u8; MAX_WIDTH];
            let sum = {
                let (_, want) = self
                    .checksums(&token, plen, &spans, &mut buf)
                    .expect("a checksum segment");
                want.to_vec()
            };
            let (s, e) = spans.spans[i];
            token[plen + s as usize..plen + e as usize].copy_from_slice(&sum);
        }
        Ok(token)
    }
}

/// The random segment named `name` among `names` (by index).
fn named(names: &[Option<String>], name: &str) -> Result<usize, String> {
    let hits: Vec<usize> = (0..names.len())
        .filter(|&i| names[i].as_deref() == Some(name))
        .collect();
    match hits.as_slice() {
        [i] => Ok(*i),
        [] => Err(format!("no random segment is named {name:?}")),
        _ => Err(format!(
            "{} random segments are named {name:?}: name them apart",
            hits.len()
        )),
    }
}

/// Segment `i` from its spec, checked on its own (`names`: every random
/// segment's name, by index).
fn segment(i: usize, spec: SegmentSpec, names: &[Option<String>]) -> Result<Segment, String> {
    Ok(match spec {
        SegmentSpec::Literal(l) => {
            if l.is_empty() || !l.bytes().all(|c| c.is_ascii_graphic()) {
                return Err(format!(
                    "literal {l:?} must be printable ASCII without spaces"
                ));
            }
            Segment::Literal(l)
        }
        SegmentSpec::Random { alphabet, len, .. } => {
            let alphabet = Alphabet::parse(&alphabet)?;
            if len.min() == 0 || len.min() > len.max() || len.max() > MAX_LEN {
                return Err(format!(
                    "random segment {:?}: length must be 1 to {MAX_LEN}, min not above max",
                    names[i].as_deref().unwrap_or("")
                ));
            }
            Segment::Random {
                name: names[i].clone().expect("random segments are named"),
                alphabet,
                len,
            }
        }
        SegmentSpec::Length {
            of,
            encoding,
            width,
        } => {
            let base = match encoding.as_str() {
                "base10" => 10,
                "base16" => 16,
                "base36" => 36,
                _ => {
                    return Err(format!(
                        "length encoding {encoding:?} must be base10, base16 or base36"
                    ))
                }
            };
            Segment::Length {
                of: named(names, &of)?,
                base,
                width,
            }
        }
        SegmentSpec::Checksum { spec, over } => {
            spec.validate()?;
            let mut parts = Vec::new();
            for name in over.split('+').map(str::trim) {
                parts.push(match name {
                    "prefix" => Part::Prefix,
                    "before" => Part::Before,
                    _ => {
                        let j = named(names, name)?;
                        if j > i {
                            return Err(format!(
                                "the checksum covers {name:?}, which comes after it"
                            ));
                        }
                        Part::Segment(j)
                    }
                });
            }
            Segment::Checksum { spec, over: parts }
        }
    })
}

/// The checks that need every segment; the token's shortest and longest
/// length after its prefix.
fn check_whole(segments: &[Segment]) -> Result<(usize, usize), String> {
    let mut random = 0;
    for (i, s) in segments.iter().enumerate() {
        match s {
            Segment::Random {
                name,
                alphabet,
                len,
            } => {
                random += len.min();
                if let Len::Range(..) = len {
                    match segments.get(i + 1) {
                        None => {}
                        Some(Segment::Literal(l)) if !alphabet.contains(l.as_bytes()[0]) => {}
                        _ => {
                            return Err(format!(
                                "random segment {name:?} has a length range: it must end the token or stand before a literal that its alphabet does not contain"
                            ))
                        }
                    }
                }
            }
            Segment::Length { of, base, width } => {
                let Segment::Random { len, name, .. } = &segments[*of] else {
                    unreachable!("named() returns random segments");
                };
                let cap = (*base as u128)
                    .checked_pow(*width as u32)
                    .unwrap_or(u128::MAX);
                if *width == 0 || (len.max() as u128) >= cap {
                    return Err(format!(
                        "a length field of {width} base-{base} digits cannot hold the length of {name:?}"
                    ));
                }
            }
            _ => {}
        }
    }
    if random < MIN_RANDOM {
        return Err(format!(
            "a token needs at least {MIN_RANDOM} random characters, this layout has {random}"
        ));
    }
    let widths = |f: fn(Len) -> usize| -> usize {
        segments
            .iter()
            .map(|s| match s {
                Segment::Literal(l) => l.len(),
                Segment::Random { len, .. } => f(*len),
                Segment::Length { width, .. } => *width,
                Segment::Checksum { spec, .. } => spec.width,
            })
            .sum()
    };
    let (min_len, max_len) = (widths(Len::min), widths(Len::max));
    if max_len > MAX_LEN {
        return Err(format!(
            "a token may be at most {MAX_LEN} bytes after its prefix, this layout allows {max_len}"
        ));
    }
    Ok((min_len, max_len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::checksum::{Algorithm, ByteOrder, Encoding};

    fn random(name: &str, alphabet: &str, len: Len) -> SegmentSpec {
        SegmentSpec::Random {
            name: Some(name.into()),
            alphabet: alphabet.into(),
            len,
        }
    }

    fn lit(s: &str) -> SegmentSpec {
        SegmentSpec::Literal(s.into())
    }

    #[test]
    fn alphabets() {
        let a = Alphabet::parse("A-Za-z0-9_-").unwrap();
        assert!(a.contains(b'_') && a.contains(b'-') && a.contains(b'q'));
        assert!(!a.contains(b'.') && !a.contains(0xc3));
        assert_eq!(a.chars().len(), 64);
        assert_eq!(Alphabet::parse("alnum").unwrap().chars().len(), 62);
        assert_eq!(Alphabet::parse("alnum").unwrap().class(), "[A-Za-z0-9]");
        assert_eq!(Alphabet::parse("-a").unwrap().chars(), b"-a");
        assert!(Alphabet::parse("").is_err());
        assert!(Alphabet::parse("z-a").is_err());
        assert!(Alphabet::parse("a b").is_err());
    }

    #[test]
    fn invalid_layouts_say_why() {
        let crc = ChecksumSpec::full(Algorithm::Crc32, Encoding::Hex, ByteOrder::Big);
        let e = |specs| Layout::new(specs).unwrap_err();
        assert!(e(vec![random("body", "alnum", Len::Fixed(4))]).contains("at least 8"));
        assert!(e(vec![
            random("body", "A-Za-z.", Len::Range(8, 20)),
            lit(".x")
        ])
        .contains("length range"));
        assert!(e(vec![
            random("body", "alnum", Len::Range(8, 20)),
            random("tail", "alnum", Len::Fixed(8))
        ])
        .contains("length range"));
        assert!(e(vec![
            SegmentSpec::Checksum {
                spec: crc,
                over: "body".into()
            },
            random("body", "alnum", Len::Fixed(10)),
        ])
        .contains("comes after it"));
        assert!(e(vec![
            random("body", "alnum", Len::Fixed(10)),
            SegmentSpec::Checksum {
                spec: crc,
                over: "bdy".into()
            },
        ])
        .contains("no random segment is named \"bdy\""));
        assert!(e(vec![
            random("body", "alnum", Len::Range(8, 300)),
            lit("."),
            SegmentSpec::Length {
                of: "body".into(),
                encoding: "base36".into(),
                width: 1
            },
        ])
        .contains("cannot hold"));
    }

    #[test]
    fn greedy_range_then_length_field() {
        let l = Layout::new(vec![
            random("body", "A-Za-z0-9_-", Len::Range(8, 64)),
            lit("."),
            SegmentSpec::Length {
                of: "body".into(),
                encoding: "base36".into(),
                width: 2,
            },
        ])
        .unwrap();
        let s = l.parse(b"abcdefgh-_ij.0c rest").unwrap();
        assert_eq!(s.len, 15);
        assert_eq!(
            l.parse(b"abcdefgh-_ij.0d"),
            Err(Fail::LengthField {
                found: 13,
                actual: 12
            })
        );
        assert_eq!(l.parse(b"abcdefgh-_ij.0"), Err(Fail::Short));
        assert_eq!(
            l.parse(b"abcdefgh-_ij,0c"),
            Err(Fail::BadChar { at: 12, seg: 1 })
        );
        assert_eq!(l.parse(b"abc,"), Err(Fail::BadChar { at: 3, seg: 0 }));
    }

    #[test]
    fn presets_are_recognised() {
        let l = Layout::preset(40, Scheme::Crc32Hex8).unwrap();
        assert_eq!(l.as_preset(), Some((40, Scheme::Crc32Hex8)));
        assert_eq!((l.min_len(), l.max_len()), (48, 48));
        let none = Layout::preset(36, Scheme::None).unwrap();
        assert_eq!(none.as_preset(), Some((36, Scheme::None)));
        assert!(none.checksum().is_none());
    }
}
