//! Masking tokens in a stream: `burnkey redact`, and adapters for any
//! [`Write`] or [`Read`] (a log shipper, an agent runtime).
//!
//! Every token the [`Scanner`] finds is masked: checksum-valid ones, the
//! keyword-anchored legacy ones, and those written with escapes or inside
//! base64 or UTF-16, whose whole encoded span is masked. Every other byte
//! passes through as it is, binary included. With the default [`Mask`] the
//! output is as long as the input, so columns, offsets and JSON stay valid.
//!
//! Bytes are passed on as soon as no token can still cover them: after a
//! line break or a space nothing is held back; what is held is the end of
//! the data that may still become a token (at most a token's encoded
//! length, or a keyword's reach when a bearer header waits for its host).
//! The output is the same however the input is split.
//!
//! ```
//! use std::io::Write;
//! use burnkey::redact::Redactor;
//! use burnkey::{RuleSet, Scanner};
//!
//! let scanner = Scanner::new(RuleSet::builtin());
//! let mut log = Redactor::new(&scanner, Vec::new());
//! // A token split across two writes is masked all the same.
//! log.write_all(b"export CLOUDFLARE_API_TOKEN=cfut_yGWmZQhXQCaSBLdVLII")?; // burnkey:allow
//! log.write_all(b"N8nVy40xdnxVZmwkycbF1325c4830\nok\n")?; // burnkey:allow
//! assert_eq!(log.count(), 1);
//! let out = log.finish()?;
//! assert_eq!(
//!     String::from_utf8(out).unwrap(),
//!     format!("export CLOUDFLARE_API_TOKEN=cfut_{}\nok\n", "*".repeat(48))
//! );
//! # Ok::<(), std::io::Error>(())
//! ```

use std::collections::VecDeque;
use std::io::{self, Read, Write};

use std::fs::File;
use std::os::unix::fs::FileExt;

use crate::engine::decode::Utf16;
use crate::scan::parts::At;
use crate::scan::{Feed, Match, Opts, Part, Scanner, StreamBuffer};

/// How a token is masked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Mask {
    /// A plain token keeps its prefix and every other byte becomes `*`;
    /// an escaped or encoded token is masked whole (its line breaks and
    /// indentation stay). The output is as long as the input.
    #[default]
    Stars,
    /// This text instead of each token, with `{rule}` (the rule id),
    /// `{prefix}` (the token's prefix, empty for a keyword-anchored or
    /// encoded one) and `{len}` (the bytes it took) filled in.
    Template(String),
}

impl Mask {
    /// A template mask; names a placeholder it does not know.
    pub fn template(text: &str) -> Result<Mask, String> {
        let mut rest = text;
        while let Some(i) = rest.find('{') {
            let after = &rest[i + 1..];
            let Some(j) = after.find('}') else {
                return Err(format!("mask {text:?}: a `{{` without its `}}`"));
            };
            let name = &after[..j];
            if !matches!(name, "rule" | "prefix" | "len") {
                return Err(format!(
                    "mask {text:?}: unknown placeholder {{{name}}} (known: {{rule}}, {{prefix}}, {{len}})"
                ));
            }
            rest = &after[j + 1..];
        }
        Ok(Mask::Template(text.to_string()))
    }
}

/// How the source is written: bytes, or UTF-16 code units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unit {
    Byte,
    Wide(Utf16),
}

impl Unit {
    fn width(self) -> u64 {
        match self {
            Unit::Byte => 1,
            Unit::Wide(_) => 2,
        }
    }

    /// Appends `text` (UTF-8) written in this unit.
    fn encode(self, text: &str, out: &mut Vec<u8>) {
        match self {
            Unit::Byte => out.extend_from_slice(text.as_bytes()),
            Unit::Wide(order) => {
                for u in text.encode_utf16() {
                    out.extend_from_slice(&match order {
                        Utf16::Le => u.to_le_bytes(),
                        Utf16::Be => u.to_be_bytes(),
                    })
                }
            }
        }
    }
}

/// A masked span of the source, in its offsets.
#[derive(Debug)]
struct Span {
    start: u64,
    end: u64,
    /// Bytes at its start that stay (a plain token's prefix).
    keep: u64,
    /// A template's text, in `unit`; none: stars.
    text: Option<Vec<u8>>,
    /// How the token is written.
    unit: Unit,
}

/// Appends `bytes`, the part of a span `off` bytes into it, as stars.
fn stars(bytes: &[u8], off: u64, keep: u64, unit: Unit, out: &mut Vec<u8>) {
    let kept = (keep.saturating_sub(off) as usize).min(bytes.len());
    out.extend_from_slice(&bytes[..kept]);
    match unit {
        Unit::Byte => {
            out.extend(bytes[kept..].iter().map(
                |&b| {
                    if b.is_ascii_whitespace() {
                        b
                    } else {
                        b'*'
                    }
                },
            ))
        }
        Unit::Wide(order) => {
            let star = match order {
                Utf16::Le => [b'*', 0],
                Utf16::Be => [0, b'*'],
            };
            for u in bytes[kept..].chunks(2) {
                let c = match (order, u) {
                    (Utf16::Le, [a, 0]) | (Utf16::Be, [0, a]) => *a,
                    _ => 0,
                };
                out.extend_from_slice(if c.is_ascii_whitespace() { u } else { &star });
            }
        }
    }
}

