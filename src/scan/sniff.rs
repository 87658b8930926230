//! What a stream is, from its first bytes: gzip, zip, tar or UTF-16 text,
//! or else text to scan as it is. The scanner asks when a stream starts;
//! the layers open what it names.

use crate::engine::decode::Utf16;
use crate::scan::container::{self, layer::Container};

/// Bytes read before a stream's kind is decided (tar's magic is at 257).
pub(crate) const SNIFF_LEN: usize = 512;

/// What a stream's first bytes say it is, when not text to scan as is.
#[derive(Clone, Copy)]
pub(crate) enum Head {
    /// UTF-16 text, with a byte order mark of this many bytes.
    Utf16(Utf16, usize),
    /// A container.
    Container(&'static dyn Container),
}

impl Head {
    fn name(&self) -> &'static str {
        match self {
            Head::Utf16(order, _) => order.name(),
            Head::Container(c) => c.name(),
        }
    }
}

impl PartialEq for Head {
    fn eq(&self, other: &Head) -> bool {
        match (self, other) {
            (Head::Utf16(a, m), Head::Utf16(b, n)) => a == b && m == n,
            _ => self.name() == other.name(),
        }
    }
}

impl std::fmt::Debug for Head {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Head::Utf16(order, mark) => write!(f, "{}({mark})", order.name()),
            Head::Container(c) => f.write_str(c.name()),
        }
    }
}

/// Decides what `head` (at least [`SNIFF_LEN`] bytes, or all there is) is.
pub(crate) fn sniff(head: &[u8]) -> Option<Head> {
    match container::sniff(head) {
        Some(c) => Some(Head::Container(c)),
        None => Utf16::sniff(head).map(|(order, mark)| Head::Utf16(order, mark)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_content() {
        let mut tar = vec![0u8; 512];
        tar[257..262].copy_from_slice(b"ustar");
        let name = |h: &[u8]| sniff(h).map(|h| h.name());
        assert_eq!(name(&tar), Some("tar"));
        assert_eq!(name(b"\x1f\x8b\x08\0rest"), Some("gzip"));
        assert_eq!(name(b"PK\x03\x04rest"), Some("zip"));
        assert_eq!(name(b"PK\x05\x06"), Some("zip"));
        assert_eq!(sniff(b"\xff\xfea\0"), Some(Head::Utf16(Utf16::Le, 2)));
        assert_eq!(sniff(b"PKZIP is a program"), None);
        assert_eq!(sniff(b"plain text"), None);
    }
}
