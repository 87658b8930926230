//! What a container may ask of the layers around it, and what they share:
//! where matches go ([`Visit`]), where a stream is ([`Place`]), what a file
//! has left to spend ([`Budget`]), and the readers that count and charge
//! decompressed bytes.

use std::cell::Cell;
use std::io::{self, BufRead, BufReader, Read};

use crate::findings::matched::Match;
use crate::findings::stats::SkipReason;
use crate::scan::buffer::StreamBuffer;
use crate::scan::config::Limits;

/// A container: found by its first bytes, read as members (or one
/// decompressed stream) that go back through the layers.
pub(crate) trait Container: Sync {
    /// As in a match's `encoding` and in tests.
    fn name(&self) -> &'static str;

    /// Whether `head` (the first [`SNIFF_LEN`](crate::scan::sniff::SNIFF_LEN)
    /// bytes, or all there are) starts one.
    fn sniff(&self, head: &[u8]) -> bool;

    /// Reads it from `r` at `ctx`, handing each member's stream to `layer`
    /// (which scans it as text or opens the container it is). An archive
    /// reads its members; a compression needs only its [`decoder`] and
    /// [`unpacked_names`], and this reads its one stream.
    ///
    /// [`decoder`]: Container::decoder
    /// [`unpacked_names`]: Container::unpacked_names
    fn open(
        &self,
        layer: &dyn Layer,
        r: &mut dyn Read,
        ctx: &Place,
        sb: &mut StreamBuffer,
        budget: &Budget<'_>,
        v: &mut dyn Visit,
    ) -> io::Result<()> {
        open_compressed(self, layer, r, ctx, sb, budget, v)
    }

    /// For a compression: the extensions its files end with and what
    /// their content's name ends with instead (`.tgz` → `.tar`, `.gz` →
    /// ``), tried in order.
    fn unpacked_names(&self) -> &'static [(&'static str, &'static str)] {
        &[]
    }

    /// For a compression (one stream, no members): its decompressing
    /// reader over `r`, whose own memory (a dictionary, a window) may not
    /// pass `max_memory` (an `OutOfMemory` error if the stream declares
    /// more). `None` for an archive. Inside a decoding (a gzip in base64)
    /// this is how it is read.
    fn decoder<'r>(
        &self,
        _r: Box<dyn BufRead + 'r>,
        _max_memory: u64,
    ) -> Option<io::Result<Box<dyn Read + 'r>>> {
        None
    }
}

/// Opens the compression `c` (which has a [`Container::decoder`]): its
/// content is read as a stream that goes by the file's name less the
/// first of its [`Container::unpacked_names`] it ends with.
fn open_compressed<C: Container + ?Sized>(
    c: &C,
    layer: &dyn Layer,
    r: &mut dyn Read,
    ctx: &Place,
    sb: &mut StreamBuffer,
    budget: &Budget<'_>,
    v: &mut dyn Visit,
) -> io::Result<()> {
    let input = Cell::new(0);
    let pending = ctx
        .name
        .as_deref()
        .and_then(|n| unpacked(n, c.unpacked_names()));
    let max_memory = budget.limits.max_decoder_memory;
    guarded(budget, v, |v| {
        let source = Box::new(compressed_input(r, &input));
        let mut d = match c.decoder(source, max_memory).expect("a compression") {
            Ok(d) => d,
            Err(e) if e.kind() == io::ErrorKind::OutOfMemory => {
                v.skipped(SkipReason::DecoderMemory);
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        decompressed(layer, c.name(), pending, &mut d, &input, ctx, sb, budget, v)
    })
}

/// What a container asks of the layers: to read a stream.
pub(crate) trait Layer {
    /// A stream that is text, or (when `sniff`) another layer.
    fn text(
        &self,
        r: &mut dyn Read,
        ctx: &Place,
        sb: &mut StreamBuffer,
        budget: &Budget<'_>,
        v: &mut dyn Visit,
        sniff: bool,
    ) -> io::Result<()>;

    /// What follows an archive's last member (a zip's central directory
    /// and comment, bytes appended after its end, a member only the central
    /// directory could delimit): scanned as plain bytes of the file, so a
    /// layer never hides what it does not read.
    fn after_the_end(
        &self,
        r: &mut dyn Read,
        ctx: &Place,
        sb: &mut StreamBuffer,
        budget: &Budget<'_>,
        v: &mut dyn Visit,
    ) -> io::Result<()> {
        // Zero padding (a tar's last records) holds nothing: passed over
        // without starting a scan, which costs a buffer's setting up.
        let mut r = BufReader::new(r);
        loop {
            let b = r.fill_buf()?;
            if b.is_empty() {
                return Ok(());
            }
            match b.iter().position(|&x| x != 0) {
                Some(i) => break r.consume(i),
                None => {
                    let n = b.len();
                    r.consume(n)
                }
            }
        }
        let plain = Place {
            pending: None,
            ..ctx.clone()
        };
        self.text(&mut r, &plain, sb, budget, &mut NotAMember(v), false)
    }
}

/// Where a layer's matches go, and what it skipped.
pub(crate) trait Visit {
    /// A match, tagged with its member and encoding.
    fn found(&mut self, m: Match);
    /// Something not read, and why.
    fn skipped(&mut self, why: SkipReason);
    /// A member (or a decompressed stream) scanned to its end.
    fn member(&mut self);
}

/// A [`Visit`] for bytes that are no member: what an archive leaves after
/// its members is scanned, and not counted as one.
pub(crate) struct NotAMember<'v>(pub(crate) &'v mut dyn Visit);

impl Visit for NotAMember<'_> {
    fn found(&mut self, m: Match) {
        self.0.found(m)
    }
    fn skipped(&mut self, why: SkipReason) {
        self.0.skipped(why)
    }
    fn member(&mut self) {}
}

