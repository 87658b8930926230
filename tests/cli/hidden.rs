//! Where leaks really hide (issue #27), through the real binary: xz, lzma,
//! bzip2 and zstd and the tars inside them, container images, compressed
//! streams inside decodings, HTML, quoted-printable, hex and fully escaped
//! tokens, UTF-16 strings inside binaries, tokens that abut a field in a
//! binary record, PDF streams. Every case is built here, in Rust, placed by
//! path, member, encoding and line, and has a wrong-checksum decoy beside
//! it that is never reported.

use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::common::*;
use crate::decode::{b64, gzip, placed, row, skipped, tar};
use crate::git::{commit_all, git, repo};

pub(crate) fn xz(data: &[u8]) -> Vec<u8> {
    let opts = lzma_rust2::XzOptions::with_preset(1);
    let mut w = lzma_rust2::XzWriter::new(Vec::new(), opts).unwrap();
    w.write_all(data).unwrap();
    w.finish().unwrap()
}

fn lzma(data: &[u8]) -> Vec<u8> {
    let opts = lzma_rust2::LzmaOptions::with_preset(1);
    let mut w = lzma_rust2::LzmaWriter::new_use_header(Vec::new(), &opts, None).unwrap();
    w.write_all(data).unwrap();
    w.finish().unwrap()
}

pub(crate) fn bz2(data: &[u8]) -> Vec<u8> {
    let mut w = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    w.write_all(data).unwrap();
    w.finish().unwrap()
}

pub(crate) fn zst(data: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
}

/// `token` with a wrong checksum: its last character changed, or for a
/// `github_pat_` (whose last 8 characters the checksum does not cover) a
/// checksum character.
fn decoy(token: &str) -> String {
    if !token.starts_with("github_pat_") {
        return corrupt(token);
    }
    let mut b = token.as_bytes().to_vec();
    b[80] = if b[80] == b'A' { b'B' } else { b'A' };
    String::from_utf8(b).unwrap()
}

/// A line holding `token` and, on the next, its wrong-checksum decoy.
fn with_decoy(token: &str) -> String {
    format!("TOKEN={token}\nOLD_TOKEN={}\n", decoy(token))
}

/// Runs `burnkey scan --format json -j 2 ARGS` in `cwd`; returns its JSON
/// document and the peak resident memory of the process, in MiB.
///
/// The peak is the kernel's count for the process (`wait4`), which includes
/// what the process that forked it held at the fork: so it is not forked
/// from this test process (hundreds of MiB, with other tests' data), but
/// from a fresh copy of it that runs only [`rss_probe`].
fn scan_measured(cwd: &Path, args: &[&str]) -> (Value, u64) {
    let out = tempfile::NamedTempFile::new().unwrap();
    let probe = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "hidden::rss_probe",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env("BURNKEY_RSS_PROBE", args.join("\x1f"))
        .env("BURNKEY_RSS_CWD", cwd)
        .env("BURNKEY_RSS_OUT", out.path())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&probe.stdout);
    let kib: u64 = said
        .lines()
        .find_map(|l| l.split("maxrss_kib=").nth(1))
        .unwrap_or_else(|| panic!("the probe said: {said}"))
        .parse()
        .unwrap();
    let text = std::fs::read_to_string(out.path()).unwrap();
    let doc: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (doc, kib / 1024)
}

