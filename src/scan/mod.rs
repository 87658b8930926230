//! The scanner: runs the [`Engine`] over a slice or streams a reader through a
//! fixed buffer, and turns hits into [`Match`]es with line, column and the
//! inline-allow verdict.
//!
//! Streaming keeps an overlap so that a token straddling two reads is found,
//! and memory does not grow with the input: the buffer holds one read plus
//! the context behind the search position (inline allows, keyword
//! contexts, base64 around a candidate) and a token plus that context ahead
//! of it. Every decision (boundaries, inline allows, lines, decodings)
//! looks only inside those windows, so a stream gives exactly the matches
//! the whole slice gives, at any read size.
//!
//! Beside the engine's plain and escaped tokens, the scanner decodes base64
//! runs (the `decode` module) and, inside them, UTF-16 and further base64
//! up to its depth. A large file can be scanned in parts side by side, each
//! a stream with the context around it.

pub(crate) mod buffer;
pub mod config;
pub(crate) mod container;
pub(crate) mod encoding;
pub(crate) mod layers;
pub(crate) mod mapped;
pub(crate) mod parts;
pub(crate) mod sniff;
pub use buffer::StreamBuffer;

use std::fs::File;
use std::io::{self, Read};
use std::sync::Arc;

use crate::engine::decode::{escape_name, runs, Utf16, MIN_RUN};
use crate::engine::{Checksum, Engine, Hit};
use crate::rules::RuleSet;
use crate::scan::config::Limits;
use crate::scan::encoding::ENCODINGS;

pub use crate::findings::matched::Match;

/// A comment with this text on the same line as a token suppresses it.
pub const ALLOW_MARKER: &[u8] = b"burnkey:allow";
/// How far before and after a token, within its line, the allow marker is
/// looked for.
pub const ALLOW_WINDOW: usize = 1024;

/// The default [`Scanner::decode_depth`]: layers of encodings and
/// containers looked through.
pub const DEFAULT_DECODE_DEPTH: u32 = 3;

/// The most a compressed stream inside a decoding is read to (a Kubernetes
/// object, a Helm release, a webhook body is at most a few MiB): the rest
/// is not read.
pub const INLINE_MAX: u64 = 16 << 20;

/// A compiled scanner. Cheap to clone and shareable between threads.
#[derive(Clone, Debug)]
pub struct Scanner {
    engine: Arc<Engine>,
    report_invalid: bool,
    /// Layers of encodings looked through; 0: none.
    depth: u32,
    /// The shortest token's length (at least 16): what an encoded stretch
    /// must hold to be decoded.
    min_token: usize,
    /// What a compressed stream inside a decoding may cost.
    limits: Limits,
}

/// A token found in some text: plain, written with escapes, or read
/// through encodings.
struct TextHit {
    rule: usize,
    checksum: Checksum,
    /// Where it is in the text: its escaped or encoded form.
    start: usize,
    end: usize,
    /// The token, when it is not `text[start..end]` as written.
    secret: Option<String>,
    /// The encodings it was read through, outermost first.
    encoding: Option<String>,
}

impl TextHit {
    /// A hit of the engine in `text`.
    fn new(text: &[u8], hit: Hit) -> TextHit {
        let (secret, encoding) = if hit.escaped {
            let (mut out, mut ends) = (Vec::new(), Vec::new());
            let span = &text[hit.start..hit.end];
            let kinds = crate::engine::decode::unescape(span, 0, span.len(), &mut out, &mut ends);
            (
                Some(String::from_utf8_lossy(&out).into_owned()),
                Some(escape_name(kinds)),
            )
        } else {
            (None, None)
        };
        TextHit {
            rule: hit.rule,
            checksum: hit.checksum,
            start: hit.start,
            end: hit.end,
            secret,
            encoding,
        }
    }

    /// This token of a decoding, placed at `start..end` of the text the
    /// decoding came from, read through `outer` too.
    fn within(self, text: &[u8], start: usize, end: usize, outer: &str) -> TextHit {
        let secret = self
            .secret
            .unwrap_or_else(|| String::from_utf8_lossy(&text[self.start..self.end]).into_owned());
        let encoding = match self.encoding {
            None => outer.to_string(),
            Some(inner) => format!("{outer}>{inner}"),
        };
        TextHit {
            start,
            end,
            secret: Some(secret),
            encoding: Some(encoding),
            ..self
        }
    }
}

/// How to read a stream.
#[derive(Default)]
pub(crate) struct Opts<'a> {
    /// The file being read, whose lines are counted lazily; none for a
    /// plain reader (counted as it goes).
    pub rewind: Option<&'a File>,
    /// The size `fstat` gave: reading stops there.
    pub size: Option<u64>,
    /// Whether to decide from its first bytes whether it is text.
    pub sniff: bool,
    /// Only this part of it.
    pub part: Option<&'a mut Part>,
    /// Matches need no line (the redactor's): newlines are not counted.
    pub no_lines: bool,
    /// Whether it is binary data; `None`: as its first bytes say.
    pub binary: Option<bool>,
}

/// Bytes at the start of a stream that say whether it is binary: every
/// reader sees at least this many (or all there are) before it first
/// searches, since it keeps more than this ahead of what it searches.
pub(crate) const BINARY_HEAD: usize = 1024;

/// Whether data whose first bytes are `head` is binary: a zero byte in its
/// first [`BINARY_HEAD`] (as git decides). There UTF-16 strings are looked
/// for.
pub(crate) fn is_binary(head: &[u8]) -> bool {
    memchr::memchr(0, &head[..head.len().min(BINARY_HEAD)]).is_some()
}

/// A part of a stream whose matches are wanted; what surrounds it is read
/// as context (a segment of a large file, scanned beside the others).
#[derive(Clone, Debug, Default)]
pub(crate) struct Part {
    /// Offsets in the stream: matches that start here. `report.start` is
    /// a line start, where lines are counted from (line 1).
    pub report: std::ops::Range<u64>,
    /// Out: the newlines in `report`.
    pub newlines: u64,
}

/// How a stream ended.
pub(crate) enum Streamed {
    /// Scanned to the end: the bytes read.
    Done(u64),
    /// Its first bytes (the buffer's first `.1`) are not text to scan as
    /// they are, but a container or UTF-16: nothing was scanned.
    Layer(crate::scan::sniff::Head, usize),
}

impl Streamed {
    fn bytes(self) -> u64 {
        match self {
            Streamed::Done(n) => n,
            Streamed::Layer(..) => unreachable!("not sniffed"),
        }
    }
}

/// Reads a byte of every cache line of `data`, many loads in flight at
/// once, before it is searched: the searches then find it in cache. Mapped
/// page-cache memory read cold by Teddy, a 4 KiB page at a time (where the
/// hardware prefetcher stops), made the prefilter 3.5 times slower than
/// reading the file into a buffer; warmed, one 1 GiB file scans in the time
/// reading it takes, with 13% less CPU (system time 0.15 s → 0.02 s).
fn warm(data: &[u8]) {
    let mut x = 0u8;
    for i in (0..data.len()).step_by(64) {
        x ^= data[i];
    }
    std::hint::black_box(x);
}