/// The error a limit raises inside nested readers, to stop the file.
#[derive(Debug)]
pub(crate) struct LimitHit;

impl std::fmt::Display for LimitHit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a decompression limit was reached")
    }
}

impl std::error::Error for LimitHit {}

/// What one top-level file has left to spend, and what stopped it.
pub(crate) struct Budget<'a> {
    pub(crate) limits: &'a Limits,
    pub(crate) left: Cell<u64>,
    pub(crate) hit: Cell<Option<SkipReason>>,
    /// Set when the file itself (not a layer) failed to read.
    pub(crate) source_failed: Cell<bool>,
    /// Bytes read from the file itself.
    pub(crate) read: Cell<u64>,
    /// Bytes every layer of the file has decompressed: the expansion limit
    /// holds for the file as a whole, so many small streams (255 deflate
    /// members of 1 MiB each in a few KB) cannot pass it one by one.
    pub(crate) inflated: Cell<u64>,
}

/// Counts the bytes read through it.
pub(crate) struct Counted<'c, R> {
    pub(crate) inner: R,
    pub(crate) count: &'c Cell<u64>,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// Decompressed output, charged to the budget and checked against the
/// expansion limit (`input`: compressed bytes read so far).
pub(crate) struct Inflated<'b, 'l, 'c, R> {
    pub(crate) inner: R,
    pub(crate) budget: &'b Budget<'l>,
    pub(crate) input: &'c Cell<u64>,
    pub(crate) out: u64,
}

impl<R: Read> Read for Inflated<'_, '_, '_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out += n as u64;
        let inflated = self.budget.inflated.get() + n as u64;
        self.budget.inflated.set(inflated);
        let ratio = self.budget.limits.max_ratio;
        let left = self.budget.left.get();
        let over = if (n as u64) > left {
            Some(SkipReason::DecompressionLimit)
        } else if (self.out > 1 << 20 && self.out / self.input.get().max(1) > ratio)
            || (inflated > 1 << 20 && inflated / self.budget.read.get().max(1) > ratio)
        {
            Some(SkipReason::CompressionRatio)
        } else {
            None
        };
        if let Some(why) = over {
            self.budget.hit.set(Some(why));
            return Err(io::Error::other(LimitHit));
        }
        self.budget.left.set(left - n as u64);
        Ok(n)
    }
}

/// Where in the layers a stream is.
#[derive(Clone, Debug, Default)]
pub(crate) struct Place {
    /// The member's path so far.
    pub(crate) member: Option<String>,
    /// The name a gzip's content goes by if it is not an archive.
    pub(crate) pending: Option<String>,
    /// Encodings read through so far.
    pub(crate) encoding: Option<String>,
    /// This stream's own name (the file's, the member's), for a gzip's.
    pub(crate) name: Option<Vec<u8>>,
    pub(crate) depth: u32,
}

impl Place {
    /// The member a match in this stream's text belongs to.
    pub(crate) fn text_member(&self) -> Option<String> {
        match (&self.member, &self.pending) {
            (m, None) => m.clone(),
            (None, Some(p)) => Some(p.clone()),
            (Some(m), Some(p)) => Some(format!("{m}/{p}")),
        }
    }

