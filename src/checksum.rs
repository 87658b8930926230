//! Checksum schemes: pure functions shared by the scanner, `check` and `mint`.
//!
//! Each scheme turns the random body of a token into a fixed-width string of
//! ASCII characters. Encoding never allocates: the caller gets a small array.

use std::fmt;
use std::str::FromStr;

/// How a token's trailing checksum is computed from its random body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// CRC-32/IEEE of the body as 8 lowercase hex digits, zero-padded
    /// (Cloudflare `cfk_`/`cfut_`/`cfat_`).
    Crc32Hex8,
    /// CRC-32/IEEE of the body in base62 (`0-9A-Za-z`), left-padded with `0`
    /// to 6 characters (GitHub classic tokens, npm).
    Crc32Base62x6,
    /// No checksum: the format is recognised by shape alone.
    None,
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const HEX: &[u8; 16] = b"0123456789abcdef";

impl Scheme {
    /// Every scheme, in the order of their names.
    pub const ALL: [Scheme; 3] = [Scheme::Crc32Hex8, Scheme::Crc32Base62x6, Scheme::None];

    /// The scheme's name as written in rule files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Crc32Hex8 => "crc32-hex8",
            Scheme::Crc32Base62x6 => "crc32-base62-6",
            Scheme::None => "none",
        }
    }

    /// Number of checksum characters after the body.
    pub fn len(self) -> usize {
        match self {
            Scheme::Crc32Hex8 => 8,
            Scheme::Crc32Base62x6 => 6,
            Scheme::None => 0,
        }
    }

    /// True for [`Scheme::None`].
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// Whether `c` may appear in a checksum of this scheme.
    #[inline]
    pub fn is_digit(self, c: u8) -> bool {
        match self {
            Scheme::Crc32Hex8 => c.is_ascii_digit() || (b'a'..=b'f').contains(&c),
            Scheme::Crc32Base62x6 => c.is_ascii_alphanumeric(),
            Scheme::None => false,
        }
    }

    /// Computes the checksum of `body` into `out`; returns the used part.
    #[inline]
    pub fn encode<'a>(self, body: &[u8], out: &'a mut [u8; 8]) -> &'a [u8] {
        let crc = crc32fast::hash(body);
        match self {
            Scheme::Crc32Hex8 => {
                for (i, slot) in out.iter_mut().enumerate() {
                    *slot = HEX[((crc >> (28 - 4 * i)) & 0xf) as usize];
                }
                &out[..8]
            }
            Scheme::Crc32Base62x6 => {
                // 62^6 > 2^32, so six digits always suffice.
                let mut n = crc;
                for slot in out[..6].iter_mut().rev() {
                    *slot = BASE62[(n % 62) as usize];
                    n /= 62;
                }
                &out[..6]
            }
            Scheme::None => &out[..0],
        }
    }

    /// Whether `checksum` is the checksum of `body` under this scheme.
    /// Always true for [`Scheme::None`] with an empty checksum.
    #[inline]
    pub fn verify(self, body: &[u8], checksum: &[u8]) -> bool {
        // Decode the written checksum rather than encode the computed one:
        // no string compare on the hot path.
        match (self, self.decode(checksum)) {
            (Scheme::None, _) => checksum.is_empty(),
            (_, Some(written)) => written == crc32fast::hash(body),
            (_, None) => false,
        }
    }

    /// The CRC value a checksum string denotes, if it is well-formed.
    #[inline]
    pub fn decode(self, checksum: &[u8]) -> Option<u32> {
        if checksum.len() != self.len() {
            return None;
        }
        match self {
            Scheme::Crc32Hex8 => {
                let mut n = 0u32;
                for &c in checksum {
                    let d = match c {
                        b'0'..=b'9' => c - b'0',
                        b'a'..=b'f' => c - b'a' + 10,
                        _ => return None,
                    };
                    n = (n << 4) | d as u32;
                }
                Some(n)
            }
            Scheme::Crc32Base62x6 => {
                let mut n = 0u64;
                for &c in checksum {
                    let d = match c {
                        b'0'..=b'9' => c - b'0',
                        b'A'..=b'Z' => c - b'A' + 10,
                        b'a'..=b'z' => c - b'a' + 36,
                        _ => return None,
                    };
                    n = n * 62 + d as u64;
                }
                u32::try_from(n).ok()
            }
            Scheme::None => None,
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Scheme {
    type Err = String;

    fn from_str(s: &str) -> Result<Scheme, String> {
        Scheme::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Scheme::ALL.iter().map(|k| k.name()).collect();
                format!(
                    "unknown checksum scheme {s:?} (expected one of: {})",
                    names.join(", ")
                )
            })
    }
}