/// Counts lines lazily: only as far as a match or a discarded buffer needs.
struct Lines {
    /// Absolute offset up to which newlines have been counted.
    counted_upto: u64,
    /// Newlines in `0..counted_upto`.
    newlines: u64,
    /// Absolute offset of the last newline before `counted_upto`.
    last_newline: Option<u64>,
    /// False once bytes were dropped uncounted (lazy mode): the next match
    /// gets its line from a positioned re-read of what was dropped.
    known: bool,
    /// Whether dropped bytes are counted as the buffer rolls: from the
    /// start for a plain reader, from the first match on for a file.
    tracking: bool,
    /// Bytes on the current line (before `counted_upto`) that do not start
    /// a UTF-16 code unit: the byte column minus this is the UTF-16 column,
    /// which SARIF consumers read.
    non_units: u64,
}

/// One read into `buf`, retried when interrupted: the bytes read, and the
/// error that ended the data (then none were read).
#[inline]
fn read_some<R: Read + ?Sized>(reader: &mut R, buf: &mut [u8]) -> (usize, Option<io::Error>) {
    loop {
        match reader.read(buf) {
            Ok(n) => return (n, None),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return (0, Some(e)),
        }
    }
}

/// Bytes of UTF-8 text that start no UTF-16 code unit: continuation bytes,
/// less one per four-byte sequence (two units). Vectorizes.
#[inline]
fn non_units(bytes: &[u8]) -> u64 {
    let cont = bytes.iter().filter(|&&b| (b as i8) < -64).count();
    let four = bytes
        .iter()
        .filter(|&&b| (0xF0..=0xF7).contains(&b))
        .count();
    cont.saturating_sub(four) as u64
}

impl Lines {
    fn new() -> Lines {
        Lines {
            counted_upto: 0,
            newlines: 0,
            last_newline: None,
            known: true,
            tracking: true,
            non_units: 0,
        }
    }

    /// The newlines of `file` before `upto`, by positioned reads into
    /// `scratch`: what a lazy scan skipped, counted once, at its first match.
    /// Lines of a stream: counted from the start when it cannot be read
    /// again (`plain`), else from the first match on; not at all with
    /// `no_lines`.
    fn counting(plain: bool, no_lines: bool) -> Lines {
        Lines {
            tracking: plain && !no_lines,
            known: !no_lines,
            ..Lines::new()
        }
    }

    /// Lines of a part, counted from its start at `offset`.
    fn start_at(&mut self, offset: u64) {
        self.counted_upto = offset;
        self.last_newline = offset.checked_sub(1);
    }

    /// At a stream's first match: what was dropped uncounted is counted
    /// once (re-read from `rewind`, the file), and counting goes on from
    /// here.
    fn at_first_match(
        self,
        rewind: Option<&File>,
        base: u64,
        scratch: &mut Vec<u8>,
    ) -> io::Result<Lines> {
        let counted = match rewind {
            Some(file) if !self.known => Lines::count_file(file, base, scratch)?,
            _ => self,
        };
        Ok(Lines {
            tracking: true,
            ..counted
        })
    }

    fn count_file(file: &File, upto: u64, scratch: &mut Vec<u8>) -> io::Result<Lines> {
        use std::os::unix::fs::FileExt;
        if scratch.is_empty() {
            scratch.resize(64 * 1024, 0);
        }
        let mut lines = Lines::new();
        let mut pos = 0u64;
        while pos < upto {
            let want = ((upto - pos) as usize).min(scratch.len());
            let n = match file.read_at(&mut scratch[..want], pos) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the file shrank while it was scanned",
                    ))
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            lines.advance(&scratch[..n], pos, pos + n as u64);
            pos += n as u64;
        }
        Ok(lines)
    }

    /// Counts newlines up to absolute offset `to`; `buf` starts at `base`.
    fn advance(&mut self, buf: &[u8], base: u64, to: u64) {
        if to <= self.counted_upto {
            return;
        }
        let region = &buf[(self.counted_upto - base) as usize..(to - base) as usize];
        if let Some(i) = memchr::memrchr(b'\n', region) {
            self.last_newline = Some(self.counted_upto + i as u64);
            self.newlines += memchr::memchr_iter(b'\n', region).count() as u64;
            self.non_units = non_units(&region[i + 1..]);
        } else {
            self.non_units += non_units(region);
        }
        self.counted_upto = to;
    }

    /// Line, byte column and UTF-16 column of `at` (all 1-based).
    fn line_col(&self, at: u64) -> (u64, u64, u64) {
        debug_assert_eq!(at, self.counted_upto);
        let col = match self.last_newline {
            Some(nl) => at - nl,
            None => at + 1,
        };
        (
            self.newlines + 1,
            col,
            col.saturating_sub(self.non_units).max(1),
        )
    }
}

fn allowed_inline(hay: &[u8], start: usize, end: usize) -> bool {
    let lo = start.saturating_sub(ALLOW_WINDOW);
    let before = &hay[lo..start];
    let line_start = memchr::memrchr(b'\n', before).map_or(lo, |i| lo + i + 1);
    let hi = (end + ALLOW_WINDOW).min(hay.len());
    let after = &hay[end..hi];
    let line_end = memchr::memchr(b'\n', after).map_or(hi, |i| end + i);
    memchr::memmem::find(&hay[line_start..start], ALLOW_MARKER).is_some()
        || memchr::memmem::find(&hay[end..line_end], ALLOW_MARKER).is_some()
}

/// What a [`Scanner`] is built with (aho-corasick's shape: settings go to
/// the builder; a built scanner is not reconfigured).
///
/// ```
/// use burnkey::{RuleSet, ScannerBuilder};
///
/// let scanner = ScannerBuilder::new().decode_depth(0).report_invalid(true).build(RuleSet::builtin());
/// assert_eq!(scanner.depth(), 0);
/// ```
#[derive(Clone, Debug)]
pub struct ScannerBuilder {
    depth: u32,
    report_invalid: bool,
    wrong_case: bool,
    limits: Limits,
}

impl Default for ScannerBuilder {
    fn default() -> ScannerBuilder {
        ScannerBuilder {
            depth: DEFAULT_DECODE_DEPTH,
            report_invalid: false,
            wrong_case: true,
            limits: Limits::default(),
        }
    }
}

impl ScannerBuilder {
    /// The defaults: [`DEFAULT_DECODE_DEPTH`], wrong checksums not reported.
    pub fn new() -> ScannerBuilder {
        ScannerBuilder::default()
    }

    /// How many layers of encodings (base64 in base64, UTF-16 in base64)
    /// and, for the sources that open archives, of containers to look
    /// through; 0 turns decoding off, escapes included.
    pub fn decode_depth(&mut self, depth: u32) -> &mut ScannerBuilder {
        self.depth = depth;
        self
    }

