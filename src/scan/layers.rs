//! Containers, found by their first bytes rather than their names: gzip,
//! zip (stored and deflate members), tar, and UTF-16 text; nested (a zip in
//! a tar.gz, a .gz in a zip) up to the scanner's decode depth.
//!
//! Everything streams. A layer reads its input once, front to back, through
//! a fixed buffer of its own (a [`StreamBuffer`] per depth): zip members
//! are read by their local headers, so a zip inside another archive, on
//! stdin or in a git blob needs no seeking and is never held whole. Nothing
//! is written anywhere. What a file may cost is bounded by [`Limits`]:
//! decompressed bytes over all its layers, the expansion of each
//! compressed stream, members per archive. Past a limit, or at damage, the
//! file's scan stops there (or, for damage inside one member, that member's
//! does), the reason is counted in `stats.skipped`, and the scan goes on.
//!
//! A match inside a container names the `member` (a chain of inner paths
//! joined with `/`; for a bare gzip, the file's name without `.gz`) and the
//! `encoding` it was read through (`gzip`, `utf-16le`, then any encoding
//! inside, as `gzip>base64`). Its line and column are in the member's text.

use std::cell::Cell;
use std::fs::File;
use std::io::{self, Read};
use std::sync::Arc;

use crate::engine::decode::Utf16Reader;
use crate::findings::stats::{SkipReason, Stats};
use crate::scan::config::ScanConfig;
pub(crate) use crate::scan::container::layer::Visit;
use crate::scan::container::layer::{Budget, Counted, Layer, Place};
use crate::scan::encoding::utf16::ascii_text;
use crate::scan::parts::PARALLEL_HELD;
use crate::scan::sniff::{sniff, Head, SNIFF_LEN};
use crate::scan::{Match, Opts, Scanner, StreamBuffer, Streamed};

/// Files this large are scanned in parts side by side when there are
/// workers to spare (see [`Scanner::scan_file_parallel`]).
pub(crate) const PARALLEL_MIN: u64 = 64 << 20;

/// The bytes of a UTF-16 text up to the first stretch that is plainly not
/// UTF-16: [`PLAIN_RUN`] bytes, from a code unit's start, of ASCII text
/// with no zero byte (UTF-16 of ASCII has one in every unit; a run this
/// long of CJK units whose two bytes both look like ASCII does not occur in
/// text). From there on it reads as at its end; [`Utf16Units::plain`] gives
/// the rest, to be read as it is.
struct Utf16Units<R: Read> {
    inner: R,
    buf: Box<[u8]>,
    /// What `buf` holds that is not given out yet.
    lo: usize,
    hi: usize,
    /// Up to where `buf` is known to be UTF-16 (a reader taking less than
    /// that is given the rest without a second look).
    sure: usize,
    /// Bytes given out, to keep code units aligned.
    given: u64,
    eof: bool,
    plain: bool,
}

/// How long a stretch of plain ASCII ends a UTF-16 text.
const PLAIN_RUN: usize = 48;

/// Where the first stretch of five 8-byte words without a zero byte starts
/// in `b` (every run of [`PLAIN_RUN`] bytes holds one), or where such a
/// stretch cut by the end of `b` starts; `None` if there is neither. At
/// about one instruction a byte, where a byte-by-byte look costs several.
fn zero_free_words(b: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut clean = 0;
    let mut i = 0;
    while i + 8 <= b.len() {
        let w = u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        if w.wrapping_sub(ONES) & !w & HIGHS != 0 {
            clean = 0;
        } else {
            clean += 1;
            if clean == 5 {
                return Some(i - 32);
            }
        }
        i += 8;
    }
    // Words (and a partial one) that may go on past the end.
    let tail = i - clean * 8;
    (tail < b.len()).then_some(tail)
}

impl<R: Read> Utf16Units<R> {
    fn new(inner: R) -> Utf16Units<R> {
        Utf16Units {
            inner,
            buf: vec![0; 8 << 10].into_boxed_slice(),
            lo: 0,
            hi: 0,
            sure: 0,
            given: 0,
            eof: false,
            plain: false,
        }
    }

    /// What follows the UTF-16 text (nothing if it never ended).
    fn plain(self) -> impl Read {
        let held = self.buf[self.lo..self.hi].to_vec();
        io::Cursor::new(held).chain(self.inner)
    }