/// Not a check of its own: what [`scan_measured`] runs in a fresh process
/// (with `BURNKEY_RSS_PROBE` set; without it, it does nothing). Runs the
/// scan, waits for it with `wait4` and prints its peak resident memory.
#[test]
// The child is reaped by `wait4`, which std does not know of.
#[allow(clippy::zombie_processes)]
fn rss_probe() {
    let Some(args) = std::env::var_os("BURNKEY_RSS_PROBE") else {
        return;
    };
    let args = args.into_string().unwrap();
    let out = std::fs::File::create(std::env::var_os("BURNKEY_RSS_OUT").unwrap()).unwrap();
    let child = Command::new(exe())
        .current_dir(std::env::var_os("BURNKEY_RSS_CWD").unwrap())
        .args(["scan", "--format", "json", "-j", "2"])
        .args(args.split('\x1f').filter(|a| !a.is_empty()))
        .stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .spawn()
        .unwrap();
    let (mut status, mut usage) = (0, unsafe { std::mem::zeroed::<libc::rusage>() });
    // SAFETY: the pid is this process's child; status and usage are ours.
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as i32);
    let status = std::process::ExitStatus::from_raw(status);
    assert!(matches!(status.code(), Some(0 | 1)), "{status:?}");
    println!("\nmaxrss_kib={}", usage.ru_maxrss);
}

#[test]
fn xz_lzma_bzip2_and_zstd_and_the_tars_inside_them_are_opened() {
    let t = Tree::new();
    let (cf, gh, gl) = (mint("cfut"), mint("ghp"), mint("glpat"));
    let env = with_decoy(&cf);
    t.write("backup/app.env.xz", xz(env.as_bytes()));
    t.write("backup/app.env.lzma", lzma(env.as_bytes()));
    t.write("backup/app.env.bz2", bz2(env.as_bytes()));
    // Two frames and a skippable one, as pzstd writes them.
    let mut frames = vec![0x50, 0x2A, 0x4D, 0x18, 4, 0, 0, 0, 1, 2, 3, 4];
    frames.extend(zst(b"first frame\n"));
    frames.extend(zst(env.as_bytes()));
    t.write("backup/app.env.zst", frames);
    let members = |name: &str| {
        let env = with_decoy(&gh);
        let conf = format!("a\nb\n{}", with_decoy(&gl));
        tar(
            &[
                (&format!("{name}/.env")[..], env.as_bytes()),
                ("conf/settings.ini", conf.as_bytes()),
            ],
            false,
        )
    };
    t.write("dist/release.tar.xz", xz(&members("xz")));
    t.write("dist/release.tbz2", bz2(&members("bz")));
    t.write("dist/release.tar.zst", zst(&members("zst")));
    let (code, doc) = scan_json(t.path(), &[]);
    assert_eq!(code, 1, "{doc}");
    let mut want = vec![];
    for (file, enc) in [
        ("backup/app.env.bz2", "bzip2"),
        ("backup/app.env.lzma", "lzma"),
        ("backup/app.env.xz", "xz"),
    ] {
        want.push(row(file, Some("app.env"), Some(enc), 1, 7));
    }
    // The second frame's text follows the first's: line 2.
    want.push(row(
        "backup/app.env.zst",
        Some("app.env"),
        Some("zstd"),
        2,
        7,
    ));
    for (file, dir, enc) in [
        ("dist/release.tar.xz", "xz", "xz"),
        ("dist/release.tar.zst", "zst", "zstd"),
        ("dist/release.tbz2", "bz", "bzip2"),
    ] {
        want.push(row(file, Some(&format!("{dir}/.env")), Some(enc), 1, 7));
        want.push(row(file, Some("conf/settings.ini"), Some(enc), 3, 7));
    }
    want.sort();
    assert_eq!(placed(&doc), want);
    assert_eq!(doc["stats"]["skipped"], serde_json::json!({}));
    // Off: bytes as they are (zstd's fastest level may store text as it
    // is), never a member.
    let (_, doc) = scan_json(t.path(), &["--no-archives"]);
    assert!(
        placed(&doc).iter().all(|p| p.1.is_none() && p.2.is_none()),
        "{doc}"
    );
}

