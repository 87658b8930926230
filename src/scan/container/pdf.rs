//! PDF: the file is read as it is (text outside streams, uncompressed
//! streams, hex strings and escapes in them go through the text layers),
//! and each `FlateDecode` stream (page content, object streams, embedded
//! files, metadata) is decompressed and read too, as member `N G obj`
//! with encoding `flate`. Images are passed over.
//!
//! One pass: the file streams through the text layer while a watcher
//! keeps each deflated stream's compressed bytes (at most
//! [`HELD_MAX`] in all); once the file is read, they are decompressed in
//! turn, each through the layers with the file's limits. Streams past the
//! member limit are counted (`too_many_members`); past the held bytes,
//! as `decompression_limit`.

use std::cell::{Cell, RefCell};
use std::io::{self, Read};

use super::layer::{decompressed, guarded, Budget, Container, Layer, NotAMember, Place, Visit};
use crate::findings::stats::SkipReason;
use crate::scan::buffer::StreamBuffer;

/// Compressed stream bytes held until the file is read.
const HELD_MAX: usize = 32 << 20;

/// How far before a `stream` keyword its dictionary (and the object's
/// number) is looked for.
const DICT_REACH: usize = 4096;

/// The container.
pub(crate) struct Pdf;

impl Container for Pdf {
    fn name(&self) -> &'static str {
        "pdf"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        head.starts_with(b"%PDF-")
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
        let watch = RefCell::new(Streams {
            max_members: budget.limits.max_members,
            ..Streams::default()
        });
        let mut tee = Tee {
            inner: r,
            watch: &watch,
        };
        guarded(budget, v, |v| {
            layer.text(&mut tee, ctx, sb, budget, &mut NotAMember(v), false)?;
            let Streams { held, over, .. } = std::mem::take(&mut *watch.borrow_mut());
            if over {
                v.skipped(SkipReason::DecompressionLimit);
            }
            let mut members = 0u64;
            for (obj, data) in held {
                if !budget.admit(&mut members, v) {
                    return Ok(());
                }
                let inner = ctx.inner(obj.as_bytes());
                let input = Cell::new(data.len() as u64);
                let mut z = flate2::bufread::ZlibDecoder::new(&data[..]);
                // A damaged stream ends itself, not the file.
                guarded(budget, v, |v| {
                    decompressed(layer, "flate", None, &mut z, &input, &inner, sb, budget, v)
                })?;
            }
            Ok(())
        })
    }
}

/// Passes the file's bytes on and shows them to the watcher.
struct Tee<'a, 'w> {
    inner: &'a mut dyn Read,
    watch: &'w RefCell<Streams>,
}

impl Read for Tee<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.watch.borrow_mut().feed(&buf[..n]);
        Ok(n)
    }
}

/// Finds deflated streams in a PDF's bytes as they pass.
#[derive(Default)]
struct Streams {
    /// The last bytes seen outside a stream: where a dictionary is.
    recent: Vec<u8>,
    /// The stream being kept: its object's name and bytes so far.
    keeping: Option<(String, Vec<u8>)>,
    /// Streams kept whole.
    held: Vec<(String, Vec<u8>)>,
    held_bytes: usize,
    /// Whether a stream was passed over for the held limit.
    over: bool,
    /// Streams read at most (the archive member limit).
    max_members: u64,
}

impl Streams {
    fn feed(&mut self, mut chunk: &[u8]) {
        while !chunk.is_empty() {
            chunk = match self.keeping.as_mut() {
                Some((_, data)) => {
                    const END: &[u8] = b"endstream";
                    // The end in this chunk, or begun in the bytes before.
                    let tail = data.len().saturating_sub(END.len() - 1);
                    let mut seam = data[tail..].to_vec();
                    seam.extend_from_slice(&chunk[..chunk.len().min(END.len() - 1)]);
                    let end = match memchr::memmem::find(&seam, END) {
                        Some(i) => Some(i as isize - (data.len() - tail) as isize),
                        None => memchr::memmem::find(chunk, END).map(|i| i as isize),
                    };
                    match end {
                        Some(i) => {
                            // `i` may be before the chunk (the seam).
                            let keep = data.len() as isize + i.min(0);
                            data.truncate(keep as usize);
                            data.extend_from_slice(&chunk[..i.max(0) as usize]);
                            let (obj, data) = self.keeping.take().expect("some");
                            self.hold(obj, data);
                            &chunk[(i + END.len() as isize) as usize..]
                        }
                        None if self.held_bytes + data.len() + chunk.len() > HELD_MAX => {
                            self.keeping = None;
                            self.over = true;
                            &[]
                        }
                        None => {
                            data.extend_from_slice(chunk);
                            &[]
                        }
                    }
                }
                None => self.outside(chunk),
            }
        }
    }

