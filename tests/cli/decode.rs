//! Encodings and containers, through the real binary: each case is built
//! here (base64, UTF-16, escapes, gzip, zip, tar), scanned, and placed by
//! path, member, encoding, line and column; hostile archives end with
//! their documented `stats.skipped` reason.

use std::io::Write;
use std::path::Path;

use base64::Engine as _;
use serde_json::Value;

use crate::common::*;
use crate::git::{commit_all, git, repo};

pub(crate) fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

pub(crate) fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A tar of (path, content), gzipped when `gz`.
pub(crate) fn tar(members: &[(&str, &[u8])], gz: bool) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, data) in members {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, path, *data).unwrap();
    }
    let t = b.into_inner().unwrap();
    if gz {
        gzip(&t)
    } else {
        t
    }
}

/// A zip written member by member, as streaming writers do when
/// `descriptor` is set (sizes after the data).
#[derive(Default)]
struct Zip(Vec<u8>);

impl Zip {
    fn member(mut self, name: &str, data: &[u8], method: u16, descriptor: bool, flags: u16) -> Zip {
        let crc = crc32fast::hash(data);
        let body = if method == 8 {
            deflate(data)
        } else {
            data.to_vec()
        };
        let flags = flags | if descriptor { 8 } else { 0 };
        let sizes = if descriptor {
            [0, 0, 0]
        } else {
            [crc, body.len() as u32, data.len() as u32]
        };
        let o = &mut self.0;
        o.extend_from_slice(b"PK\x03\x04");
        o.extend_from_slice(&20u16.to_le_bytes());
        o.extend_from_slice(&flags.to_le_bytes());
        o.extend_from_slice(&method.to_le_bytes());
        o.extend_from_slice(&[0; 4]);
        for s in sizes {
            o.extend_from_slice(&s.to_le_bytes());
        }
        o.extend_from_slice(&(name.len() as u16).to_le_bytes());
        o.extend_from_slice(&0u16.to_le_bytes());
        o.extend_from_slice(name.as_bytes());
        o.extend_from_slice(&body);
        if descriptor {
            o.extend_from_slice(b"PK\x07\x08");
            for s in [crc, body.len() as u32, data.len() as u32] {
                o.extend_from_slice(&s.to_le_bytes());
            }
        }
        self
    }

    fn stored(self, name: &str, data: &[u8]) -> Zip {
        self.member(name, data, 0, false, 0)
    }

    fn deflated(self, name: &str, data: &[u8]) -> Zip {
        self.member(name, data, 8, false, 0)
    }

    /// Ends it with an (empty) end of central directory record.
    fn finish(mut self) -> Vec<u8> {
        self.0.extend_from_slice(b"PK\x05\x06");
        self.0.extend_from_slice(&[0; 18]);
        self.0
    }
}

/// (path, member, encoding, line, column).
pub(crate) type Placed = (String, Option<String>, Option<String>, u64, u64);