    /// How much of `buf[lo..hi]` is surely UTF-16, and whether a plain run
    /// starts right there.
    fn scan(&self) -> (usize, bool) {
        let b = &self.buf[self.lo..self.hi];
        let Some(near) = zero_free_words(b) else {
            // Bytes after the last zero may begin a run the next read ends.
            let open = match self.eof {
                true => 0,
                false => b.iter().rev().take_while(|&&x| x != 0).count(),
            };
            return (b.len() - open, false);
        };
        // Byte by byte, from a run's earliest possible start.
        let mut start = 0;
        let mut run = 0;
        let mut i = near.saturating_sub(PLAIN_RUN);
        while i < b.len() {
            if ascii_text(b[i]) {
                if run == 0 {
                    // A run counts from a code unit's first byte.
                    if !(self.given + i as u64).is_multiple_of(2) {
                        i += 1;
                        continue;
                    }
                    start = i;
                }
                run += 1;
                if run >= PLAIN_RUN {
                    return (start, true);
                }
            } else {
                run = 0;
            }
            i += 1;
        }
        // A run cut by the end of what was read may go on: it waits.
        match (self.eof, run) {
            (false, 1..) => (start, false),
            _ => (b.len(), false),
        }
    }
}

impl<R: Read> Read for Utf16Units<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.plain || out.is_empty() {
                return Ok(0);
            }
            let (upto, plain) = match self.sure > self.lo {
                true => (self.sure - self.lo, false),
                false => self.scan(),
            };
            self.sure = self.lo + upto;
            if upto > 0 {
                let n = upto.min(out.len());
                out[..n].copy_from_slice(&self.buf[self.lo..self.lo + n]);
                self.lo += n;
                self.given += n as u64;
                return Ok(n);
            }
            if plain {
                self.plain = true;
                return Ok(0);
            }
            if self.eof {
                return Ok(0);
            }
            // Keep what is undecided (less than a run) at the front; read
            // more after it.
            self.buf.copy_within(self.lo..self.hi, 0);
            self.hi -= self.lo;
            (self.lo, self.sure) = (0, 0);
            let n = self.inner.read(&mut self.buf[self.hi..])?;
            self.hi += n;
            self.eof = n == 0;
        }
    }
}

/// A [`Visit`] that counts skips and members in `stats` and hands matches
/// to a function (which may count in `stats` too).
pub(crate) struct Counting<'a, F: FnMut(Match, &mut Stats)> {
    /// Where counts go.
    pub stats: &'a mut Stats,
    /// What to do with a match.
    pub found: F,
}

impl<F: FnMut(Match, &mut Stats)> Visit for Counting<'_, F> {
    fn found(&mut self, m: Match) {
        (self.found)(m, self.stats)
    }
    fn skipped(&mut self, why: SkipReason) {
        self.stats.skip(why)
    }
    fn member(&mut self) {
        self.stats.members_scanned += 1
    }
}

/// The file itself: read errors here are the file's, not damage.
struct Source<'b, 'l, R> {
    inner: R,
    budget: &'b Budget<'l>,
}

impl<R: Read> Read for Source<'_, '_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).inspect_err(|e| {
            if e.kind() != io::ErrorKind::Interrupted {
                self.budget.source_failed.set(true)
            }
        })
    }
}

/// Goes down a layer: `f` reads the stream again from its first `n` bytes,
/// which sniffing left in `sb`'s buffer, with the buffer of the layer below.
fn below<T>(
    sb: &mut StreamBuffer,
    n: usize,
    f: impl FnOnce(io::Cursor<&[u8]>, &mut StreamBuffer) -> T,
) -> T {
    let first = std::mem::take(&mut sb.buf);
    let out = f(io::Cursor::new(&first[..n]), sb.deeper());
    sb.buf = first;
    out
}

/// Reads through containers and UTF-16 with a scanner.
pub(crate) struct Layers<'a> {
    scanner: &'a Scanner,
    config: &'a ScanConfig,
}

