//! Arbitrary bytes, written as each encoding the scanner decodes (base64
//! at an arbitrary offset and wrap width, base64 of base64, UTF-16 either
//! way, escapes of some characters or of every one, HTML character
//! references, quoted-printable with soft line breaks, hex): scanning never
//! panics or hangs, and a stream at an arbitrary read size gives exactly
//! the matches of the whole slice.
#![no_main]

use base64::Engine as _;
use burnkey::{RuleSet, Scanner, StreamBuffer};
use libfuzzer_sys::fuzz_target;

fn encode(mode: u8, wrap: u8, data: &[u8]) -> Vec<u8> {
    let std = base64::engine::general_purpose::STANDARD;
    let every = |f: &dyn Fn(u8) -> String| data.iter().flat_map(|&b| f(b).into_bytes()).collect();
    match mode % 11 {
        0 | 1 => {
            let e = if mode % 6 == 0 {
                std.encode(data)
            } else {
                std.encode(std.encode(data))
            };
            let w = wrap as usize % 80 + 4;
            e.as_bytes().chunks(w).flat_map(|c| c.iter().copied().chain([b'\n'])).collect()
        }
        2 => data.iter().flat_map(|&b| [b, 0]).collect(),
        3 => [0xFE, 0xFF].into_iter().chain(data.iter().flat_map(|&b| [0, b])).collect(),
        4 => data
            .iter()
            .flat_map(|&b| if b == b'_' { b"\\u005f".to_vec() } else { vec![b] })
            .collect(),
        5 => data
            .iter()
            .flat_map(|&b| if b % 3 == 0 { format!("%{b:02X}").into_bytes() } else { vec![b] })
            .collect(),
        6 => every(&|b| format!("{b:02x}")),
        7 => every(&|b| format!("&#{b};")),
        8 => every(&|b| format!("\\x{b:02x}")),
        9 => every(&|b| format!("%{b:02X}")),
        _ => {
            // Quoted-printable: some characters as `=XX`, and a soft line
            // break every `wrap` characters.
            let w = wrap as usize % 70 + 2;
            let mut out = Vec::new();
            for (i, &b) in data.iter().enumerate() {
                if i % w == w - 1 {
                    out.extend_from_slice(b"=\r\n");
                }
                match b % 4 == 0 {
                    true => out.extend(format!("={b:02X}").into_bytes()),
                    false => out.push(b),
                }
            }
            out
        }
    }
}

fuzz_target!(|input: (u8, u8, u16, Vec<u8>, Vec<u8>)| {
    let (mode, wrap, read_size, head, data) = input;
    let mut text = head;
    text.extend(encode(mode, wrap, &data));
    // Compiled once: the rules' regexes dominate a run otherwise.
    static SCANNER: std::sync::OnceLock<Scanner> = std::sync::OnceLock::new();
    let scanner = SCANNER.get_or_init(|| Scanner::new(RuleSet::builtin()));
    let mut whole = Vec::new();
    scanner.scan_slice(&text, |m| whole.push(m));
    let mut streamed = Vec::new();
    let mut sb = StreamBuffer::new(read_size as usize % 4096 + 1);
    scanner
        .scan_reader(&mut text.as_slice(), &mut sb, |m| streamed.push(m))
        .unwrap();
    assert_eq!(streamed, whole);
});