/// Where every finding is, sorted.
pub(crate) fn placed(doc: &Value) -> Vec<Placed> {
    let mut v: Vec<_> = findings(doc)
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["member"].as_str().map(String::from),
                f["encoding"].as_str().map(String::from),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

pub(crate) fn row(
    path: &str,
    member: Option<&str>,
    encoding: Option<&str>,
    line: u64,
    column: u64,
) -> Placed {
    (
        path.into(),
        member.map(String::from),
        encoding.map(String::from),
        line,
        column,
    )
}

pub(crate) fn utf16(s: &str, le: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if bom {
        out.extend_from_slice(if le { &[0xFF, 0xFE] } else { &[0xFE, 0xFF] });
    }
    for u in s.encode_utf16() {
        out.extend_from_slice(&if le { u.to_le_bytes() } else { u.to_be_bytes() });
    }
    out
}

pub(crate) fn skipped(doc: &Value, why: &str) -> u64 {
    doc["stats"]["skipped"][why].as_u64().unwrap_or(0)
}

#[test]
fn encodings_are_found_where_they_are() {
    let t = Tree::new();
    let (cf, gh) = (mint("cfut"), mint("ghp"));
    let url = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    t.write(
        "k8s/secret.yaml",
        format!(
            "apiVersion: v1\nkind: Secret\ndata:\n  token: {}\n  url: {}\n  double: {}\n",
            b64(cf.as_bytes()),
            url.encode(format!("~~{gh}~~")),
            b64(b64(cf.as_bytes()).as_bytes()),
        ),
    );
    t.write(
        "deploy.ps1",
        utf16(&format!("# deploy\r\n$env:CF = '{cf}'\r\n"), true, true),
    );
    t.write(
        "keys.reg",
        utf16(&format!("\"Token\"=\"{gh}\"\r\n"), false, false),
    );
    t.write(
        "dump.json",
        format!(
            "{{\"a\": 1,\n \"t\": \"{}\"}}\n",
            cf.replacen('_', "\\u005f", 1)
        ),
    );
    t.write(
        "access.log",
        format!("GET /cb?x=1&t={} 200\n", gh.replacen('_', "%5F", 1)),
    );
    let (code, doc) = scan_json(t.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        placed(&doc),
        vec![
            row("access.log", None, Some("percent"), 1, 15),
            row("deploy.ps1", None, Some("utf-16le"), 2, 12),
            row("dump.json", None, Some("json-escape"), 2, 8),
            row("k8s/secret.yaml", None, Some("base64"), 4, 10),
            // "~~" is two bytes: the token starts in character 2.
            row("k8s/secret.yaml", None, Some("base64"), 5, 8 + 2),
            row("k8s/secret.yaml", None, Some("base64>base64"), 6, 11),
            row("keys.reg", None, Some("utf-16be"), 1, 10),
        ]
    );
    // The decoded tokens themselves, never the encoded text.
    let mut want = vec![
        sha(&cf),
        sha(&gh),
        sha(&cf),
        sha(&cf),
        sha(&gh),
        sha(&cf),
        sha(&gh),
    ];
    want.sort();
    let mut got = hashes(&doc);
    got.sort();
    assert_eq!(got, want);
    // Off: nothing.
    let (code, doc) = scan_json(t.path(), &["--no-decode"]);
    assert_eq!((code, findings(&doc).len()), (0, 0));
}

#[test]
fn containers_are_found_by_content_and_placed_inside() {
    let t = Tree::new();
    let (cf, gh, cfk) = (mint("cfat"), mint("gho"), mint("cfk"));
    t.write(
        "logs/app.log.gz",
        gzip(format!("start\nauth {cf}\n").as_bytes()),
    );
    // A gzip whose name says nothing.
    t.write("blob", gzip(format!("{gh}\n").as_bytes()));
    t.write(
        "bundle.zip",
        Zip::default()
            .stored("notes.txt", format!("a\nb {cf}\n").as_bytes())
            .deflated("config/.env", format!("X=1\nGH={gh}\n").as_bytes())
            .member(
                "streamed.txt",
                format!("\n\n  {cfk}\n").as_bytes(),
                8,
                true,
                0,
            )
            .finish(),
    );
    let inner_zip = Zip::default()
        .deflated(".env.backup", format!("K={cfk}\n").as_bytes())
        .finish();
    t.write(
        "build.tar.gz",
        tar(
            &[
                ("out/app.js", format!("var k = \"{cf}\";\n").as_bytes()),
                ("out/bundle.zip", &inner_zip),
                ("out/log.gz", &gzip(format!("{gh}\n").as_bytes())),
            ],
            true,
        ),
    );
    t.write(
        "plain.tar",
        tar(&[("a/b.txt", format!("\n{gh}").as_bytes())], false),
    );
    let (code, doc) = scan_json(t.path(), &[]);
    assert_eq!(code, 1, "{doc}");
    let g = Some("gzip");
    assert_eq!(
        placed(&doc),
        vec![
            row("blob", Some("blob"), g, 1, 1),
            row("build.tar.gz", Some("out/app.js"), g, 1, 10),
            row("build.tar.gz", Some("out/bundle.zip/.env.backup"), g, 1, 3),
            row(
                "build.tar.gz",
                Some("out/log.gz/log"),
                Some("gzip>gzip"),
                1,
                1
            ),
            row("bundle.zip", Some("config/.env"), None, 2, 4),
            row("bundle.zip", Some("notes.txt"), None, 2, 3),
            row("bundle.zip", Some("streamed.txt"), None, 3, 3),
            row("logs/app.log.gz", Some("app.log"), g, 2, 6),
            row("plain.tar", Some("a/b.txt"), None, 2, 1),
        ]
    );
    assert_eq!(doc["stats"]["files_scanned"], 5);
    assert!(doc["stats"]["members_scanned"].as_u64().unwrap() >= 9);
    assert_eq!(doc["stats"]["skipped"], serde_json::json!({}));
    // Off: the archives' bytes are scanned as they are: the stored zip
    // member and the plain tar's are there as text, the rest is not.
    let (_, doc) = scan_json(t.path(), &["--no-archives"]);
    let got: Vec<_> = placed(&doc).into_iter().map(|x| (x.0, x.1, x.2)).collect();
    assert_eq!(
        got,
        vec![
            ("bundle.zip".into(), None, None),
            ("plain.tar".into(), None, None)
        ]
    );
}

#[test]
fn base64_inside_a_member_chains_encodings() {
    let t = Tree::new();
    let cf = mint("cfut");
    let secret = format!("kind: Secret\ndata:\n  t: {}\n", b64(cf.as_bytes()));
    t.write(
        "manifests.tgz",
        tar(&[("k8s/s.yaml", secret.as_bytes())], true),
    );
    let (_, doc) = scan_json(t.path(), &[]);
    assert_eq!(
        placed(&doc),
        vec![row(
            "manifests.tgz",
            Some("k8s/s.yaml"),
            Some("gzip>base64"),
            3,
            6
        )]
    );
    // Text, SARIF and annotations name both.
    let o = bin()
        .current_dir(t.path())
        .args(["scan", "--format", "text", "--color", "never"])
        .output()
        .unwrap();
    let (_, out, _) = parts(&o);
    assert!(
        out.contains("manifests.tgz!k8s/s.yaml:3:6 ") && out.contains("(encoded: gzip>base64)"),
        "{out}"
    );
    let o = bin()
        .current_dir(t.path())
        .args(["scan", "--format", "github"])
        .output()
        .unwrap();
    let (_, out, _) = parts(&o);
    assert!(out.contains("file=manifests.tgz,title="), "{out}");
    assert!(
        out.contains("In archive member k8s/s.yaml, line 3. Encoded: gzip>base64."),
        "{out}"
    );
    let o = bin()
        .current_dir(t.path())
        .args(["scan", "--format", "sarif"])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&o.stdout).unwrap();
    let loc = &sarif["runs"][0]["results"][0]["locations"][0];
    assert_eq!(
        loc["message"]["text"],
        "in archive member k8s/s.yaml (line 3, column 6), encoded as gzip>base64"
    );
    assert!(loc["physicalLocation"]["region"].is_null());
    assert_eq!(
        loc["physicalLocation"]["artifactLocation"]["uri"],
        "manifests.tgz"
    );
}