    /// Also report matches whose shape is right but whose checksum fails.
    pub fn report_invalid(&mut self, yes: bool) -> &mut ScannerBuilder {
        self.report_invalid = yes;
        self
    }

    /// Whether a prefix written in the wrong case (`Cfat_…`) with a valid
    /// checksum is reported (on by default, at `medium` confidence: turn
    /// it off for `--min-confidence high`).
    pub fn wrong_case(&mut self, yes: bool) -> &mut ScannerBuilder {
        self.wrong_case = yes;
        self
    }

    /// What a compressed stream found inside a decoding (a gzip in base64)
    /// may cost: its decoder's memory, its expansion, its size (at most
    /// [`INLINE_MAX`]). The sources' layers take theirs from
    /// [`ScanConfig::limits`](crate::ScanConfig); give the scanner the same.
    pub fn limits(&mut self, limits: Limits) -> &mut ScannerBuilder {
        self.limits = limits;
        self
    }

    /// A scanner over `rules`.
    pub fn build(&self, rules: RuleSet) -> Scanner {
        self.build_engine(Engine::new(rules))
    }

    /// A scanner around an engine built already (its escapes follow the
    /// decode depth).
    pub fn build_engine(&self, mut engine: Engine) -> Scanner {
        engine.set_escapes(self.depth > 0);
        engine.set_folding(self.wrong_case);
        let min_token = engine
            .rules()
            .rules()
            .iter()
            .map(|r| r.format.min_token_len())
            .filter(|&n| n > 0)
            .min()
            .unwrap_or(24)
            .max(16);
        Scanner {
            engine: Arc::new(engine),
            report_invalid: self.report_invalid,
            depth: self.depth,
            min_token,
            limits: self.limits.clone(),
        }
    }
}

impl Scanner {
    /// A scanner over `rules`, with the defaults of [`ScannerBuilder`].
    pub fn new(rules: RuleSet) -> Scanner {
        ScannerBuilder::new().build(rules)
    }

    /// A scanner around an already-built engine, with the defaults of
    /// [`ScannerBuilder`].
    pub fn from_engine(engine: Engine) -> Scanner {
        ScannerBuilder::new().build_engine(engine)
    }

    /// This scanner with another decode depth: a new scanner, as
    /// [`ScannerBuilder::decode_depth`] builds it.
    #[deprecated(note = "give the depth to ScannerBuilder::decode_depth before building")]
    pub fn decode_depth(self, depth: u32) -> Scanner {
        let engine = Arc::try_unwrap(self.engine)
            .unwrap_or_else(|shared| Engine::new(shared.rules().clone()));
        ScannerBuilder {
            depth,
            report_invalid: self.report_invalid,
            wrong_case: engine.folding(),
            limits: self.limits,
        }
        .build_engine(engine)
    }

    /// The layers looked through.
    pub fn depth(&self) -> u32 {
        self.depth
    }

    /// This scanner, also reporting wrong checksums (or not).
    #[deprecated(note = "give it to ScannerBuilder::report_invalid before building")]
    pub fn report_invalid(mut self, yes: bool) -> Scanner {
        self.report_invalid = yes;
        self
    }

    /// The rules this scanner matches.
    pub fn rules(&self) -> &RuleSet {
        self.engine.rules()
    }

