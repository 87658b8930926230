//! New token families as data: a rule file alone teaches every command a
//! new layout (no change under `src/`).

use serde_json::Value;

use crate::common::*;

/// CRC-32/IEEE, bit by bit: an oracle independent of the crate's checksum code.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// `prefix + body` followed by its CRC-32 as four little-endian bytes in hex.
fn le_token(prefix: &str, body: &str) -> String {
    let crc = crc32(format!("{prefix}{body}").as_bytes());
    let hex: String = crc
        .to_le_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{prefix}{body}{hex}")
}

const PREFIX: &str = "acle_";

fn rule_file(t: &Tree) -> std::path::PathBuf {
    let example = le_token(PREFIX, "Ab3_kLmn0PQr_sTuv9WXyz_1234567890abcd");
    t.write(
        "acme.toml",
        format!(
            r#"provider = "Acme"

[[rules]]
id = "acme-le-token"
name = "Acme little-endian token"
prefix = "{PREFIX}"
body = {{ alphabet = "A-Za-z0-9_", len = 37 }}
checksum = {{ algorithm = "crc32", encoding = "hex", byte_order = "little", over = "prefix+body" }}
description = "A token whose CRC-32 covers its prefix and is written little-endian."
examples = ["key = '{example}'"]
negative_examples = ["key = '{bad}'"]
"#,
            bad = corrupt(&example)
        ),
    )
}

#[test]
fn a_rule_file_alone_adds_a_little_endian_family_with_underscores() {
    let t = Tree::new();
    let rules = rule_file(&t);
    let rules = rules.to_str().unwrap();

    let o = bin()
        .args(["rules", "check", "--rules", rules])
        .output()
        .unwrap();
    let (code, out, err) = parts(&o);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(": ok"), "{out}");

    let o = bin()
        .args(["mint", "--kind", "acle", "--count", "25", "--rules", rules])
        .output()
        .unwrap();
    let (code, out, err) = parts(&o);
    assert_eq!(code, 0, "{err}");
    let minted: Vec<&str> = out.lines().collect();
    assert_eq!(minted.len(), 25);
    for tok in &minted {
        let body = &tok[PREFIX.len()..tok.len() - 8];
        assert_eq!(body.len(), 37);
        assert!(body.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_'));
        assert_eq!(
            *tok,
            le_token(PREFIX, body),
            "checksum as the oracle computes it"
        );
        let o = bin()
            .args(["check", tok, "--rules", rules])
            .output()
            .unwrap();
        let (code, out, _) = parts(&o);
        assert_eq!(code, 0, "{out}");
        assert!(out.starts_with("valid: Acme little-endian token"), "{out}");
    }
    // Without the rule file the prefix means nothing.
    let o = bin().args(["check", minted[0]]).output().unwrap();
    assert_eq!(parts(&o).0, 1);

    // The scanner finds them, including one with `_` around its body.
    let underscored = le_token(PREFIX, "_cdefghijklmnopqrstuvwxyz_0123456789_");
    t.write(
        "src/config.py",
        format!(
            "A = '{}'\nB = '{underscored}'\nC = '{}'\n",
            minted[0],
            corrupt(minted[1])
        ),
    );
    let (code, doc) = scan_json(t.path(), &["src", "--rules", rules]);
    assert_eq!(code, 1);
    let f: Vec<&Value> = findings(&doc).iter().collect();
    assert_eq!(f.len(), 2, "{doc}");
    assert!(f
        .iter()
        .all(|f| f["rule_id"] == "acme-le-token" && f["checksum"] == "valid"));
    assert_eq!(hashes(&doc), vec![sha(minted[0]), sha(&underscored)]);
}

