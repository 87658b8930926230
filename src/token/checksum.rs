//! Checksums as data: an algorithm over some bytes of the token, written
//! into it with an encoding. Pure functions shared by the scanner, `check`
//! and `mint`; nothing here allocates.
//!
//! A [`ChecksumSpec`] says *how* a checksum is computed and written; *which*
//! bytes it covers is the layout's business ([`crate::token::layout`]). Two kinds
//! of encoding:
//!
//! - byte encodings (`hex`, `hex-upper`, `hex-any`, `base32`): the digest's
//!   bytes, written in order; a `width` shorter than the whole keeps the
//!   first characters (GitHub's fine-grained PATs keep 8 of base32(SHA-256));
//! - number encodings (`base36`, `base62`): the digest read as one unsigned
//!   big-endian number, left-padded with `0` to `width` (GitHub classic
//!   tokens: CRC-32 in base62, 6 characters).
//!
//! `byte_order = "little"` reverses the digest's bytes first (Grafana writes
//! its CRC-32 as four little-endian bytes).

use std::fmt;
use std::str::FromStr;

use crate::token::digest::{self, Function};

/// Longest checksum a token may carry, in characters (SHA-256 in hex).
pub const MAX_WIDTH: usize = 64;

/// The function over the covered bytes: one of [`digest::ALL`].
#[derive(Clone, Copy)]
pub struct Algorithm(&'static dyn Function);

#[allow(non_upper_case_globals)]
impl Algorithm {
    /// CRC-32/IEEE (zlib's, `crc32fast`): 4 bytes, big-endian.
    pub const Crc32: Algorithm = Algorithm(&digest::crc32::Crc32);
    /// SHA-256: 32 bytes.
    pub const Sha256: Algorithm = Algorithm(&digest::sha256::Sha256);
}

impl PartialEq for Algorithm {
    fn eq(&self, other: &Algorithm) -> bool {
        self.name() == other.name()
    }
}

impl Eq for Algorithm {}

impl std::hash::Hash for Algorithm {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.name().hash(h)
    }
}

impl fmt::Debug for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How the digest is written as characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// Lowercase hex of the bytes.
    Hex,
    /// Uppercase hex of the bytes.
    HexUpper,
    /// Hex of the bytes, either case accepted (minted lowercase).
    HexAnyCase,
    /// RFC 4648 base32 (`A-Z2-7`) of the bytes, unpadded.
    Base32,
    /// The digest as a number in base 36 (`0-9a-z`).
    Base36,
    /// The digest as a number in base 62 (`0-9A-Za-z`).
    Base62,
}

/// The order of the digest's bytes before encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ByteOrder {
    /// As the algorithm defines them (CRC-32 most significant byte first).
    Big,
    /// Reversed.
    Little,
}

/// One checksum: algorithm, encoding, byte order and width.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChecksumSpec {
    /// The function.
    pub algorithm: Algorithm,
    /// How it is written.
    pub encoding: Encoding,
    /// Byte order of the digest before encoding.
    pub byte_order: ByteOrder,
    /// Characters in the token.
    pub width: usize,
}

const HEX: &[u8; 16] = b"0123456789abcdef";
const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";
const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const BASE36: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";

impl Algorithm {
    /// Digest length in bytes.
    pub fn len(self) -> usize {
        self.0.digest_len()
    }

    /// Always false: every algorithm has a digest.
    pub fn is_empty(self) -> bool {
        false
    }

    /// The name used in rule files.
    pub fn name(self) -> &'static str {
        self.0.name()
    }
}

