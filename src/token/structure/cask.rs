//! Microsoft's Common Annotated Security Keys of the legacy layout
//! ("CASK"): 84 characters (or 86 and `==`), the signature `JQQJ` 52 in,
//! the key's kind, date, platform and provider fields after it, and from
//! character 80 a checksum: Marvin32 (seeded) of the first 80 characters'
//! base64 bytes, its four bytes (little-endian) read as one big-endian
//! number in base 62 (`0-9A-Za-z`, a leading zero byte written `0`),
//! padded to six digits with `0` on the right; the short key keeps four of
//! them, the long one six and `==`, the sixth through a base64 round trip
//! (its low four bits cleared). Keys whose checksum is the four bytes'
//! plain base64 are accepted too. From the description in Microsoft's
//! security-utilities (MIT).

use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine as _;

use crate::token::structure::check::Check;
use crate::token::structure::marvin::marvin32;

/// The CASK check (`cask`), seeded.
pub struct Cask;

/// Where the checksum starts.
const CHECKSUM_AT: usize = 80;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The checksum's six base-62 characters for the first 80 characters.
fn base62_checksum(bytes: &[u8], seed: u64) -> [u8; 6] {
    let le = marvin32(bytes, seed).to_le_bytes();
    let mut n = u32::from_be_bytes(le);
    let mut digits = Vec::with_capacity(6);
    loop {
        digits.push(BASE62[(n % 62) as usize]);
        n /= 62;
        if n == 0 {
            break;
        }
    }
    let zeros = le.iter().take_while(|&&b| b == 0).count().min(3);
    digits.extend(std::iter::repeat_n(b'0', zeros));
    digits.reverse();
    let mut out = [b'0'; 6];
    for (o, d) in out.iter_mut().zip(&digits) {
        *o = *d;
    }
    // Six base64 characters hold 36 bits, four bytes 32: the sixth keeps
    // its top two bits when decoded and encoded again.
    let sixth = base64_value(out[5]) & 0b11_0000;
    out[5] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[sixth as usize];
    out
}

/// A base64 character's value (the key's characters are base 62).
fn base64_value(c: u8) -> u8 {
    match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' | b'-' => 62,
        _ => 63,
    }
}

/// The checksum as written in a key `len` long (84 or 88).
fn written(bytes: &[u8], seed: u64, len: usize) -> Vec<u8> {
    let c = base62_checksum(bytes, seed);
    match len {
        84 => c[..4].to_vec(),
        _ => [&c[..], b"=="].concat(),
    }
}

impl Check for Cask {
    fn name(&self) -> &'static str {
        "cask"
    }

    fn seeded(&self) -> bool {
        true
    }

    fn holds(&self, part: &[u8], seeds: &[u64]) -> bool {
        if !matches!(part.len(), 84 | 88) || part.get(52..56) != Some(b"JQQJ") {
            return false;
        }
        let Ok(bytes) = STANDARD_NO_PAD.decode(&part[..CHECKSUM_AT]) else {
            return false;
        };
        let tail = &part[CHECKSUM_AT..];
        seeds.iter().any(|&seed| {
            if written(&bytes, seed, part.len()) == tail {
                return true;
            }
            let le = marvin32(&bytes, seed).to_le_bytes();
            match part.len() {
                84 => STANDARD_NO_PAD.encode(&le[..3]).as_bytes() == tail,
                _ => {
                    base64::engine::general_purpose::STANDARD
                        .encode(le)
                        .as_bytes()
                        == tail
                }
            }
        })
    }

    fn seal(&self, part: &mut [u8], seed: u64) -> bool {
        if !matches!(part.len(), 84 | 88) {
            return false;
        }
        let Ok(bytes) = STANDARD_NO_PAD.decode(&part[..CHECKSUM_AT]) else {
            return false;
        };
        let w = written(&bytes, seed, part.len());
        part[CHECKSUM_AT..].copy_from_slice(&w);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::structure::parse_seed;

    /// Made by an independent implementation (Python, from the same
    /// description) with the seed `Default0`: a short and a long key with
    /// the test provider signature `TEST`, one with SQL's `msql`.
    const KEYS: [&str; 3] = [
        "Ky9Pf34qY6Nb3wWD25RQ4F5ZR3qa7yEeeby3abP3E2Zs8IQ9Y7aJJQQJ9HqKB6baeCN6Zj4aAAAATEST3j3f",
        "3dDVhYRnKTbxTNJFoBinF5aJXVuLkSIc47WQAmL9xVQ2zg4mZaouJQQJ9DLLMcVbpT4r5yHUAAAATEST3q0d6w==",
        "ig43kiJfahqSIjOugM1yTMAd7V3DnI8lFPPwtV5ASPZHu8qRtZHjJQQJ9DMKuOzE95B9EgE0AAAAmsql1KTx",
    ];

    #[test]
    fn independent_keys_hold_and_every_checksum_edit_fails() {
        let seed = parse_seed("Default0").unwrap();
        for k in KEYS {
            assert!(Cask.holds(k.as_bytes(), &[seed]), "{k}");
            assert!(!Cask.holds(k.as_bytes(), &[seed + 1]), "{k}");
            for i in CHECKSUM_AT..k.trim_end_matches('=').len() - 1 {
                let mut b = k.as_bytes().to_vec();
                b[i] = if b[i] == b'7' { b'8' } else { b'7' };
                assert!(!Cask.holds(&b, &[seed]), "{k} at {i}");
            }
            let mut minted = k.as_bytes().to_vec();
            minted[CHECKSUM_AT] = b'A';
            assert!(Cask.seal(&mut minted, seed));
            assert_eq!(minted, k.as_bytes());
        }
    }
}