    /// The engine inside.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    fn to_match(&self, hay: &[u8], base: u64, lines: &mut Lines, found: TextHit) -> Match {
        let offset = base + found.start as u64;
        let (line, column, column_utf16) = if lines.known {
            lines.advance(hay, base, offset);
            lines.line_col(offset)
        } else {
            (0, 0, 0)
        };
        Match {
            rule: found.rule,
            offset,
            line,
            column,
            column_utf16,
            secret: found.secret.unwrap_or_else(|| {
                String::from_utf8_lossy(&hay[found.start..found.end]).into_owned()
            }),
            len: (found.end - found.start) as u64,
            checksum: found.checksum,
            allowed: allowed_inline(hay, found.start, found.end),
            encoding: found.encoding.map(Into::into),
            member: None,
        }
    }

    /// Calls `f` for every token in `text`, a whole decoding at layer
    /// `depth`: plain or escaped, and inside the encodings below it while
    /// the depth allows.
    fn tokens_in(&self, text: &[u8], depth: u32, f: &mut dyn FnMut(TextHit)) {
        if depth < self.depth {
            if let Some((name, inner)) = self.inflate(text) {
                // A token in a compressed stream is the whole stream's.
                let whole = text.len();
                self.tokens_in(&inner, depth + 1, &mut |x| {
                    f(x.within(&inner, 0, whole, name))
                });
                return;
            }
        }
        if let Some((order, mark)) = Utf16::sniff(text) {
            let (mut utf8, mut from) = (Vec::new(), Vec::new());
            order.transcode(&text[mark..], true, &mut utf8, Some(&mut from));
            let at = |i: usize| mark + from[i];
            self.tokens_in(&utf8, depth, &mut |x| {
                let (s, e) = (at(x.start), at(x.end - 1) + 2);
                f(x.within(&utf8, s, e, order.name()))
            });
            return;
        }
        self.engine
            .find(text, 0, text.len(), true, self.report_invalid, |hit| {
                f(TextHit::new(text, hit))
            });
        if depth < self.depth || self.engine.has_run_rules() {
            self.encoded_in(text, 0, text.len(), 0, depth + 1, f);
        }
    }

    /// The content of the compressed stream a decoding starts, if it starts
    /// one: at most [`INLINE_MAX`] bytes, `max_ratio` per compressed byte
    /// past the first MiB, and `max_decompressed`.
    fn inflate(&self, text: &[u8]) -> Option<(&'static str, Vec<u8>)> {
        let l = &self.limits;
        let ratio = (text.len() as u64).saturating_mul(l.max_ratio).max(1 << 20);
        let cap = ratio.min(l.max_decompressed).min(INLINE_MAX);
        crate::scan::container::inflate(text, l.max_decoder_memory, cap)
    }

    /// Tokens in what `text[lo..hi]` holds in each encoding, a layer-`depth`
    /// decoding (`base` is the offset of `text[0]` in its stream).
    fn encoded_in(
        &self,
        text: &[u8],
        lo: usize,
        hi: usize,
        base: u64,
        depth: u32,
        f: &mut dyn FnMut(TextHit),
    ) {
        let min_token = self.min_token;
        let decode = depth <= self.depth;
        let min = ENCODINGS.iter().map(|e| e.min_run(min_token)).min();
        let min = min.unwrap_or(MIN_RUN);
        // Rules looked for only in runs: in every run the decoder would
        // read (at least MIN_RUN long, in mixed case, or with an escape's
        // character, or hex), not only those long enough for a decoding.
        let min_run = match self.engine.has_run_rules() {
            true => MIN_RUN,
            false => min,
        };
        runs(text, lo, hi, base, min_run, |s, e, info| {
            self.engine
                .find_in_run(text, (s, e), self.report_invalid, |hit| {
                    f(TextHit::new(text, hit))
                });
            let mut end = e;
            if !decode || e - s < min {
                return end;
            }
            for enc in ENCODINGS {
                let read = enc.run(text, (s, e, hi), info, min_token, &mut |dec, span, name| {
                    self.tokens_in(dec, depth, &mut |x| {
                        let (s, e) = span(x.start, x.end);
                        f(x.within(dec, s, e, name))
                    });
                });
                end = end.max(read);
            }
            end
        });
    }

    /// Tokens of `hay[from..until]`, plain, escaped and encoded, in order.
    /// For the encoded ones `hay` holds [`Scanner::decode_reach`] bytes
    /// before `from` and through `hi`.
    #[allow(clippy::too_many_arguments)]
    fn find(
        &self,
        hay: &[u8],
        (from, until, dfrom): (usize, usize, usize),
        (hi, base): (usize, u64),
        eof: bool,
        binary: bool,
        found: &mut Vec<TextHit>,
    ) -> usize {
        let next = if from < until {
            self.engine
                .find(hay, from, until, eof, self.report_invalid, |hit| {
                    found.push(TextHit::new(hay, hit))
                })
        } else {
            from
        };
        if (self.depth > 0 || self.engine.has_run_rules()) && dfrom < until {
            let n = found.len();
            let lo = dfrom.saturating_sub(self.decode_reach());
            let mut keep = |x: TextHit| {
                // A token glued on its right to an encoded one stands
                // alone (its own start decides the window it is in).
                if let Some(hit) = self.engine.token_glued_before(hay, x.start) {
                    if (dfrom..until).contains(&hit.start) {
                        found.push(TextHit::new(hay, hit))
                    }
                }
                if (dfrom..until).contains(&x.start) {
                    found.push(x)
                }
            };
            self.encoded_in(hay, lo, hi, base, 1, &mut keep);
            // (Where a zero byte is: the redactor, which has not seen the
            // first KiB when it starts passing bytes on, asks everywhere.)
            if self.depth > 0 && binary && memchr::memchr(0, &hay[lo..hi]).is_some() {
                self.utf16_in(hay, (lo, hi), base, &mut keep);
            }
            if found.len() > n {
                // The engine's hits first, then the decodings': a token
                // both saw (`%22cfut_…%22` is plain text and a run of
                // escapes) is kept as the engine saw it.
                found.sort_by_key(|x| x.start);
                found.dedup_by(|later, first| {
                    later.start == first.start && later.rule == first.rule
                });
            }
        }
        next
    }

    /// Tokens in the UTF-16 strings of binary data in `hay[lo..hi]`.
    fn utf16_in(&self, hay: &[u8], span: (usize, usize), base: u64, f: &mut dyn FnMut(TextHit)) {
        let min_units = self.min_token;
        crate::scan::encoding::utf16::in_binary(
            hay,
            span,
            base,
            min_units,
            &mut |dec, at, name| {
                self.tokens_in(dec, 1, &mut |x| {
                    let (s, e) = at(x.start, x.end);
                    f(x.within(dec, s, e, name))
                });
            },
        );
    }

    /// How far past `until` (of `len` bytes held) decodings may read: to
    /// the end of the data at its end, else [`Scanner::decode_reach`].
    fn decoded_upto(&self, until: usize, len: usize, at_end: bool) -> usize {
        match at_end {
            true => len,
            false => (until + self.decode_reach()).min(len),
        }
    }

    /// Bytes of context kept around an encoded token: its keyword context
    /// and itself, as base64 (4/3), wrapped and indented.
    fn decode_reach(&self) -> usize {
        2 * (self.engine.context() + self.engine.max_token_len()) + 64
    }

    /// Scans `data`, a part of a file in memory (mapped) with the context
    /// around it, from `part.report` on, in steps of `step` bytes (what is
    /// held at once stays bounded), nothing copied: the matches a stream of
    /// it gives, with lines counted from the part's start. `f` answers
    /// whether to go on; false if it said no.
    pub(crate) fn scan_part_in_memory(
        &self,
        data: &[u8],
        part: &mut Part,
        (binary, step): (bool, usize),
        mut f: impl FnMut(Match) -> bool,
    ) -> bool {
        let mut lines = Lines::counting(true, false);
        lines.start_at(part.report.start);
        let start = part.report.start as usize;
        let end = (part.report.end as usize).min(data.len());
        let (mut from, mut dfrom) = (start, start);
        let mut found = Vec::new();
        while dfrom < end {
            let until = (dfrom + step.max(1)).min(end);
            // Decodings reach as far past the window as in a stream.
            let hi = self.decoded_upto(until, data.len(), false);
            warm(&data[dfrom.min(hi)..hi]);
            let window = (from, until, dfrom);
            from = self.find(data, window, (hi, 0), true, binary, &mut found);
            dfrom = until;
            for x in found.drain(..) {
                if !f(self.to_match(data, 0, &mut lines, x)) {
                    return false;
                }
            }
            // Counted while the step is in cache (no later match is before
            // it).
            lines.advance(data, 0, until as u64);
        }
        part.newlines = lines.newlines;
        true
    }

    /// Scans `data` as a whole.
    pub fn scan_slice(&self, data: &[u8], mut f: impl FnMut(Match)) {
        let mut lines = Lines::new();
        let mut found = Vec::new();
        let n = data.len();
        self.find(data, (0, n, 0), (n, 0), true, is_binary(data), &mut found);
        for x in found {
            f(self.to_match(data, 0, &mut lines, x));
        }
    }

    /// Streams `reader` through `sb`, calling `f` for each match in order.
    /// Returns the number of bytes read. `Interrupted` reads are retried;
    /// any other read error ends the scan with that error (matches found
    /// before it have been delivered).
    pub fn scan_reader<R: Read + ?Sized>(
        &self,
        reader: &mut R,
        sb: &mut StreamBuffer,
        f: impl FnMut(Match),
    ) -> io::Result<u64> {
        self.stream(reader, sb, Opts::default(), f)
            .map(Streamed::bytes)
    }

    /// Scans a file. Like [`Scanner::scan_reader`], but newlines are not
    /// counted as the buffer rolls until the first match: that one gets its
    /// line from a positioned re-read of the file up to the buffer, and
    /// counting goes on from there. Matches are rare, so a large file without
    /// one is read once and never counted; matches are still handed to `f`
    /// as they are found, so memory does not grow with them.
    pub fn scan_file(
        &self,
        file: &File,
        sb: &mut StreamBuffer,
        f: impl FnMut(Match),
    ) -> io::Result<u64> {
        let opts = Opts {
            rewind: Some(file),
            ..Opts::default()
        };
        self.stream(&mut &*file, sb, opts, f).map(Streamed::bytes)
    }

    /// Like [`Scanner::scan_file`], for a file whose size the caller has
    /// from `fstat`: reading stops there, which saves the read that would
    /// return end-of-file (one system call per file, most files being
    /// smaller than a read) and scans the file in one piece. A file that
    /// grows meanwhile is scanned as it was when it was opened; one that
    /// shrinks ends where it ends.
    pub fn scan_file_sized(
        &self,
        file: &File,
        len: u64,
        sb: &mut StreamBuffer,
        f: impl FnMut(Match),
    ) -> io::Result<u64> {
        let opts = Opts {
            rewind: Some(file),
            size: Some(len),
            ..Opts::default()
        };
        self.stream(&mut &*file, sb, opts, f).map(Streamed::bytes)
    }

    /// Bytes of context kept before and after what the engine searches.
    pub(crate) fn keeps(&self) -> (usize, usize) {
        let context = ALLOW_WINDOW.max(self.engine.context());
        let mut keep_before = context;
        let mut keep_after = self.engine.max_token_len() + 1 + context;
        if self.depth > 0 {
            keep_before = keep_before.max(self.decode_reach());
            keep_after = keep_after
                .max(self.decode_reach())
                .max(self.engine.max_escaped_len() + context);
        }
        (keep_before, keep_after)
    }

    /// Streams `reader` as `opts` says, calling `f` for each match in order.
    pub(crate) fn stream<R: Read + ?Sized>(
        &self,
        reader: &mut R,
        sb: &mut StreamBuffer,
        opts: Opts<'_>,
        mut f: impl FnMut(Match),
    ) -> io::Result<Streamed> {
        let Opts {
            rewind,
            size,
            mut sniff,
            mut part,
            no_lines,
            mut binary,
        } = opts;
        let (keep_before, keep_after) = self.keeps();
        let read_size = sb.read_size;
        let cap = keep_before + keep_after + read_size;
        let buf = sb.sized(cap);
        let mut lines = Lines::counting(rewind.is_none(), no_lines);
        let mut scratch = Vec::new();
        let mut found = Vec::new();
        // `from`: where the engine goes on; `dfrom`: where decoding does
        // (a plain token reaching past `until` moves only the first).
        let (mut len, mut from, mut dfrom, mut base) = (0usize, 0usize, 0usize, 0u64);
        // A part: what comes before it is context; lines count from it.
        let report_end = part.as_ref().map_or(u64::MAX, |p| p.report.end);
        if let Some(p) = &part {
            (from, dfrom) = (p.report.start as usize, p.report.start as usize);
            lines.start_at(p.report.start);
        }
        loop {
            let want = (len + read_size).min(cap);
            // A read that fails ends the data: what came before it is
            // scanned to its end (the part of a truncated archive that is
            // there), then the error is returned.
            let (n, failed) = read_some(reader, &mut buf[len..want]);
            len += n;
            let eof = n == 0 || size.is_some_and(|size| base + len as u64 >= size);
            if sniff {
                if len < crate::scan::sniff::SNIFF_LEN && !eof {
                    continue;
                }
                sniff = false;
                if let Some(head) = crate::scan::sniff::sniff(&buf[..len]) {
                    return Ok(Streamed::Layer(head, len));
                }
            }
            let until = if eof {
                len
            } else {
                len.saturating_sub(keep_after)
            }
            .min(report_end.saturating_sub(base) as usize);
            if until > from || until > dfrom {
                let hay = &buf[..len];
                let hi = self.decoded_upto(until, len, eof);
                let binary = *binary.get_or_insert_with(|| is_binary(hay));
                let window = (from, until, dfrom);
                from = self.find(hay, window, (hi, base), eof, binary, &mut found);
                dfrom = until;
                for x in found.drain(..) {
                    if !lines.tracking && !no_lines {
                        lines = lines.at_first_match(rewind, base, &mut scratch)?;
                    }
                    f(self.to_match(hay, base, &mut lines, x))
                }
            }
            if let Some(e) = failed {
                return Err(e);
            }
            if let Some(p) = part.as_deref_mut() {
                if base + dfrom as u64 >= p.report.end {
                    if !no_lines {
                        lines.advance(buf, base, p.report.end);
                    }
                    p.newlines = lines.newlines;
                    return Ok(Streamed::Done(base + len as u64));
                }
            }
            if eof {
                return Ok(Streamed::Done(base + len as u64));
            }
            if cap - len < read_size {
                let drop = from.min(dfrom).saturating_sub(keep_before).min(len);
                if lines.tracking {
                    lines.advance(buf, base, (base + drop as u64).min(report_end));
                } else if drop > 0 && lines.counted_upto < base + drop as u64 {
                    lines.known = false;
                }
                buf.copy_within(drop..len, 0);
                len -= drop;
                from -= drop;
                dfrom -= drop;
                base += drop as u64;
            }
        }
    }
}

