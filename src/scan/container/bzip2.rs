//! bzip2 (and so `.tar.bz2`, `.tbz2`): decompressed as a stream by the
//! `bzip2` crate on its pure-Rust backend; concatenated streams (as
//! `pbzip2` writes) read as one. A bzip2 decoder needs at most about
//! 4 MiB, whatever the stream says.

use std::io::{self, BufRead, Read};

use super::layer::Container;

/// The container.
pub(crate) struct Bzip2;

impl Container for Bzip2 {
    fn name(&self) -> &'static str {
        "bzip2"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        // `BZh`, the block size, then a block's magic (π) or the end of
        // stream's (√π).
        head.len() >= 10
            && head.starts_with(b"BZh")
            && (b'1'..=b'9').contains(&head[3])
            && (head[4..10] == [0x31, 0x41, 0x59, 0x26, 0x53, 0x59]
                || head[4..10] == [0x17, 0x72, 0x45, 0x38, 0x50, 0x90])
    }

    fn unpacked_names(&self) -> &'static [(&'static str, &'static str)] {
        &[
            (".tbz2", ".tar"),
            (".tbz", ".tar"),
            (".bz2", ""),
            (".bz", ""),
        ]
    }

    fn decoder<'r>(
        &self,
        r: Box<dyn BufRead + 'r>,
        _max_memory: u64,
    ) -> Option<io::Result<Box<dyn Read + 'r>>> {
        Some(Ok(Box::new(bzip2::bufread::MultiBzDecoder::new(r))))
    }
}
