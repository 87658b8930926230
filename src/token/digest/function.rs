//! What a checksum function is: a name, a digest length, and the digest.

/// A checksum function over the bytes a layout names.
pub trait Function: Sync {
    /// As in rule files: `crc32`.
    fn name(&self) -> &'static str;

    /// Digest length in bytes (at most 32).
    fn digest_len(&self) -> usize;

    /// Writes the digest of `parts`, concatenated, to `out[..digest_len]`, its
    /// bytes in the order the function defines them.
    fn digest(&self, parts: &[&[u8]], out: &mut [u8; 32]);
}