impl<'a> Layers<'a> {
    /// Layers over `scanner`, with `config`'s archive switch and limits.
    pub fn new(scanner: &'a Scanner, config: &'a ScanConfig) -> Layers<'a> {
        Layers { scanner, config }
    }

    /// Whether streams are sniffed at all.
    fn sniffs(&self) -> bool {
        self.scanner.depth() > 0
    }

    /// Scans a file of `len` bytes (from `fstat`) named `name`: text as
    /// [`Scanner::scan_file_sized`] does, anything else through its layers.
    /// Returns the bytes read from the file.
    pub fn file(
        &self,
        file: &File,
        len: u64,
        name: &[u8],
        sb: &mut StreamBuffer,
        v: &mut dyn Visit,
    ) -> io::Result<u64> {
        // A large file of text, with cores to spare: in parts, side by side.
        // (`workers` asks the system, which reads cgroup files: not per file.)
        if len >= PARALLEL_MIN && self.config.workers() > 1 {
            let workers = self.config.workers();
            use std::os::unix::fs::FileExt;
            let mut head = [0u8; SNIFF_LEN];
            let n = file.read_at(&mut head, 0)?;
            if !self.sniffs() || sniff(&head[..n]).is_none() {
                let parts = workers.min((len / (PARALLEL_MIN / 2)) as usize);
                return self.scanner.scan_file_parallel(
                    file,
                    len,
                    (parts, PARALLEL_HELD, true),
                    self.config.read_size,
                    |m| v.found(m),
                );
            }
        }
        let opts = Opts {
            rewind: Some(file),
            size: Some(len),
            sniff: self.sniffs(),
            ..Opts::default()
        };
        let streamed = self.scanner.stream(&mut &*file, sb, opts, |m| v.found(m))?;
        self.rest(streamed, &mut &*file, Some(name), sb, v)
    }

    /// Scans a stream (stdin, a pipe, a git blob) named `name`, if it has
    /// one. Returns the bytes read from it.
    pub fn reader(
        &self,
        r: &mut dyn Read,
        name: Option<&[u8]>,
        sb: &mut StreamBuffer,
        v: &mut dyn Visit,
    ) -> io::Result<u64> {
        let count = Cell::new(0);
        let mut r = Counted {
            inner: r,
            count: &count,
        };
        let opts = Opts {
            sniff: self.sniffs(),
            ..Opts::default()
        };
        let streamed = self.scanner.stream(&mut r, sb, opts, |m| v.found(m))?;
        if let Streamed::Done(n) = streamed {
            return Ok(n);
        }
        self.rest(streamed, &mut r, name, sb, v)?;
        Ok(count.get())
    }

    /// What follows the first read of a top-level stream.
    fn rest(
        &self,
        streamed: Streamed,
        r: &mut dyn Read,
        name: Option<&[u8]>,
        sb: &mut StreamBuffer,
        v: &mut dyn Visit,
    ) -> io::Result<u64> {
        let (head, n) = match streamed {
            Streamed::Done(n) => return Ok(n),
            Streamed::Layer(head, n) => (head, n),
        };
        let budget = Budget {
            limits: &self.config.limits,
            left: Cell::new(self.config.limits.max_decompressed),
            hit: Cell::new(None),
            source_failed: Cell::new(false),
            read: Cell::new(0),
            inflated: Cell::new(0),
        };
        let read = &budget.read;
        let ctx = Place {
            name: name.map(<[u8]>::to_vec),
            ..Place::default()
        };
        let res = below(sb, n, |first, deeper| {
            let mut source = Counted {
                inner: first.chain(Source {
                    inner: r,
                    budget: &budget,
                }),
                count: read,
            };
            // What the layers leave unread past a limit is not read:
            // `bytes_scanned` counts what was. (What follows an archive's
            // end is read: `after_the_end`.)
            self.open(head, &mut source, &ctx, deeper, &budget, v)
        });
        match res {
            Ok(()) => {}
            Err(_) if budget.hit.get().is_some() => {
                v.skipped(budget.hit.get().expect("set"));
            }
            Err(e) if budget.source_failed.get() => return Err(e),
            // Damage the layer below could not place.
            Err(_) => v.skipped(SkipReason::ArchiveCorrupt),
        }
        Ok(read.get())
    }

    /// Reads the container or encoding `head` from `r`, at `ctx`.
    fn open(
        &self,
        head: Head,
        r: &mut dyn Read,
        ctx: &Place,
        sb: &mut StreamBuffer,
        budget: &Budget<'_>,
        v: &mut dyn Visit,
    ) -> io::Result<()> {
        if ctx.depth >= self.scanner.depth() {
            v.skipped(SkipReason::TooDeep);
            return Ok(());
        }
        match head {
            Head::Utf16(order, mark) => {
                io::copy(&mut r.take(mark as u64), &mut io::sink())?;
                let mut units = Utf16Units::new(r);
                let mut text = Utf16Reader::new(&mut units, order);
                let inner = ctx.through(order.name(), None);
                self.text(&mut text, &inner, sb, budget, v, false)?;
                // Plain text after it (PowerShell's `>` writes UTF-16, its
                // `Add-Content` then appends ASCII lines) is read as it is.
                let mut rest = units.plain();
                self.after_the_end(&mut rest, ctx, sb, budget, v)
            }
            _ if !self.config.archives => {
                // Scanned as bytes, as before archives were read.
                let mut r = r;
                self.text(&mut r, ctx, sb, budget, v, false)
            }
            Head::Container(c) => c.open(self, r, ctx, sb, budget, v),
        }
    }
}