impl Encoding {
    /// The name used in rule files.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Hex => "hex",
            Encoding::HexUpper => "hex-upper",
            Encoding::HexAnyCase => "hex-any",
            Encoding::Base32 => "base32",
            Encoding::Base36 => "base36",
            Encoding::Base62 => "base62",
        }
    }

    const ALL: [Encoding; 6] = [
        Encoding::Hex,
        Encoding::HexUpper,
        Encoding::HexAnyCase,
        Encoding::Base32,
        Encoding::Base36,
        Encoding::Base62,
    ];

    fn is_number(self) -> bool {
        matches!(self, Encoding::Base36 | Encoding::Base62)
    }

    /// Whether `c` may appear in a checksum of this encoding.
    #[inline]
    pub fn is_digit(self, c: u8) -> bool {
        match self {
            Encoding::Hex => c.is_ascii_digit() || (b'a'..=b'f').contains(&c),
            Encoding::HexUpper => c.is_ascii_digit() || (b'A'..=b'F').contains(&c),
            Encoding::HexAnyCase => c.is_ascii_hexdigit(),
            Encoding::Base32 => c.is_ascii_uppercase() || (b'2'..=b'7').contains(&c),
            Encoding::Base36 => c.is_ascii_digit() || c.is_ascii_lowercase(),
            Encoding::Base62 => c.is_ascii_alphanumeric(),
        }
    }

    /// The digits as a character class, for messages: `[0-9a-f]`.
    pub fn class(self) -> &'static str {
        match self {
            Encoding::Hex => "[0-9a-f]",
            Encoding::HexUpper => "[0-9A-F]",
            Encoding::HexAnyCase => "[0-9a-fA-F]",
            Encoding::Base32 => "[A-Z2-7]",
            Encoding::Base36 => "[0-9a-z]",
            Encoding::Base62 => "[0-9A-Za-z]",
        }
    }

    /// Characters needed to write `bytes` bytes in full.
    fn full_width(self, bytes: usize) -> usize {
        match self {
            Encoding::Hex | Encoding::HexUpper | Encoding::HexAnyCase => 2 * bytes,
            Encoding::Base32 => (8 * bytes).div_ceil(5),
            // The largest number of `bytes` bytes, in this base.
            Encoding::Base36 | Encoding::Base62 => {
                let base = if self == Encoding::Base36 { 36u128 } else { 62 };
                let mut max = if bytes >= 16 {
                    u128::MAX
                } else {
                    (1u128 << (8 * bytes)) - 1
                };
                let mut n = 1;
                while max >= base {
                    max /= base;
                    n += 1;
                }
                n
            }
        }
    }
}

impl FromStr for Algorithm {
    type Err = String;
    fn from_str(s: &str) -> Result<Algorithm, String> {
        digest::by_name(s).map(Algorithm).ok_or_else(|| {
            let names: Vec<&str> = digest::ALL.iter().map(|f| f.name()).collect();
            format!(
                "unknown checksum algorithm {s:?} (expected {})",
                names.join(" or ")
            )
        })
    }
}

impl FromStr for Encoding {
    type Err = String;
    fn from_str(s: &str) -> Result<Encoding, String> {
        Encoding::ALL
            .into_iter()
            .find(|e| e.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Encoding::ALL.iter().map(|e| e.name()).collect();
                format!(
                    "unknown checksum encoding {s:?} (expected one of: {})",
                    names.join(", ")
                )
            })
    }
}

impl FromStr for ByteOrder {
    type Err = String;
    fn from_str(s: &str) -> Result<ByteOrder, String> {
        match s {
            "big" => Ok(ByteOrder::Big),
            "little" => Ok(ByteOrder::Little),
            _ => Err(format!("unknown byte order {s:?} (expected big or little)")),
        }
    }
}

impl ChecksumSpec {
    /// A checksum written in full width (the number encodings: wide enough
    /// for any digest).
    pub fn full(algorithm: Algorithm, encoding: Encoding, byte_order: ByteOrder) -> ChecksumSpec {
        ChecksumSpec {
            algorithm,
            encoding,
            byte_order,
            width: encoding.full_width(algorithm.len()),
        }
    }

    /// Checks that the combination can be written: a number encoding needs
    /// a digest of at most 16 bytes and the width of its largest value; a
    /// byte encoding keeps at most its full width.
    pub fn validate(&self) -> Result<(), String> {
        let full = self.encoding.full_width(self.algorithm.len());
        if self.width == 0 || self.width > MAX_WIDTH {
            return Err(format!(
                "checksum width {} must be between 1 and {MAX_WIDTH}",
                self.width
            ));
        }
        if self.encoding.is_number() {
            if self.algorithm.len() > 16 {
                return Err(format!(
                    "{} is a number encoding; a {} digest is too long for it (use hex or base32)",
                    self.encoding.name(),
                    self.algorithm.name()
                ));
            }
            if self.width < full {
                return Err(format!(
                    "a {} checksum in {} needs {full} characters, not {}",
                    self.algorithm.name(),
                    self.encoding.name(),
                    self.width
                ));
            }
        } else if self.width > full {
            return Err(format!(
                "a {} checksum in {} has at most {full} characters, not {}",
                self.algorithm.name(),
                self.encoding.name(),
                self.width
            ));
        }
        Ok(())
    }

    /// Whether `c` may appear in this checksum.
    #[inline]
    pub fn is_digit(&self, c: u8) -> bool {
        self.encoding.is_digit(c)
    }

