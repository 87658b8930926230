//! Azure's identifiable keys: base64 of random bytes, a four-character
//! service signature at a fixed place (`+ASt` for Storage, `AzFu` for
//! Functions, …), and a Marvin32 checksum of every byte before it, seeded
//! per service and key kind, as the key's last four bytes (little-endian).
//! From the description in Microsoft's security-utilities (MIT); its
//! published test keys are the rule files' vectors.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;

use crate::token::structure::check::Check;
use crate::token::structure::marvin::marvin32;

/// The key's base64, padded or not (Search and Container Registry keys
/// have no padding). The last character's spare bits must be zero, as
/// every encoder writes them: so that every edit of a character fails.
const KEY_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The same, whatever the spare bits: for a freshly minted key, whose last
/// character is random until its checksum is written.
const MINTED_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The identifiable key check (`azure-identifiable-key`), seeded.
pub struct AzureKey;

/// The key's bytes: standard or URL-safe base64 (Functions keys are
/// URL-safe), at least a signature and a checksum's worth.
fn decode(part: &[u8], engine: &GeneralPurpose) -> Option<Vec<u8>> {
    let standard: Vec<u8> = part
        .iter()
        .map(|&c| match c {
            b'-' => b'+',
            b'_' => b'/',
            c => c,
        })
        .collect();
    engine.decode(standard).ok().filter(|b| b.len() >= 8)
}

impl Check for AzureKey {
    fn name(&self) -> &'static str {
        "azure-identifiable-key"
    }

    fn seeded(&self) -> bool {
        true
    }

    fn holds(&self, part: &[u8], seeds: &[u64]) -> bool {
        let Some(bytes) = decode(part, &KEY_BASE64) else {
            return false;
        };
        let (body, sum) = bytes.split_at(bytes.len() - 4);
        let sum = u32::from_le_bytes(sum.try_into().expect("4 bytes"));
        seeds.iter().any(|&s| marvin32(body, s) == sum)
    }

    fn seal(&self, part: &mut [u8], seed: u64) -> bool {
        let Some(mut bytes) = decode(part, &MINTED_BASE64) else {
            return false;
        };
        let n = bytes.len() - 4;
        let sum = marvin32(&bytes[..n], seed);
        bytes[n..].copy_from_slice(&sum.to_le_bytes());
        let url_safe = part.iter().any(|&c| c == b'-' || c == b'_');
        let mut text = base64::engine::general_purpose::STANDARD.encode(&bytes);
        if url_safe {
            text = text.replace('+', "-").replace('/', "_");
        }
        // A key written without its padding stays without it.
        let text = &text.as_bytes()[..part.len().min(text.len())];
        if text.len() != part.len() {
            return false;
        }
        part.copy_from_slice(text);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::structure::parse_seed;

    /// Microsoft's published test key for Azure Storage (seed `Default0`).
    const STORAGE: &str =
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa+ASt5mnCaw==";

    #[test]
    fn the_published_storage_key_holds_and_every_edit_fails() {
        let seed = parse_seed("Default0").unwrap();
        assert!(AzureKey.holds(STORAGE.as_bytes(), &[seed]));
        assert!(!AzureKey.holds(STORAGE.as_bytes(), &[seed + 1]));
        for i in 0..STORAGE.len() - 3 {
            let mut b = STORAGE.as_bytes().to_vec();
            b[i] = if b[i] == b'b' { b'c' } else { b'b' };
            assert!(!AzureKey.holds(&b, &[seed]), "edit at {i}");
        }
    }

    #[test]
    fn seal_makes_it_hold() {
        let seed = parse_seed("Default0").unwrap();
        let mut b = STORAGE.replace("5mnCaw", "AAAAAA").into_bytes();
        assert!(!AzureKey.holds(&b, &[seed]));
        assert!(AzureKey.seal(&mut b, seed));
        assert_eq!(String::from_utf8(b).unwrap(), STORAGE);
    }
}