#[test]
fn records_of_a_rule_file_family_verify_with_the_same_flag() {
    let t = Tree::new();
    let rules = rule_file(&t);
    let rules = rules.to_str().unwrap();
    let store = t.join("tokens.jsonl");
    let store = store.to_str().unwrap();
    let o = bin()
        .args([
            "mint",
            "--kind",
            "acle",
            "--scope",
            "dns:edit@zone/*",
            "--store",
            store,
            "--rules",
            rules,
        ])
        .output()
        .unwrap();
    let (code, tok, err) = parts(&o);
    assert_eq!(code, 0, "{err}");
    let tok = tok.trim();
    let line = std::fs::read_to_string(store).unwrap();
    let rec: Value = serde_json::from_str(line.trim()).unwrap();
    assert_eq!(rec["format"], "acme-le-token");
    assert_eq!(rec["kind"], "acle");

    let verify = |extra: &[&str]| {
        let o = bin()
            .args([
                "verify",
                tok,
                "--store",
                store,
                "--scope",
                "dns:read@zone/z1",
            ])
            .args(extra)
            .output()
            .unwrap();
        parts(&o)
    };
    let (code, out, _) = verify(&["--rules", rules]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("allowed:"), "{out}");
    let (code, out, err) = verify(&[]);
    assert_eq!(code, 1, "{out}");
    assert!(err.contains("--rules FILE"), "says what is missing: {err}");
}

#[test]
fn stores_written_before_formats_were_named_still_verify() {
    // A record as the first release wrote it: no `format` field.
    let t = Tree::new();
    let tok = mint("cfut");
    let old = format!(
        r#"{{"id":"rec_0123456789abcdef01234567","kind":"cfut","scheme":"crc32-hex8","token_sha256":"{}","scopes":["dns:read@zone/*"],"created_at":"2026-01-01T00:00:00Z","expires_at":null,"revoked":false,"hint":"cfut_abcd..."}}"#,
        sha(&tok)
    );
    let custom = Tree::new();
    let acme = bin()
        .args(["mint", "--kind", "acme", "--format", "json"])
        .current_dir(custom.path())
        .output()
        .unwrap();
    let acme: Value = serde_json::from_slice(&acme.stdout).unwrap();
    let mut acme_rec = acme["record"].clone();
    acme_rec.as_object_mut().unwrap().remove("format");
    acme_rec["scopes"] = serde_json::json!(["dns:read@zone/*"]);
    let store = t.write("s.jsonl", format!("{old}\n{acme_rec}\n"));
    for token in [tok.as_str(), acme["token"].as_str().unwrap()] {
        let o = bin()
            .args(["verify", token, "--scope", "dns:read@zone/a"])
            .arg("--store")
            .arg(&store)
            .output()
            .unwrap();
        let (code, out, err) = parts(&o);
        assert_eq!(code, 0, "{out}{err}");
    }
}

/// Every finding says how sure it is; `--min-confidence high` keeps only the
/// checksum-valid and long-prefix ones, and is refused with
/// `--report-invalid` (whose findings are low).
#[test]
fn confidence_is_reported_and_filters() {
    let legacy_key = "9f0c6b2e4a7d18c3e5b9a0f2d4c6e8a1b3d5f7091"; // burnkey:allow (made up)
    let valid = mint("cfut");
    let t = Tree::new();
    t.write(
        "deploy.sh",
        format!("curl -H \"X-Auth-Key: {legacy_key}\" https://api.cloudflare.com/client/v4/zones\nTOKEN={valid}\n"),
    );
    let (code, doc) = scan_json(t.path(), &["."]);
    assert_eq!(code, 1);
    let got: Vec<(String, String, String)> = findings(&doc)
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["checksum"].as_str().unwrap().to_string(),
                f["confidence"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "cloudflare-legacy-global-api-key".into(),
                "none".into(),
                "medium".into()
            ),
            (
                "cloudflare-user-api-token".into(),
                "valid".into(),
                "high".into()
            ),
        ]
    );
    assert!(!doc.to_string().contains(legacy_key), "never the secret");
    let (code, doc) = scan_json(t.path(), &[".", "--min-confidence", "high"]);
    assert_eq!(code, 1);
    assert_eq!(findings(&doc).len(), 1);
    assert_eq!(findings(&doc)[0]["confidence"], "high");
    // Only the legacy key: nothing at high is a clean scan.
    t.write("deploy.sh", format!("X-Auth-Key: {legacy_key}\n"));
    assert_eq!(scan_json(t.path(), &[".", "--min-confidence", "high"]).0, 0);
    assert_eq!(scan_json(t.path(), &["."]).0, 1);
    // Text and SARIF say it too.
    let o = bin()
        .current_dir(t.path())
        .args(["scan", "."])
        .output()
        .unwrap();
    let (_, out, _) = parts(&o);
    assert!(
        out.contains("cloudflare-legacy-global-api-key") && out.contains("named by a keyword"),
        "{out}"
    );
    let o = bin()
        .current_dir(t.path())
        .args(["scan", ".", "--format", "sarif"])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&o.stdout).unwrap();
    let r = &sarif["runs"][0]["results"][0];
    assert_eq!(r["level"], "warning");
    assert_eq!(r["properties"]["confidence"], "medium");
    let o = bin()
        .current_dir(t.path())
        .args(["scan", ".", "--format", "github", "-q"])
        .output()
        .unwrap();
    let (_, out, _) = parts(&o);
    assert!(out.starts_with("::warning file=deploy.sh,line=1,"), "{out}");
    let o = bin()
        .current_dir(t.path())
        .args(["scan", ".", "--report-invalid", "--min-confidence", "high"])
        .output()
        .unwrap();
    let (code, _, err) = parts(&o);
    assert_eq!(code, 2);
    assert!(err.contains("--report-invalid"), "{err}");
}

