//! `burnkey scan` over real temp trees, through the real binary.

use std::io::Write;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::process::Command;

use serde_json::Value;

use crate::common::*;

#[test]
fn every_builtin_kind_is_found_with_its_rule_and_checksum() {
    let t = Tree::new();
    let kinds = [
        ("cfut", "cloudflare-user-api-token", "valid"),
        ("cfat", "cloudflare-account-api-token", "valid"),
        ("cfk", "cloudflare-global-api-key", "valid"),
        ("ghp", "github-personal-access-token", "valid"),
        ("gho", "github-oauth-token", "valid"),
        ("ghu", "github-user-to-server-token", "valid"),
        ("ghr", "github-refresh-token", "valid"),
        ("npm", "npm-access-token", "valid"),
    ];
    let mut want = Vec::new();
    for (i, (kind, rule, sum)) in kinds.iter().enumerate() {
        let tok = mint(kind);
        t.write(&format!("f{i}.txt"), format!("x = '{tok}'\n"));
        want.push((sha(&tok), rule.to_string(), sum.to_string()));
    }
    // ghs_ is shape-only: reported with checksum none.
    let ghs = "ghs_FLtH2Agf49PEqi6dEmrFglCR0jEpTe3zbThR"; // burnkey:allow
    t.write("ghs.txt", format!("GH={ghs}\n"));
    want.push((
        sha(ghs),
        "github-server-to-server-token".into(),
        "none".into(),
    ));
    let (code, doc) = scan_json(t.path(), &["."]);
    assert_eq!(code, 1);
    let mut got: Vec<(String, String, String)> = findings(&doc)
        .iter()
        .map(|f| {
            (
                f["secret_sha256"].as_str().unwrap().into(),
                f["rule_id"].as_str().unwrap().into(),
                f["checksum"].as_str().unwrap().into(),
            )
        })
        .collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn json_finding_fields_follow_the_contract() {
    let t = Tree::new();
    let tok = mint("cfut");
    t.write(
        "app/settings.py",
        format!("import os\r\nTOKEN = \"{tok}\"\n"),
    );
    let (code, doc) = scan_json(t.path(), &["."]);
    assert_eq!(code, 1);
    let f = &findings(&doc)[0];
    assert_eq!(f["rule_id"], "cloudflare-user-api-token");
    assert_eq!(
        f["path"], "app/settings.py",
        "relative root gives relative paths"
    );
    assert_eq!(f["line"], 2);
    assert_eq!(f["column"], 10);
    assert_eq!(f["end_column"], 10 + 53);
    assert_eq!(f["secret_sha256"], sha(&tok));
    assert_eq!(f["redacted"], format!("{}...", &tok[..9]));
    assert_eq!(f["checksum"], "valid");
    assert_eq!(f["source"], "file");
    assert_eq!(f["fingerprint"].as_str().unwrap().len(), 32);
    assert!(f.get("secret").is_none());
    let s = &doc["stats"];
    assert_eq!(s["files_scanned"], 1);
    assert_eq!(s["bytes_scanned"], 11 + 9 + 53 + 2);
    assert_eq!(s["findings"], 1);
    assert!(s["elapsed_secs"].as_f64().unwrap() >= 0.0);
    assert!(s["errors"].as_array().unwrap().is_empty());
}

#[test]
fn no_output_format_prints_a_full_token_unless_asked() {
    let t = Tree::new();
    let tok = mint("cfat");
    let bad = corrupt(&mint("cfk"));
    t.write("a.env", format!("A={tok}\nB={bad}\n"));
    for fmt in ["text", "json", "jsonl", "sarif"] {
        for extra in [
            &[][..],
            &["--report-invalid"][..],
            &["--print-fingerprints"][..],
        ] {
            let o = bin()
                .current_dir(t.path())
                .args(["scan", ".", "--color", "always", "--format", fmt])
                .args(extra)
                .output()
                .unwrap();
            let (code, out, err) = parts(&o);
            assert_eq!(code, 1, "{fmt} {extra:?}");
            for secret in [&tok, &bad] {
                assert!(
                    !out.contains(secret.as_str()) && !err.contains(secret.as_str()),
                    "{fmt} {extra:?} leaked a token"
                );
            }
        }
    }
    // --show-secret prints it, and adds the `secret` field.
    let (_, doc) = scan_json(t.path(), &[".", "--show-secret"]);
    assert_eq!(findings(&doc)[0]["secret"], tok);
    let o = bin()
        .current_dir(t.path())
        .args(["scan", ".", "--show-secret"])
        .output()
        .unwrap();
    assert!(parts(&o).1.contains(&tok));
}

#[test]
fn text_output_is_path_line_col_rule_redacted_with_a_summary() {
    let t = Tree::new();
    let tok = mint("cfut");
    t.write(
        "docs/curl.md",
        format!("x\ny\ncurl -H \"Authorization: Bearer {tok}\"\n"),
    );
    let o = bin()
        .current_dir(t.path())
        .args(["scan", "."])
        .output()
        .unwrap();
    let (code, out, err) = parts(&o);
    assert_eq!(code, 1);
    assert_eq!(
        out,
        format!(
            "docs/curl.md:3:32 cloudflare-user-api-token {}...\n",
            &tok[..9]
        ),
        "no colour when stdout is not a terminal"
    );
    assert!(err.contains("burnkey: 1 finding in 1 file"), "{err}");
    let o = bin()
        .current_dir(t.path())
        .args(["scan", ".", "--color", "always"])
        .output()
        .unwrap();
    assert!(parts(&o).1.contains("\x1b[35mdocs/curl.md\x1b[0m"));
    let o = bin()
        .current_dir(t.path())
        .args(["scan", ".", "-q"])
        .output()
        .unwrap();
    assert_eq!(parts(&o).2, "", "--quiet prints no summary");
}

#[test]
fn jsonl_is_one_finding_per_line_and_output_file_works() {
    let t = Tree::new();
    let toks: Vec<String> = (0..3).map(|_| mint("npm")).collect();
    t.write(
        "src/a.js",
        toks.iter()
            .map(|x| format!("t('{x}')\n"))
            .collect::<String>(),
    );
    let report = t.join("out/report.jsonl");
    std::fs::create_dir_all(report.parent().unwrap()).unwrap();
    let o = bin()
        .current_dir(t.path())
        .args(["scan", "src", "--format", "jsonl", "--output"])
        .arg(&report)
        .output()
        .unwrap();
    let (code, out, _) = parts(&o);
    assert_eq!(code, 1);
    assert_eq!(out, "", "the report went to the file");
    let text = std::fs::read_to_string(&report).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    let lines_no: Vec<u64> = lines.iter().map(|f| f["line"].as_u64().unwrap()).collect();
    assert_eq!(lines_no, vec![1, 2, 3]);
    assert_eq!(lines[0]["path"], "src/a.js");
}

/// Validates against the OASIS SARIF 2.1.0 schema kept in `tests/data`.
pub fn validate_sarif(doc: &str) {
    let errors = sarif_errors(doc);
    assert!(errors.is_empty(), "SARIF does not validate: {errors:#?}");
}

/// What the SARIF 2.1.0 schema finds wrong with `doc`.
fn sarif_errors(doc: &str) -> Vec<String> {
    let mut schema: Value =
        serde_json::from_str(include_str!("../data/sarif-schema-2.1.0.json")).unwrap();
    // The published schema's `language` patterns have a bare `]`, a literal
    // in ECMA-262 regexes but an error in Rust's: escape that one character.
    fn escape_bracket(v: &mut Value) -> usize {
        const BARE: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";
        match v {
            Value::Object(m) => {
                let mut n = 0;
                for (k, x) in m.iter_mut() {
                    if k == "pattern" && x == BARE {
                        *x = Value::from(BARE.replace("}]?", "}\\]?"));
                        n += 1;
                    } else {
                        n += escape_bracket(x);
                    }
                }
                n
            }
            Value::Array(a) => a.iter_mut().map(escape_bracket).sum(),
            _ => 0,
        }
    }
    assert!(escape_bracket(&mut schema) > 0);
    let validator = jsonschema::draft7::new(&schema).expect("the SARIF schema compiles");
    let doc: Value = serde_json::from_str(doc).expect("SARIF is JSON");
    validator
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn sarif_validator_rejects_what_the_schema_forbids() {
    // The check must be able to fail: a result without a message, and an
    // unknown top-level member, are both invalid SARIF.
    let bad = r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"ruleId": "r"}]}], "extra": 1}"#;
    let errors = sarif_errors(bad).join("\n");
    assert!(
        errors.contains("\"message\" is a required property"),
        "{errors}"
    );
    assert!(errors.contains("extra"), "{errors}");
}