#[test]
fn container_images_saved_as_tarballs_are_read_layer_by_layer() {
    let t = Tree::new();
    let (cf, npm) = (mint("cfat"), mint("npm"));
    // `docker save`: a tar of layer tars; an OCI layout: a tar of
    // compressed layer blobs named by digest (gzip and zstd).
    let layer1 = tar(&[("app/config.yaml", with_decoy(&cf).as_bytes())], false);
    let layer2 = tar(&[("root/.npmrc", with_decoy(&npm).as_bytes())], false);
    let image = tar(
        &[
            ("manifest.json", b"[{\"Layers\":[\"abc/layer.tar\"]}]"),
            ("abc/layer.tar", &layer1),
            ("blobs/sha256/0a1b", &gzip(&layer2)),
            ("blobs/sha256/2c3d", &zst(&layer1)),
        ],
        false,
    );
    t.write("image.tar", &image);
    let (_, doc) = scan_json(t.path(), &[]);
    assert_eq!(
        placed(&doc),
        vec![
            row(
                "image.tar",
                Some("abc/layer.tar/app/config.yaml"),
                None,
                1,
                7
            ),
            row(
                "image.tar",
                Some("blobs/sha256/0a1b/root/.npmrc"),
                Some("gzip"),
                1,
                7
            ),
            row(
                "image.tar",
                Some("blobs/sha256/2c3d/app/config.yaml"),
                Some("zstd"),
                1,
                7
            ),
        ]
    );
    // Deeper than the depth allows: counted, not read.
    let (_, doc) = scan_json(t.path(), &["--max-decode-depth", "1"]);
    assert_eq!(findings(&doc).len(), 0, "{doc}");
    assert!(skipped(&doc, "too_deep") >= 3, "{}", doc["stats"]);
}

#[test]
fn compressed_streams_inside_decodings_are_read() {
    let t = Tree::new();
    let (gh, cf, glsa) = (mint("gho"), mint("cfut"), mint("glsa"));
    // A Kubernetes ConfigMap's binaryData: base64 of a gzip.
    let body = format!(
        "{{\"event\":\"push\",\"token\":\"{gh}\",\"old\":\"{}\"}}",
        corrupt(&gh)
    );
    t.write(
        "k8s/configmap.yaml",
        format!(
            "apiVersion: v1\nkind: ConfigMap\nbinaryData:\n  hook.json.gz: {}\n",
            b64(&gzip(body.as_bytes()))
        ),
    );
    // A Helm release secret: base64 (the Secret's data) of base64 of a
    // gzip of the release's JSON.
    let release = format!(
        "{{\"name\":\"web\",\"config\":{{\"cloudflare\":{{\"token\":\"{cf}\",\"previous\":\"{}\"}}}}}}",
        corrupt(&cf)
    );
    let inner = b64(&gzip(release.as_bytes()));
    t.write(
        "k8s/sh.helm.release.v1.web.v3.yaml",
        format!(
            "apiVersion: v1\nkind: Secret\ntype: helm.sh/release.v1\ndata:\n  release: {}\n",
            b64(inner.as_bytes())
        ),
    );
    // A webhook body: base64 of xz, of bzip2 and of zstd.
    let note = with_decoy(&glsa);
    let hooks = format!(
        "{{\"xz\":\"{}\",\n\"bz\":\"{}\",\n\"zst\":\"{}\"}}\n",
        b64(&xz(note.as_bytes())),
        b64(&bz2(note.as_bytes())),
        b64(&zst(note.as_bytes()))
    );
    t.write("hooks.json", hooks);
    let (_, doc) = scan_json(t.path(), &[]);
    assert_eq!(
        placed(&doc),
        vec![
            row("hooks.json", None, Some("base64>bzip2"), 2, 7),
            row("hooks.json", None, Some("base64>xz"), 1, 8),
            row("hooks.json", None, Some("base64>zstd"), 3, 8),
            row("k8s/configmap.yaml", None, Some("base64>gzip"), 4, 17),
            row(
                "k8s/sh.helm.release.v1.web.v3.yaml",
                None,
                Some("base64>base64>gzip"),
                5,
                12
            ),
        ]
    );
    // The depth bounds it: base64 > base64 > gzip needs three layers.
    let (_, doc) = scan_json(t.path(), &["--max-decode-depth", "2"]);
    let encodings: Vec<_> = placed(&doc).into_iter().map(|p| p.2.unwrap()).collect();
    assert!(
        !encodings.iter().any(|e| e == "base64>base64>gzip"),
        "{encodings:?}"
    );
    assert_eq!(encodings.len(), 4, "{encodings:?}");
}

