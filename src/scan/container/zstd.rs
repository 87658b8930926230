//! zstd (and so `.tar.zst`, `.tzst`, OCI image layers): decompressed as a
//! stream by the pure-Rust `ruzstd`, frame after frame (concatenated and
//! skippable frames, as `pzstd` writes them), with the window a frame
//! declares capped by `--max-decoder-memory`.

use std::io::{self, BufRead, Read};

use ruzstd::decoding::{FrameDecoder, StreamingDecoder};

use super::layer::Container;

const FRAME: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];

/// Whether `b` starts a skippable frame (magic 0x184D2A50 to 0x184D2A5F).
fn skippable(b: &[u8]) -> bool {
    b.len() >= 4 && b[0] & 0xF0 == 0x50 && b[1..4] == [0x2A, 0x4D, 0x18]
}

/// The container.
pub(crate) struct Zstd;

impl Container for Zstd {
    fn name(&self) -> &'static str {
        "zstd"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        head.starts_with(&FRAME) || skippable(head) && head.len() >= 8
    }

    fn unpacked_names(&self) -> &'static [(&'static str, &'static str)] {
        &[(".tzst", ".tar"), (".zst", ""), (".zstd", "")]
    }

    fn decoder<'r>(
        &self,
        r: Box<dyn BufRead + 'r>,
        max_memory: u64,
    ) -> Option<io::Result<Box<dyn Read + 'r>>> {
        let mut frames = Frames {
            source: Some(r),
            frame: None,
            max_window: max_memory,
        };
        // The first frame's header, so that a window past the limit is
        // refused before anything is read as its content.
        Some(
            frames
                .next_frame()
                .map(|_| Box::new(frames) as Box<dyn Read>),
        )
    }
}

/// A zstd stream's frames one after another, as one stream, up to bytes
/// that start no frame.
struct Frames<R: BufRead> {
    source: Option<R>,
    frame: Option<StreamingDecoder<R, FrameDecoder>>,
    max_window: u64,
}

impl<R: BufRead> Frames<R> {
    /// Starts the next frame, passing over skippable ones: false at the
    /// end (or at bytes that start no frame).
    fn next_frame(&mut self) -> io::Result<bool> {
        let Some(mut src) = self.source.take() else {
            return Ok(false);
        };
        loop {
            let head = src.fill_buf()?;
            if skippable(head) {
                let mut h = [0u8; 8];
                src.read_exact(&mut h)?;
                let len = u32::from_le_bytes(h[4..8].try_into().expect("4 bytes"));
                let skipped = io::copy(&mut (&mut src).take(len as u64), &mut io::sink())?;
                if skipped < len as u64 {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
                continue;
            }
            if !head.starts_with(&FRAME) {
                return Ok(false);
            }
            let frame =
                StreamingDecoder::new_with_max_window_size(src, self.max_window).map_err(|e| {
                    let kind = match e {
                        ruzstd::decoding::errors::FrameDecoderError::WindowSizeTooBig {
                            ..
                        } => io::ErrorKind::OutOfMemory,
                        _ => io::ErrorKind::InvalidData,
                    };
                    io::Error::new(kind, e.to_string())
                })?;
            self.frame = Some(frame);
            return Ok(true);
        }
    }
}

impl<R: BufRead> Read for Frames<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some(f) = &mut self.frame {
                let n = f.read(buf)?;
                if n > 0 || buf.is_empty() {
                    return Ok(n);
                }
                self.source = Some(self.frame.take().expect("some").into_inner());
            }
            if !self.next_frame()? {
                return Ok(0);
            }
        }
    }
}
