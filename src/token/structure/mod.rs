//! Structures a token's characters must have beyond its layout: what a
//! checksum field cannot say, checked on the token as written. One file
//! each behind [`Check`], listed in [`ALL`]; a rule file names one
//! (`structure = { check = "jwt", from = "header" }`).
//!
//! A structure is the token's verdict where the layout has no checksum
//! (`ghs_<app>_<JWT>`: the JWT's header and payload must decode to JSON
//! objects), or where the checksum is not a field of its own (Azure's
//! identifiable keys carry a Marvin32 checksum inside their base64 bytes).
//! A token whose structure holds is reported as `checksum: valid`; one
//! whose structure fails is invalid, exactly as a wrong checksum.

pub mod azure;
pub mod cask;
pub mod check;
pub mod entra;
pub mod json;
pub mod jwt;
pub mod macaroon;
pub mod marvin;

pub use check::Check;

use std::fmt;

/// Every structure check, by the name rule files use.
pub static ALL: &[&dyn Check] = &[
    &jwt::Jwt,
    &azure::AzureKey,
    &entra::EntraSecret,
    &cask::Cask,
    &json::GRAFANA_CLOUD,
    &json::GRAFANA_API_KEY,
    &json::SENTRY_ORG,
    &macaroon::PypiMacaroon,
];

/// The check called `name`.
pub fn by_name(name: &str) -> Option<&'static dyn Check> {
    ALL.iter().copied().find(|c| c.name() == name)
}

/// A structure check bound to a token layout.
#[derive(Clone)]
pub struct Structure {
    /// The check.
    pub check: &'static dyn Check,
    /// Where the checked part starts: the index of a random segment, or
    /// `None` for the whole token, prefix included.
    pub from: Option<usize>,
    /// The seeds, for a seeded check (any one may hold).
    pub seeds: Vec<u64>,
}

impl Structure {
    /// Its description, for `rules` and messages: `jwt from header`.
    pub fn describe(&self) -> String {
        let mut s = self.check.name().to_string();
        if !self.seeds.is_empty() {
            s.push_str(&format!(
                " ({} seed{})",
                self.seeds.len(),
                if self.seeds.len() == 1 { "" } else { "s" }
            ));
        }
        s
    }
}

impl PartialEq for Structure {
    fn eq(&self, other: &Structure) -> bool {
        self.check.name() == other.check.name()
            && self.from == other.from
            && self.seeds == other.seeds
    }
}

impl Eq for Structure {}

impl fmt::Debug for Structure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Structure")
            .field("check", &self.check.name())
            .field("from", &self.from)
            .field("seeds", &self.seeds)
            .finish()
    }
}

/// A seed as rule files write it: eight ASCII characters (`Default0`,
/// read as a big-endian number, as Microsoft's identifiable keys name
/// theirs) or a hexadecimal number (`0x44656661756c7430`).
pub fn parse_seed(s: &str) -> Result<u64, String> {
    if let Some(hex) = s.strip_prefix("0x") {
        return u64::from_str_radix(hex, 16).map_err(|_| format!("seed {s:?} is not a hex number"));
    }
    let b = s.as_bytes();
    if b.len() == 8 && b.iter().all(u8::is_ascii_graphic) {
        return Ok(u64::from_be_bytes(b.try_into().expect("8 bytes")));
    }
    Err(format!(
        "seed {s:?}: write 8 ASCII characters (\"Default0\") or a hex number (\"0x…\")"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_read_as_microsoft_names_them() {
        assert_eq!(parse_seed("Default0").unwrap(), 0x44656661756c7430);
        assert_eq!(
            parse_seed("0x4d61737465723030").unwrap(),
            0x4d61737465723030
        );
        assert!(parse_seed("short").is_err());
        assert!(parse_seed("0xzz").is_err());
    }

    #[test]
    fn every_check_has_a_unique_name() {
        for (i, c) in ALL.iter().enumerate() {
            assert!(by_name(c.name()).is_some());
            assert!(ALL[..i].iter().all(|o| o.name() != c.name()));
        }
    }
}