#[test]
fn every_source_opens_the_new_compressions() {
    let gh = mint("ghu");
    let archive = xz(&tar(&[("conf/.env", with_decoy(&gh).as_bytes())], false));
    let want = vec![row("<stdin>", Some("conf/.env"), Some("xz"), 1, 7)];
    let o = bin()
        .args(["scan", "-", "--format", "json"])
        .write_stdin(archive.clone())
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(placed(&doc), want);
    let r = repo();
    commit_all(&r, "empty");
    r.write("dist/conf.txz", &archive);
    r.write("dist/notes.bz2", bz2(with_decoy(&gh).as_bytes()));
    git(r.path(), &["add", "-A"]);
    let (_, doc) = scan_json(r.path(), &["--staged"]);
    let staged = vec![
        row("dist/conf.txz", Some("conf/.env"), Some("xz"), 1, 7),
        row("dist/notes.bz2", Some("notes"), Some("bzip2"), 1, 7),
    ];
    assert_eq!(placed(&doc), staged);
    commit_all(&r, "add");
    for args in [&["--git"][..], &["--git-range", "HEAD~1..HEAD"]] {
        let (_, doc) = scan_json(r.path(), args);
        let got: Vec<_> = placed(&doc).into_iter().map(|p| (p.1, p.2)).collect();
        assert_eq!(got.len(), 2, "{args:?}: {doc}");
        assert!(got.contains(&(Some("conf/.env".into()), Some("xz".into()))));
    }
}

/// A zstd frame whose header declares a window of 2^`log` bytes, then
/// bytes that are no block.
fn zstd_window(log: u8) -> Vec<u8> {
    let mut f = vec![0x28, 0xB5, 0x2F, 0xFD, 0x00, (log - 10) << 3];
    f.extend_from_slice(&[0xAB; 64]);
    f
}

#[test]
fn bombs_and_greedy_decoders_of_each_compression_end_with_their_reason() {
    let t = Tree::new();
    let cf = mint("cfk");
    // 300 MiB of zeros each: past the ratio limit long before the end.
    let zeros = vec![0u8; 300 << 20];
    t.write("zeros.xz", xz(&zeros));
    t.write("zeros.bz2", bz2(&zeros));
    t.write("zeros.zst", zst(&zeros));
    drop(zeros);
    // A zstd window of 1 GiB, an xz dictionary of 8 MiB (preset 6) read
    // with a 4 MiB cap: not decompressed.
    t.write("greedy.zst", zstd_window(30));
    let opts = lzma_rust2::XzOptions::with_preset(6);
    let mut w = lzma_rust2::XzWriter::new(Vec::new(), opts).unwrap();
    w.write_all(with_decoy(&cf).as_bytes()).unwrap();
    t.write("dict.xz", w.finish().unwrap());
    // Truncated: what was read before the cut is scanned (text that
    // compresses as text does: 1 MiB, many blocks).
    let mut x: u32 = 7;
    let noise: String = (0..(1 << 20) / 8)
        .map(|_| {
            x = x.wrapping_mul(1664525).wrapping_add(1013904223);
            format!("{x:08x}")
        })
        .collect();
    let text = format!("{cf}\n{noise}");
    for (name, mut data) in [
        ("cut.xz", xz(text.as_bytes())),
        ("cut.zst", zst(text.as_bytes())),
    ] {
        data.truncate(data.len() * 3 / 4);
        t.write(name, data);
    }
    // A base64 gzip bomb inside text: read up to its cap, no more.
    t.write(
        "bomb.yaml",
        format!("data: {}\nnext: {cf}\n", b64(&gzip(&vec![b'A'; 64 << 20]))),
    );
    // Nested decodings 40 deep: base64 of base64 of ... of a token.
    let mut deep = with_decoy(&cf);
    for _ in 0..40 {
        deep = b64(deep.as_bytes());
    }
    t.write("deep.txt", deep);
    let (doc, rss) = scan_measured(t.path(), &["--max-decoder-memory", "4M"]);
    assert_eq!(skipped(&doc, "compression_ratio"), 3, "{}", doc["stats"]);
    assert_eq!(skipped(&doc, "decoder_memory"), 2, "{}", doc["stats"]);
    assert!(skipped(&doc, "archive_corrupt") >= 1, "{}", doc["stats"]);
    let mut got: Vec<_> = placed(&doc).into_iter().map(|p| (p.0, p.2)).collect();
    got.dedup();
    let s = |a: &str, b: &str| (a.to_string(), Some(b.to_string()));
    assert_eq!(
        got,
        vec![
            ("bomb.yaml".to_string(), None),
            s("cut.xz", "xz"),
            s("cut.zst", "zstd"),
        ]
    );
    eprintln!("hostile compressions: peak RSS {rss} MiB");
    assert!(rss < 256, "peak RSS {rss} MiB");
    // The default cap (64 MiB) opens the xz.
    let (_, doc) = scan_json(t.path(), &["dict.xz"]);
    assert_eq!(
        placed(&doc),
        vec![row("dict.xz", Some("dict"), Some("xz"), 1, 7)]
    );
}