/// Data that arrives in pieces, scanned as far as it is settled: the
/// redactor's view of a stream, which passes each byte on as soon as no
/// token can still cover it.
///
/// [`Scanner::stream`] keeps a whole window of context ahead of what it
/// searches (the longest escaped token, a keyword's reach, a base64 run's
/// surroundings), more than a kilobyte. Most of the time far less is
/// unsettled: after a space or a line break no token can be unfinished.
/// [`Scanner::settle`] searches up to the point past which what may still
/// come can change an answer, which is the window's start only when the
/// data ends in something that may be one.
pub(crate) struct Feed {
    /// Holds `len` bytes; the rest is room for reads (zeroed once).
    buf: Vec<u8>,
    len: usize,
    /// Absolute offset of `buf[0]`.
    base: u64,
    /// Where the engine goes on, and where decoding does (as in `stream`).
    from: usize,
    dfrom: usize,
    lines: Lines,
    found: Vec<TextHit>,
    /// The bytes a token can hold as written.
    token_bytes: [bool; 256],
    /// Whether UTF-16 strings are looked for in it (not in the bytes of a
    /// UTF-16 text, which is read through its transcoding).
    utf16_strings: bool,
}

impl Feed {
    /// A feed for `scanner`; `lines`: whether matches get their line and
    /// column (else 0).
    pub fn new(scanner: &Scanner, lines: bool) -> Feed {
        let mut l = Lines::new();
        l.known = lines;
        l.tracking = lines;
        Feed {
            buf: Vec::new(),
            len: 0,
            base: 0,
            from: 0,
            dfrom: 0,
            lines: l,
            found: Vec::new(),
            token_bytes: scanner.engine.token_bytes(),
            utf16_strings: true,
        }
    }

    /// This feed, not looking for UTF-16 strings: for the bytes of a
    /// UTF-16 text, read through its transcoding.
    pub fn without_utf16_strings(mut self) -> Feed {
        self.utf16_strings = false;
        self
    }

    /// What is held, and the absolute offset of its first byte. Holds
    /// every byte from the last settled offset on.
    pub fn held(&self) -> (&[u8], u64) {
        (&self.buf[..self.len], self.base)
    }