    /// A member of the archive this stream is.
    pub(crate) fn inner(&self, name: &[u8]) -> Place {
        let own = String::from_utf8_lossy(name);
        let own = own.trim_end_matches('/');
        Place {
            member: Some(match &self.member {
                Some(m) => format!("{m}/{own}"),
                None => own.to_string(),
            }),
            pending: None,
            encoding: self.encoding.clone(),
            name: Some(name.to_vec()),
            depth: self.depth + 1,
        }
    }

    /// This stream read through `encoding`; a gzip's text is `pending`.
    pub(crate) fn through(&self, encoding: &str, pending: Option<String>) -> Place {
        Place {
            member: self.member.clone(),
            name: pending.as_ref().map(|p| p.clone().into_bytes()),
            pending: pending.or_else(|| self.pending.clone()),
            encoding: Some(match &self.encoding {
                Some(e) => format!("{e}>{encoding}"),
                None => encoding.to_string(),
            }),
            depth: self.depth + 1,
        }
    }
}

impl Budget<'_> {
    /// Counts one more member of an archive: false past the limit (then
    /// counted as `too_many_members`, and the archive's reading ends).
    pub(crate) fn admit(&self, members: &mut u64, v: &mut dyn Visit) -> bool {
        *members += 1;
        let ok = *members <= self.limits.max_members;
        if !ok {
            v.skipped(SkipReason::TooManyMembers);
        }
        ok
    }
}

/// A compressed stream's content read through `decoder` (which reads the
/// compressed bytes, counting them in `input`): charged to the budget,
/// named `encoding`, and going by `pending` (the file's name less its
/// extension) if it is not an archive. A decoder that refuses a stream
/// for the memory it declares (`io::ErrorKind::OutOfMemory`, past
/// `--max-decoder-memory`) ends it, counted as `decoder_memory`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn decompressed(
    layer: &dyn Layer,
    encoding: &str,
    pending: Option<String>,
    decoder: &mut dyn Read,
    input: &Cell<u64>,
    ctx: &Place,
    sb: &mut StreamBuffer,
    budget: &Budget<'_>,
    v: &mut dyn Visit,
) -> io::Result<()> {
    let over = Cell::new(false);
    let mut out = Inflated {
        inner: Capped {
            inner: decoder,
            over: &over,
        },
        budget,
        input,
        out: 0,
    };
    let inner = ctx.through(encoding, pending);
    layer.text(&mut out, &inner, sb, budget, v, true)?;
    if over.get() {
        v.skipped(SkipReason::DecoderMemory);
    }
    Ok(())
}

/// A decoder whose refusal for memory ends its stream (noted in `over`).
struct Capped<'c, R> {
    inner: R,
    over: &'c Cell<bool>,
}

impl<R: Read> Read for Capped<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::OutOfMemory => {
                self.over.set(true);
                Ok(0)
            }
            other => other,
        }
    }
}

/// The name a compressed file's content goes by: its own, less the first
/// of `exts` (extension, what replaces it) it ends with.
pub(crate) fn unpacked(name: &[u8], exts: &[(&str, &str)]) -> Option<String> {
    let base = name
        .rsplit(|&b| b == b'/')
        .next()
        .filter(|b| !b.is_empty())?;
    let base = String::from_utf8_lossy(base);
    for (ext, to) in exts {
        if base.len() > ext.len() && base.to_ascii_lowercase().ends_with(ext) {
            return Some(format!("{}{to}", &base[..base.len() - ext.len()]));
        }
    }
    Some(base.into_owned())
}

/// The compressed input of a decoder, counted, read ahead in large reads.
pub(crate) fn compressed_input<'c>(
    r: &'c mut dyn Read,
    input: &'c Cell<u64>,
) -> BufReader<Counted<'c, &'c mut dyn Read>> {
    BufReader::with_capacity(
        64 << 10,
        Counted {
            inner: r,
            count: input,
        },
    )
}

/// Runs `read`; damage it reports (not a limit, not the file failing)
/// ends this layer, counted, and its parent goes on.
pub(crate) fn guarded(
    budget: &Budget<'_>,
    v: &mut dyn Visit,
    read: impl FnOnce(&mut dyn Visit) -> io::Result<()>,
) -> io::Result<()> {
    match read(v) {
        Err(_) if budget.hit.get().is_none() && !budget.source_failed.get() => {
            v.skipped(SkipReason::ArchiveCorrupt);
            Ok(())
        }
        other => other,
    }
}