/// `token` with its first separator (`_` or `-`) written as `esc`.
fn sep_as(token: &str, esc: &str) -> String {
    let i = token.find(['_', '-']).unwrap();
    format!("{}{esc}{}", &token[..i], &token[i + 1..])
}

#[test]
fn html_references_quoted_printable_and_every_familys_escaped_separator() {
    let t = Tree::new();
    let (pat, cf, gl) = (mint("github_pat"), mint("cfut"), mint("glpat"));
    let mut page = String::from("<html><body>\n");
    let forms = [
        ("%5F", "percent"),
        ("\\u005f", "json-escape"),
        ("\\x5F", "hex-escape"),
        ("&#95;", "html"),
        ("&#x5f;", "html"),
        ("&lowbar;", "html"),
        ("&UnderBar;", "html"),
        ("=5F", "quoted-printable"),
    ];
    for (esc, _) in forms {
        // github_pat_ (whose prefilter anchor holds the separator) and
        // cfut_, each beside its decoy.
        for tok in [&pat, &cf] {
            page += &format!(
                "<p data-t=\"{}\">{}</p>\n",
                sep_as(tok, esc),
                sep_as(&decoy(tok), esc)
            );
        }
    }
    // glpat- with its hyphen as a named reference; every separator of a
    // github_pat_ escaped.
    page += &format!("<code>{}</code>\n", sep_as(&gl, "&hyphen;"));
    page += &format!("<code>{}</code>\n", pat.replace('_', "&#x5F;"));
    page += "</body></html>\n";
    t.write("site/index.html", &page);
    // A mail whose body is quoted-printable: a soft line break inside the
    // token, and `=3D` for the `=`.
    let (head, tail) = cf.split_at(30);
    let decoy = corrupt(&cf);
    let (dhead, dtail) = decoy.split_at(30);
    t.write(
        "mail/leak.eml",
        format!(
            "Content-Transfer-Encoding: quoted-printable\r\n\r\nCF_API_TOKEN=3D{head}=\r\n{tail}\r\nOLD=3D{dhead}=\r\n{dtail}\r\n"
        ),
    );
    let (_, doc) = scan_json(t.path(), &[]);
    let got = placed(&doc);
    let mut want = vec![];
    for (i, (_, enc)) in forms.iter().enumerate() {
        let line = 2 + 2 * i as u64;
        want.push(row("site/index.html", None, Some(enc), line, 12));
        want.push(row("site/index.html", None, Some(enc), line + 1, 12));
    }
    want.push(row("site/index.html", None, Some("html"), 18, 7));
    want.push(row("site/index.html", None, Some("html"), 19, 7));
    want.push(row("mail/leak.eml", None, Some("quoted-printable"), 3, 16));
    want.sort();
    assert_eq!(got, want);
}