    /// The digest of `parts`, concatenated, in this byte order; returns its
    /// length.
    fn digest(&self, parts: &[&[u8]], out: &mut [u8; 32]) -> usize {
        let n = self.algorithm.len();
        self.algorithm.0.digest(parts, out);
        if self.byte_order == ByteOrder::Little {
            out[..n].reverse();
        }
        n
    }

    /// Computes the checksum of `parts` (concatenated) into `out`; returns
    /// the written characters.
    pub fn encode<'a>(&self, parts: &[&[u8]], out: &'a mut [u8; MAX_WIDTH]) -> &'a [u8] {
        let mut d = [0u8; 32];
        let n = self.digest(parts, &mut d);
        let d = &d[..n];
        let w = self.width;
        match self.encoding {
            Encoding::Hex | Encoding::HexAnyCase | Encoding::HexUpper => {
                let digits = if self.encoding == Encoding::HexUpper {
                    HEX_UPPER
                } else {
                    HEX
                };
                for (i, slot) in out[..w].iter_mut().enumerate() {
                    let b = d[i / 2];
                    let nibble = if i % 2 == 0 { b >> 4 } else { b & 0xf };
                    *slot = digits[nibble as usize];
                }
            }
            Encoding::Base32 => {
                // Five bits at a time, most significant first.
                for (i, slot) in out[..w].iter_mut().enumerate() {
                    let bit = i * 5;
                    let hi = d.get(bit / 8).copied().unwrap_or(0) as u16;
                    let lo = d.get(bit / 8 + 1).copied().unwrap_or(0) as u16;
                    let v = ((hi << 8 | lo) >> (11 - bit % 8)) & 0x1f;
                    *slot = BASE32[v as usize];
                }
            }
            Encoding::Base36 | Encoding::Base62 => {
                let num = d.iter().fold(0u128, |n, &b| n << 8 | b as u128);
                let mut digits = [0u8; 32];
                let len = if self.encoding == Encoding::Base62 {
                    base62::encode_bytes(num, &mut digits).expect("22 digits fit")
                } else {
                    let mut n = num;
                    let mut len = 0;
                    loop {
                        digits[len] = BASE36[(n % 36) as usize];
                        n /= 36;
                        len += 1;
                        if n == 0 {
                            break;
                        }
                    }
                    digits[..len].reverse();
                    len
                };
                let pad = w - len;
                out[..pad].fill(b'0');
                out[pad..w].copy_from_slice(&digits[..len]);
            }
        }
        &out[..w]
    }

    /// Whether `written` is the checksum of `parts`.
    #[inline]
    pub fn verify(&self, parts: &[&[u8]], written: &[u8]) -> bool {
        if written.len() != self.width {
            return false;
        }
        let mut buf = [0u8; MAX_WIDTH];
        self.same(written, self.encode(parts, &mut buf))
    }

    /// Whether a `written` checksum is the `computed` one, as this encoding
    /// compares them (`hex-any` ignores case).
    #[inline]
    pub fn same(&self, written: &[u8], computed: &[u8]) -> bool {
        if self.encoding == Encoding::HexAnyCase {
            written.eq_ignore_ascii_case(computed)
        } else {
            written == computed
        }
    }

    /// A short description: `crc32 hex, 8 characters`.
    pub fn describe(&self) -> String {
        format!(
            "{} {}{}, {} characters",
            self.algorithm.name(),
            self.encoding.name(),
            if self.byte_order == ByteOrder::Little {
                " little-endian"
            } else {
                ""
            },
            self.width
        )
    }
}

