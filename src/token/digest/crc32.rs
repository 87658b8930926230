//! CRC-32/IEEE (zlib's, `crc32fast`): Cloudflare's, GitHub's, npm's,
//! GitLab's and Grafana's tokens.

use super::function::Function;

/// The function.
pub struct Crc32;

impl Function for Crc32 {
    fn name(&self) -> &'static str {
        "crc32"
    }

    fn digest_len(&self) -> usize {
        4
    }

    /// Most significant byte first.
    fn digest(&self, parts: &[&[u8]], out: &mut [u8; 32]) {
        let mut h = crc32fast::Hasher::new();
        parts.iter().for_each(|p| h.update(p));
        out[..4].copy_from_slice(&h.finalize().to_be_bytes());
    }
}
