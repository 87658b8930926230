//! Engine and token-core throughput.
//!
//! `cargo bench --bench engine` measures, on one core:
//! - the matching engine over in-memory source text with every built-in rule
//!   (packed Teddy prefilter vs. the plain Aho-Corasick automaton);
//! - the streaming scanner over the same text (what a file scan costs beyond
//!   reading);
//! - `check` and `mint` per token.
//!
//! The text is the crate sources cargo downloaded (`~/.cargo/registry/src`),
//! up to 256 MiB, with tokens planted every ~100 KiB (this crate's own
//! sources when the registry is empty). Under `cargo test` (no `--bench`), a
//! 1 MiB corpus keeps it quick.
//!
//! Two views of the engine: over the whole corpus in memory (bounded by the
//! machine's memory bandwidth; `bandwidth/memchr-absent` measures that bound:
//! a SIMD scan for a byte that never occurs), and over 128 KiB pieces scanned
//! eight times each (`in-cache`: what the engine costs on a read buffer,
//! which is how files reach it).

use std::hint::black_box;
use std::io::Cursor;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use burnkey::engine::Engine;
use burnkey::{FormatSet, RuleSet, Scanner, StreamBuffer};

fn gather(dir: &Path, out: &mut Vec<u8>, limit: usize) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        if out.len() >= limit {
            return;
        }
        let p = e.path();
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            gather(&p, out, limit);
        } else if ft.is_file()
            && matches!(
                p.extension().and_then(|x| x.to_str()),
                Some("rs" | "md" | "toml" | "c" | "h" | "txt" | "json")
            )
        {
            if let Ok(b) = std::fs::read(&p) {
                out.extend_from_slice(&b);
            }
        }
    }
}

fn corpus() -> Vec<u8> {
    let bench = std::env::args().any(|a| a == "--bench");
    let limit = if bench { 256 << 20 } else { 1 << 20 };
    let mut text = Vec::with_capacity(limit + (1 << 20));
    if let Some(home) = std::env::var_os("HOME") {
        let src = Path::new(&home).join(".cargo/registry/src");
        gather(&src, &mut text, limit);
    }
    while text.len() < limit {
        text.extend_from_slice(
            b"fn main() { let cfg = config::load(\"settings.toml\"); println!(\"{cfg:?}\"); }\n",
        );
    }
    let formats = FormatSet::builtin();
    let kinds = ["cfut", "cfat", "cfk", "ghp", "npm"];
    let mut out = Vec::with_capacity(text.len() + text.len() / 1000);
    for (i, chunk) in text.chunks(100 * 1024).enumerate() {
        out.extend_from_slice(chunk);
        let t = formats
            .by_name(kinds[i % kinds.len()])
            .unwrap()
            .mint()
            .unwrap();
        out.extend_from_slice(format!("\nTOKEN=\"{t}\"\n").as_bytes());
    }
    out
}

fn bench(c: &mut Criterion) {
    let data = corpus();
    let planted = data.len().div_ceil(100 * 1024 + 60);
    let mut g = c.benchmark_group("engine");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.sample_size(10);
    for (name, packed) in [("packed", true), ("automaton", false)] {
        let e = Engine::with_prefilter(RuleSet::builtin(), packed);
        let mut n = 0;
        e.find(&data, 0, data.len(), true, false, |_| n += 1);
        assert!(n + 1 >= planted, "{name}: found {n} of ~{planted}");
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut n = 0usize;
                e.find(black_box(&data), 0, data.len(), true, false, |_| n += 1);
                n
            })
        });
    }
    let packed = Engine::new(RuleSet::builtin());
    g.throughput(Throughput::Bytes(8 * data.len() as u64));
    g.bench_function("in-cache", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for piece in data.chunks(128 << 10) {
                for _ in 0..8 {
                    packed.find(black_box(piece), 0, piece.len(), true, false, |_| n += 1);
                }
            }
            n
        })
    });
    // The same with the keyword rules left out (`--min-confidence high`).
    let high = Engine::new(RuleSet::builtin().at_least(burnkey::Confidence::High));
    g.bench_function("in-cache/high-only", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for piece in data.chunks(128 << 10) {
                for _ in 0..8 {
                    high.find(black_box(piece), 0, piece.len(), true, false, |_| n += 1);
                }
            }
            n
        })
    });
    g.throughput(Throughput::Bytes(data.len() as u64));
    let absent = (0..=255u8).find(|b| !data.contains(b)).unwrap_or(0xff);
    g.bench_function("bandwidth/memchr-absent", |b| {
        b.iter(|| memchr::memchr(absent, black_box(&data)))
    });
    let scanner = Scanner::new(RuleSet::builtin());
    g.bench_function("stream-256k", |b| {
        let mut sb = StreamBuffer::default();
        b.iter(|| {
            let mut n = 0usize;
            scanner
                .scan_reader(&mut Cursor::new(black_box(&data)), &mut sb, |_| n += 1)
                .unwrap();
            n
        })
    });
    g.finish();

    // Teddy puts needles in buckets by their order: the built-in needles in
    // rule order against the order the engine uses (`teddy_order`).
    let mut g = c.benchmark_group("prefilter-order");
    g.throughput(Throughput::Bytes(8 * data.len() as u64));
    g.sample_size(10);
    let needles = packed.needles();
    for (name, order) in [
        ("rule-order", needles.clone()),
        ("teddy-order", burnkey::engine::teddy_order(needles.clone())),
    ] {
        let s = aho_corasick::packed::Config::new()
            .match_kind(aho_corasick::packed::MatchKind::LeftmostFirst)
            .heuristic_pattern_limits(false)
            .builder()
            .extend(order.iter())
            .build()
            .expect("Teddy builds here");
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut n = 0usize;
                for piece in data.chunks(128 << 10) {
                    for _ in 0..8 {
                        let mut at = 0;
                        while let Some(m) =
                            s.find_in(black_box(piece), aho_corasick::Span::from(at..piece.len()))
                        {
                            n += 1;
                            at = m.start() + 1;
                        }
                    }
                }
                n
            })
        });
    }
    g.finish();

    let formats = FormatSet::builtin();
    let f = formats.by_name("cfut").unwrap();
    let token = f.mint().unwrap();
    let mut g = c.benchmark_group("token");
    g.throughput(Throughput::Elements(1));
    g.bench_function("check", |b| {
        b.iter(|| formats.check(black_box(&token)).is_ok())
    });
    g.bench_function("mint", |b| b.iter(|| f.mint().unwrap()));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