    fn hold(&mut self, obj: String, data: Vec<u8>) {
        if self.held_bytes + data.len() > HELD_MAX {
            self.over = true;
            return;
        }
        // Past the member limit one more is enough to say so.
        if self.held.len() as u64 > self.max_members {
            return;
        }
        self.held_bytes += data.len();
        self.held.push((obj, data));
    }

    /// Bytes outside a stream: returns what follows a `stream` keyword
    /// that starts one to keep (nothing if none does).
    fn outside<'c>(&mut self, chunk: &'c [u8]) -> &'c [u8] {
        let seen = self.recent.len();
        self.recent.extend_from_slice(chunk);
        let from = seen.saturating_sub(b"stream\r\n".len());
        let mut at = from;
        while let Some(i) = memchr::memmem::find(&self.recent[at..], b"stream") {
            let k = at + i;
            at = k + 1;
            let eol = match &self.recent[k + 6..] {
                [b'\r', b'\n', ..] => 2,
                [b'\n', ..] | [b'\r', _, ..] => 1,
                // Cut by the chunk's end: looked at again with more.
                [] | [b'\r'] => break,
                _ => continue,
            };
            if k >= 3 && &self.recent[k - 3..k] == b"end" {
                continue;
            }
            let start = k + 6 + eol;
            let keep = deflated(&self.recent[..k]);
            // What follows is the stream's: given back as such.
            let consumed = start - seen;
            self.recent.clear();
            // An image or an uncompressed stream is read as text only.
            self.keeping = keep.map(|obj| (obj, Vec::new()));
            return &chunk[consumed.min(chunk.len())..];
        }
        if self.recent.len() > 2 * DICT_REACH {
            let cut = self.recent.len() - DICT_REACH;
            self.recent.drain(..cut);
        }
        &[]
    }
}

/// The object a stream whose dictionary ends `before` belongs to, if the
/// dictionary says `FlateDecode` and not an image: `N G obj`.
fn deflated(before: &[u8]) -> Option<String> {
    let dict_at = memchr::memmem::rfind(before, b"<<")?;
    let dict = &before[dict_at..];
    let has = |w: &[u8]| memchr::memmem::find(dict, w).is_some();
    if !has(b"/FlateDecode") || has(b"/Image") || has(b"/DCTDecode") {
        return None;
    }
    let obj_at = memchr::memmem::rfind(&before[..dict_at], b"obj")?;
    let head = String::from_utf8_lossy(&before[obj_at.saturating_sub(24)..obj_at]);
    let nums: Vec<&str> = head.split_whitespace().rev().take(2).collect();
    match nums[..] {
        [g, n]
            if g.bytes().all(|b| b.is_ascii_digit()) && n.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Some(format!("{n} {g} obj"))
        }
        _ => Some("obj".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deflated_streams_are_kept_however_the_bytes_arrive() {
        let pdf = b"%PDF-1.7\n4 0 obj\n<< /Length 5 /Filter /FlateDecode >>\nstream\r\nABCDE\nendstream\nendobj\n\
            5 0 obj << /Subtype /Image /Filter /FlateDecode >> stream\nIMAGE\nendstream endobj\n\
            6 0 obj <</Filter/FlateDecode>>stream\nXY\nendstream\n";
        for step in [1, 2, 7, 64, pdf.len()] {
            let mut s = Streams {
                max_members: 10,
                ..Streams::default()
            };
            for c in pdf.chunks(step) {
                s.feed(c);
            }
            let held: Vec<(&str, &[u8])> =
                s.held.iter().map(|(o, d)| (o.as_str(), &d[..])).collect();
            assert_eq!(
                held,
                vec![("4 0 obj", &b"ABCDE\n"[..]), ("6 0 obj", &b"XY\n"[..])],
                "step {step}"
            );
        }
    }
}