/// A keyword rule in a user's rule file works like a built-in one.
#[test]
fn keyword_rules_come_from_rule_files_too() {
    let t = Tree::new();
    t.write(
        "acme.toml",
        r#"provider = "Acme"

[[rules]]
id = "acme-legacy-key"
name = "Acme key (old)"
body = { alphabet = "A-Z0-9", len = 32 }
checksum = "none"
description = "An old Acme key, named by ACME_KEY."
examples = ["ACME_KEY=Q7W2E9R4T6Y1U8I3O5P0A2S4D6F8G1H3"]
negative_examples = ["OTHER_KEY=Q7W2E9R4T6Y1U8I3O5P0A2S4D6F8G1H3"]

[rules.keyword]
anchors = ["ACME_K"]
require = ["digit", "upper"]

[[rules.keyword.context]]
before = 'ACME_KEY\s*=\s*$'
"#,
    );
    let o = bin()
        .current_dir(t.path())
        .args(["rules", "check", "--rules", "acme.toml"])
        .output()
        .unwrap();
    let (code, out, err) = parts(&o);
    assert_eq!(code, 0, "{out}{err}");
    t.write("x.env", "ACME_KEY=Z1X2C3V4B5N6M7L8K9J0H1G2F3D4S5A6\n");
    let (code, doc) = scan_json(t.path(), &["x.env", "--rules", "acme.toml"]);
    assert_eq!(code, 1);
    assert_eq!(findings(&doc)[0]["rule_id"], "acme-legacy-key");
    assert_eq!(findings(&doc)[0]["confidence"], "medium");
    // A broken expression is named, with the file.
    t.write(
        "bad.toml",
        std::fs::read_to_string(t.path().join("acme.toml"))
            .unwrap()
            .replace("ACME_KEY\\s", "(ACME_KEY"),
    );
    let o = bin()
        .current_dir(t.path())
        .args(["scan", "x.env", "--rules", "bad.toml"])
        .output()
        .unwrap();
    let (code, _, err) = parts(&o);
    assert_eq!(code, 2);
    assert!(
        err.contains("bad.toml") && err.contains("regular expression"),
        "{err}"
    );
}

/// The opt-in rule file for Microsoft's identifiable keys.
const MICROSOFT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/patterns/opt-in/microsoft.toml"
);