/// `text` with every byte written by `f`.
fn every(text: &str, f: impl Fn(u8) -> String) -> String {
    text.bytes().map(f).collect()
}

#[test]
fn tokens_escaped_throughout_and_hex_are_found_and_redacted() {
    let t = Tree::new();
    let (cf, pat, npm, gl) = (mint("cfat"), mint("github_pat"), mint("npm"), mint("glsa"));
    let pct = |s: &str| every(s, |b| format!("%{b:02X}"));
    let xesc = |s: &str| every(s, |b| format!("\\x{b:02x}"));
    let uesc = |s: &str| every(s, |b| format!("\\u{:04X}", b));
    let dec = |s: &str| every(s, |b| format!("&#{b};"));
    let hexref = |s: &str| every(s, |b| format!("&#x{b:x};"));
    let lines = [
        format!("redirect=https://app.test/cb?t={}&u=1", pct(&cf)),
        format!("old=https://app.test/cb?t={}&u=1", pct(&decoy(&cf))),
        format!("var k = \"{}\";", xesc(&pat)),
        format!("var o = \"{}\";", xesc(&decoy(&pat))),
        format!(
            "{{\"npm\": \"{}\", \"old\": \"{}\"}}",
            uesc(&npm),
            uesc(&decoy(&npm))
        ),
        format!(
            "<a href=\"mailto:x\">{}</a> <i>{}</i>",
            dec(&gl),
            dec(&decoy(&gl))
        ),
        format!("<b>{}</b>", hexref(&cf)),
    ];
    t.write("mixed.txt", lines.join("\n") + "\n");
    // A dump in hex, lower and upper case, with its decoy.
    let dump = format!(
        "0x{}\n{}\n{}\n",
        format!("NPM_TOKEN={npm}\n")
            .as_bytes()
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<String>(),
        format!("export T={cf}")
            .as_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>(),
        format!("export T={}", decoy(&cf))
            .as_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>(),
    );
    t.write("dump.hex", &dump);
    let (_, doc) = scan_json(t.path(), &[]);
    assert_eq!(
        placed(&doc),
        vec![
            row("dump.hex", None, Some("hex"), 1, 23),
            row("dump.hex", None, Some("hex"), 2, 19),
            row("mixed.txt", None, Some("hex-escape"), 3, 10),
            row("mixed.txt", None, Some("html"), 6, 20),
            row("mixed.txt", None, Some("html"), 7, 4),
            row("mixed.txt", None, Some("json-escape"), 5, 10),
            row("mixed.txt", None, Some("percent"), 1, 32),
        ]
    );
    // Redacted in place of the whole encoded span, lines kept; the decoys
    // pass through as they are.
    let o = bin()
        .args(["redact", "mixed.txt", "dump.hex"])
        .current_dir(t.path())
        .output()
        .unwrap();
    let out = String::from_utf8(o.stdout).unwrap();
    assert_eq!(out.lines().count(), lines.len() + 3, "{out}");
    for gone in [pct(&cf), xesc(&pat), uesc(&npm), dec(&gl), hexref(&cf)] {
        assert!(!out.contains(&gone), "{out}");
    }
    for kept in [
        pct(&decoy(&cf)),
        xesc(&decoy(&pat)),
        uesc(&decoy(&npm)),
        dec(&decoy(&gl)),
    ] {
        assert!(out.contains(&kept), "{kept} was masked: {out}");
    }
    let out_lines: Vec<&str> = out.lines().collect();
    assert!(
        out_lines[0].starts_with("redirect=https://app.test/cb?t=*"),
        "{}",
        out_lines[0]
    );
    assert!(out_lines[0].ends_with("*&u=1"), "{}", out_lines[0]);
    assert_eq!(out_lines[0].len(), lines[0].len());
    // The hex dump's token is masked, the rest of its line kept.
    assert!(out_lines[lines.len() + 1].starts_with("6578706f727420543d*"));
}

