//! The corpora of the instruction-count guard (`benches/instructions.sh`),
//! made the same, byte for byte, on every machine with this `Cargo.lock`:
//!
//! - `text/`: source text, the files of crates pinned in `Cargo.lock` as
//!   cargo unpacked them (`$CARGO_HOME/registry/src`), in path order, cut at
//!   `TEXT_BYTES`, with tokens planted and wrong-checksum decoys beside them;
//! - `encoded/`: the same text behind the decoders and containers: base64
//!   in Kubernetes secrets, UTF-16, `\u`-escaped JSON, gzip, tar.gz, zip;
//! - `history.fi`: a `git fast-import` stream of commits changing that text.
//!
//! Tokens come from `Format::mint_seeded`, so they are the same everywhere.
//!
//! Usage: `cargo run --release --example corpus -- OUT_DIR`

use std::fmt::Write as _;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use burnkey::FormatSet;

const TEXT_BYTES: usize = 16 << 20;
const ENCODED_BYTES: usize = 4 << 20;
const COMMITS: usize = 120;
/// Crates whose sources make the text: large, varied, and always built.
const CRATES: &[&str] = &[
    "regex-syntax",
    "regex-automata",
    "tokio",
    "hyper",
    "clap_builder",
    "serde_json",
    "aho-corasick",
    "rusqlite",
    "ring",
];
/// Kinds planted in turn.
const KINDS: &[&str] = &["cfut", "cfat", "cfk", "ghp", "npm", "github_pat"];

fn main() {
    let out = PathBuf::from(std::env::args().nth(1).expect("usage: corpus OUT_DIR"));
    let files = source_files();
    let mut planter = Planter::default();
    let mut text = Vec::new();
    let mut total = 0;
    for (rel, mut data) in files {
        if total >= TEXT_BYTES {
            break;
        }
        data.truncate(TEXT_BYTES - total);
        total += data.len();
        text.push((rel, data));
    }
    // One planted token (and one decoy) about every 64 KiB of text.
    let mut since = 0;
    for (_, data) in text.iter_mut() {
        since += data.len();
        if since >= 64 << 10 {
            since = 0;
            data.extend_from_slice(planter.line().as_bytes());
        }
    }
    for (rel, data) in &text {
        write(&out.join("text").join(rel), data);
    }

    let encoded = encoded(&text, &mut planter);
    for (rel, data) in &encoded {
        write(&out.join("encoded").join(rel), data);
    }
    write(&out.join("history.fi"), &history(&text, &mut planter));
}

fn write(p: &Path, data: &[u8]) {
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, data).unwrap();
}

/// The pinned crates' text files, in path order: `(crate-version/path, bytes)`.
fn source_files() -> Vec<(String, Vec<u8>)> {
    let lock = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock"))
        .expect("Cargo.lock");
    let doc: toml::Value = toml::from_str(&lock).expect("Cargo.lock parses");
    let mut dirs: Vec<String> = doc["package"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| CRATES.contains(&p["name"].as_str().unwrap()))
        .map(|p| {
            format!(
                "{}-{}",
                p["name"].as_str().unwrap(),
                p["version"].as_str().unwrap()
            )
        })
        .collect();
    dirs.sort();
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cargo"));
    let registries: Vec<PathBuf> = fs::read_dir(home.join("registry/src"))
        .expect("cargo's registry sources: build burnkey first")
        .map(|e| e.unwrap().path())
        .collect();
    let mut out = Vec::new();
    for d in &dirs {
        let root = registries
            .iter()
            .map(|r| r.join(d))
            .find(|p| p.is_dir())
            .unwrap_or_else(|| panic!("{d} is not unpacked: run `cargo fetch --locked`"));
        let mut files = Vec::new();
        walk(&root, &mut files);
        files.sort();
        for f in files {
            let ext = f.extension().and_then(|e| e.to_str()).unwrap_or("");
            if !matches!(ext, "rs" | "md" | "toml" | "c" | "h" | "txt") {
                continue;
            }
            let data = fs::read(&f).unwrap();
            if data.contains(&0) {
                continue;
            }
            let rel = format!("{d}/{}", f.strip_prefix(&root).unwrap().display());
            out.push((rel, data));
        }
    }
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let t = e.file_type().unwrap();
        if t.is_dir() {
            walk(&e.path(), out);
        } else if t.is_file() {
            out.push(e.path());
        }
    }
}