#[test]
fn microsoft_keys_are_found_built_in_or_with_their_opt_in_rules_and_checked_exactly() {
    // Microsoft's published test key for Azure Storage, in a connection
    // string; beside it the same key with one checksum character changed.
    let key = format!("{}+ASt5mnCaw==", "a".repeat(76));
    let bad = key.replace("5mnCaw", "5mnCbw");
    let t = Tree::new();
    t.write(
        "app.config",
        format!(
            "<add key=\"storage\" value=\"DefaultEndpointsProtocol=https;AccountName=acme;AccountKey={key};EndpointSuffix=core.windows.net\"/>\n\
             <add key=\"old\" value=\"AccountKey={bad};\"/>\n"
        ),
    );
    // Built in: a key of 88 characters is looked for inside runs.
    let (code, doc) = scan_json(t.path(), &["."]);
    assert_eq!((code, findings(&doc).len()), (1, 1), "{doc}");
    // A Service Bus key (44 characters, shorter than a run) needs the
    // opt-in file.
    let sb = "Q1UJ358FjNqHwSReqrXpAalcmeOnLgJtS+ASbEB9BbM="; // burnkey:allow
    let other = Tree::new();
    other.write("app.json", format!("{{\"key\": \"{sb}\"}}\n"));
    let (code, doc) = scan_json(other.path(), &["."]);
    assert_eq!((code, findings(&doc).len()), (0, 0), "{doc}");
    let (code, doc) = scan_json(other.path(), &["--rules", MICROSOFT, "."]);
    assert_eq!(
        findings(&doc)[0]["rule_id"],
        "azure-service-bus-key",
        "{doc}"
    );
    assert_eq!(code, 1);
    let (code, doc) = scan_json(t.path(), &["--rules", MICROSOFT, "."]);
    assert_eq!(code, 1, "{doc}");
    let f = findings(&doc);
    assert_eq!(f.len(), 1, "{doc}");
    assert_eq!(f[0]["rule_id"], "azure-storage-account-key");
    assert_eq!(f[0]["checksum"], "valid");
    assert_eq!(f[0]["secret_sha256"], sha(&key));
    assert!(!doc.to_string().contains(&key[60..]), "never the key");
    // The changed one is a wrong checksum: only on request, and low.
    let (_, doc) = scan_json(t.path(), &["--rules", MICROSOFT, "--report-invalid", "."]);
    let invalid: Vec<&Value> = findings(&doc)
        .iter()
        .filter(|f| f["checksum"] == "invalid")
        .collect();
    assert_eq!(invalid.len(), 1, "{doc}");
    assert_eq!(invalid[0]["secret_sha256"], sha(&bad));
    assert_eq!(invalid[0]["confidence"], "low");
    // `check` knows a key without a prefix by its signature.
    let o = bin()
        .args(["check", "--rules", MICROSOFT, &key])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = bin()
        .args(["check", "--rules", MICROSOFT, &bad])
        .output()
        .unwrap();
    let (code, out, err) = parts(&o);
    assert_ne!(code, 0);
    assert!(!out.contains(&bad) && !err.contains(&bad), "{out}{err}");
}

#[test]
fn a_prefix_in_the_wrong_case_is_medium_and_says_how_it_was_written() {
    let pat = "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"; // burnkey:allow
    let title = pat.replacen('g', "G", 1);
    let t = Tree::new();
    t.write("notes.md", format!("{title}\n"));
    let (code, doc) = scan_json(t.path(), &["."]);
    assert_eq!(code, 1, "{doc}");
    let f = &findings(&doc)[0];
    assert_eq!(f["rule_id"], "github-fine-grained-personal-access-token");
    assert_eq!(f["checksum"], "valid");
    assert_eq!(f["confidence"], "medium");
    assert_eq!(f["prefix_as_written"], "Github_pat_");
    let o = bin()
        .current_dir(t.path())
        .args(["scan", "."])
        .output()
        .unwrap();
    let (_, out, _) = parts(&o);
    assert!(out.contains("(prefix written \"Github_pat_\")"), "{out}");
    let (code, doc) = scan_json(t.path(), &["--min-confidence", "high", "."]);
    assert_eq!((code, findings(&doc).len()), (0, 0), "{doc}");
    // The right case has no such field, and is high.
    t.write("notes.md", format!("{pat}\n"));
    let (_, doc) = scan_json(t.path(), &["."]);
    let f = &findings(&doc)[0];
    assert_eq!(f["confidence"], "high");
    assert!(f.get("prefix_as_written").is_none(), "{f}");
    // The public sample's mistake: a capital on a prefix the prefilter
    // looks for by its first letters.
    let cfat = "Cfat_1SwYgdPc0p75ZSpP5el7pu85RloSmKaNmO7KrGPy697d7fe7"; // burnkey:allow
    t.write("notes.md", format!("token: {cfat}\n"));
    let (code, doc) = scan_json(t.path(), &["."]);
    assert_eq!(code, 1, "{doc}");
    let f = &findings(&doc)[0];
    assert_eq!(f["rule_id"], "cloudflare-account-api-token");
    assert_eq!(f["prefix_as_written"], "Cfat_");
}

