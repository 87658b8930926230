//! zip, read by its local headers so that it streams (stored and deflate
//! members; zip64 sizes; members written with a data descriptor). What
//! follows the last member, the central directory included, is read as it
//! is.

use std::cell::Cell;
use std::io::{self, BufRead, BufReader, Read};

use super::layer::{guarded, Budget, Container, Counted, Inflated, Layer, Place, Visit};
use crate::findings::stats::SkipReason;
use crate::scan::buffer::StreamBuffer;

/// The container.
pub(crate) struct Zip;

impl Container for Zip {
    fn name(&self) -> &'static str {
        "zip"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        matches!(
            head,
            [b'P', b'K', 3, 4, ..]
                | [b'P', b'K', 5, 6, ..]
                | [b'P', b'K', 7, 8, b'P', b'K', 3, 4, ..]
        )
    }

    fn open(
        &self,
        layer: &dyn Layer,
        r: &mut dyn Read,
        ctx: &Place,
        sb: &mut StreamBuffer,
        budget: &Budget<'_>,
        v: &mut dyn Visit,
    ) -> io::Result<()> {
        let mut r = BufReader::with_capacity(64 << 10, r);
        guarded(budget, v, |v| {
            let mut members = 0u64;
            loop {
                let Some(h) = LocalHeader::read(&mut r)? else {
                    // The central directory: names, comments, and whatever
                    // was appended.
                    return layer.after_the_end(&mut r, ctx, sb, budget, v);
                };
                if h.name.ends_with(b"/") && h.size == Some((0, 0)) {
                    continue;
                }
                if !budget.admit(&mut members, v) {
                    return Ok(());
                }
                let inner = ctx.inner(&h.name);
                let why = match (h.method, h.size) {
                    _ if h.encrypted => SkipReason::ArchiveEncrypted,
                    (0, Some((csize, _))) => {
                        let mut m = (&mut r).take(csize);
                        layer.text(&mut m, &inner, sb, budget, v, true)?;
                        read_to_end(&mut m)?;
                        continue;
                    }
                    (0, None) => SkipReason::ArchiveUnstreamable,
                    (8, Some((csize, _))) => {
                        let input = Cell::new(0);
                        let mut m = Inflated {
                            inner: flate2::read::DeflateDecoder::new(Counted {
                                inner: (&mut r).take(csize),
                                count: &input,
                            }),
                            budget,
                            input: &input,
                            out: 0,
                        };
                        layer.text(&mut m, &inner, sb, budget, v, true)?;
                        // What the member's scan left is skipped as it is,
                        // compressed.
                        let mut rest = m.inner.into_inner().inner;
                        read_to_end(&mut rest)?;
                        continue;
                    }
                    (8, None) => {
                        // Deflate ends itself; the sizes follow the data.
                        let input = Cell::new(0);
                        let mut m = Inflated {
                            inner: flate2::bufread::DeflateDecoder::new(Counted {
                                inner: BufRef(&mut r),
                                count: &input,
                            }),
                            budget,
                            input: &input,
                            out: 0,
                        };
                        layer.text(&mut m, &inner, sb, budget, v, true)?;
                        io::copy(&mut m, &mut io::sink())?;
                        h.skip_descriptor(&mut r)?;
                        continue;
                    }
                    _ => SkipReason::ArchiveUnsupported,
                };
                v.skipped(why);
                match h.size {
                    Some((csize, _)) => read_to_end(&mut (&mut r).take(csize))?,
                    // Nothing says where the next member starts: the rest
                    // is read as it is (a stored member is plain text).
                    None => return layer.after_the_end(&mut r, ctx, sb, budget, v),
                }
            }
        })
    }
}

/// Reads what is left of `r`, a `Take` of `len` bytes, and fails if the
/// data ends before that.
fn read_to_end<R: Read>(r: &mut io::Take<R>) -> io::Result<()> {
    io::copy(r, &mut io::sink())?;
    if r.limit() > 0 {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(())
}

/// A `BufRead` by reference whose reads go through `Counted` (which needs
/// `Read`) yet keeps `fill_buf`/`consume` for the decoder.
struct BufRef<'r, R>(&'r mut R);

impl<R: BufRead> Read for BufRef<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl<R: BufRead> BufRead for Counted<'_, BufRef<'_, R>> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.0.fill_buf()
    }
    fn consume(&mut self, n: usize) {
        self.count.set(self.count.get() + n as u64);
        self.inner.0.consume(n)
    }
}

/// A zip member's local header.
struct LocalHeader {
    encrypted: bool,
    method: u16,
    /// Compressed and uncompressed sizes, when the header knows them (not
    /// for a member written with a data descriptor).
    size: Option<(u64, u64)>,
    zip64: bool,
    name: Vec<u8>,
}

const LOCAL: u32 = 0x0403_4b50;
const DESCRIPTOR: u32 = 0x0807_4b50;

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

impl LocalHeader {
    /// The next member's header; none at the central directory (the end).
    fn read(r: &mut impl BufRead) -> io::Result<Option<LocalHeader>> {
        let mut sig = [0u8; 4];
        r.read_exact(&mut sig)?;
        let mut sig = u32::from_le_bytes(sig);
        if sig == DESCRIPTOR {
            // A split archive's marker before the first header.
            let mut next = [0u8; 4];
            r.read_exact(&mut next)?;
            sig = u32::from_le_bytes(next);
        }
        match sig {
            LOCAL => {}
            // Central directory, zip64 end, end of central directory.
            0x0201_4b50 | 0x0606_4b50 | 0x0605_4b50 => return Ok(None),
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "not a zip member header",
                ))
            }
        }
        let mut fixed = [0u8; 26];
        r.read_exact(&mut fixed)?;
        let flags = u16_at(&fixed, 2);
        let method = u16_at(&fixed, 4);
        let (mut csize, mut usize_) = (u32_at(&fixed, 14) as u64, u32_at(&fixed, 18) as u64);
        let (nlen, xlen) = (u16_at(&fixed, 22) as usize, u16_at(&fixed, 24) as usize);
        let mut name = vec![0u8; nlen];
        r.read_exact(&mut name)?;
        let mut extra = vec![0u8; xlen];
        r.read_exact(&mut extra)?;
        // Zip64: the sizes that do not fit are in extra field 1, original
        // size first.
        let mut zip64 = false;
        let mut at = 0;
        while at + 4 <= extra.len() {
            let (id, len) = (u16_at(&extra, at), u16_at(&extra, at + 2) as usize);
            let field = &extra[at + 4..(at + 4 + len).min(extra.len())];
            if id == 1 {
                zip64 = true;
                let mut i = 0;
                if usize_ == 0xFFFF_FFFF && field.len() >= i + 8 {
                    usize_ = u64_at(field, i);
                    i += 8;
                }
                if csize == 0xFFFF_FFFF && field.len() >= i + 8 {
                    csize = u64_at(field, i);
                }
            }
            at += 4 + len;
        }
        Ok(Some(LocalHeader {
            encrypted: flags & 1 != 0,
            method,
            size: (flags & 8 == 0).then_some((csize, usize_)),
            zip64,
            name,
        }))
    }

    /// Reads past the data descriptor after a member written without sizes.
    fn skip_descriptor(&self, r: &mut impl BufRead) -> io::Result<()> {
        let sizes = if self.zip64 { 16 } else { 8 };
        let head = r.fill_buf()?;
        let signed = head.len() >= 4 && u32_at(head, 0) == DESCRIPTOR;
        let len = 4 + sizes + if signed { 4 } else { 0 };
        let mut d = vec![0u8; len];
        r.read_exact(&mut d)
    }
}
