//! The token core: what a token looks like and how to check and mint one.
//! [`checksum`] computes and encodes checksums with the functions of
//! [`digest`], [`layout`] describes what
//! follows a prefix as data, [`format`](mod@format) is one kind of token, [`scope`]
//! what a token may do. It knows nothing of scanning, stores or networks;
//! it imports only the error types.

pub mod checksum;
pub mod digest;
pub mod format;
pub mod layout;
pub mod scope;
pub mod structure;