/// What the start of the data says it is.
enum Mode {
    /// Not known yet: the first bytes are held.
    Sniff(Vec<u8>),
    Text,
    Wide(Box<Wide>),
}

/// UTF-16 data: scanned as UTF-8, masked in its own units.
struct Wide {
    order: Utf16,
    /// Source bytes from `src_base` on, not yet written.
    src: Vec<u8>,
    src_base: u64,
    /// Source offset up to which it has been transcoded.
    done: u64,
    /// The source offset of each UTF-8 byte from text offset `map_base` on.
    map: VecDeque<u64>,
    map_base: u64,
    /// UTF-8 bytes made so far.
    text_len: u64,
    /// The same bytes read as they are: a stream that starts like UTF-16
    /// may not be (a binary log), and its plain tokens are masked too.
    raw: Feed,
}

/// Whether the first bytes of the data settle UTF-16 or not; `None`:
/// more are needed. Text settles at its second byte (nearly every
/// stream), so a short first line is not held back.
fn sniff(head: &[u8], eof: bool) -> Option<Option<(Utf16, usize)>> {
    match head {
        [0xFF, 0xFE, ..] | [0xFE, 0xFF, ..] => Some(Utf16::sniff(head)),
        [a, b, ..] if *a != 0 && *b != 0 => Some(None),
        _ if head.len() >= 64 || eof => Some(Utf16::sniff(head)),
        _ => None,
    }
}

/// The redaction of one stream, whichever side drives it.
struct Core {
    scanner: Scanner,
    feed: Feed,
    mode: Mode,
    masks: Masks,
    /// Where a read lands before the data's kind is known, or in UTF-16.
    chunk: Vec<u8>,
}

/// What is found, as spans to mask.
struct Masks {
    mask: Mask,
    /// Source offset up to which output has been made.
    written: u64,
    /// Spans not yet wholly written.
    spans: VecDeque<Span>,
    keep: bool,
    matches: Vec<Match>,
    count: u64,
    /// A masked stretch being written.
    scratch: Vec<u8>,
}

impl Masks {
    /// Adds match `m`, at `span` of the source.
    fn add(&mut self, scanner: &Scanner, m: Match, span: (u64, u64), unit: Unit) {
        let rule = &scanner.rules().rules()[m.rule];
        let prefix = if m.encoding.is_none() {
            rule.format.prefix.as_str()
        } else {
            ""
        };
        let text = match &self.mask {
            Mask::Stars => None,
            Mask::Template(t) => {
                let filled = t
                    .replace("{rule}", rule.id())
                    .replace("{prefix}", prefix)
                    .replace("{len}", &m.len.to_string());
                let mut v = Vec::new();
                unit.encode(&filled, &mut v);
                Some(v)
            }
        };
        let s = Span {
            start: span.0,
            end: span.1,
            keep: prefix.len() as u64 * unit.width(),
            text,
            unit,
        };
        // In order (UTF-16 and its bytes as they are come from two
        // scans); overlapping spans (a token beside the encoding it is
        // part of) are masked as one.
        let mut i = self.spans.partition_point(|x| x.start <= s.start);
        self.spans.insert(i, s);
        if i > 0 && self.spans[i].start < self.spans[i - 1].end {
            let s = self.spans.remove(i).expect("just inserted");
            i -= 1;
            self.spans[i].end = self.spans[i].end.max(s.end);
        }
        while i + 1 < self.spans.len() && self.spans[i + 1].start < self.spans[i].end {
            let next = self.spans.remove(i + 1).expect("in range");
            self.spans[i].end = self.spans[i].end.max(next.end);
        }
        self.count += 1;
        if self.keep {
            self.matches.push(m);
        }
    }

    /// Writes the source's bytes from `written` to `upto`, masked; `src`
    /// holds them from offset `base`.
    fn emit(&mut self, src: &[u8], base: u64, upto: u64, out: &mut dyn Write) -> io::Result<()> {
        let at = |o: u64| (o - base) as usize;
        while self.written < upto {
            let w = self.written;
            match self.spans.front() {
                Some(sp) if sp.start <= w => {
                    let stop = sp.end.min(upto);
                    match &sp.text {
                        Some(t) if w == sp.start => out.write_all(t)?,
                        Some(_) => {}
                        None => {
                            self.scratch.clear();
                            let bytes = &src[at(w)..at(stop)];
                            stars(bytes, w - sp.start, sp.keep, sp.unit, &mut self.scratch);
                            out.write_all(&self.scratch)?;
                        }
                    }
                    self.written = stop;
                    if stop == sp.end {
                        self.spans.pop_front();
                    }
                }
                next => {
                    let stop = next.map_or(upto, |sp| sp.start.min(upto));
                    out.write_all(&src[at(w)..at(stop)])?;
                    self.written = stop;
                }
            }
        }
        Ok(())
    }
}

