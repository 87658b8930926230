//! SECURITY.md names, beside each promise, the test that keeps it: every
//! test it names exists, so a renamed or deleted test cannot leave a
//! promise without one.

use std::path::Path;

#[test]
fn every_test_security_md_names_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("SECURITY.md")).unwrap();
    let mut named = 0;
    for span in doc.split('`').skip(1).step_by(2) {
        let Some((module, test)) = span.split_once("::") else {
            continue;
        };
        let ident = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        };
        if !ident(module) || !ident(test) || (module, test) == ("file", "test") {
            continue;
        }
        let src = std::fs::read_to_string(root.join(format!("tests/cli/{module}.rs")))
            .unwrap_or_else(|e| panic!("SECURITY.md names {span}: tests/cli/{module}.rs: {e}"));
        assert!(
            src.contains(&format!("#[test]\nfn {test}(")),
            "SECURITY.md names {span}, which is not a test in tests/cli/{module}.rs"
        );
        named += 1;
    }
    for unit in doc.split("`src/").skip(1) {
        let (file, rest) = unit.split_once('`').unwrap();
        if !file.ends_with(".rs") {
            continue;
        }
        let test = rest
            .trim_start()
            .trim_start_matches('`')
            .split('`')
            .next()
            .unwrap();
        let src = std::fs::read_to_string(root.join("src").join(file)).unwrap();
        assert!(
            src.contains(&format!("fn {test}(")),
            "SECURITY.md names {test} in src/{file}"
        );
        named += 1;
    }
    assert!(named >= 40, "SECURITY.md names {named} tests");
}