    /// Room for `n` more bytes, first dropping what is behind the context
    /// that `scanner` needs (when that is worth a copy).
    pub fn room(&mut self, scanner: &Scanner, n: usize) -> &mut [u8] {
        let (keep_before, _) = scanner.keeps();
        let drop = self.from.min(self.dfrom).saturating_sub(keep_before);
        if drop > 0 && (drop >= 64 * 1024 || 2 * drop >= self.len) {
            if self.lines.tracking {
                self.lines
                    .advance(&self.buf, self.base, self.base + drop as u64);
            }
            self.buf.copy_within(drop..self.len, 0);
            self.len -= drop;
            self.from -= drop;
            self.dfrom -= drop;
            self.base += drop as u64;
        }
        if self.buf.len() < self.len + n {
            self.buf.resize(self.len + n, 0);
        }
        &mut self.buf[self.len..self.len + n]
    }

    /// Takes `n` bytes written into [`Feed::room`].
    pub fn fill(&mut self, n: usize) {
        self.len += n;
    }

    /// Appends `data`.
    pub fn push(&mut self, scanner: &Scanner, data: &[u8]) {
        self.room(scanner, data.len()).copy_from_slice(data);
        self.fill(data.len());
    }
}

impl Scanner {
    /// Searches what `feed` holds as far as it is settled (all of it at
    /// `eof`), calling `f` for each match that starts there. Returns the
    /// absolute offset settled: no match found later starts before it.
    ///
    /// Past the settled point the data ends in something a token may be
    /// part of: bytes a token can hold, a base64 run and the wrapped
    /// lines it continues, a keyword secret whose naming may still follow.
    /// Before it every answer is what the whole data gives.
    pub(crate) fn settle(&self, feed: &mut Feed, eof: bool, mut f: impl FnMut(Match)) -> u64 {
        let len = feed.len;
        let (_, keep_after) = self.keeps();
        let window = len.saturating_sub(keep_after);
        let until = if eof {
            len
        } else {
            window.max(self.settled(feed, window))
        }
        .max(feed.dfrom);
        if until > feed.from || until > feed.dfrom {
            let hay = &feed.buf[..len];
            // Short of the window the engine is told the data ends here:
            // nothing it decides before `until` looks further.
            let short = eof || until > window;
            let hi = self.decoded_upto(until, len, short);
            let (from, dfrom) = (feed.from, feed.dfrom);
            // UTF-16 strings are looked for wherever a zero byte is: a
            // filter passes bytes on before it has seen a kilobyte, and
            // masks every token a scan of the whole would find.
            let window = (from, until, dfrom);
            let strings = feed.utf16_strings;
            feed.from = self.find(
                hay,
                window,
                (hi, feed.base),
                short,
                strings,
                &mut feed.found,
            );
            feed.dfrom = until;
            for x in feed.found.drain(..) {
                f(self.to_match(hay, feed.base, &mut feed.lines, x));
            }
        }
        feed.base + until as u64
    }

    /// The settled point of what `feed` holds, not looking before `floor`.
    fn settled(&self, feed: &Feed, floor: usize) -> usize {
        let hay = &feed.buf[..feed.len];
        let mut p = hay.len();
        // A quoted-printable soft line break may be inside a token.
        if self.engine.escapes() {
            p -= [&b"=\r\n"[..], b"=\n"]
                .iter()
                .find(|end| hay[floor..].ends_with(end))
                .map_or(0, |end| end.len());
        }
        while p > floor && feed.token_bytes[hay[p - 1] as usize] {
            p -= 1;
        }
        if self.depth > 0 {
            for enc in ENCODINGS {
                p = p.min(enc.open_from(hay, self.min_token, floor));
            }
        }
        let reach = crate::rules::KEYWORD_REACH + self.engine.keyword_len() + 1;
        let lo = hay.len().saturating_sub(reach).max(floor);
        if let Some(s) = self.engine.awaiting(hay, lo) {
            p = p.min(s);
        }
        p
    }
}

