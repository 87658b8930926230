//! Microsoft Entra ID client secrets (application passwords): three
//! characters, the signature `8Q~`, 31 more, and a checksum in the last
//! three: Marvin32 of the first 37 characters (seeded), written as a
//! number in base 66 over `a-z A-Z 1-9 0 . - _ ~`, most significant digit
//! first and padded to six with `a`, of which the first three are kept.
//! From the description in Microsoft's security-utilities (MIT).

use crate::token::structure::check::Check;
use crate::token::structure::marvin::marvin32;

const ALPHABET: &[u8; 66] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890.-_~";

/// The client secret check (`entra-client-secret`), seeded.
pub struct EntraSecret;

/// The three checksum characters of `text` with `seed`.
fn checksum(text: &[u8], seed: u64) -> [u8; 3] {
    let mut n = marvin32(text, seed);
    let mut digits = [ALPHABET[0]; 6];
    for d in digits.iter_mut().rev() {
        *d = ALPHABET[(n % 66) as usize];
        n /= 66;
    }
    [digits[0], digits[1], digits[2]]
}

impl Check for EntraSecret {
    fn name(&self) -> &'static str {
        "entra-client-secret"
    }

    fn seeded(&self) -> bool {
        true
    }

    fn holds(&self, part: &[u8], seeds: &[u64]) -> bool {
        let Some(cut) = part.len().checked_sub(3) else {
            return false;
        };
        seeds
            .iter()
            .any(|&s| checksum(&part[..cut], s) == part[cut..])
    }

    fn seal(&self, part: &mut [u8], seed: u64) -> bool {
        let Some(cut) = part.len().checked_sub(3) else {
            return false;
        };
        let sum = checksum(&part[..cut], seed);
        part[cut..].copy_from_slice(&sum);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::structure::parse_seed;

    #[test]
    fn the_published_test_secret_holds() {
        // Microsoft's own true-positive example.
        let seed = parse_seed("AadPwd00").unwrap();
        let good = b"zzz8Q~zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzblP";
        assert!(EntraSecret.holds(good, &[seed]));
        let mut bad = good.to_vec();
        bad[39] = b'Q';
        assert!(!EntraSecret.holds(&bad, &[seed]));
        bad[39] = b'P';
        bad[10] = b'y';
        assert!(!EntraSecret.holds(&bad, &[seed]));
    }
}
