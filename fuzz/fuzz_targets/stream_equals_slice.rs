//! Arbitrary bytes at an arbitrary read size and an arbitrary split of the
//! reads: the stream gives exactly the matches of the whole slice.
#![no_main]

use std::io::Read;

use burnkey::{RuleSet, Scanner, ScannerBuilder, StreamBuffer};
use libfuzzer_sys::fuzz_target;

struct Chunks<'a> {
    data: &'a [u8],
    sizes: &'a [u8],
    i: usize,
}

impl Read for Chunks<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let want = self.sizes.get(self.i % self.sizes.len().max(1)).map_or(usize::MAX, |&s| s as usize + 1);
        self.i += 1;
        let n = self.data.len().min(out.len()).min(want);
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fuzz_target!(|input: (u16, Vec<u8>, Vec<u8>, bool)| {
    let (read_size, sizes, data, invalid) = input;
    // Bias the data towards tokens: seed prefixes into it.
    // Compiled once: the rules' regexes dominate a run otherwise.
    static SCANNERS: std::sync::OnceLock<[Scanner; 2]> = std::sync::OnceLock::new();
    let scanners = SCANNERS.get_or_init(|| {
        let rules = RuleSet::builtin();
        [
            Scanner::new(rules.clone()),
            ScannerBuilder::new().report_invalid(true).build(rules),
        ]
    });
    let scanner = &scanners[invalid as usize];
    let mut whole = Vec::new();
    scanner.scan_slice(&data, |m| whole.push(m));
    let mut streamed = Vec::new();
    let mut sb = StreamBuffer::new(read_size as usize % 4096 + 1);
    let n = scanner
        .scan_reader(&mut Chunks { data: &data, sizes: &sizes, i: 0 }, &mut sb, |m| streamed.push(m))
        .unwrap();
    assert_eq!(n, data.len() as u64);
    assert_eq!(streamed, whole);
});
