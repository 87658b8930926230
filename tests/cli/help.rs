//! Help texts and descriptions name every family the rules find, so that a
//! new rule file cannot leave them behind.

use std::path::Path;

use burnkey::RuleSet;

use crate::common::*;

/// Every provider of the built-in rules, and every prefix.
fn families() -> (Vec<String>, Vec<String>) {
    let rules = RuleSet::builtin();
    let mut providers: Vec<String> = Vec::new();
    let mut prefixes: Vec<String> = Vec::new();
    for r in rules.rules() {
        if !providers.contains(&r.provider) {
            providers.push(r.provider.clone());
        }
        if !r.is_keyword() && !prefixes.contains(&r.format.prefix) {
            prefixes.push(r.format.prefix.clone());
        }
    }
    assert!(
        providers.len() >= 5 && prefixes.len() >= 14,
        "{providers:?}"
    );
    (providers, prefixes)
}

#[test]
fn help_names_every_family_and_prefix() {
    let (providers, prefixes) = families();
    let o = bin().arg("--help").output().unwrap();
    let (code, out, _) = parts(&o);
    assert_eq!(code, 0);
    // clap wraps lines: compare with the breaks taken out.
    let flat = out.split_whitespace().collect::<Vec<_>>().join(" ");
    for name in providers.iter().chain(&prefixes) {
        assert!(
            flat.contains(name.as_str()),
            "--help does not name {name}: {out}"
        );
    }
    assert!(flat.contains("and by keyword"), "the legacy keys: {out}");
}

#[test]
fn mint_help_names_every_kind() {
    let kinds: Vec<String> = RuleSet::builtin()
        .formats()
        .formats()
        .iter()
        .map(|f| f.kind().to_string())
        .collect();
    let o = bin().args(["mint", "--help"]).output().unwrap();
    let (code, out, _) = parts(&o);
    assert_eq!(code, 0);
    let flat = out.split_whitespace().collect::<Vec<_>>().join(" ");
    for k in &kinds {
        assert!(
            flat.contains(&format!(" {k},")),
            "mint --help does not list {k}: {out}"
        );
    }
}

#[test]
fn package_action_and_readme_descriptions_name_every_family() {
    let (providers, prefixes) = families();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let action = std::fs::read_to_string(root.join("action.yml")).unwrap();
    let action_description = action
        .lines()
        .find_map(|l| l.strip_prefix("description: "))
        .expect("action.yml has a description");
    for p in &providers {
        assert!(
            env!("CARGO_PKG_DESCRIPTION").contains(p.as_str()),
            "Cargo.toml's description does not name {p}"
        );
        assert!(
            action_description.contains(p.as_str()),
            "action.yml's description does not name {p}"
        );
    }
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let intro = readme
        .split("\n\n")
        .nth(1)
        .expect("the README's first paragraph");
    for p in &prefixes {
        assert!(
            intro.contains(&format!("`{p}")),
            "the README's first paragraph does not name {p}"
        );
    }
}
