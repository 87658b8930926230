//! Arbitrary bytes with checksum-valid tokens planted in them (plain or
//! base64-encoded), redacted in one write and in writes of arbitrary
//! sizes: the output is as long as the input, the same however it was
//! split, and the scanner finds in it no plain token and none of those it
//! found in the input.
#![no_main]

use std::io::Write;

use base64::Engine as _;
use burnkey::redact::Redactor;
use burnkey::{Checksum, FormatSet, RuleSet, Scanner, ScannerBuilder};
use libfuzzer_sys::fuzz_target;

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A valid `cfut_` token whose body comes from `seed`.
fn token(seed: &[u8; 40]) -> String {
    let body: String = seed.iter().map(|&b| ALNUM[b as usize % 62] as char).collect();
    let formats = FormatSet::builtin();
    for over in [body.clone(), format!("cfut_{body}")] {
        let t = format!("cfut_{body}{:08x}", crc32fast::hash(over.as_bytes()));
        if formats.check(&t).is_ok() {
            return t;
        }
    }
    unreachable!("the checksum covers the body or the prefix and the body")
}

fn redact(s: &Scanner, data: &[u8], sizes: &[u8]) -> Vec<u8> {
    let mut r = Redactor::new(s, Vec::new());
    let mut rest = data;
    let mut i = 0;
    while !rest.is_empty() {
        let n = sizes.get(i % sizes.len().max(1)).map_or(rest.len(), |&k| k as usize + 1).min(rest.len());
        r.write_all(&rest[..n]).unwrap();
        rest = &rest[n..];
        i += 1;
    }
    r.finish().unwrap()
}

fuzz_target!(|input: (Vec<u8>, Vec<u8>, Vec<(u16, bool, [u8; 40])>)| {
    let (mut data, sizes, plants) = input;
    for (at, encoded, seed) in plants.iter().take(8) {
        let t = token(seed);
        let text = if *encoded {
            base64::engine::general_purpose::STANDARD.encode(format!("T={t}\n"))
        } else {
            t
        };
        let at = *at as usize % (data.len() + 1);
        data.splice(at..at, text.bytes());
    }
    // Compiled once: the rules' regexes dominate a run otherwise.
    static SCANNERS: std::sync::OnceLock<[Scanner; 2]> = std::sync::OnceLock::new();
    let [scanner, plain] = SCANNERS.get_or_init(|| {
        let rules = RuleSet::builtin();
        [
            Scanner::new(rules.clone()),
            ScannerBuilder::new().decode_depth(0).build(rules),
        ]
    });
    let whole = redact(scanner, &data, &[]);
    assert_eq!(whole.len(), data.len(), "the default mask keeps lengths");
    assert!(redact(scanner, &data, &sizes) == whole, "split writes differ");
    // No plain token survives.
    plain.scan_slice(&whole, |m| {
        assert!(m.checksum != Checksum::Valid, "a token survived at {}", m.offset)
    });
    // Nor any the decoders found. (Masking can make the decoders see one
    // they missed: a base64 run that held a token and then something
    // else did not read as text until the something else was masked.)
    // (Compared by place: the same token may be planted twice, once where
    // the decoders see it and once where they do not.)
    let mut found = Vec::new();
    scanner.scan_slice(&data, |m| found.push((m.offset, m.len)));
    scanner.scan_slice(&whole, |m| {
        assert!(
            m.checksum != Checksum::Valid || !found.contains(&(m.offset, m.len)),
            "a token found in the input survived at {}",
            m.offset
        )
    });
});
