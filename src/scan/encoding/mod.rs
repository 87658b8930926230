//! Encodings a token may be written in inside text: base64, hex, and
//! escapes throughout; one file each behind [`Encoding`], listed in
//! [`ENCODINGS`]. One pass of the run finder
//! ([`crate::engine::decode::runs`]) finds the runs every encoding reads;
//! the scanner offers each run to each encoding, and searches the
//! decodings again, layer by layer, while the decode depth allows.
//! Containers, which are whole streams rather than stretches of text, are
//! `scan::container`'s.

pub(crate) mod base64;
pub(crate) mod decoder;
pub(crate) mod escapes;
pub(crate) mod hex;
pub(crate) mod utf16;

pub(crate) use decoder::Encoding;

/// Every in-text encoding, in the order they read a run.
pub(crate) static ENCODINGS: &[&dyn Encoding] = &[&base64::Base64, &hex::Hex, &escapes::Escapes];