impl Core {
    fn new(scanner: &Scanner) -> Core {
        Core {
            scanner: scanner.clone(),
            feed: Feed::new(scanner, false),
            mode: Mode::Sniff(Vec::new()),
            chunk: Vec::new(),
            masks: Masks {
                mask: Mask::Stars,
                written: 0,
                spans: VecDeque::new(),
                keep: false,
                matches: Vec::new(),
                count: 0,
                scratch: Vec::new(),
            },
        }
    }

    fn keep_matches(&mut self, yes: bool) {
        self.masks.keep = yes;
        // Matches kept for a report get their lines.
        self.feed = Feed::new(&self.scanner, yes);
    }

    /// Reads once from `r` (at most `n` bytes), text straight into the
    /// feed, and writes to `out` what that settles. Returns the bytes
    /// read: 0 at the end, which is then passed on.
    fn read_from(&mut self, r: &mut dyn Read, n: usize, out: &mut dyn Write) -> io::Result<usize> {
        if !matches!(self.mode, Mode::Text) {
            let mut chunk = std::mem::take(&mut self.chunk);
            chunk.resize(n, 0);
            let got = read_once(r, &mut chunk);
            let done = got.and_then(|got| self.push(&chunk[..got], got == 0, out).map(|()| got));
            self.chunk = chunk;
            return done;
        }
        let got = read_once(r, self.feed.room(&self.scanner, n))?;
        self.feed.fill(got);
        self.settle_text(got == 0, out)?;
        Ok(got)
    }

    /// Scans the text held as far as it is settled, and writes that.
    fn settle_text(&mut self, eof: bool, out: &mut dyn Write) -> io::Result<()> {
        let Core {
            scanner,
            feed,
            masks,
            ..
        } = self;
        let settled = scanner.settle(feed, eof, |m| {
            let span = (m.offset, m.offset + m.len);
            masks.add(scanner, m, span, Unit::Byte)
        });
        let (src, base) = feed.held();
        masks.emit(src, base, settled, out)
    }

    /// Takes `data` (and at `eof` the end), writing to `out` every byte
    /// now settled: the stretches between tokens straight from where they
    /// are held.
    fn push(&mut self, data: &[u8], eof: bool, out: &mut dyn Write) -> io::Result<()> {
        if let Mode::Sniff(head) = &mut self.mode {
            head.extend_from_slice(data);
            let Some(wide) = sniff(head, eof) else {
                return Ok(());
            };
            let head = std::mem::take(head);
            self.mode = match wide {
                None => Mode::Text,
                Some((order, mark)) => Mode::Wide(Box::new(Wide {
                    order,
                    src: Vec::new(),
                    src_base: 0,
                    done: mark as u64,
                    map: VecDeque::new(),
                    map_base: 0,
                    text_len: 0,
                    raw: Feed::new(&self.scanner, self.masks.keep).without_utf16_strings(),
                })),
            };
            return self.push(&head, eof, out);
        }
        let Core {
            scanner,
            feed,
            mode,
            masks,
            ..
        } = self;
        let Mode::Wide(w) = mode else {
            feed.push(scanner, data);
            return self.settle_text(eof, out);
        };
        let unit = Unit::Wide(w.order);
        w.src.extend_from_slice(data);
        let (mut text, mut from) = (Vec::new(), Vec::new());
        let at = (w.done - w.src_base) as usize;
        let used = w
            .order
            .transcode(&w.src[at..], eof, &mut text, Some(&mut from));
        w.map.extend(from.iter().map(|&i| w.done + i as u64));
        w.done += used as u64;
        w.text_len += text.len() as u64;
        feed.push(scanner, &text);
        let (map, map_base) = (&w.map, w.map_base);
        let src_of = |t: u64| map[(t - map_base) as usize];
        let settled = scanner.settle(feed, eof, |m| {
            // Tokens are ASCII: one unit a character.
            let span = (src_of(m.offset), src_of(m.offset + m.len - 1) + 2);
            masks.add(scanner, m, span, unit)
        });
        let upto = if settled == w.text_len {
            if eof {
                w.src_base + w.src.len() as u64
            } else {
                w.done
            }
        } else {
            src_of(settled)
        };
        w.raw.push(scanner, data);
        let raw = scanner.settle(&mut w.raw, eof, |m| {
            let span = (m.offset, m.offset + m.len);
            masks.add(scanner, m, span, Unit::Byte)
        });
        let upto = upto.min(raw);
        masks.emit(&w.src, w.src_base, upto, out)?;
        w.map.drain(..(settled - w.map_base) as usize);
        w.map_base = settled;
        let drop = (masks.written - w.src_base) as usize;
        if drop >= 64 * 1024 || 2 * drop >= w.src.len() {
            w.src.drain(..drop);
            w.src_base = masks.written;
        }
        Ok(())
    }
}

/// One read, retried when interrupted.
fn read_once(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match r.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            got => return got,
        }
    }
}