#[test]
fn a_64_mib_hex_run_through_stdin_and_deep_nesting_end_in_bounded_time_and_memory() {
    let t = Tree::new();
    let cf = mint("cfk");
    // 64 MiB of hex digits with no break, the token's hex at its end.
    let mut x: u32 = 3;
    let mut run: Vec<u8> = (0..(64 << 20) / 8)
        .flat_map(|_| {
            x = x.wrapping_mul(1664525).wrapping_add(1013904223);
            format!("{x:08x}").into_bytes()
        })
        .collect();
    run.extend(format!(" {}\n", every(&cf, |b| format!("{b:02x}"))).as_bytes());
    let input = t.write("run.hex", &run);
    drop(run);
    let o = Command::new(exe())
        .args(["scan", "-", "--format", "json"])
        .stdin(std::fs::File::open(&input).unwrap())
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        placed(&doc),
        vec![row("<stdin>", None, Some("hex"), 1, (64 << 20) + 2)]
    );
    let (doc, rss) = scan_measured(t.path(), &["run.hex"]);
    assert_eq!(findings(&doc).len(), 1, "{doc}");
    eprintln!("64 MiB hex run: peak RSS {rss} MiB");
    assert!(rss < 256, "peak RSS {rss} MiB");
}

fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

#[test]
fn utf16_strings_inside_binaries_and_tokens_abutting_a_field_in_binary_records() {
    let t = Tree::new();
    let (cf, gh, npm) = (mint("cfut"), mint("ghp"), mint("npm"));
    // A Windows executable: a header with zero bytes, code, then a string
    // table in UTF-16LE (the token and its decoy), then more code.
    let mut exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00".to_vec();
    exe.extend((0..4000u32).map(|i| (i.wrapping_mul(2654435761) >> 24) as u8));
    exe.extend(utf16le(&format!("ApiToken\0{cf}\0")));
    exe.extend(utf16le(&format!("OldToken\0{}\0", decoy(&cf))));
    exe.extend((0..4000u32).map(|i| (i.wrapping_mul(40503) >> 8) as u8));
    t.write("bin/agent.exe", &exe);
    // A SQLite page: fields side by side, no separator before the token
    // (and none before its decoy).
    let mut db = b"SQLite format 3\0\x10\x00\x01\x01\x00\x40\x20\x20".to_vec();
    db.extend(vec![0u8; 200]);
    db.extend(format!("\x0d\x17cf_token{gh}\x0d\x17gh_backup{}\x02x", decoy(&gh)).as_bytes());
    t.write("data/app.db", &db);
    // A UTF-16 text whose first bytes are an ASCII header: no byte order
    // mark, and not UTF-16 from its first byte.
    let mut notes = b"REGEDIT4 export\r\n\0".to_vec();
    notes.extend(utf16le(&format!(
        "[HKCU\\Software\\App]\r\n\"Token\"=\"{npm}\"\r\n\"Old\"=\"{}\"\r\n",
        decoy(&npm)
    )));
    t.write("notes.reg", &notes);
    let (_, doc) = scan_json(t.path(), &[]);
    let got: Vec<_> = placed(&doc).into_iter().map(|p| (p.0, p.2)).collect();
    let s = |a: &str, b: Option<&str>| (a.to_string(), b.map(String::from));
    assert_eq!(
        got,
        vec![
            s("bin/agent.exe", Some("utf-16le")),
            s("data/app.db", None),
            s("notes.reg", Some("utf-16le")),
        ]
    );
    // The offsets are the encoded token's: the exe's is where its first
    // character's code unit is.
    let f = &findings(&doc)[0];
    let at = exe.len()
        - 2 * (cf.len() + 1)
        - utf16le(&format!("OldToken\0{}\0", decoy(&cf))).len()
        - 4000;
    assert_eq!(f["offset"], at as u64, "{f}");
    // In text, a token that abuts a word is no token: the same record as
    // a line of text is not reported.
    t.write("data/app.db", format!("cf_token{gh}\n"));
    let (_, doc) = scan_json(t.path(), &["data/app.db"]);
    assert_eq!(findings(&doc).len(), 0, "{doc}");
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A PDF of `objects` (number, dictionary, stream bytes).
fn pdf(objects: &[(u32, &str, &[u8])]) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    for (n, dict, data) in objects {
        out.extend(
            format!("{n} 0 obj\n<< {dict} /Length {} >>\nstream\r\n", data.len()).as_bytes(),
        );
        out.extend_from_slice(data);
        out.extend(b"\nendstream\nendobj\n");
    }
    out.extend(b"trailer\n<< /Root 1 0 R >>\n%%EOF\n");
    out
}