#[test]
fn allowlists_apply_inside_encodings_and_members() {
    let t = Tree::new();
    let (a, b, c) = (mint("cfut"), mint("cfat"), mint("ghp"));
    t.write(
        "s.yaml",
        format!(
            "x: {} # burnkey:allow\ny: {}\n",
            b64(a.as_bytes()),
            b64(b.as_bytes())
        ),
    );
    t.write(
        "m.zip",
        Zip::default()
            .deflated("one.txt", format!("{c} # burnkey:allow\n{b}\n").as_bytes())
            .deflated("two.txt", format!("{c}\n").as_bytes())
            .finish(),
    );
    let (_, doc) = scan_json(t.path(), &[]);
    assert_eq!(
        placed(&doc),
        vec![
            row("m.zip", Some("one.txt"), None, 2, 1),
            row("m.zip", Some("two.txt"), None, 1, 1),
            row("s.yaml", None, Some("base64"), 2, 4),
        ]
    );
    assert_eq!(doc["stats"]["suppressed"]["inline"], 2);
    // Fingerprints cover the member: allowing two.txt's leaves one.txt's.
    let fp = findings(&doc)
        .iter()
        .find(|f| f["member"] == "two.txt")
        .unwrap()["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    let other = findings(&doc)
        .iter()
        .find(|f| f["member"] == "one.txt")
        .unwrap()["fingerprint"]
        .clone();
    assert_ne!(other, fp.as_str());
    t.write(".burnkeyignore", format!("{fp}\n"));
    let (_, doc) = scan_json(t.path(), &[]);
    assert_eq!(findings(&doc).len(), 2);
    assert_eq!(doc["stats"]["suppressed"]["fingerprint"], 1);
}

#[test]
fn every_source_reads_layers() {
    let cf = mint("cfk");
    let archive = tar(&[("conf/.env", format!("A=1\nCF={cf}\n").as_bytes())], true);
    let want = vec![row("<stdin>", Some("conf/.env"), Some("gzip"), 2, 4)];
    // stdin
    let o = bin()
        .args(["scan", "-", "--format", "json"])
        .write_stdin(archive.clone())
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(placed(&doc), want);
    // The index, then history.
    let r = repo();
    r.write("dist/conf.tgz", &archive);
    r.write("k.yaml", format!("t: {}\n", b64(cf.as_bytes())));
    git(r.path(), &["add", "-A"]);
    let (_, doc) = scan_json(r.path(), &["--staged"]);
    let got: Vec<_> = placed(&doc).into_iter().map(|x| (x.0, x.1, x.2)).collect();
    assert_eq!(
        got,
        vec![
            (
                "dist/conf.tgz".into(),
                Some("conf/.env".into()),
                Some("gzip".into())
            ),
            ("k.yaml".into(), None, Some("base64".into())),
        ]
    );
    commit_all(&r, "add");
    std::fs::remove_file(r.join("dist/conf.tgz")).unwrap();
    commit_all(&r, "remove");
    for args in [&["--git"][..], &["--git-range", "HEAD~1..HEAD"]] {
        let (_, doc) = scan_json(r.path(), args);
        let members: Vec<_> = findings(&doc).iter().map(|f| f["member"].clone()).collect();
        if args[0] == "--git" {
            assert_eq!(members.len(), 2, "{doc}");
            assert!(members.contains(&Value::from("conf/.env")));
        } else {
            // The range only removes: nothing added.
            assert!(members.is_empty());
        }
    }
}

/// Gzip members of `chunk` zero bytes each, `n` of them, concatenated: a
/// stream that expands to `n * chunk` bytes.
fn zeros_gz(chunk: usize, n: usize) -> Vec<u8> {
    let one = gzip(&vec![0u8; chunk]);
    one.repeat(n)
}

#[test]
fn hostile_archives_end_with_their_reason() {
    let t = Tree::new();
    let cf = mint("cfut");
    // 10 GiB of zeros in 10 MiB.
    t.write("zeros.gz", zeros_gz(64 << 20, 160));
    // A zip bomb member, then a good one that is never reached.
    t.write(
        "bomb.zip",
        Zip::default()
            .deflated("big", &vec![b'a'; 300 << 20])
            .deflated("after", cf.as_bytes())
            .finish(),
    );
    // Text that compresses as text does: 2 MiB in ~1.
    let mut x: u32 = 1;
    let text: String = (0..(2 << 20) / 8)
        .map(|_| {
            x = x.wrapping_mul(1664525).wrapping_add(1013904223);
            format!("{x:08x}")
        })
        .collect();
    t.write("big.log.gz", gzip(text.as_bytes()));
    // Truncated: the token is in the part that is there.
    let member = format!("{cf}\n{}", &text[..200_000]);
    let mut cut = tar(&[("x.txt", member.as_bytes())], true);
    cut.truncate(cut.len() / 2);
    t.write("cut.tar.gz", cut);
    let mut bad_tar = tar(&[("x.txt", b"hello")], false);
    bad_tar[148] ^= 0x55; // the header checksum
    t.write("bad.tar", bad_tar);
    // Encrypted and unsupported members are skipped; the next is read.
    t.write(
        "locked.zip",
        Zip::default()
            .member("secret.txt", b"ciphertext", 0, false, 1)
            .member("data.bz2", b"BZh9", 12, false, 0)
            .stored("readme.txt", format!("{cf}\n").as_bytes())
            .finish(),
    );
    t.write(
        "many.zip",
        (0..5)
            .fold(Zip::default(), |z, i| z.stored(&format!("f{i}"), b"x"))
            .finish(),
    );
    // Nested four deep: zip > zip > zip > zip.
    let mut nested = Zip::default().stored("t.txt", cf.as_bytes()).finish();
    for i in 0..3 {
        nested = Zip::default()
            .stored(&format!("z{i}.zip"), &nested)
            .finish();
    }
    t.write("nested.zip", nested);
    let o = bin()
        .current_dir(t.path())
        .args(["scan", "--format", "json", "--max-archive-members", "3"])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(o.status.code(), Some(1), "{doc}");
    for (why, n) in [
        ("compression_ratio", 2),
        ("archive_corrupt", 2),
        ("archive_encrypted", 1),
        ("archive_unsupported", 1),
        ("too_many_members", 1),
        ("too_deep", 1),
    ] {
        assert_eq!(skipped(&doc, why), n, "{why}: {}", doc["stats"]);
    }
    assert_eq!(
        placed(&doc),
        vec![
            row("cut.tar.gz", Some("x.txt"), Some("gzip"), 1, 1),
            row("locked.zip", Some("readme.txt"), None, 1, 1),
        ]
    );
    assert!(doc["stats"]["errors"].as_array().unwrap().is_empty());
    // A limit on what a file may decompress; the nesting limit raised.
    let (_, doc) = scan_json(
        t.path(),
        &[
            "--max-decompressed",
            "1M",
            "--max-decode-depth",
            "5",
            "nested.zip",
            "big.log.gz",
        ],
    );
    assert_eq!(skipped(&doc, "decompression_limit"), 1, "{}", doc["stats"]);
    assert_eq!(skipped(&doc, "too_deep"), 0);
    assert_eq!(
        placed(&doc),
        vec![row(
            "nested.zip",
            Some("z2.zip/z1.zip/z0.zip/t.txt"),
            None,
            1,
            1
        )]
    );
}

#[test]
fn a_stored_member_with_sizes_after_it_cannot_be_streamed() {
    let cf = mint("cfut");
    let zip = Zip::default()
        .deflated("a.txt", format!("{cf}\n").as_bytes())
        .member("b.txt", b"stored, sized later", 0, true, 0)
        .finish();
    let o = bin()
        .args(["scan", "-", "--format", "json"])
        .write_stdin(zip)
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(skipped(&doc, "archive_unstreamable"), 1);
    assert_eq!(
        placed(&doc),
        vec![row("<stdin>", Some("a.txt"), None, 1, 1)]
    );
}

#[test]
fn hostile_member_names_are_shown_escaped() {
    let t = Tree::new();
    let cf = mint("cfut");
    t.write(
        "evil.zip",
        Zip::default()
            .stored("../../etc/passwd", cf.as_bytes())
            .stored("/abs\x1b[2Jname\n", cf.as_bytes())
            .finish(),
    );
    let o = bin()
        .current_dir(t.path())
        .args(["scan", "--format", "text", "--color", "never"])
        .output()
        .unwrap();
    let (code, out, _) = parts(&o);
    assert_eq!(code, 1);
    assert!(out.contains("evil.zip!../../etc/passwd:1:1 "), "{out}");
    assert!(out.contains("evil.zip!/abs\\x1b[2Jname\\n:1:1 "), "{out}");
    assert!(!out.contains('\x1b'));
    // Nothing was written next to the archive or above it.
    let names: Vec<_> = std::fs::read_dir(t.path()).unwrap().collect();
    assert_eq!(names.len(), 1);
    assert!(!Path::new("/abs\x1b[2Jname\n").exists());
}