/// Tokens of each kind in turn, from seeds counted up; each with a decoy.
#[derive(Default)]
struct Planter {
    seed: u64,
}

impl Planter {
    fn token(&mut self) -> String {
        let kind = KINDS[self.seed as usize % KINDS.len()];
        self.seed += 1;
        FormatSet::builtin()
            .by_name(kind)
            .expect("a built-in kind")
            .mint_seeded(self.seed)
            .expect("built-in corpus kinds are minted")
    }

    /// A line holding a token and a wrong-checksum decoy.
    fn line(&mut self) -> String {
        let t = self.token();
        // The last character the checksum covers, changed.
        let decoy = (0..t.len())
            .rev()
            .map(|i| {
                let mut d = t.clone().into_bytes();
                d[i] = if d[i] == b'0' { b'1' } else { b'0' };
                String::from_utf8(d).unwrap()
            })
            .find(|d| FormatSet::builtin().check(d).is_err())
            .expect("a checked character");
        format!("\nconst LEAKED: &str = \"{t}\"; // decoy: {decoy}\n")
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// The text behind every decoder and container burnkey opens.
fn encoded(text: &[(String, Vec<u8>)], p: &mut Planter) -> Vec<(String, Vec<u8>)> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut chunks = text.iter().map(|(r, d)| (r.as_str(), d.as_slice())).cycle();
    let mut out = Vec::new();
    let mut size = 0;
    let mut n = 0;
    while size < ENCODED_BYTES {
        n += 1;
        let (rel, data) = chunks.next().unwrap();
        let data = &data[..data.len().min(32 << 10)];
        let (name, bytes) = match n % 6 {
            0 => {
                let mut s = String::new();
                for (i, part) in data.chunks(600).enumerate() {
                    let mut part = part.to_vec();
                    if i == 3 {
                        part.extend_from_slice(p.line().as_bytes());
                    }
                    let _ = write!(
                        s,
                        "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s{i}\ndata:\n  config: {}\n",
                        b64.encode(&part)
                    );
                }
                (format!("k8s/{n}.yaml"), s.into_bytes())
            }
            1 => {
                let mut s = String::from_utf8_lossy(data).into_owned();
                s.push_str(&p.line());
                let mut b = vec![0xff, 0xfe];
                b.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
                (format!("utf16/{n}.txt"), b)
            }
            2 => {
                let t = p.token();
                let escaped = t.replacen('_', "\\u005f", 1);
                let body = serde_json::json!({
                    "source": String::from_utf8_lossy(data),
                })
                .to_string();
                (
                    format!("json/{n}.json"),
                    format!("{{\"doc\": {body}, \"token\": \"{escaped}\"}}\n").into_bytes(),
                )
            }
            3 => {
                let mut d = data.to_vec();
                d.extend_from_slice(p.line().as_bytes());
                (format!("logs/{n}.log.gz"), gzip(&d))
            }
            4 => {
                let mut b = tar::Builder::new(Vec::new());
                let mut d = data.to_vec();
                d.extend_from_slice(p.line().as_bytes());
                for (i, member) in [data, &d[..]].iter().enumerate() {
                    let mut h = tar::Header::new_gnu();
                    h.set_size(member.len() as u64);
                    h.set_mode(0o644);
                    h.set_mtime(1_700_000_000);
                    h.set_cksum();
                    b.append_data(&mut h, format!("{rel}.{i}"), *member)
                        .unwrap();
                }
                (
                    format!("bundles/{n}.tar.gz"),
                    gzip(&b.into_inner().unwrap()),
                )
            }
            _ => {
                let mut d = data.to_vec();
                d.extend_from_slice(p.line().as_bytes());
                (
                    format!("zips/{n}.zip"),
                    zip(&[("a.txt", data), ("b/c.txt", &d)]),
                )
            }
        };
        size += bytes.len();
        out.push((name, bytes));
    }
    out
}

/// A zip of deflated members with a central directory.
fn zip(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut o = Vec::new();
    let mut central = Vec::new();
    for (name, data) in members {
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(6));
        e.write_all(data).unwrap();
        let body = e.finish().unwrap();
        let at = o.len() as u32;
        let fields = |sig: &[u8], o: &mut Vec<u8>| {
            o.extend_from_slice(sig);
            o.extend_from_slice(&20u16.to_le_bytes()); // version needed
            o.extend_from_slice(&0u16.to_le_bytes()); // flags
            o.extend_from_slice(&8u16.to_le_bytes()); // deflate
            o.extend_from_slice(&[0; 4]); // time, date
            o.extend_from_slice(&crc32fast::hash(data).to_le_bytes());
            o.extend_from_slice(&(body.len() as u32).to_le_bytes());
            o.extend_from_slice(&(data.len() as u32).to_le_bytes());
            o.extend_from_slice(&(name.len() as u16).to_le_bytes());
            o.extend_from_slice(&0u16.to_le_bytes()); // extra
        };
        fields(b"PK\x03\x04", &mut o);
        o.extend_from_slice(name.as_bytes());
        o.extend_from_slice(&body);
        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&20u16.to_le_bytes()); // version made by
        fields(b"", &mut central);
        central.extend_from_slice(&[0; 8]); // comment, disk, attributes
        central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        central.extend_from_slice(&at.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_at = o.len() as u32;
    o.extend_from_slice(&central);
    o.extend_from_slice(b"PK\x05\x06");
    o.extend_from_slice(&[0; 4]);
    o.extend_from_slice(&(members.len() as u16).to_le_bytes());
    o.extend_from_slice(&(members.len() as u16).to_le_bytes());
    o.extend_from_slice(&(central.len() as u32).to_le_bytes());
    o.extend_from_slice(&cd_at.to_le_bytes());
    o.extend_from_slice(&0u16.to_le_bytes());
    o
}

/// Commits that each change a few of the text's files; every tenth plants
/// a token that later versions of the file keep.
fn history(text: &[(String, Vec<u8>)], p: &mut Planter) -> Vec<u8> {
    let files: Vec<&(String, Vec<u8>)> = text
        .iter()
        .filter(|(_, d)| d.len() < 64 << 10)
        .take(600)
        .collect();
    let mut current: Vec<Vec<u8>> = files.iter().map(|(_, d)| d.clone()).collect();
    let mut out = Vec::new();
    let mut mark = 0;
    for c in 0..COMMITS {
        let changed: Vec<usize> = if c == 0 {
            (0..files.len()).collect()
        } else {
            (0..6).map(|k| (c * 97 + k * 31) % files.len()).collect()
        };
        let mut marks = Vec::new();
        for &i in &changed {
            current[i].extend_from_slice(format!("\n// change {c}\n").as_bytes());
            if c % 10 == 5 && marks.is_empty() {
                let line = p.line();
                current[i].extend_from_slice(line.as_bytes());
            }
            mark += 1;
            out.extend_from_slice(
                format!("blob\nmark :{mark}\ndata {}\n", current[i].len()).as_bytes(),
            );
            out.extend_from_slice(&current[i]);
            out.push(b'\n');
            marks.push((i, mark));
        }
        let msg = format!("commit {c}");
        out.extend_from_slice(
            format!(
                "commit refs/heads/main\ncommitter guard <g@example.com> {} +0000\ndata {}\n{msg}\n",
                1_700_000_000 + c,
                msg.len()
            )
            .as_bytes(),
        );
        for (i, m) in marks {
            out.extend_from_slice(format!("M 100644 :{m} {}\n", files[i].0).as_bytes());
        }
        out.push(b'\n');
    }
    out
}