/// Masks tokens in what is written through it, passing the rest on to
/// `W`. Each write passes on every byte no token can still cover (a write
/// of `W` for each stretch between tokens, not one a line); [`Redactor::finish`] passes on the rest (dropping it does so too,
/// ignoring errors). [`Write::flush`] flushes `W`; it cannot pass on what
/// may still be part of a token.
pub struct Redactor<W: Write> {
    core: Core,
    inner: Option<W>,
    /// The data has ended.
    closed: bool,
    /// A write failed (the reader went away, the disk is full): what was
    /// held back is lost with it, and nothing more is written.
    failed: bool,
}

impl<W: Write> Redactor<W> {
    /// Masks with `scanner`'s rules and settings (`report_invalid` masks
    /// checksum-invalid look-alikes too; a decode depth of 0 no encodings).
    pub fn new(scanner: &Scanner, inner: W) -> Redactor<W> {
        Redactor {
            core: Core::new(scanner),
            inner: Some(inner),
            closed: false,
            failed: false,
        }
    }

    /// Masks this way (before the first write).
    pub fn mask(mut self, mask: Mask) -> Redactor<W> {
        self.core.masks.mask = mask;
        self
    }

    /// Keeps each match (with its line and column) for
    /// [`Redactor::matches`] (before the first write). They hold the
    /// tokens: keep them out of logs.
    pub fn keep_matches(mut self, yes: bool) -> Redactor<W> {
        self.core.keep_matches(yes);
        self
    }

    /// Tokens masked so far.
    pub fn count(&self) -> u64 {
        self.core.masks.count
    }

    /// The matches masked so far, with [`Redactor::keep_matches`].
    pub fn matches(&self) -> &[Match] {
        &self.core.masks.matches
    }

    /// The writer inside.
    pub fn get_ref(&self) -> &W {
        self.inner.as_ref().expect("present until finished")
    }

    fn pass(&mut self, data: &[u8], eof: bool) -> io::Result<()> {
        if self.closed && !(eof && data.is_empty()) {
            return Err(io::Error::other(
                "the redactor was closed: the data has ended",
            ));
        }
        self.usable()?;
        let inner = self.inner.as_mut().expect("present until finished");
        let r = self.core.push(data, eof, inner);
        self.failed = r.is_err();
        r
    }

    /// An error once a write has failed: the masks' state is mid-write.
    fn usable(&self) -> io::Result<()> {
        match self.failed {
            true => Err(io::Error::other("an earlier write failed")),
            false => Ok(()),
        }
    }

    /// Reads once from `r`, at most `n` bytes, straight into the buffer
    /// the scanner reads (no copy on the way), and passes on what that
    /// settles. Returns the bytes read; 0 ends the data, passing on the
    /// rest (then call [`Redactor::finish`] for the writer).
    pub fn read_from(&mut self, r: &mut dyn Read, n: usize) -> io::Result<usize> {
        if self.closed {
            return Err(io::Error::other(
                "the redactor was closed: the data has ended",
            ));
        }
        self.usable()?;
        let inner = self.inner.as_mut().expect("present until finished");
        let r = self.core.read_from(r, n.max(1), inner);
        self.failed = r.is_err();
        r
    }

    /// Ends the data: passes on what was held back and flushes. Then
    /// [`Redactor::count`] and [`Redactor::matches`] are final; a write
    /// after it is an error.
    pub fn close(&mut self) -> io::Result<()> {
        if !self.closed {
            self.closed = true;
            self.pass(&[], true)?;
        }
        self.inner.as_mut().expect("present until finished").flush()
    }

    /// [`Redactor::close`], and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.close()?;
        Ok(self.inner.take().expect("present until finished"))
    }
}

/// Files at least this large are redacted in blocks side by side.
const PARALLEL_MIN: u64 = 16 << 20;
/// The blocks, cut at the first line start past each multiple.
const BLOCK: u64 = 1 << 20;

impl<W: Write> Redactor<W> {
    /// Redacts the regular file `file` of `len` bytes (from `fstat`),
    /// from its start to `len`, after whatever was written before (then
    /// call [`Redactor::close`] or [`Redactor::finish`]). When it is the
    /// first thing this redactor does, a large text file is cut into
    /// blocks at line starts that `threads` threads read and scan side by
    /// side, each with the context around its block, while this one
    /// writes them in order: the same bytes as one pass. (Not with
    /// [`Redactor::keep_matches`]: lines need one pass.) Returns the bytes
    /// read.
    pub fn file(&mut self, file: &File, len: u64, threads: usize) -> io::Result<u64> {
        self.file_in(file, len, threads, (PARALLEL_MIN, BLOCK))
    }

