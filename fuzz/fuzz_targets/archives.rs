//! Arbitrary bytes as a file's content, read through every layer (gzip,
//! xz, lzma, bzip2, zstd, zip, tar, UTF-16, and compressed streams inside
//! base64), under small limits: no panic, no hang, memory
//! bounded by the limits whatever the archive claims.
#![no_main]

use burnkey::config::Limits;
use burnkey::{scan_reader, Location, RuleSet, ScanConfig, Scanner};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Compiled once: the rules' regexes dominate a run otherwise.
    static SCANNER: std::sync::OnceLock<Scanner> = std::sync::OnceLock::new();
    let scanner = SCANNER.get_or_init(|| Scanner::new(RuleSet::builtin()));
    let config = ScanConfig {
        read_size: 4096,
        limits: Limits {
            max_decompressed: 4 << 20,
            max_ratio: 50,
            max_members: 64,
            max_decoder_memory: 1 << 20,
        },
        ..ScanConfig::default()
    };
    let out = scan_reader(scanner, &mut &data[..], Location::Stdin, &config);
    assert!(out.stats.errors.is_empty(), "{:?}", out.stats.errors);
});
