//! Containers, found by their first bytes rather than their names: one
//! file each. Adding one is its file and its line in [`ALL`].

pub(crate) mod gzip;
pub(crate) mod layer;
pub(crate) mod tar;
pub(crate) mod zip;

use layer::Container;

/// Every container, in the order their first bytes are tried.
pub(crate) static ALL: &[&dyn Container] = &[&gzip::Gzip, &zip::Zip, &tar::Tar];

/// The container `head` starts, if any.
pub(crate) fn sniff(head: &[u8]) -> Option<&'static dyn Container> {
    ALL.iter().copied().find(|c| c.sniff(head))
}
