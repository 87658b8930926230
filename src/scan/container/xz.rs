//! xz (and so `.tar.xz`, `.txz`) and its predecessor, the `.lzma` format
//! of LZMA Utils and 7-Zip's tools: decompressed as a stream by the pure-
//! Rust `lzma-rust2`, with the dictionary a stream declares capped by
//! `--max-decoder-memory`. Concatenated xz streams read as one.

use std::io::{self, BufRead, Read};

use super::layer::Container;

/// A memory limit in the KiB `lzma-rust2` counts in.
fn kib(bytes: u64) -> u32 {
    (bytes >> 10).min(u32::MAX as u64 - 1) as u32
}

/// The container.
pub(crate) struct Xz;

impl Container for Xz {
    fn name(&self) -> &'static str {
        "xz"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        head.starts_with(&[0xFD, b'7', b'z', b'X', b'Z', 0])
    }

    fn unpacked_names(&self) -> &'static [(&'static str, &'static str)] {
        &[(".txz", ".tar"), (".xz", "")]
    }

    fn decoder<'r>(
        &self,
        r: Box<dyn BufRead + 'r>,
        max_memory: u64,
    ) -> Option<io::Result<Box<dyn Read + 'r>>> {
        let xz = lzma_rust2::XzReader::new_mem_limit(r, true, kib(max_memory));
        Some(Ok(Box::new(xz)))
    }
}

/// The `.lzma` container.
pub(crate) struct Lzma;

/// Whether `head` starts an `.lzma` header: a properties byte (lc, lp, pb
/// within their ranges), a dictionary size of 2^n or 2^n + 2^(n-1) bytes
/// (what every encoder writes) from 4 KiB, and an uncompressed size that is
/// unknown (all ones) or under 1 TiB. Thirteen bytes that random data
/// meets about once in 10^11.
fn lzma_header(head: &[u8]) -> bool {
    let Some(h) = head.get(..13) else {
        return false;
    };
    let dict = u32::from_le_bytes(h[1..5].try_into().expect("4 bytes"));
    let size = u64::from_le_bytes(h[5..13].try_into().expect("8 bytes"));
    let shaped = |d: u32| d.is_power_of_two() || d >> d.trailing_zeros() == 3;
    h[0] < 225 && dict >= 4096 && shaped(dict) && (size == u64::MAX || size < 1 << 40)
}

impl Container for Lzma {
    fn name(&self) -> &'static str {
        "lzma"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        lzma_header(head)
    }

    fn unpacked_names(&self) -> &'static [(&'static str, &'static str)] {
        &[(".tlz", ".tar"), (".lzma", "")]
    }

    fn decoder<'r>(
        &self,
        r: Box<dyn BufRead + 'r>,
        max_memory: u64,
    ) -> Option<io::Result<Box<dyn Read + 'r>>> {
        let lz = lzma_rust2::LzmaReader::new_mem_limit(r, kib(max_memory), None);
        Some(lz.map(|lz| Box::new(lz) as Box<dyn Read>))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lzma_headers_are_told_from_other_bytes() {
        let h = |props: u8, dict: u32, size: u64| {
            let mut b = vec![props];
            b.extend_from_slice(&dict.to_le_bytes());
            b.extend_from_slice(&size.to_le_bytes());
            b
        };
        assert!(lzma_header(&h(0x5D, 1 << 23, u64::MAX)));
        assert!(lzma_header(&h(0x5D, 3 << 20, 1234)));
        assert!(!lzma_header(&h(0x5D, (1 << 23) + 1, u64::MAX)));
        assert!(!lzma_header(&h(0x5D, 5 << 20, u64::MAX)));
        assert!(!lzma_header(&h(230, 1 << 23, u64::MAX)));
        assert!(!lzma_header(&h(0x5D, 1 << 23, 1 << 50)));
        assert!(!lzma_header(&h(0x5D, 1024, 10)));
        assert!(!lzma_header(b"]\0\0\x80\0"));
        // Found by the first run: a zero dictionary is no shift's business.
        assert!(!lzma_header(&h(0x5D, 0, 0)));
    }
}
