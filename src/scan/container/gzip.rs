//! gzip (and so `.tar.gz`, `.tgz`): its members one after another as one
//! stream; what follows them is read as it is. The text inside goes by the
//! file's name less `.gz`.

use std::cell::Cell;
use std::io::{self, BufRead, Read};

use super::layer::{compressed_input, decompressed, guarded, unpacked};
use super::layer::{Budget, Container, Layer, Place, Visit};
use crate::scan::buffer::StreamBuffer;

/// The container.
pub(crate) struct Gzip;

impl Container for Gzip {
    fn name(&self) -> &'static str {
        "gzip"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        head.starts_with(&[0x1f, 0x8b, 0x08])
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
        let input = Cell::new(0);
        let mut gz = GzMembers {
            member: Some(flate2::bufread::GzDecoder::new(compressed_input(r, &input))),
            rest: None,
        };
        let pending = ctx.name.as_deref().and_then(gunzipped);
        guarded(budget, v, |v| {
            decompressed(layer, "gzip", pending, &mut gz, &input, ctx, sb, budget, v)?;
            // What follows the gzip, once its text (or the layer
            // in it) was read to the end.
            match gz.rest.take() {
                Some(mut rest) => layer.after_the_end(&mut rest, ctx, sb, budget, v),
                None => Ok(()),
            }
        })
    }

    fn decoder<'r>(
        &self,
        r: Box<dyn BufRead + 'r>,
        _max_memory: u64,
    ) -> Option<io::Result<Box<dyn Read + 'r>>> {
        Some(Ok(Box::new(flate2::bufread::MultiGzDecoder::new(r))))
    }

    fn unpacked_names(&self) -> &'static [(&'static str, &'static str)] {
        &[(".tgz", ".tar"), (".gz", ""), (".gzip", ""), (".z", "")]
    }
}

/// A gzip's members one after another, as one stream, up to the first
/// bytes that are not a gzip member (appended data): those are left in
/// `rest` for the caller to read as they are.
struct GzMembers<R: BufRead> {
    member: Option<flate2::bufread::GzDecoder<R>>,
    rest: Option<R>,
}

impl<R: BufRead> Read for GzMembers<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while let Some(m) = &mut self.member {
            let n = m.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            let mut inner = self.member.take().expect("some").into_inner();
            if inner.fill_buf()?.starts_with(&[0x1f, 0x8b]) {
                self.member = Some(flate2::bufread::GzDecoder::new(inner));
            } else {
                self.rest = Some(inner);
            }
        }
        Ok(0)
    }
}

/// The name a gzip file's content goes by: its own, less `.gz`.
pub(crate) fn gunzipped(name: &[u8]) -> Option<String> {
    unpacked(name, Gzip.unpacked_names())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_names() {
        assert_eq!(gunzipped(b"logs/app.log.gz").as_deref(), Some("app.log"));
        assert_eq!(gunzipped(b"a.TGZ").as_deref(), Some("a.tar"));
        assert_eq!(gunzipped(b"blob").as_deref(), Some("blob"));
        assert_eq!(gunzipped(b"").as_deref(), None);
    }
}
