//! Encodings a token may be written in inside text (base64 today): one
//! file each behind [`Encoding`], listed in [`ENCODINGS`]. The scanner
//! decodes what each finds and searches the decodings again, layer by
//! layer, while the decode depth allows. Containers, which are whole
//! streams rather than stretches of text, are `scan::container`'s.

pub(crate) mod base64;
pub(crate) mod decoder;

pub(crate) use decoder::Encoding;

/// Every in-text encoding, in the order they are tried.
pub(crate) static ENCODINGS: &[&dyn Encoding] = &[&base64::Base64];
