//! The side of a service that issues its own tokens: [`record`]s of minted
//! tokens (never the token, only its hash), the [`store`]s that keep them
//! ([`jsonl`], or `sqlite` with the `sqlite` feature; [`open`] picks one by
//! name), and the
//! [`verifier`] that allows or denies a presented token for a scope. It
//! imports the token core, never the scanner.

pub mod jsonl;
pub mod open;
pub mod record;
#[cfg(feature = "sqlite")]
pub mod sqlite;
pub mod store;
pub mod verifier;
