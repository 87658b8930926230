//! What to do about a leak: the one place the remediation text lives, for
//! every report that says it (annotations, SARIF, the job summary, the
//! commit-blocked message).

use crate::findings::outcome::Outcome;
use crate::rules::{Rule, RuleSet};

/// The first step, for any leak.
pub const ROTATE: &str = "Revoke or rotate it now, then remove it.";

/// Why removing the commit is not enough.
pub const STAYS_IN_HISTORY: &str =
    "Treat the token as compromised even if the commit is removed: it stays in history and forks.";

/// How to accept a known test token (Markdown).
pub const ALLOW_MD: &str = "A known test token? Put `burnkey:allow` on its line, or add its fingerprint (`burnkey scan --print-fingerprints`) to `.burnkeyignore`.";

/// How to accept a known test token (plain text).
pub const ALLOW_TEXT: &str =
    "A known test token? Put burnkey:allow on its line or its fingerprint in .burnkeyignore.";

/// A commit id as reports show it: 12 hex digits.
pub fn short_commit(c: &str) -> &str {
    &c[..c.len().min(12)]
}

/// The rules behind `out`'s findings, each once, in order of first finding:
/// whose remediation help a report lists.
pub fn rules_found<'r>(out: &Outcome, rules: &'r RuleSet) -> Vec<&'r Rule> {
    let mut found: Vec<&Rule> = Vec::new();
    for f in &out.findings {
        if let Some(r) = rules.get(f.rule_id()) {
            if !found.iter().any(|x| x.id() == r.id()) {
                found.push(r);
            }
        }
    }
    found
}

/// SARIF's per-rule help, in Markdown.
pub fn rule_help_markdown(rule: &Rule) -> String {
    format!(
        "**{}** leaked.\n\n1. {}\n2. {STAYS_IN_HISTORY}\n3. To accept a known test token, add its fingerprint to `.burnkeyignore` or put `burnkey:allow` on the line.",
        rule.format.name, rule.help
    )
}

/// The job summary's "What to do" section.
pub fn what_to_do_markdown(out: &Outcome, rules: &RuleSet) -> String {
    let mut s = String::from("\n### What to do\n\n1. **Revoke or rotate each token now**: it is in the repository's history, and forks and clones keep it even after a fix.\n");
    for r in rules_found(out, rules) {
        s.push_str(&format!("   - {}: {}\n", r.format.name, r.help));
    }
    s.push_str("2. Remove it from the code (and from history if the branch is not merged yet).\n");
    s.push_str(&format!("3. {ALLOW_MD}\n"));
    s
}

/// The steps after a blocked commit (`staged`) or a range with leaks.
pub fn what_to_do_text(out: &Outcome, rules: &RuleSet, staged: bool) -> String {
    let mut s = String::from(
        "What to do:\n  1. Treat each token as leaked: revoke or rotate it with its issuer now.\n",
    );
    for r in rules_found(out, rules) {
        s.push_str(&format!("     {}\n", r.help));
    }
    if staged {
        s.push_str("  2. Take it out of the commit: edit the file and `git add` it again, or unstage it with `git restore --staged <file>`.\n");
    } else {
        s.push_str("  2. Take it out of history before pushing: `git commit --amend` or `git rebase -i`, then push again.\n");
    }
    s.push_str("  3. A false positive or a test token? Put `burnkey:allow` on its line, or add a line to .burnkeyignore:\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::finding::{Finding, Location};

    #[test]
    fn rules_found_lists_each_rule_once_even_interleaved() {
        let rules = RuleSet::builtin();
        let scanner = crate::Scanner::new(rules.clone());
        let fs = crate::FormatSet::builtin();
        let text = ["cfut", "npm", "cfut"]
            .map(|k| fs.by_name(k).unwrap().mint().unwrap())
            .join("\n");
        let mut out = Outcome::default();
        scanner.scan_slice(text.as_bytes(), |m| {
            out.findings.push(Finding::new(
                rules.rules()[m.rule].clone(),
                &m,
                Location::File { path: "a".into() },
                b"a",
            ))
        });
        let ids: Vec<&str> = rules_found(&out, &rules).iter().map(|r| r.id()).collect();
        assert_eq!(ids, vec!["cloudflare-user-api-token", "npm-access-token"]);
    }

    #[test]
    fn commits_are_shortened_to_twelve() {
        assert_eq!(short_commit(&"a".repeat(40)), "a".repeat(12));
        assert_eq!(short_commit("abc"), "abc");
    }
}