#[test]
fn gitlab_routable_tokens_are_found_under_any_instance_prefix_which_the_finding_names() {
    // Made like the public ones (a custom prefix, and none): the CRC-32
    // covers the prefix the instance wrote.
    let custom = "acme-iw4XUmipwX6qQcUV8vYimW86MQp1OjUKCA.01.0y0qrg2cy"; // burnkey:allow
    let none = "dEr2vwF3cuzUN0FCB0XEUG86MQp1OjUKCA.01.0y1uejgi7"; // burnkey:allow
    let t = Tree::new();
    t.write(
        "ci.env",
        format!("GITLAB_TOKEN={custom}\nurl=https://oauth2:{none}@git.example.com/x.git\n"),
    );
    let (code, doc) = scan_json(t.path(), &["--min-confidence", "high", "."]);
    assert_eq!(code, 1, "{doc}");
    let f = findings(&doc);
    assert_eq!(f.len(), 2, "{doc}");
    assert_eq!(f[0]["rule_id"], "gitlab-routable-token");
    assert_eq!(f[0]["instance_prefix"], "acme-");
    assert_eq!(f[0]["column"], 14);
    assert_eq!(f[0]["redacted"], "acme-iw4X...");
    assert_eq!(f[1]["instance_prefix"], "");
    assert_eq!(f[1]["checksum"], "valid");
    assert_eq!(f[1]["secret_sha256"], sha(none));
    let o = bin()
        .current_dir(t.path())
        .args(["scan", "."])
        .output()
        .unwrap();
    let (_, out, _) = parts(&o);
    assert!(out.contains("(instance prefix \"acme-\")"), "{out}");
    assert!(out.contains("(no instance prefix)"), "{out}");
    assert!(!out.contains(none) && !out.contains(custom), "{out}");
    // `check` knows them too, and a changed prefix fails the checksum.
    let o = bin().args(["check", custom]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = bin()
        .args(["check", &custom.replacen("acme", "acmf", 1)])
        .output()
        .unwrap();
    assert!(!o.status.success());
    // GitLab's own prefix is its own rule's, with no instance prefix.
    t.write(
        "ci.env",
        "glpat-VJciNwSNc-utqlF-Lmw1dhBvOjEKdToyBw.01.0y1ojkugc\n",
    ); // burnkey:allow
    let (_, doc) = scan_json(t.path(), &["."]);
    let f = &findings(&doc)[0];
    assert_eq!(f["rule_id"], "gitlab-personal-access-token");
    assert!(f.get("instance_prefix").is_none(), "{f}");
}

#[test]
fn github_refresh_and_stateless_installation_tokens_are_found() {
    let t = Tree::new();
    let ghr = "ghr_hViIMTloiODWAnnjzk19iMmmbApegA5uS0il57GHSUQZrNo6RCima7XsORqfHI66rUhKA43XPtKX"; // burnkey:allow

    // Its CRC-32 in base62 over the 70 random characters, computed here.
    let b62 = |mut n: u32| {
        let a = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        let mut s = Vec::new();
        while n > 0 {
            s.insert(0, a[(n % 62) as usize]);
            n /= 62;
        }
        while s.len() < 6 {
            s.insert(0, b'0');
        }
        String::from_utf8(s).unwrap()
    };
    assert_eq!(b62(crc32(&ghr.as_bytes()[4..74])), &ghr[74..]);
    t.write("a.env", format!("REFRESH={ghr}\n"));
    let (_, doc) = scan_json(t.path(), &["."]);
    assert_eq!(
        findings(&doc)[0]["rule_id"],
        "github-refresh-token",
        "{doc}"
    );
    assert_eq!(findings(&doc)[0]["checksum"], "valid");
    let o = bin().args(["check", ghr]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// The families found inside runs of base64 characters (`prefilter =
/// "runs"`): built in, at no cost to plain text, found as a user writes
/// them.
#[test]
fn the_ai_and_service_families_are_found_inside_runs() {
    let tokens = [
        ("openai", "openai-project-api-key", "none", "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"),
        ("anthropic", "anthropic-api-key", "none", "sk-ant-api03-zAWNn0NzpRbMcr81SNGU4fEhFNJhs_Q0wkpw5VWfQhpbB4AvL7aKUPTe1AxK4pW2lhn6HvRI15z7PT-a4c2Ss7cHKXJgWAA"),
        ("atlassian", "atlassian-api-token", "valid", "ATATT3xFfGF0tnssQNMkdkOsDbzZ3qAAEW8_HZqJLGgmnvmdCUpbWYiuk-xaP_PWtlhGFQktNjYKqqWp9f7wPtewsgYqvBJQTdJV1tX5heQwepFLG8Z-ZuXg8EckArd0UFSPwmQfTIGORHPjNXhgjtOmj4n0iX0R7M-nnoTNjUVurMg3P8m9FYe=96758995"),
        ("sentry", "sentry-org-auth-token", "valid", "sntrys_eyJpYXQiOiAxNzY1MDAwMDAwLjEyMzQ1NiwgInVybCI6ICJodHRwczovL3NlbnRyeS5pbyIsICJyZWdpb25fdXJsIjogImh0dHBzOi8vdXMuc2VudHJ5LmlvIiwgIm9yZyI6ICJidXJua2V5LWV4YW1wbGUifQ==_JAEKaUt5IC2nGdtREAps/ynQ836et+i4tvzMI6GZJ4M"),
        ("pypi", "pypi-upload-token", "valid", "pypi-AgEIcHlwaS5vcmcCJDNlYmVhMzcxLTE0MzktNGYzZC04ZWU3LTU5YjlmYTljMThhZAACQHsidmVyc2lvbiI6IDEsICJwZXJtaXNzaW9ucyI6IHsicHJvamVjdHMiOiBbImJ1cm5rZXktZXhhbXBsZSJdfX0AAAYg05MpA9QvnlOn4y711N5JsCPtXQLBtSQQSUj75OqlDuQ"),
        ("grafana-cloud", "grafana-cloud-access-policy-token", "valid", "glc_eyJvIjoiNjU5NTU4IiwibiI6InN0YWNrLTQ0MTQ4NS1obS13cml0ZS1idXJua2V5IiwiayI6IkxtN2xIdzY5MFBxWm1vTEZIWUZ3Y1NNdCIsIm0iOnsiciI6InByb2QtZXUtd2VzdC0yIn19"),
    ];
    let t = Tree::new();
    let env: String = tokens
        .iter()
        .enumerate()
        .map(|(i, (_, _, _, tok))| format!("KEY_{i}={tok}\n"))
        .collect();
    t.write(".env", env);
    // And as they come in JSON, YAML and source, without an `=` beside.
    let json: String = tokens
        .iter()
        .map(|(_, _, _, tok)| format!("  \"k\": \"{tok}\",\n"))
        .collect();
    t.write("config.json", format!("{{\n{json}  \"end\": 1\n}}\n"));
    let (code, doc) = scan_json(t.path(), &["."]);
    assert_eq!(code, 1, "{doc}");
    let f = findings(&doc);
    assert_eq!(f.len(), 2 * tokens.len(), "{doc}");
    for (file, line0) in [(".env", 1), ("config.json", 2)] {
        let of: Vec<&Value> = f.iter().filter(|x| x["path"] == file).collect();
        for (i, (_, id, checksum, tok)) in tokens.iter().enumerate() {
            assert_eq!(of[i]["rule_id"], *id, "{file}: {doc}");
            assert_eq!(of[i]["checksum"], *checksum, "{id}");
            assert_eq!(of[i]["secret_sha256"], sha(tok), "{id}");
            assert_eq!(of[i]["line"], i + line0, "{id}");
        }
    }
    assert!(
        !doc.to_string().contains(&tokens[2].3[20..]),
        "never a token"
    );
    // And with decoding off: the runs are looked at all the same.
    let (_, doc) = scan_json(t.path(), &["--max-decode-depth", "0", "."]);
    assert_eq!(findings(&doc).len(), 2 * tokens.len(), "{doc}");
    // An Atlassian token with one checksum digit changed: only on request.
    let atl = tokens[2].3;
    let bad = format!(
        "{}{}",
        &atl[..atl.len() - 1],
        if atl.ends_with('0') { '1' } else { '0' }
    );
    t.write(".env", format!("JIRA={bad}\n"));
    t.write("config.json", "{}\n");
    let (code, doc) = scan_json(t.path(), &["."]);
    assert_eq!((code, findings(&doc).len()), (0, 0), "{doc}");
    let (_, doc) = scan_json(t.path(), &["--report-invalid", "."]);
    assert_eq!(findings(&doc)[0]["checksum"], "invalid", "{doc}");
}