#[test]
fn sarif_validates_and_has_what_github_requires() {
    let t = Tree::new();
    let tok = mint("cfk");
    t.write("dir with space/k,1.txt", format!("\n\n   {tok}\n"));
    let o = bin()
        .current_dir(t.path())
        .args(["scan", ".", "--format", "sarif", "--report-invalid"])
        .output()
        .unwrap();
    let (code, out, _) = parts(&o);
    assert_eq!(code, 1);
    validate_sarif(&out);
    let s: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(s["version"], "2.1.0");
    assert!(s["$schema"].as_str().unwrap().contains("sarif"));
    let run = &s["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "burnkey");
    for r in driver["rules"].as_array().unwrap() {
        assert!(r["id"].is_string());
        assert!(r["shortDescription"]["text"].is_string());
        assert!(r["fullDescription"]["text"].is_string());
        assert!(r["help"]["text"].is_string());
        assert_eq!(r["properties"]["security-severity"], "9.0");
        assert_eq!(r["defaultConfiguration"]["level"], "error");
    }
    let res = &run["results"][0];
    assert_eq!(res["ruleId"], "cloudflare-global-api-key");
    assert!(res["message"]["text"].is_string());
    let loc = &res["locations"][0]["physicalLocation"];
    assert_eq!(
        loc["artifactLocation"]["uri"],
        "dir%20with%20space/k%2C1.txt"
    );
    assert_eq!(loc["region"]["startLine"], 3);
    assert_eq!(loc["region"]["startColumn"], 4);
    assert_eq!(loc["region"]["endColumn"], 4 + 52);
    assert!(res["partialFingerprints"].as_object().unwrap().len() == 1);
    assert!(!out.contains(&tok));
    let rule_index = res["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(
        driver["rules"][rule_index]["id"],
        "cloudflare-global-api-key"
    );
}

#[test]
fn sarif_of_a_clean_tree_validates_too() {
    let t = Tree::new();
    t.write("a.txt", "nothing");
    let o = bin()
        .current_dir(t.path())
        .args(["scan", ".", "--format", "sarif"])
        .output()
        .unwrap();
    let (code, out, _) = parts(&o);
    assert_eq!(code, 0);
    validate_sarif(&out);
}

#[test]
fn boundaries_and_case_through_the_cli() {
    let t = Tree::new();
    let tok = mint("cfut");
    t.write("glued.txt", format!("x{tok}\n{tok}y\n{tok}{tok}\n"));
    t.write("upper.txt", format!("C{}\n", &tok[1..]));
    t.write("trunc.txt", &tok[..52]);
    t.write("ok.txt", format!("({tok})"));
    let (code, doc) = scan_json(t.path(), &["."]);
    assert_eq!(code, 1);
    let paths: Vec<&str> = findings(&doc)
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    // A capitalised prefix with a valid checksum is a token, below high.
    assert_eq!(paths, vec!["ok.txt", "upper.txt"]);
    assert_eq!(findings(&doc)[1]["confidence"], "medium");
    assert_eq!(findings(&doc)[1]["prefix_as_written"], "Cfut_");
    let (_, doc) = scan_json(t.path(), &["--min-confidence", "high", "."]);
    assert_eq!(findings(&doc).len(), 1, "{doc}");
}

#[test]
fn exit_codes() {
    let t = Tree::new();
    t.write("clean.txt", "cfut_ nothing here\n");
    assert_eq!(
        bin()
            .args(["scan"])
            .arg(t.path())
            .output()
            .unwrap()
            .status
            .code(),
        Some(0)
    );
    t.write("dirty.txt", mint("cfat"));
    assert_eq!(
        bin()
            .args(["scan"])
            .arg(t.path())
            .output()
            .unwrap()
            .status
            .code(),
        Some(1)
    );
    let o = bin()
        .args(["scan", "/nonexistent/burnkey"])
        .output()
        .unwrap();
    let (code, _, err) = parts(&o);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/burnkey"), "{err}");
    let o = bin()
        .args(["scan", "--format", "xml"])
        .arg(t.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let bad_rules = t.write("bad.toml", "provider = 1");
    let o = bin()
        .args(["scan", "--rules"])
        .arg(&bad_rules)
        .arg(t.path())
        .output()
        .unwrap();
    let (code, _, err) = parts(&o);
    assert_eq!(code, 2);
    assert!(err.contains("bad.toml"), "{err}");
}

#[test]
fn inline_allow_and_burnkeyignore() {
    let t = Tree::new();
    let a = mint("cfut");
    let b = mint("cfut");
    let c = mint("ghp");
    let d = mint("npm");
    t.write("src/allowed.py", format!("A = '{a}'  # burnkey:allow\n"));
    t.write("src/b.py", format!("B = '{b}'\n"));
    t.write("fixtures/deep/c.txt", format!("{c}\n"));
    t.write("notes.snap", format!("{d}\n"));
    t.write("sub/notes.snap", format!("{d}\n"));
    let (code, doc) = scan_json(t.path(), &["."]);
    assert_eq!(code, 1);
    assert_eq!(findings(&doc).len(), 4, "inline allow removes one");
    assert_eq!(doc["stats"]["suppressed"]["inline"], 1);

    // --print-fingerprints writes lines .burnkeyignore takes as they are.
    let o = bin()
        .current_dir(t.path())
        .args(["scan", ".", "--print-fingerprints"])
        .output()
        .unwrap();
    let (_, out, _) = parts(&o);
    let b_line = out
        .lines()
        .find(|l| l.contains("src/b.py"))
        .unwrap()
        .to_string();
    assert!(!out.contains(&b));
    t.write(
        ".burnkeyignore",
        format!("# test fixtures\n{b_line}\nfixtures/\n*.snap\n"),
    );
    let (code, doc) = scan_json(t.path(), &["."]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["stats"]["suppressed"]["fingerprint"], 1);
    assert_eq!(doc["stats"]["skipped"]["burnkeyignore"], 3);

    // The fingerprint is tied to the path: the same token elsewhere is reported.
    t.write("src/copy.py", format!("\n\n{b}\n"));
    let (code, doc) = scan_json(t.path(), &["."]);
    assert_eq!(code, 1);
    assert_eq!(findings(&doc)[0]["path"], "src/copy.py");
    // …and a token's SHA-256 allows it anywhere.
    t.write(
        ".burnkeyignore",
        format!("{}\nfixtures/\n*.snap\n", sha(&b)),
    );
    let (code, doc) = scan_json(t.path(), &["."]);
    assert_eq!(code, 0);
    assert_eq!(doc["stats"]["suppressed"]["secret"], 2);
    // The same fingerprint from an absolute root: keyed on the path inside the root.
    let (code, _) = scan_json(std::path::Path::new("/"), &[t.path().to_str().unwrap()]);
    assert_eq!(code, 0);
}

#[test]
fn gitignore_hidden_files_and_dot_git() {
    let t = Tree::new();
    let tok = mint("cfat");
    t.write(".gitignore", "build/\n");
    t.write("build/out.txt", &tok);
    t.write(".env", format!("CLOUDFLARE_API_TOKEN={tok}\r\n"));
    t.write(".git/config", &tok);
    t.write(".git/objects/x", &tok);
    let (code, doc) = scan_json(t.path(), &["."]);
    assert_eq!(code, 1);
    let paths: Vec<&str> = findings(&doc)
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, vec![".env"]);
    assert_eq!(findings(&doc)[0]["column"], 22);
    let (_, doc) = scan_json(t.path(), &[".", "--no-ignore"]);
    let paths: Vec<&str> = findings(&doc)
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        vec![".env", "build/out.txt"],
        "--no-ignore still skips .git"
    );
}