/// Lowercase hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 0xf) as usize] as char);
    }
    s
}

/// Hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    to_hex(&Sha256::digest(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(s: Scheme, body: &str) -> String {
        let mut out = [0u8; 8];
        String::from_utf8(s.encode(body.as_bytes(), &mut out).to_vec()).unwrap()
    }

    #[test]
    fn hex8_matches_zlib_crc32() {
        // zlib.crc32(b"123456789") == 0xcbf43926, the CRC-32/IEEE check value.
        assert_eq!(enc(Scheme::Crc32Hex8, "123456789"), "cbf43926");
        assert_eq!(enc(Scheme::Crc32Hex8, ""), "00000000");
    }

    #[test]
    fn hex8_zero_pads() {
        // FORMATS.md vector whose checksum starts with 0.
        assert_eq!(
            enc(
                Scheme::Crc32Hex8,
                "BI8XiVsbWqoo1eXQcTGFshG0g3fh85hW0xUxPPCR"
            ),
            "0fd7a0bc"
        );
    }

    #[test]
    fn base62_alphabet_and_padding() {
        // 0xcbf43926 = 3421780262 = "3jZRME" in 0-9A-Za-z base62.
        assert_eq!(enc(Scheme::Crc32Base62x6, "123456789"), "3jZRME");
        // CRC of the empty string is 0: all padding.
        assert_eq!(enc(Scheme::Crc32Base62x6, ""), "000000");
        // FORMATS.md: gho_ vector whose checksum starts with 0.
        assert_eq!(
            enc(Scheme::Crc32Base62x6, "iIzsCvggAoeGgQlmtjEQttMgP07WYC"),
            "0cu9sX"
        );
    }

    #[test]
    fn decode_inverts_encode_and_rejects_junk() {
        for body in ["", "123456789", "iIzsCvggAoeGgQlmtjEQttMgP07WYC"] {
            for s in [Scheme::Crc32Hex8, Scheme::Crc32Base62x6] {
                let mut out = [0u8; 8];
                let sum = s.encode(body.as_bytes(), &mut out).to_vec();
                assert_eq!(s.decode(&sum), Some(crc32fast::hash(body.as_bytes())));
                assert!(s.verify(body.as_bytes(), &sum));
            }
        }
        assert_eq!(
            Scheme::Crc32Hex8.decode(b"CBF43926"),
            None,
            "uppercase hex is not the format"
        );
        assert_eq!(Scheme::Crc32Hex8.decode(b"cbf4392"), None);
        // 62^6 - 1 overflows a u32: such a checksum can match no CRC.
        assert_eq!(Scheme::Crc32Base62x6.decode(b"zzzzzz"), None);
        assert!(!Scheme::Crc32Base62x6.verify(b"", b"zzzzzz"));
        assert!(Scheme::None.verify(b"abc", b""));
    }

    #[test]
    fn scheme_names_round_trip() {
        for s in Scheme::ALL {
            assert_eq!(s.name().parse::<Scheme>().unwrap(), s);
        }
        assert!("crc32"
            .parse::<Scheme>()
            .unwrap_err()
            .contains("crc32-hex8"));
    }

    #[test]
    fn sha256_vector() {
        assert_eq!(
            sha256_hex(b"cfut_yGWmZQhXQCaSBLdVLIIN8nVy40xdnxVZmwkycbF1325c4830"), // burnkey:allow
            "24e0ae3c14c18d8cf3991b53fbd33e19794bc860b46a4e0038cb4c05c8867660"
        );
    }
}