    /// [`Redactor::file`] with blocks of `block` bytes from `min` bytes on.
    fn file_in(
        &mut self,
        file: &File,
        len: u64,
        threads: usize,
        (min, block): (u64, u64),
    ) -> io::Result<u64> {
        let mut head = [0u8; 64];
        let n = file.read_at(&mut head[..(len.min(64) as usize)], 0)?;
        // Blocks only from the start, and only of text.
        let text = matches!(self.core.mode, Mode::Sniff(ref h) if h.is_empty())
            && sniff(&head[..n], n as u64 == len) == Some(None);
        if !text || threads < 2 || len < min || self.core.masks.keep {
            let mut at = At {
                file,
                pos: 0,
                end: len,
                stop: None,
            };
            let mut total = 0;
            loop {
                let n = self.read_from(&mut at, 64 * 1024)?;
                if n == 0 {
                    return Ok(total);
                }
                total += n as u64;
            }
        }
        self.usable()?;
        self.core.mode = Mode::Text;
        let inner = self.inner.as_mut().expect("present until finished");
        let r = self.core.blocks(file, (len, block), threads, inner);
        self.failed = r.is_err();
        r.map(|()| len)
    }
}

/// [`At`], keeping a copy of the bytes from `keep` on: what a block
/// writes.
struct Tee<'f, 'b> {
    at: At<'f>,
    keep: u64,
    copy: &'b mut Vec<u8>,
}

impl Read for Tee<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let pos = self.at.pos;
        let n = self.at.read(buf)?;
        let skip = self.keep.saturating_sub(pos).min(n as u64) as usize;
        self.copy.extend_from_slice(&buf[skip..n]);
        Ok(n)
    }
}

/// Where each block starts: 0, then just after the first newline within
/// 64 KiB at or past each `block` bytes (none there: right there), then
/// `len`.
fn block_bounds(file: &File, len: u64, block: u64) -> io::Result<Vec<u64>> {
    let mut bounds = vec![0u64];
    let mut probe = vec![0u8; (64 * 1024).min(block as usize)];
    let mut at = block;
    while at < len {
        let n = file.read_at(&mut probe, at)?;
        let b = match memchr::memchr(b'\n', &probe[..n]) {
            Some(i) => at + i as u64 + 1,
            None => at,
        };
        if b < len {
            bounds.push(b);
        }
        at = b + block;
    }
    bounds.push(len);
    Ok(bounds)
}

/// A block scanned: its bytes and its matches.
type Scanned = io::Result<(Vec<u8>, Vec<Match>)>;

impl Core {
    /// The blocks of a text file, scanned by `threads` threads, written
    /// here in order. A thread takes the next block only while fewer than
    /// `2 * threads` wait to be written, so memory stays bounded.
    fn blocks(
        &mut self,
        file: &File,
        (len, block): (u64, u64),
        threads: usize,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        use std::sync::{mpsc, Condvar, Mutex};
        let bounds = block_bounds(file, len, block)?;
        let blocks = bounds.len() - 1;
        let scanner = &self.scanner;
        let next = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        // Blocks written so far, for the threads to wait on.
        let written = (Mutex::new(0usize), Condvar::new());
        let jobs = Blocks {
            scanner,
            file,
            bounds: &bounds,
            len,
            keeps: scanner.keeps(),
            pool: Mutex::new(Vec::new()),
        };
        let (pool, scan_block) = (&jobs.pool, |k, sb: &mut StreamBuffer| jobs.scan(k, sb));
        std::thread::scope(|scope| {
            let (tx, rx) = mpsc::channel::<(usize, Scanned)>();
            for _ in 0..threads {
                let tx = tx.clone();
                let (next, stop, written, scan_block) = (&next, &stop, &written, &scan_block);
                scope.spawn(move || {
                    let mut sb = StreamBuffer::new(64 * 1024);
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        if k >= blocks {
                            return;
                        }
                        let mut done = written.0.lock().expect("not poisoned");
                        while k >= *done + 2 * threads && !stop.load(Ordering::Relaxed) {
                            done = written.1.wait(done).expect("not poisoned");
                        }
                        drop(done);
                        if stop.load(Ordering::Relaxed)
                            || tx.send((k, scan_block(k, &mut sb))).is_err()
                        {
                            return;
                        }
                    }
                });
            }
            drop(tx);
            let mut waiting = std::collections::BTreeMap::new();
            let mut want = 0;
            let result: io::Result<()> = (|| {
                for (k, scanned) in &rx {
                    waiting.insert(k, scanned);
                    while let Some(scanned) = waiting.remove(&want) {
                        let (bytes, got) = scanned?;
                        for m in got {
                            let span = (m.offset, m.offset + m.len);
                            self.masks.add(scanner, m, span, Unit::Byte);
                        }
                        let (s0, e0) = (bounds[want], bounds[want + 1]);
                        self.masks.emit(&bytes, s0, e0, out)?;
                        pool.lock().expect("not poisoned").push(bytes);
                        want += 1;
                        *written.0.lock().expect("not poisoned") = want;
                        written.1.notify_all();
                    }
                }
                Ok(())
            })();
            if result.is_err() {
                stop.store(true, Ordering::Relaxed);
                written.1.notify_all();
            }
            result
        })?;
        debug_assert!(self.masks.spans.is_empty());
        Ok(())
    }
}

/// A file's blocks, scanned apart (each with the context around it).
struct Blocks<'a> {
    scanner: &'a Scanner,
    file: &'a File,
    /// Where each block starts, and the file's end.
    bounds: &'a [u64],
    len: u64,
    /// The context kept before and after what is searched.
    keeps: (usize, usize),
    /// Block buffers, used again: fresh ones cost a page fault a page.
    pool: std::sync::Mutex<Vec<Vec<u8>>>,
}