impl RuleSet {
    /// Runs every rule's examples through a scanner over this set: each
    /// example must yield a finding of its rule (checksum valid, or none for
    /// shape-only rules), no negative example may yield any. Returns the
    /// problems, empty when all is well. Ids are unique by construction.
    pub fn check_examples(&self) -> Vec<String> {
        let scanner = Scanner::new(self.clone());
        let mut problems = Vec::new();
        for (i, r) in self.rules().iter().enumerate() {
            if r.examples.is_empty() {
                problems.push(format!(
                    "{}: rule {} has no examples",
                    r.source.display(),
                    r.id()
                ));
            }
            for ex in &r.examples {
                let mut ok = false;
                scanner.scan_slice(ex.as_bytes(), |m| {
                    ok |= m.rule == i && m.checksum != Checksum::Invalid
                });
                if !ok {
                    problems.push(format!(
                        "{}: rule {}: example {:?} does not match",
                        r.source.display(),
                        r.id(),
                        ex
                    ));
                }
            }
            for ex in &r.negative_examples {
                let mut hits = Vec::new();
                scanner.scan_slice(ex.as_bytes(), |m| {
                    hits.push(self.rules()[m.rule].id().to_string())
                });
                if !hits.is_empty() {
                    problems.push(format!(
                        "{}: rule {}: negative example {:?} matches {}",
                        r.source.display(),
                        r.id(),
                        ex,
                        hits.join(", ")
                    ));
                }
            }
        }
        problems
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::token::format::FormatSet;

    /// A reader that hands out at most `n` bytes per call, to exercise every
    /// split of the data.
    pub(crate) struct Trickle<'a>(pub &'a [u8], pub usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(self.1).min(out.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn mint(kind: &str) -> String {
        FormatSet::builtin().by_name(kind).unwrap().mint().unwrap()
    }

    #[test]
    fn a_part_in_memory_counts_lines_and_columns_across_its_steps() {
        let s = Scanner::new(RuleSet::builtin());
        // Long lines with non-ASCII text (UTF-16 columns) that cross steps,
        // tokens at their ends, steps with no match before and after them,
        // and a step that holds no newline at all.
        let mut data = Vec::new();
        for i in 0..40 {
            data.extend_from_slice(b"short\n");
            data.extend(std::iter::repeat_n(b'x', (i * 37) % 500));
            data.extend_from_slice("h\u{e9}\u{1f600}".repeat(i % 5).as_bytes());
            if i % 3 == 0 {
                data.extend_from_slice(format!(" {} ", mint("cfut")).as_bytes());
            }
            data.extend_from_slice(b"\n\n");
        }
        data.extend(std::iter::repeat_n(b'y', 3000));
        data.extend_from_slice(format!(" {}\n", mint("cfat")).as_bytes());
        let mut whole = Vec::new();
        s.scan_slice(&data, |m| whole.push(m));
        assert_eq!(whole.len(), 15);
        let newlines = memchr::memchr_iter(b'\n', &data).count() as u64;
        for step in (40..700).step_by(13).chain([4096, 1 << 20]) {
            let mut part = Part {
                report: 0..data.len() as u64,
                newlines: 0,
            };
            let mut got = Vec::new();
            s.scan_part_in_memory(&data, &mut part, (false, step), |m| {
                got.push(m);
                true
            });
            assert_eq!(got, whole, "steps of {step}");
            assert_eq!(part.newlines, newlines, "steps of {step}");
        }
    }

    /// Scans `data` as one slice and as streams at several read sizes, both
    /// with whole reads and with a reader that trickles, and asserts that
    /// every way gives the same matches. Returns them.
    fn scan_all_ways(s: &Scanner, data: &[u8]) -> Vec<Match> {
        let mut whole = Vec::new();
        s.scan_slice(data, |m| whole.push(m));
        let longest = s.engine().max_token_len();
        // As a file, with lines filled in by a second pass.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data");
        std::fs::write(&path, data).unwrap();
        for size in [1, 7, longest, 64 * 1024] {
            let mut got = Vec::new();
            let file = File::open(&path).unwrap();
            s.scan_file(&file, &mut StreamBuffer::new(size), |m| got.push(m))
                .unwrap();
            assert_eq!(got, whole, "file, read size {size}");
        }
        for size in [1, 7, longest, 64 * 1024] {
            for trickle in [size, 3] {
                let mut got = Vec::new();
                let mut sb = StreamBuffer::new(size);
                let n = s
                    .scan_reader(&mut Trickle(data, trickle), &mut sb, |m| got.push(m))
                    .unwrap();
                assert_eq!(n, data.len() as u64);
                assert_eq!(got, whole, "read size {size}, trickle {trickle}");
            }
        }
        whole
    }

    #[test]
    fn lines_and_columns() {
        let s = Scanner::new(RuleSet::builtin());
        let t = mint("cfut");
        let data = format!("import os\r\nTOKEN = \"{t}\"\n\n  {t}");
        let m = scan_all_ways(&s, data.as_bytes());
        assert_eq!(m.len(), 2);
        assert_eq!((m[0].line, m[0].column, m[0].offset), (2, 10, 20));
        assert_eq!((m[1].line, m[1].column), (4, 3));
        assert_eq!(m[0].secret, t);
        assert_eq!(m[0].checksum, Checksum::Valid);
    }

    #[test]
    fn utf16_columns_count_code_units() {
        let s = Scanner::new(RuleSet::builtin());
        let t = mint("cfut");
        // é: 2 bytes, 1 unit; 😀: 4 bytes, 2 units; the line before has both too.
        let data = format!("é😀\nx é😀 {t}\n{t}");
        let m = scan_all_ways(&s, data.as_bytes());
        assert_eq!((m[0].line, m[0].column, m[0].column_utf16), (2, 10, 7));
        assert_eq!((m[1].line, m[1].column, m[1].column_utf16), (3, 1, 1));
        // A long line of non-ASCII: the count survives the buffer rolling.
        let long = format!("{} {t}", "é".repeat(100_000));
        let m = scan_all_ways(&s, long.as_bytes());
        assert_eq!((m[0].column, m[0].column_utf16), (200_002, 100_002));
    }

    #[test]
    fn inline_allow_same_line_only() {
        let s = Scanner::new(RuleSet::builtin());
        let t = mint("cfat");
        let data = format!(
            "# burnkey:allow\nA={t}\nB={t} # burnkey:allow\n/* burnkey:allow */ C={t}\nD={t}\n# burnkey:allow"
        );
        let m = scan_all_ways(&s, data.as_bytes());
        let allowed: Vec<bool> = m.iter().map(|m| m.allowed).collect();
        assert_eq!(allowed, vec![false, true, true, false]);
        // Farther than the window on a long line: not allowed.
        let far = format!("{t}{}burnkey:allow", " ".repeat(ALLOW_WINDOW + 1));
        assert!(!scan_all_ways(&s, far.as_bytes())[0].allowed);
    }

    #[test]
    fn tokens_straddling_reads_in_noise() {
        let s = ScannerBuilder::new()
            .report_invalid(true)
            .build(RuleSet::builtin());
        // Deterministic pseudo-random text with tokens at awkward offsets.
        let mut data = Vec::new();
        let mut x: u32 = 12345;
        let mut planted = Vec::new();
        for i in 0..200 {
            for _ in 0..(i * 37 % 300) {
                x = x.wrapping_mul(1664525).wrapping_add(1013904223);
                let c = b"abc _\n\"=cfu"[(x >> 24) as usize % 11];
                data.push(c);
            }
            data.push(b' ');
            let kind = ["cfut", "cfat", "cfk", "ghp", "npm", "gho"][i % 6];
            let t = mint(kind);
            planted.push(data.len() as u64);
            data.extend_from_slice(t.as_bytes());
            data.push(b'\n');
        }
        let m = scan_all_ways(&s, &data);
        let offsets: Vec<u64> = m
            .iter()
            .filter(|m| m.checksum == Checksum::Valid)
            .map(|m| m.offset)
            .collect();
        assert_eq!(offsets, planted);
    }

    #[test]
    fn every_family_and_keyword_context_streams_exactly() {
        let s = Scanner::new(RuleSet::builtin());
        let mut data = Vec::new();
        let mut x: u32 = 777;
        let mut noise = |data: &mut Vec<u8>, n: usize| {
            for _ in 0..n {
                x = x.wrapping_mul(1664525).wrapping_add(1013904223);
                data.push(b"ab cf_ \n\n=:glp\"{"[(x >> 24) as usize % 16]);
            }
        };
        let kinds = [
            "cfut",
            "github_pat",
            "glpat",
            "glagent",
            "glwt",
            "glsa",
            "ghp",
        ];
        // Legacy keys in every kind of context, padded so that contexts
        // straddle read boundaries at every read size.
        let key = "cc6577428c2f6d6bc64e5a22fac180d6b2e6e"; // burnkey:allow
        let tok = "H1D0SZaozaNv4AH17KzcnNjeh1MVLymYZwH6Qqq5"; // burnkey:allow
        let contexts = [
            format!("X-Auth-Key: {key}\n"),
            format!("cloudflare:\n  zone: 1\n  api_token: {tok}\n"),
            format!("curl https://api.cloudflare.com/x \\\n  -H 'Authorization: Bearer {tok}'\n"),
            format!("curl -H 'Authorization: Bearer {tok}' \\\n  https://api.cloudflare.com/x\n"),
        ];
        let mut want = 0;
        for i in 0..60 {
            noise(&mut data, i * 53 % 700);
            data.push(b'\n');
            data.extend_from_slice(mint(kinds[i % kinds.len()]).as_bytes());
            data.push(b'\n');
            data.extend_from_slice(contexts[i % contexts.len()].as_bytes());
            want += 2;
        }
        let m = scan_all_ways(&s, &data);
        assert_eq!(m.len(), want);
        let keyword = m
            .iter()
            .filter(|m| s.rules().rules()[m.rule].is_keyword())
            .count();
        assert_eq!(keyword, 60);
    }

    #[test]
    fn binary_data_and_invalid_utf8() {
        let s = Scanner::new(RuleSet::builtin());
        let t = mint("cfk");
        let mut data = vec![0u8, 0xff, 0xfe, 0x80, 0];
        data.extend_from_slice(t.as_bytes());
        data.extend_from_slice(&[0, 0xc3, 0x28]);
        let m = scan_all_ways(&s, &data);
        assert_eq!(m.len(), 1);
        assert_eq!((m[0].line, m[0].column), (1, 6));
    }

    #[test]
    fn empty_and_tiny_inputs() {
        let s = Scanner::new(RuleSet::builtin());
        assert!(scan_all_ways(&s, b"").is_empty());
        assert!(scan_all_ways(&s, b"c").is_empty());
        assert!(scan_all_ways(&s, b"cfut_").is_empty());
    }

    fn b64(data: &[u8], url: bool) -> String {
        use base64::Engine as _;
        let e = if url {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
        } else {
            base64::engine::general_purpose::STANDARD
        };
        e.encode(data)
    }

    /// (line, column, encoding, secret) of every match.
    fn placed(m: &[Match]) -> Vec<(u64, u64, Option<&str>, &str)> {
        m.iter()
            .map(|m| (m.line, m.column, m.encoding.as_deref(), m.secret.as_str()))
            .collect()
    }

    #[test]
    fn base64_in_every_form() {
        let s = Scanner::new(RuleSet::builtin());
        let t = mint("cfut");
        let g = mint("ghp");
        // A Kubernetes Secret; base64url unpadded; double base64; a token
        // at each byte alignment inside a longer run; wrapped at 76 and 64.
        let long = |pre: &str| b64(format!("{pre}token={t}\nother=1\n").as_bytes(), false);
        let wrapped = |w: usize| {
            let enc = b64(
                format!("# config\nTOKEN={g}\n# more text here to wrap\n").as_bytes(),
                false,
            );
            enc.as_bytes()
                .chunks(w)
                .map(|c| format!("  {}\n", std::str::from_utf8(c).unwrap()))
                .collect::<String>()
        };
        let data = format!(
            "apiVersion: v1\nkind: Secret\ndata:\n  token: {}\nurl: {}\ndouble: \"{}\"\n{}\n{}\n{}\nw76:\n{}w64:\n{}",
            b64(t.as_bytes(), false),
            b64(format!("?{g}").as_bytes(), true),
            b64(b64(t.as_bytes(), false).as_bytes(), false),
            long(""),
            long("a"),
            long("ab"),
            wrapped(76),
            wrapped(64),
        );
        let m = scan_all_ways(&s, data.as_bytes());
        let b = Some("base64");
        assert_eq!(
            placed(&m),
            vec![
                (4, 10, b, t.as_str()),
                // "?" is byte 0: the token starts in character 1.
                (5, 7, b, g.as_str()),
                (6, 10, Some("base64>base64"), t.as_str()),
                (7, 9, b, t.as_str()),
                (8, 10, b, t.as_str()),
                (9, 11, b, t.as_str()),
                // "# config\nTOKEN=" is 15 bytes: character 20, after "  ".
                (11, 23, b, g.as_str()),
                (14, 23, b, g.as_str()),
            ]
        );
    }

    #[test]
    fn every_new_encoding_streams_exactly() {
        // Each written in a way #27 added, amid noise, read whole, as a
        // file and as a trickle at every read size: the same matches.
        let s = Scanner::new(RuleSet::builtin());
        let (cf, pat, npm) = (mint("cfut"), mint("github_pat"), mint("npm"));
        let every = |t: &str, f: &dyn Fn(u8) -> String| t.bytes().map(f).collect::<String>();
        let (head, tail) = cf.split_at(25);
        let forms = [
            every(&cf, &|b| format!("%{b:02X}")),
            every(&pat, &|b| format!("\\x{b:02x}")),
            every(&npm, &|b| format!("\\u{:04x}", b)),
            every(&cf, &|b| format!("&#{b};")),
            every(&npm, &|b| format!("&#x{b:X};")),
            every(&format!("TOKEN={pat}"), &|b| format!("{b:02x}")),
            pat.replacen('_', "&lowbar;", 1),
            pat.replacen('_', "%5F", 1),
            format!("{head}=\r\n{tail}"),
            cf.replace('_', "=5F"),
        ];
        let mut text = String::new();
        for (i, f) in forms.iter().enumerate() {
            text += &format!("{} x=\"{f}\"; y\n", "n".repeat(i * 37 % 300));
        }
        let got = scan_all_ways(&s, text.as_bytes());
        let tokens: Vec<&str> = got.iter().map(|m| m.secret.as_str()).collect();
        let want = [&cf, &pat, &npm, &cf, &npm, &pat, &pat, &pat, &cf, &cf];
        assert_eq!(tokens, want);
        let lines: Vec<u64> = got.iter().map(|m| m.line).collect();
        assert_eq!(lines, [1, 2, 3, 4, 5, 6, 7, 8, 9, 11]);
    }

    #[test]
    fn escapes_and_utf16_inside_base64() {
        let s = Scanner::new(RuleSet::builtin());
        let t = mint("cfat");
        let esc = |sep: &str| t.replacen('_', sep, 1);
        // The separator, and a later character, escaped.
        let later = format!("cfat%5F{}%{:02X}{}", &t[5..8], t.as_bytes()[8], &t[9..]);
        let ps: Vec<u8> = format!("$h = @{{ Authorization = 'Bearer {t}' }}")
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let data = format!(
            "{{\"k\": \"{}\"}}\ncurl 'x?t={}'\ns = \"{}\"\nq=%22{}%22\npowershell -enc {}\n",
            esc("\\u005f"),
            later,
            esc("\\x5f"),
            esc("%5f"),
            b64(&ps, false)
        );
        let m = scan_all_ways(&s, data.as_bytes());
        let tt = t.as_str();
        assert_eq!(
            placed(&m),
            vec![
                (1, 8, Some("json-escape"), tt),
                (2, 11, Some("percent"), tt),
                (3, 6, Some("hex-escape"), tt),
                (4, 6, Some("percent"), tt),
                // 32 characters of UTF-16 before it: 64 bytes, 85 base64
                // characters after "powershell -enc ".
                (5, 102, Some("base64>utf-16le"), tt),
            ]
        );
        // Off: none of them.
        let off = ScannerBuilder::new()
            .decode_depth(0)
            .build(RuleSet::builtin());
        assert!(scan_all_ways(&off, data.as_bytes()).is_empty());
    }

    #[test]
    fn decoding_respects_the_depth() {
        let t = mint("cfk");
        let mut enc = t.clone();
        for _ in 0..3 {
            enc = b64(enc.as_bytes(), false);
        }
        let at = |depth| {
            let s = ScannerBuilder::new()
                .decode_depth(depth)
                .build(RuleSet::builtin());
            scan_all_ways(&s, enc.as_bytes()).len()
        };
        assert_eq!((at(2), at(3)), (0, 1));
    }

    #[test]
    fn scanner_is_send_sync_and_clone() {
        fn check<T: Send + Sync + Clone>() {}
        check::<Scanner>();
    }
}
