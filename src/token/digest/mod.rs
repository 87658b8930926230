//! The functions a checksum is computed with: one file each behind
//! [`Function`], listed in [`ALL`]. A rule file names one
//! (`checksum = "crc32"`); how its digest is written is the checksum
//! spec's business ([`crate::token::checksum`]).

pub mod crc32;
pub mod function;
pub mod sha256;

pub use function::Function;

/// Every checksum function, by the name rule files use.
pub static ALL: &[&dyn Function] = &[&crc32::Crc32, &sha256::Sha256];

/// The function called `name`.
pub fn by_name(name: &str) -> Option<&'static dyn Function> {
    ALL.iter().copied().find(|f| f.name() == name)
}