impl Blocks<'_> {
    /// Block `k`'s bytes and the matches in it.
    fn scan(&self, k: usize, sb: &mut StreamBuffer) -> Scanned {
        let (before, after) = self.keeps;
        let (s0, e0) = (self.bounds[k], self.bounds[k + 1]);
        let r0 = s0.saturating_sub(before as u64);
        let end = (e0 + after as u64).min(self.len);
        let mut bytes = self
            .pool
            .lock()
            .expect("not poisoned")
            .pop()
            .unwrap_or_default();
        bytes.clear();
        let mut part = Part {
            report: s0 - r0..e0 - r0,
            newlines: 0,
        };
        let mut got = Vec::new();
        let mut tee = Tee {
            at: At {
                file: self.file,
                pos: r0,
                end,
                stop: None,
            },
            keep: s0,
            copy: &mut bytes,
        };
        let opts = Opts {
            size: Some(end - r0),
            part: Some(&mut part),
            no_lines: true,
            ..Opts::default()
        };
        self.scanner.stream(&mut tee, sb, opts, |mut m| {
            m.offset += r0;
            got.push(m)
        })?;
        bytes.truncate((e0 - s0) as usize);
        Ok((bytes, got))
    }
}

impl<W: Write> Write for Redactor<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pass(buf, false)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.as_mut().expect("present until finished").flush()
    }
}

impl<W: Write> Drop for Redactor<W> {
    fn drop(&mut self) {
        if self.inner.is_some() && !self.failed && !std::thread::panicking() {
            let _ = self.close();
        }
    }
}

/// Reads `R` with its tokens masked. Each read of `R` (up to 64 KiB) is
/// handed on as soon as it is settled, so a pipe's lines come through as
/// they arrive.
pub struct RedactReader<R: Read> {
    core: Core,
    inner: R,
    out: Vec<u8>,
    pos: usize,
    done: bool,
}

impl<R: Read> RedactReader<R> {
    /// Masks what `inner` gives with `scanner`'s rules and settings.
    pub fn new(scanner: &Scanner, inner: R) -> RedactReader<R> {
        RedactReader {
            core: Core::new(scanner),
            inner,
            out: Vec::new(),
            pos: 0,
            done: false,
        }
    }

    /// Masks this way (before the first read).
    pub fn mask(mut self, mask: Mask) -> RedactReader<R> {
        self.core.masks.mask = mask;
        self
    }

    /// Tokens masked so far.
    pub fn count(&self) -> u64 {
        self.core.masks.count
    }
}

impl<R: Read> Read for RedactReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.out.len() {
            if self.done {
                return Ok(0);
            }
            self.out.clear();
            self.pos = 0;
            let n = self
                .core
                .read_from(&mut self.inner, 64 * 1024, &mut self.out)?;
            self.done = n == 0;
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
    use crate::rules::RuleSet;
    use crate::scan::tests::Trickle;
    use crate::token::format::FormatSet;
    use base64::Engine as _;

    fn mint(kind: &str) -> String {
        FormatSet::builtin().by_name(kind).unwrap().mint().unwrap()
    }

