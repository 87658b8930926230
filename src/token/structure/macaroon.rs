//! PyPI API tokens: `pypi-` and a macaroon (version 2, binary, base64url)
//! whose location is the index it uploads to. The format is the macaroons
//! library's (pymacaroons, used by PyPI's warehouse): a version byte 2,
//! then packets of a field type, a length and the bytes (types 1 location,
//! 2 identifier, 4 verification id, 6 signature; 0 ends a section): the
//! macaroon's location and identifier, one section per caveat, an empty
//! section, and a 32-byte signature. The signature is PyPI's and is not
//! checked; a random string after the fixed opening fails to parse.

use base64::Engine as _;

use crate::token::structure::check::Check;

/// The PyPI token check (`pypi-macaroon`).
pub struct PypiMacaroon;

/// The indexes PyPI's tokens name.
const LOCATIONS: [&[u8]; 2] = [b"pypi.org", b"test.pypi.org"];

/// Reads one packet at `b[*at..]`: its type and its bytes.
fn packet<'a>(b: &'a [u8], at: &mut usize) -> Option<(u64, &'a [u8])> {
    let kind = varint(b, at)?;
    if kind == 0 {
        return Some((0, &[]));
    }
    let len = usize::try_from(varint(b, at)?).ok()?;
    let data = b.get(*at..at.checked_add(len)?)?;
    *at += len;
    Some((kind, data))
}

/// An unsigned LEB128 number at `b[*at..]`.
fn varint(b: &[u8], at: &mut usize) -> Option<u64> {
    let mut n = 0u64;
    for shift in (0..63).step_by(7) {
        let c = *b.get(*at)?;
        *at += 1;
        n |= u64::from(c & 0x7f) << shift;
        if c & 0x80 == 0 {
            return Some(n);
        }
    }
    None
}

/// Whether `b` is a whole version-2 macaroon located at one of [`LOCATIONS`].
fn parses(b: &[u8]) -> bool {
    let mut at = 1;
    if b.first() != Some(&2) {
        return false;
    }
    // The macaroon's own location and identifier, then its end.
    let Some((1, location)) = packet(b, &mut at) else {
        return false;
    };
    if !LOCATIONS.contains(&location)
        || !matches!(packet(b, &mut at), Some((2, id)) if !id.is_empty())
    {
        return false;
    }
    if packet(b, &mut at) != Some((0, &[])) {
        return false;
    }
    // Caveats, each a section; an empty section ends them.
    let mut empty = true;
    loop {
        match packet(b, &mut at) {
            Some((0, _)) if empty => break,
            Some((0, _)) => empty = true,
            Some((1 | 2 | 4, _)) => empty = false,
            _ => return false,
        }
    }
    matches!(packet(b, &mut at), Some((6, sig)) if sig.len() == 32) && at == b.len()
}

impl Check for PypiMacaroon {
    fn name(&self) -> &'static str {
        "pypi-macaroon"
    }

    fn holds(&self, part: &[u8], _: &[u64]) -> bool {
        let body = part.strip_prefix(b"pypi-").unwrap_or(part);
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(body)
            .is_ok_and(|b| parses(&b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A macaroon as PyPI writes one: location, identifier, caveats, signature.
    fn mint(location: &[u8], caveats: &[&[u8]], sig: usize) -> String {
        let mut b = vec![2u8];
        let put = |b: &mut Vec<u8>, kind: u8, data: &[u8]| {
            b.push(kind);
            b.push(data.len() as u8);
            b.extend_from_slice(data);
        };
        put(&mut b, 1, location);
        put(&mut b, 2, b"2f1b7c0e-0d3b-4a6b-9c44-0ab2c1d9e8f7");
        b.push(0);
        for c in caveats {
            put(&mut b, 2, c);
            b.push(0);
        }
        b.push(0);
        put(&mut b, 6, &vec![7u8; sig]);
        format!(
            "pypi-{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
        )
    }

    #[test]
    fn a_whole_macaroon_for_pypi_holds() {
        let ok = mint(
            b"pypi.org",
            &[br#"{"version": 1, "permissions": "user"}"#],
            32,
        );
        assert!(ok.starts_with("pypi-AgEIcHlwaS5vcmc"), "{ok}");
        assert!(PypiMacaroon.holds(ok.as_bytes(), &[]));
        assert!(PypiMacaroon.holds(mint(b"test.pypi.org", &[], 32).as_bytes(), &[]));
        // Another index, a short signature, a cut or a tail all fail.
        assert!(!PypiMacaroon.holds(mint(b"pypi.example", &[], 32).as_bytes(), &[]));
        assert!(!PypiMacaroon.holds(mint(b"pypi.org", &[], 31).as_bytes(), &[]));
        assert!(!PypiMacaroon.holds(&ok.as_bytes()[..ok.len() - 4], &[]));
        assert!(!PypiMacaroon.holds(format!("{ok}AAAA").as_bytes(), &[]));
        assert!(!PypiMacaroon.holds(
            b"pypi-AgEIcHlwaS5vcmcabcdefghijklmnopqrstuvwxyz0123456789",
            &[]
        ));
    }
}