#[test]
fn fifos_sockets_devices_and_symlink_loops_finish_and_are_counted() {
    let t = Tree::new();
    let tok = mint("cfut");
    t.write("real/a.txt", &tok);
    let fifo = t.join("real/pipe");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let _sock = std::os::unix::net::UnixListener::bind(t.join("real/sock")).unwrap();
    symlink(t.join("real"), t.join("real/loop")).unwrap();
    symlink("/etc", t.join("real/escape")).unwrap();
    symlink(t.join("real/a.txt"), t.join("real/alias.txt")).unwrap();
    let (code, doc) = scan_json(t.path(), &["."]);
    assert_eq!(code, 1);
    assert_eq!(
        findings(&doc).len(),
        1,
        "the symlinked alias is not scanned twice"
    );
    let sk = &doc["stats"]["skipped"];
    assert_eq!(sk["fifo"], 1);
    assert_eq!(sk["socket"], 1);
    assert_eq!(sk["symlink"], 3);
    // A device file given as a root is not read forever, nor called clean:
    // it is an error, named.
    let o = bin()
        .current_dir(t.path())
        .args(["scan", "/dev/zero"])
        .output()
        .unwrap();
    let (code, _, err) = parts(&o);
    assert_eq!(code, 2);
    assert!(
        err.contains("/dev/zero") && err.contains("char_device"),
        "{err}"
    );
    // A FIFO given as a root is read (`burnkey scan <(cmd)`); one with no
    // writer ends at once instead of blocking.
    let (code, doc) = scan_json(t.path(), &["real/pipe"]);
    assert_eq!(code, 0);
    assert_eq!(doc["stats"]["files_scanned"], 1);
}