    fn b64(s: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    /// Redacts `data` written in pieces of `size` bytes.
    fn redact_by(s: &Scanner, data: &[u8], size: usize) -> (Vec<u8>, u64) {
        let mut r = Redactor::new(s, Vec::new());
        for piece in data.chunks(size.max(1)) {
            r.write_all(piece).unwrap();
        }
        r.close().unwrap();
        let n = r.count();
        (r.finish().unwrap(), n)
    }

    /// Every kind of token the scanner finds, with the text around them.
    fn transcript() -> Vec<u8> {
        let (cfut, ghp, npm, cfk) = (mint("cfut"), mint("ghp"), mint("npm"), mint("cfk"));
        let env = format!("CLOUDFLARE_API_TOKEN={}\nOTHER=1\n", mint("cfat"));
        let wrapped = b64(format!("# config\n{env}{env}").as_bytes())
            .as_bytes()
            .chunks(76)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join("\n");
        let utf16: Vec<u8> = format!("$env:T = '{}'", mint("cfut"))
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let mut t = String::new();
        t.push_str("{\"role\":\"tool\",\"content\":\"token=");
        t.push_str(&cfut);
        t.push_str("\"}\n");
        t.push_str(&format!("plain {ghp} and {npm},{cfk}\n"));
        t.push_str(&format!(
            "escaped {}\n",
            mint("cfut").replacen('_', "\\u005f", 1)
        ));
        t.push_str(&format!(
            "url ?t={}&x=1\n",
            mint("cfat").replacen('_', "%5F", 1)
        ));
        t.push_str(&format!("echo {} | base64 -d\n", b64(env.as_bytes())));
        t.push_str(&format!("-----BEGIN-----\n{wrapped}\n-----END-----\n"));
        t.push_str(&format!("powershell -enc {}\n", b64(&utf16)));
        t.push_str("CF_API_KEY=6d3f0a9c1be24e87a5f9c0d2e1b3a47c9e2f1\n"); // burnkey:allow
        t.push_str(
            "curl -H \"Authorization: Bearer vGNWAMsI-z0oaWdfZp_lvi60ZIF8-qR38Ony1dHq\" \\\n",
        );
        t.push_str("  https://api.cloudflare.com/client/v4/user/tokens/verify\n");
        t.push_str(&format!("bad checksum {}\n", &cfut[..cfut.len() - 1]));
        t.push_str("the end, no newline");
        t.into_bytes()
    }

    /// What the scanner finds in `data` as a whole: the spans to mask.
    fn spans(s: &Scanner, data: &[u8]) -> Vec<(u64, u64)> {
        let mut v = Vec::new();
        s.scan_slice(data, |m| v.push((m.offset, m.offset + m.len)));
        v
    }

    #[test]
    fn stream_equals_slice_at_every_read_size() {
        let s = Scanner::new(RuleSet::builtin());
        let data = transcript();
        let want = spans(&s, &data);
        assert_eq!(want.len(), 12, "every planted token is found");
        let (whole, n) = redact_by(&s, &data, data.len());
        assert_eq!(n as usize, want.len());
        assert_eq!(whole.len(), data.len(), "the default mask keeps lengths");
        // Exactly the spans differ, and nothing outside them.
        for (i, (a, b)) in data.iter().zip(&whole).enumerate() {
            let inside = want.iter().any(|&(s, e)| (s..e).contains(&(i as u64)));
            assert!(inside || a == b, "byte {i} changed outside a token");
        }
        assert!(spans(&s, &whole).is_empty(), "no token survives");
        let longest = s.engine().max_token_len();
        for size in [1, 7, longest, 64 * 1024] {
            assert_eq!(redact_by(&s, &data, size).0, whole, "writes of {size}");
            let mut out = Vec::new();
            RedactReader::new(&s, Trickle(&data, size))
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out, whole, "reads of {size}");
        }
    }

    #[test]
    fn a_token_split_at_every_byte_is_masked() {
        let s = Scanner::new(RuleSet::builtin());
        for token in [
            mint("cfut"),
            mint("github_pat"),
            b64(mint("cfk").as_bytes()),
        ] {
            let data = format!("a {token}\n").into_bytes();
            let (whole, n) = redact_by(&s, &data, data.len());
            assert_eq!(n, 1, "{token}");
            for i in 0..=data.len() {
                let mut r = Redactor::new(&s, Vec::new());
                r.write_all(&data[..i]).unwrap();
                r.write_all(&data[i..]).unwrap();
                assert_eq!(r.finish().unwrap(), whole, "split at {i}");
            }
        }
    }