#[test]
fn pdf_content_and_object_streams_are_read() {
    let t = Tree::new();
    let (cf, gh, npm) = (mint("cfut"), mint("gho"), mint("npm"));
    let page = format!(
        "BT /F1 10 Tf 72 720 Td (Deploy key:) Tj 0 -14 Td ({cf}) Tj 0 -14 Td ({}) Tj ET\n",
        decoy(&cf)
    );
    let objstm = format!(
        "12 0 13 40\n<< /Type /Annot /Contents ({gh}) >>\n<< /Contents ({}) >>",
        decoy(&gh)
    );
    let hex: String = format!("NPM_TOKEN={npm}")
        .bytes()
        .map(|b| format!("{b:02X}"))
        .collect();
    let doc = pdf(&[
        (4, "/Filter /FlateDecode", &zlib(page.as_bytes())),
        (
            7,
            "/Type /ObjStm /N 2 /First 10 /Filter /FlateDecode",
            &zlib(objstm.as_bytes()),
        ),
        // An image is passed over, even deflated.
        (
            8,
            "/Type /XObject /Subtype /Image /Filter /FlateDecode",
            &zlib(b"\x00\x01\x02"),
        ),
        // Uncompressed, with a hex string: read as the file's text.
        (9, "", format!("BT <{hex}> Tj ET").as_bytes()),
    ]);
    t.write("docs/handbook.pdf", &doc);
    let (_, out) = scan_json(t.path(), &[]);
    let at = memchr::memmem::find(&doc, b"BT <").unwrap();
    let hex_line = 1 + doc[..at].iter().filter(|&&b| b == b'\n').count() as u64;
    assert_eq!(
        placed(&out),
        vec![
            row("docs/handbook.pdf", None, Some("hex"), hex_line, 25),
            row("docs/handbook.pdf", Some("4 0 obj"), Some("flate"), 1, 51),
            row("docs/handbook.pdf", Some("7 0 obj"), Some("flate"), 2, 28),
        ]
    );
    assert_eq!(out["stats"]["skipped"], serde_json::json!({}));
    // A million empty deflated streams: counted past the member limit.
    let empty = zlib(b"");
    let many: Vec<(u32, &str, &[u8])> = (0..1_000_000)
        .map(|n| (n, "/Filter /FlateDecode", &empty[..]))
        .collect();
    t.write("many.pdf", pdf(&many));
    let (out, rss) = scan_measured(t.path(), &["many.pdf"]);
    assert_eq!(skipped(&out, "too_many_members"), 1, "{}", out["stats"]);
    eprintln!("10^6 PDF streams: peak RSS {rss} MiB");
    assert!(rss < 256, "peak RSS {rss} MiB");
}