#[test]
fn symlinked_root_is_followed() {
    let t = Tree::new();
    t.write("real/a.txt", mint("cfut"));
    t.write("other/b.txt", mint("cfut"));
    symlink(t.join("real"), t.join("link")).unwrap();
    symlink(t.join("other/b.txt"), t.join("file-link")).unwrap();
    let (code, doc) = scan_json(t.path(), &["link", "file-link"]);
    assert_eq!(code, 1);
    assert_eq!(findings(&doc).len(), 2, "{doc}");
    // Two roots that lead to one file read it once.
    symlink(t.join("real/a.txt"), t.join("same-file")).unwrap();
    let (_, doc) = scan_json(t.path(), &["link", "same-file"]);
    assert_eq!(findings(&doc).len(), 1, "{doc}");
}

#[test]
fn unreadable_file_is_reported_and_the_scan_goes_on() {
    let t = Tree::new();
    std::fs::set_permissions(t.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let tok = mint("cfut");
    t.write("ok.txt", &tok);
    let locked = t.write("locked.txt", mint("cfat"));
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    // Root reads anything: run the scan as nobody when we are root.
    let is_root = unsafe { libc::geteuid() } == 0;
    let mut cmd = if is_root {
        let mut c = assert_cmd::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(crate::common::exe());
        c
    } else {
        bin()
    };
    let o = cmd
        .current_dir(t.path())
        .args(["scan", ".", "--format", "json"])
        .output()
        .unwrap();
    let (code, out, err) = parts(&o);
    assert_eq!(code, 1, "findings decide the status: {err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(hashes(&doc), vec![sha(&tok)]);
    let errors = doc["stats"]["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["path"], "locked.txt");
    assert!(errors[0]["message"]
        .as_str()
        .unwrap()
        .contains("ermission denied"));
    assert!(err.contains("locked.txt"), "{err}");
}

#[test]
fn binary_files_invalid_utf8_and_odd_names() {
    let t = Tree::new();
    let tok = mint("cfk");
    let mut blob = vec![0u8, 159, 146, 150, 0, 0xff];
    blob.extend_from_slice(tok.as_bytes());
    blob.extend_from_slice(&[0, 0, 1]);
    t.write("data.sqlite", &blob);
    use std::os::unix::ffi::OsStrExt;
    let odd = t
        .path()
        .join(std::ffi::OsStr::from_bytes(b"bad\xffname\nx.txt"));
    std::fs::write(&odd, format!("{tok}\n")).unwrap();
    let (code, doc) = scan_json(t.path(), &["."]);
    assert_eq!(code, 1);
    let f = findings(&doc);
    assert_eq!(f.len(), 2);
    assert_eq!(f[0]["path"], "bad\u{fffd}name\nx.txt");
    assert_eq!(f[1]["path"], "data.sqlite");
    assert_eq!(f[1]["column"], 7);
}

#[test]
fn stdin_and_multiple_roots() {
    let t = Tree::new();
    let a = mint("cfut");
    let b = mint("ghp");
    t.write("one/a.txt", &a);
    t.write("two/b.txt", &b);
    let c = mint("npm");
    let o = bin()
        .current_dir(t.path())
        .args(["scan", "one", "two", "-", "--format", "json"])
        .write_stdin(format!("line\n  {c}\n"))
        .output()
        .unwrap();
    let (code, out, _) = parts(&o);
    assert_eq!(code, 1);
    let doc: Value = serde_json::from_str(&out).unwrap();
    let got: Vec<(String, u64)> = findings(&doc)
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("<stdin>".into(), 2),
            ("one/a.txt".into(), 1),
            ("two/b.txt".into(), 1)
        ]
    );
}

#[test]
fn report_invalid_marks_checksum_invalid() {
    let t = Tree::new();
    let bad = corrupt(&mint("cfut"));
    t.write("a.txt", format!("{bad}\n"));
    let (code, doc) = scan_json(t.path(), &["."]);
    assert_eq!((code, findings(&doc).len()), (0, 0));
    let (code, doc) = scan_json(t.path(), &[".", "--report-invalid"]);
    assert_eq!(code, 1);
    assert_eq!(findings(&doc)[0]["checksum"], "invalid");
}

#[test]
fn custom_rules_file() {
    let t = Tree::new();
    let acme = burnkey::Format::custom("acme", burnkey::Scheme::Crc32Hex8).unwrap();
    let tok = acme.mint().unwrap();
    let rules = t.write(
        "rules/acme.toml",
        format!(
            "provider = \"Acme\"\n[[rules]]\nid = \"acme-api-token\"\nname = \"Acme API Token\"\nprefix = \"acme_\"\nbody_len = 40\nchecksum = \"crc32-hex8\"\ndescription = \"Acme.\"\nexamples = [\"k={tok}\"]\nnegative_examples = [\"acme_x\"]\n"
        ),
    );
    t.write("src/app.txt", format!("key: {tok}\n"));
    let (code, doc) = scan_json(t.path(), &["src", "--rules", rules.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(findings(&doc)[0]["rule_id"], "acme-api-token");
    let o = bin()
        .args(["rules", "check", "--rules"])
        .arg(&rules)
        .output()
        .unwrap();
    let (code, out, _) = parts(&o);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("58 rules"), "{out}");
    let o = bin()
        .args(["rules", "list", "--rules"])
        .arg(&rules)
        .output()
        .unwrap();
    assert!(parts(&o)
        .1
        .lines()
        .any(|l| l.starts_with("acme-api-token") && l.contains("acme_")));
    // A rule file whose example does not match fails the check.
    let broken = t.write(
        "rules/broken.toml",
        std::fs::read_to_string(&rules)
            .unwrap()
            .replace("k=", "k=x"),
    );
    let o = bin()
        .args(["rules", "check", "--rules"])
        .arg(&broken)
        .output()
        .unwrap();
    let (code, out, _) = parts(&o);
    assert_eq!(code, 1);
    assert!(
        out.contains("FAIL") && out.contains("does not match"),
        "{out}"
    );
}

#[test]
fn builtin_rules_check_passes() {
    let o = bin().args(["rules", "check"]).output().unwrap();
    let (code, out, _) = parts(&o);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("57 rules"), "{out}");
}

/// Writes `size` bytes of text with tokens planted across 64 KiB and 1 MiB
/// boundaries; returns the planted (offset, token) pairs.
fn big_file(path: &std::path::Path, size: u64) -> Vec<(u64, String)> {
    let mut f = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    let line = b"the quick brown fox jumps over the lazy dog; cfg_if! { x_y = 1 }\n";
    let mut pos = 0u64;
    let mut planted = Vec::new();
    let mut targets: Vec<u64> = Vec::new();
    for k in 1..(size >> 20) {
        targets.push((k << 20) - 20); // straddles a 1 MiB boundary
        targets.push((k << 20) + (64 << 10) - 30); // straddles a 64 KiB boundary
    }
    targets.sort();
    let mut next = targets.into_iter().peekable();
    let kinds = ["cfut", "cfat", "cfk", "ghp", "npm"];
    while pos < size {
        if let Some(&t) = next.peek() {
            if pos + line.len() as u64 > t {
                // Pad up to the target, then the token and a newline.
                let pad = (t - pos) as usize;
                f.write_all(&b" ".repeat(pad)).unwrap();
                let tok = mint(kinds[planted.len() % kinds.len()]);
                f.write_all(tok.as_bytes()).unwrap();
                f.write_all(b"\n").unwrap();
                planted.push((t, tok.clone()));
                pos = t + tok.len() as u64 + 1;
                next.next();
                continue;
            }
        }
        f.write_all(line).unwrap();
        pos += line.len() as u64;
    }
    f.flush().unwrap();
    planted
}

#[test]
fn two_hundred_megabyte_file_with_tokens_across_read_boundaries() {
    let t = Tree::new();
    let path = t.join("huge.log");
    let planted = big_file(&path, 200 << 20);
    assert!(planted.len() > 300);
    let (code, doc) = scan_json(t.path(), &["huge.log"]);
    assert_eq!(code, 1);
    let got: Vec<(u64, String)> = findings(&doc)
        .iter()
        .map(|f| {
            (
                f["offset"].as_u64().unwrap(),
                f["secret_sha256"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: Vec<(u64, String)> = planted.iter().map(|(o, t)| (*o, sha(t))).collect();
    assert_eq!(got.len(), want.len());
    assert!(got == want, "offsets or tokens differ");
    assert!(doc["stats"]["bytes_scanned"].as_u64().unwrap() >= 200 << 20);
}

#[test]
fn max_filesize_skips_and_counts() {
    let t = Tree::new();
    t.write("big.txt", format!("{}{}", " ".repeat(2000), mint("cfut")));
    let (code, doc) = scan_json(t.path(), &[".", "--max-filesize", "1K"]);
    assert_eq!(code, 0);
    assert_eq!(doc["stats"]["skipped"]["too_large"], 1);
}