    #[test]
    fn the_default_mask_keeps_the_prefix_and_the_length() {
        let s = Scanner::new(RuleSet::builtin());
        let t = mint("ghp");
        let (out, _) = redact_by(&s, format!("x={t};").as_bytes(), 1 << 16);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!("x=ghp_{};", "*".repeat(t.len() - 4))
        );
        let enc = b64(format!("TOKEN={t}\n").as_bytes());
        let (out, _) = redact_by(&s, format!("{enc}\n").as_bytes(), 1 << 16);
        let out = String::from_utf8(out).unwrap();
        assert!(
            !out.contains(&enc[12..60]),
            "the encoded span is masked whole"
        );
        assert_eq!(out.len(), enc.len() + 1);
    }

    #[test]
    fn templates_fill_in_the_rule() {
        let s = Scanner::new(RuleSet::builtin());
        let t = mint("cfut");
        let mut r =
            Redactor::new(&s, Vec::new()).mask(Mask::template("[REDACTED {rule}]").unwrap());
        r.write_all(format!("a {t} b").as_bytes()).unwrap();
        assert_eq!(
            String::from_utf8(r.finish().unwrap()).unwrap(),
            "a [REDACTED cloudflare-user-api-token] b"
        );
        assert!(Mask::template("{token}").is_err());
        assert!(Mask::template("{rule").is_err());
    }

    #[test]
    fn random_binary_passes_unchanged() {
        let s = Scanner::new(RuleSet::builtin());
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let data: Vec<u8> = (0..1 << 20)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        for size in [4096, 1 << 20] {
            let (out, n) = redact_by(&s, &data, size);
            assert_eq!(n, 0);
            assert!(out == data, "read size {size}: binary changed");
        }
    }

    #[test]
    fn utf16_is_masked_in_its_own_units() {
        let s = Scanner::new(RuleSet::builtin());
        let t = mint("cfut");
        let text = format!("PS> $t = '{t}'\r\n");
        let masked = format!("PS> $t = 'cfut_{}'\r\n", "*".repeat(t.len() - 5));
        for (bom, order) in [
            (&[0xFF, 0xFE][..], Utf16::Le),
            (&[][..], Utf16::Le),
            (&[0xFE, 0xFF][..], Utf16::Be),
        ] {
            let enc = |s: &str| -> Vec<u8> {
                let mut v = bom.to_vec();
                for u in s.encode_utf16() {
                    v.extend_from_slice(&match order {
                        Utf16::Le => u.to_le_bytes(),
                        Utf16::Be => u.to_be_bytes(),
                    });
                }
                v
            };
            for size in [1, 3, 1 << 16] {
                let (out, n) = redact_by(&s, &enc(&text), size);
                assert_eq!(n, 1);
                assert_eq!(out, enc(&masked), "{order:?} {bom:?} by {size}");
            }
        }
        // What only starts like UTF-16 (a binary log) has its plain
        // tokens masked all the same.
        let g = mint("ghp");
        let bytes = [&[0xFF, 0xFE, 0, 0, 7][..], format!(" {g}\n").as_bytes()].concat();
        let (out, n) = redact_by(&s, &bytes, 7);
        assert_eq!(n, 1);
        assert_eq!(&out[..6], &bytes[..6]);
        assert_eq!(
            &out[6..],
            format!("ghp_{}\n", "*".repeat(g.len() - 4)).as_bytes()
        );
    }

    #[test]
    fn a_file_in_blocks_side_by_side_gives_what_one_pass_gives() {
        let s = Scanner::new(RuleSet::builtin());
        // Tokens at every distance from the cuts, and long stretches
        // without a line break, cut mid-token.
        let mut data = Vec::new();
        let mut x = 7u32;
        for i in 0..300 {
            x = x.wrapping_mul(1664525).wrapping_add(1013904223);
            let noise = (x >> 20) as usize % 700;
            data.extend(std::iter::repeat_n(b"ab cd"[i % 5], noise));
            if i % 3 == 0 {
                data.push(b'\n');
            }
            data.extend_from_slice(&transcript()[(x as usize >> 7) % 500..]);
        }
        // No line breaks: blocks are cut at their size, and a token
        // starts at every distance before a cut.
        let mut flat = Vec::new();
        for j in 0..70 {
            let mut cut = (flat.len() / 4096 + 1) * 4096;
            while cut - j <= flat.len() {
                cut += 4096;
            }
            flat.resize(cut - j, b' ');
            flat.extend_from_slice(mint(["cfut", "ghp", "npm"][j % 3]).as_bytes());
        }
        let dir = tempfile::tempdir().unwrap();
        for (data, blocks) in [
            (data, &[(2, 4096), (3, 1000), (2, 64 * 1024)][..]),
            (flat, &[(2, 4096)]),
        ] {
            let path = dir.path().join("big.log");
            std::fs::write(&path, &data).unwrap();
            let file = File::open(&path).unwrap();
            let (one, n) = redact_by(&s, &data, 1 << 16);
            assert_eq!(n as usize, spans(&s, &data).len());
            assert!(n >= 70);
            for &(threads, block) in blocks {
                let mut r = Redactor::new(&s, Vec::new());
                let len = data.len() as u64;
                assert_eq!(r.file_in(&file, len, threads, (0, block)).unwrap(), len);
                assert_eq!(r.count(), n);
                assert!(
                    r.finish().unwrap() == one,
                    "{threads} threads, blocks of {block}"
                );
            }
        }
    }

    #[test]
    fn what_cannot_be_a_token_is_passed_on_at_once() {
        let s = Scanner::new(RuleSet::builtin());
        let mut r = Redactor::new(&s, Vec::new());
        r.write_all(b"first line\nsecond ").unwrap();
        assert_eq!(r.get_ref(), b"first line\nsecond ");
        let t = mint("cfat");
        r.write_all(&t.as_bytes()[..20]).unwrap();
        assert_eq!(r.get_ref().len(), 18, "a token's start is held");
        r.write_all(&t.as_bytes()[20..]).unwrap();
        r.write_all(b" done\n").unwrap();
        assert_eq!(
            r.get_ref().len(),
            18 + t.len() + 6,
            "and passed on once it ends"
        );
        assert!(!String::from_utf8_lossy(r.get_ref()).contains(&t[5..]));
    }

    #[test]
    fn a_bearer_header_waits_for_the_host_that_names_it() {
        let s = Scanner::new(RuleSet::builtin());
        let secret = "vGNWAMsI-z0oaWdfZp_lvi60ZIF8-qR38Ony1dHq"; // burnkey:allow
        let mut r = Redactor::new(&s, Vec::new());
        r.write_all(format!("Authorization: Bearer {secret}\n").as_bytes())
            .unwrap();
        assert_eq!(r.get_ref(), b"Authorization: Bearer ", "the secret is held");
        r.write_all(b"Host: api.cloudflare.com\n").unwrap();
        let out = String::from_utf8(r.finish().unwrap()).unwrap();
        assert!(!out.contains(secret), "{out}");
        assert!(out.ends_with("\nHost: api.cloudflare.com\n"));
        // Not named by anything that follows: passed on unchanged.
        let plain = format!("Authorization: Bearer {secret}\nHost: example.com\n");
        assert_eq!(redact_by(&s, plain.as_bytes(), 5).0, plain.as_bytes());
    }
}
