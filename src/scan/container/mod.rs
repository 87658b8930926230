//! Containers, found by their first bytes rather than their names: one
//! file each. Adding one is its file and its line in [`ALL`].

pub(crate) mod bzip2;
pub(crate) mod gzip;
pub(crate) mod layer;
pub(crate) mod pdf;
pub(crate) mod tar;
pub(crate) mod xz;
pub(crate) mod zip;
pub(crate) mod zstd;

use std::io::Read;

use layer::Container;

/// Every container, in the order their first bytes are tried.
/// (`.lzma` last: its header is told by its shape, not by a magic number.)
pub(crate) static ALL: &[&dyn Container] = &[
    &gzip::Gzip,
    &zip::Zip,
    &tar::Tar,
    &xz::Xz,
    &bzip2::Bzip2,
    &zstd::Zstd,
    &pdf::Pdf,
    &xz::Lzma,
];

/// The container `head` starts, if any.
pub(crate) fn sniff(head: &[u8]) -> Option<&'static dyn Container> {
    ALL.iter().copied().find(|c| c.sniff(head))
}

/// The content of the compressed stream `data` starts (a gzip in base64:
/// a webhook body, a Kubernetes `binaryData`, a Helm release), read in
/// memory, at most `cap` bytes of it, and the compression's name; `None`
/// if `data` starts none. What damage cuts short is what was read.
pub(crate) fn inflate(data: &[u8], max_memory: u64, cap: u64) -> Option<(&'static str, Vec<u8>)> {
    let c = sniff(data)?;
    let mut d = c.decoder(Box::new(data), max_memory)?.ok()?;
    let mut out = Vec::new();
    let _damage = std::io::Read::take(&mut d, cap).read_to_end(&mut out);
    Some((c.name(), out))
}
