//! What a stream is, from its first bytes: gzip, zip, tar or UTF-16 text,
//! or else text to scan as it is. The scanner asks when a stream starts;
//! the layers open what it names.

use crate::engine::decode::Utf16;

/// Bytes read before a stream's kind is decided (tar's magic is at 257).
pub(crate) const SNIFF_LEN: usize = 512;

/// What a stream's first bytes say it is, when not text to scan as is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Head {
    /// UTF-16 text, with a byte order mark of this many bytes.
    Utf16(Utf16, usize),
    /// gzip (and so tar.gz, .tgz).
    Gzip,
    /// A zip archive.
    Zip,
    /// A POSIX or GNU tar archive.
    Tar,
}

/// Decides what `head` (at least [`SNIFF_LEN`] bytes, or all there is) is.
pub(crate) fn sniff(head: &[u8]) -> Option<Head> {
    match head {
        [0x1f, 0x8b, 0x08, ..] => Some(Head::Gzip),
        [b'P', b'K', 3, 4, ..]
        | [b'P', b'K', 5, 6, ..]
        | [b'P', b'K', 7, 8, b'P', b'K', 3, 4, ..] => Some(Head::Zip),
        _ if head.get(257..262) == Some(b"ustar") => Some(Head::Tar),
        _ => Utf16::sniff(head).map(|(order, mark)| Head::Utf16(order, mark)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_content() {
        let mut tar = vec![0u8; 512];
        tar[257..262].copy_from_slice(b"ustar");
        assert_eq!(sniff(&tar), Some(Head::Tar));
        assert_eq!(sniff(b"\x1f\x8b\x08\0rest"), Some(Head::Gzip));
        assert_eq!(sniff(b"PK\x03\x04rest"), Some(Head::Zip));
        assert_eq!(sniff(b"PK\x05\x06"), Some(Head::Zip));
        assert_eq!(sniff(b"\xff\xfea\0"), Some(Head::Utf16(Utf16::Le, 2)));
        assert_eq!(sniff(b"PKZIP is a program"), None);
        assert_eq!(sniff(b"plain text"), None);
    }
}
