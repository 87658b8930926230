//! The scanner: runs the [`Engine`] over a slice or streams a reader through a
//! fixed buffer, and turns hits into [`Match`]es with line, column and the
//! inline-allow verdict.
//!
//! Streaming keeps an overlap so that a token straddling two reads is found,
//! and memory does not grow with the input: the buffer holds one read plus
//! [`ALLOW_WINDOW`] bytes behind the search position and a token plus
//! [`ALLOW_WINDOW`] ahead of it. Every decision (boundaries, inline allows,
//! lines) looks only inside those windows, so a stream gives exactly the
//! matches the whole slice gives, at any read size.

use std::fs::File;
use std::io::{self, Read};
use std::sync::Arc;

use crate::engine::{Checksum, Engine, Hit};
use crate::rules::RuleSet;

/// A comment with this text on the same line as a token suppresses it.
pub const ALLOW_MARKER: &[u8] = b"burnkey:allow";
/// How far before and after a token, within its line, the allow marker is
/// looked for.
pub const ALLOW_WINDOW: usize = 1024;
/// The default read size of a [`StreamBuffer`].
pub const DEFAULT_READ_SIZE: usize = 256 * 1024;

/// A token found in some data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Match {
    /// Index of the rule in the scanner's [`RuleSet`].
    pub rule: usize,
    /// Byte offset of the first token byte.
    pub offset: u64,
    /// 1-based line of the first token byte.
    pub line: u64,
    /// 1-based byte column of the first token byte.
    pub column: u64,
    /// 1-based column in UTF-16 code units (what SARIF consumers count).
    pub column_utf16: u64,
    /// The token itself. Keep it out of logs; reports print a redacted form.
    pub secret: String,
    /// What the checksum said.
    pub checksum: Checksum,
    /// Whether a `burnkey:allow` comment on the same line suppresses it.
    pub allowed: bool,
}

/// A compiled scanner. Cheap to clone and shareable between threads.
#[derive(Clone, Debug)]
pub struct Scanner {
    engine: Arc<Engine>,
    report_invalid: bool,
}

/// A reusable read buffer for [`Scanner::scan_reader`]; one per thread.
#[derive(Debug)]
pub struct StreamBuffer {
    buf: Vec<u8>,
    read_size: usize,
}

impl StreamBuffer {
    /// A buffer that reads `read_size` bytes at a time (at least 1).
    pub fn new(read_size: usize) -> StreamBuffer {
        StreamBuffer {
            buf: Vec::new(),
            read_size: read_size.max(1),
        }
    }
}

impl Default for StreamBuffer {
    fn default() -> StreamBuffer {
        StreamBuffer::new(DEFAULT_READ_SIZE)
    }
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

impl Scanner {
    /// A scanner over `rules`.
    pub fn new(rules: RuleSet) -> Scanner {
        Scanner::from_engine(Engine::new(rules))
    }

    /// A scanner around an already-built engine.
    pub fn from_engine(engine: Engine) -> Scanner {
        Scanner {
            engine: Arc::new(engine),
            report_invalid: false,
        }
    }

    /// Also report matches whose shape is right but whose checksum fails.
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

    fn to_match(&self, hay: &[u8], base: u64, lines: &mut Lines, hit: Hit) -> Match {
        let offset = base + hit.start as u64;
        let (line, column, column_utf16) = if lines.known {
            lines.advance(hay, base, offset);
            lines.line_col(offset)
        } else {
            (0, 0, 0)
        };
        Match {
            rule: hit.rule,
            offset,
            line,
            column,
            column_utf16,
            secret: String::from_utf8_lossy(&hay[hit.start..hit.end]).into_owned(),
            checksum: hit.checksum,
            allowed: allowed_inline(hay, hit.start, hit.end),
        }
    }

    /// Scans `data` as a whole.
    pub fn scan_slice(&self, data: &[u8], mut f: impl FnMut(Match)) {
        let mut lines = Lines::new();
        self.engine
            .find(data, 0, data.len(), true, self.report_invalid, |hit| {
                f(self.to_match(data, 0, &mut lines, hit))
            });
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
        self.stream(reader, sb, None, f)
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
        self.stream(&mut &*file, sb, Some(file), f)
    }

    /// `rewind`: the file being read, whose lines are counted lazily; none
    /// for a plain reader (counted as it goes).
    fn stream<R: Read + ?Sized>(
        &self,
        reader: &mut R,
        sb: &mut StreamBuffer,
        rewind: Option<&File>,
        mut f: impl FnMut(Match),
    ) -> io::Result<u64> {
        let context = ALLOW_WINDOW.max(self.engine.context());
        let keep_before = context;
        let keep_after = self.engine.max_token_len() + 1 + context;
        let cap = keep_before + keep_after + sb.read_size;
        if sb.buf.len() != cap {
            sb.buf = vec![0; cap];
        }
        let buf = &mut sb.buf;
        let mut lines = Lines::new();
        lines.tracking = rewind.is_none();
        let mut scratch = Vec::new();
        let (mut len, mut from, mut base) = (0usize, 0usize, 0u64);
        loop {
            let want = (len + sb.read_size).min(cap);
            let n = loop {
                match reader.read(&mut buf[len..want]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            };
            let eof = n == 0;
            len += n;
            let until = if eof {
                len
            } else {
                len.saturating_sub(keep_after)
            };
            if until > from {
                let hay = &buf[..len];
                let mut failed = None;
                from = self
                    .engine
                    .find(hay, from, until, eof, self.report_invalid, |hit| {
                        if !lines.tracking {
                            // The first match: count what was dropped, once,
                            // and keep counting from here on.
                            let counted = match rewind {
                                Some(file) if !lines.known => {
                                    Lines::count_file(file, base, &mut scratch)
                                }
                                _ => Ok(Lines { ..lines }),
                            };
                            match counted {
                                Ok(c) => {
                                    lines = Lines {
                                        tracking: true,
                                        ..c
                                    }
                                }
                                Err(e) => {
                                    failed.get_or_insert(e);
                                    return;
                                }
                            }
                        }
                        f(self.to_match(hay, base, &mut lines, hit))
                    });
                if let Some(e) = failed {
                    return Err(e);
                }
            }
            if eof {
                return Ok(base + len as u64);
            }
            if cap - len < sb.read_size {
                let drop = from.saturating_sub(keep_before).min(len);
                if lines.tracking {
                    lines.advance(buf, base, base + drop as u64);
                } else if drop > 0 && lines.counted_upto < base + drop as u64 {
                    lines.known = false;
                }
                buf.copy_within(drop..len, 0);
                len -= drop;
                from -= drop;
                base += drop as u64;
            }
        }
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
mod tests {
    use super::*;
    use crate::format::FormatSet;

    /// A reader that hands out at most `n` bytes per call, to exercise every
    /// split of the data.
    struct Trickle<'a>(&'a [u8], usize);

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
        let s = Scanner::new(RuleSet::builtin()).report_invalid(true);
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

    #[test]
    fn scanner_is_send_sync_and_clone() {
        fn check<T: Send + Sync + Clone>() {}
        check::<Scanner>();
    }
}