impl Layer for Layers<'_> {
    fn text(
        &self,
        r: &mut dyn Read,
        ctx: &Place,
        sb: &mut StreamBuffer,
        budget: &Budget<'_>,
        v: &mut dyn Visit,
        sniff: bool,
    ) -> io::Result<()> {
        let member: Option<Arc<str>> = ctx.text_member().map(Into::into);
        let encoding: Option<Arc<str>> = ctx.encoding.as_deref().map(Into::into);
        let tag = |mut m: Match| {
            m.member = member.clone();
            m.encoding = match (&encoding, m.encoding.take()) {
                (None, inner) => inner,
                (Some(outer), None) => Some(outer.clone()),
                (Some(outer), Some(inner)) => Some(format!("{outer}>{inner}").into()),
            };
            m
        };
        let sniff = sniff && self.sniffs();
        let opts = Opts {
            sniff,
            ..Opts::default()
        };
        let streamed = self.scanner.stream(r, sb, opts, |m| v.found(tag(m)))?;
        let (head, n) = match streamed {
            Streamed::Done(_) => {
                v.member();
                return Ok(());
            }
            Streamed::Layer(head, n) => (head, n),
        };
        below(sb, n, |first, deeper| {
            self.open(head, &mut first.chain(r), ctx, deeper, budget, v)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::container::gzip::gunzipped;

    /// Gives at most `n` bytes a read, as a slow pipe does.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn utf16_ends_where_plain_ascii_begins_however_it_is_read() {
        // Lines as PowerShell writes them: CJK text runs whose two bytes
        // both look like ASCII (中 is 2D 4E) do not end the UTF-16 part.
        let utf16: Vec<u8> = "PATH=C:\\Windows\r\n中文字符串中文\r\n"
            .repeat(50)
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let plain = b"TOKEN=cfut_0123456789012345678901234567890123456789abcdef01\r\n".repeat(3);
        let whole = [&utf16[..], &plain[..]].concat();
        for step in [1, 3, 7, 64, 1 << 20] {
            let mut u = Utf16Units::new(Trickle(&whole, step));
            let mut got = Vec::new();
            u.read_to_end(&mut got).unwrap();
            assert!(
                got == utf16,
                "step {step}: {} of {} bytes",
                got.len(),
                utf16.len()
            );
            let mut rest = Vec::new();
            u.plain().read_to_end(&mut rest).unwrap();
            assert!(
                rest == plain,
                "step {step}: {}",
                String::from_utf8_lossy(&rest)
            );
        }
        // A reader that takes a few bytes at a time gets the same.
        let mut u = Utf16Units::new(Trickle(&whole, 4096));
        let (mut got, mut chunk) = (Vec::new(), [0u8; 5]);
        loop {
            match u.read(&mut chunk).unwrap() {
                0 => break,
                n => got.extend_from_slice(&chunk[..n]),
            }
        }
        assert!(got == utf16, "{} of {} bytes", got.len(), utf16.len());
        // UTF-16 with no plain part is read whole, and leaves nothing.
        let mut u = Utf16Units::new(Trickle(&utf16, 5));
        let mut got = Vec::new();
        u.read_to_end(&mut got).unwrap();
        assert!(got == utf16);
    }

    #[test]
    fn members_chain_through_archives() {
        let top = Place::default();
        // A tar in a gzip: members by their own paths.
        let gz = top.through("gzip", gunzipped(b"x.tar.gz"));
        assert_eq!(gz.text_member().as_deref(), Some("x.tar"));
        let member = gz.inner(b"dir/b.zip");
        assert_eq!(member.member.as_deref(), Some("dir/b.zip"));
        let deeper = member.inner(b".env");
        assert_eq!(deeper.text_member().as_deref(), Some("dir/b.zip/.env"));
        assert_eq!(deeper.encoding.as_deref(), Some("gzip"));
        // A .gz in a zip.
        let log = member.inner(b"logs/a.log.gz");
        let inside = log.through("gzip", gunzipped(b"logs/a.log.gz"));
        assert_eq!(
            inside.text_member().as_deref(),
            Some("dir/b.zip/logs/a.log.gz/a.log")
        );
    }
}