/// The named checksum layouts of the original rule files and of `--scheme`:
/// each is a body of `[A-Za-z0-9]` followed by a checksum of the body.
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

    /// The checksum, or none for [`Scheme::None`].
    pub fn spec(self) -> Option<ChecksumSpec> {
        let (encoding, width) = match self {
            Scheme::Crc32Hex8 => (Encoding::Hex, 8),
            Scheme::Crc32Base62x6 => (Encoding::Base62, 6),
            Scheme::None => return None,
        };
        Some(ChecksumSpec {
            algorithm: Algorithm::Crc32,
            encoding,
            byte_order: ByteOrder::Big,
            width,
        })
    }

    /// Number of checksum characters after the body.
    pub fn len(self) -> usize {
        self.spec().map_or(0, |s| s.width)
    }

    /// True for [`Scheme::None`].
    pub fn is_empty(self) -> bool {
        self.len() == 0
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
        let mut out = [0u8; MAX_WIDTH];
        let spec = s.spec().unwrap();
        String::from_utf8(spec.encode(&[body.as_bytes()], &mut out).to_vec()).unwrap()
    }

    fn spec(a: Algorithm, e: Encoding, o: ByteOrder, width: usize) -> ChecksumSpec {
        let s = ChecksumSpec {
            algorithm: a,
            encoding: e,
            byte_order: o,
            width,
        };
        s.validate().unwrap();
        s
    }

    fn encode(s: &ChecksumSpec, parts: &[&[u8]]) -> String {
        let mut out = [0u8; MAX_WIDTH];
        String::from_utf8(s.encode(parts, &mut out).to_vec()).unwrap()
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
    fn verify_accepts_only_the_checksum() {
        for body in ["", "123456789", "iIzsCvggAoeGgQlmtjEQttMgP07WYC"] {
            for s in [Scheme::Crc32Hex8, Scheme::Crc32Base62x6] {
                let sum = enc(s, body);
                let spec = s.spec().unwrap();
                assert!(spec.verify(&[body.as_bytes()], sum.as_bytes()));
                assert!(!spec.verify(&[body.as_bytes(), b"x"], sum.as_bytes()));
            }
        }
        let hex = Scheme::Crc32Hex8.spec().unwrap();
        assert!(
            !hex.verify(&[b"123456789"], b"CBF43926"),
            "uppercase hex is not the format"
        );
        assert!(!hex.verify(&[b"123456789"], b"cbf4392"));
        // 62^6 - 1 overflows a u32: such a checksum can match no CRC.
        assert!(!Scheme::Crc32Base62x6
            .spec()
            .unwrap()
            .verify(&[b""], b"zzzzzz"));
        let any = ChecksumSpec {
            encoding: Encoding::HexAnyCase,
            ..hex
        };
        assert!(any.verify(&[b"123456789"], b"CBF43926"));
        assert!(any.verify(&[b"123456789"], b"cbF43926"));
    }

    #[test]
    fn little_endian_crc_hex_is_the_grafana_layout() {
        // FORMATS.md: the glsa_ vector's hex is CRC-32 of everything before
        // its last `_`, as four little-endian bytes.
        let s = spec(Algorithm::Crc32, Encoding::Hex, ByteOrder::Little, 8);
        assert_eq!(
            encode(&s, &[b"glsa_", b"OmmC8B6zgzKwbVkqxFvZuRRRuAr46DRu"]),
            "d6e2ce86"
        );
        let be = spec(Algorithm::Crc32, Encoding::Hex, ByteOrder::Big, 8);
        assert_eq!(
            encode(&be, &[b"glsa_OmmC8B6zgzKwbVkqxFvZuRRRuAr46DRu"]),
            "86cee2d6"
        );
    }

    #[test]
    fn base36_and_truncated_base32_sha256() {
        // FORMATS.md: GitLab's routable tokens end in base36 CRC-32, 7 wide.
        let s = spec(Algorithm::Crc32, Encoding::Base36, ByteOrder::Big, 7);
        assert_eq!(
            encode(&s, &[b"glpat-VJciNwSNc-utqlF-Lmw1dhBvOjEKdToyBw.0y"]),
            "0gsmf61"
        );
        assert_eq!(encode(&s, &[b""]), "0000000");
        // FORMATS.md: github_pat_ carries base32(SHA-256(first 77))[..8].
        let t = "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"; // burnkey:allow
        let s = spec(Algorithm::Sha256, Encoding::Base32, ByteOrder::Big, 8);
        assert_eq!(encode(&s, &[&t.as_bytes()[..77]]), &t[77..85]);
        // Full-width hex of SHA-256 is the usual hex digest.
        let full = sha256_hex(b"");
        let h = spec(Algorithm::Sha256, Encoding::Hex, ByteOrder::Big, 64);
        assert_eq!(encode(&h, &[b""]), full);
    }

    #[test]
    fn impossible_specs_are_refused() {
        let bad = |a, e, w| {
            ChecksumSpec {
                algorithm: a,
                encoding: e,
                byte_order: ByteOrder::Big,
                width: w,
            }
            .validate()
            .unwrap_err()
        };
        assert!(bad(Algorithm::Sha256, Encoding::Base62, 43).contains("number encoding"));
        assert!(bad(Algorithm::Crc32, Encoding::Base62, 5).contains("needs 6"));
        assert!(bad(Algorithm::Crc32, Encoding::Hex, 9).contains("at most 8"));
        assert!(bad(Algorithm::Crc32, Encoding::Hex, 0).contains("between 1"));
        assert_eq!(
            ChecksumSpec::full(Algorithm::Crc32, Encoding::Base36, ByteOrder::Big).width,
            7
        );
        assert_eq!(
            ChecksumSpec::full(Algorithm::Sha256, Encoding::Base32, ByteOrder::Big).width,
            52
        );
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
