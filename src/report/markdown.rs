//! A Markdown job summary (for `$GITHUB_STEP_SUMMARY`): counts, a table of
//! every finding (redacted), and what to do.

use super::model::Merged;
use super::remedy::{short_commit, what_to_do_markdown};
use super::text::human_bytes;
use crate::findings::outcome::Outcome;
use crate::rules::RuleSet;

/// GitHub caps a step summary at 1 MiB: the table stops well short of it.
const TABLE_BUDGET: usize = 900 * 1024;

/// Text for a table cell inside a code span (`` `…` ``): nothing there is
/// read as HTML or a link; pipes and line breaks could still end the cell.
fn md_cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('\r', " ")
        .replace('\n', "↵")
        .replace('`', "'")
}

/// Text for a table cell outside a code span (a branch name, a provider's
/// word): every character that Markdown or HTML could read as markup
/// backslash-escaped, as Markdown allows, so no HTML, entity, link, image,
/// emphasis or pipe comes of it (`<`, `>`, `&` are legal in branch names);
/// line breaks show as ↵.
fn md_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\r' | '\n' => out.push('↵'),
            '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '<' | '>' | '&' | '|' | '!' | '~'
            | '#' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The summary of `out`.
pub fn markdown_summary(out: &Outcome, rules: &RuleSet) -> String {
    let n = out.findings.len();
    let mut s = String::from("## burnkey\n\n");
    if n == 0 {
        s.push_str(&format!(
            "No leaked tokens found ({} files or blobs, {}).\n",
            out.stats.files_scanned,
            human_bytes(out.stats.bytes_scanned)
        ));
        return s;
    }
    // A column for what the providers said, when the scan asked them.
    let verified = out.findings.iter().any(|f| f.verification().is_some());
    s.push_str(&format!(
        "**{n} leaked token{}** found ({} files or blobs scanned).\n\n| Rule | File | Line | Commit | Token | Checksum |{}\n|---|---|---|---|---|---|{}\n",
        if n == 1 { "" } else { "s" },
        out.stats.files_scanned,
        if verified { " Verified |" } else { "" },
        if verified { "---|" } else { "" },
    ));
    let mut shown = 0;
    for f in &out.findings {
        if s.len() > TABLE_BUDGET {
            break;
        }
        s.push_str(&format!(
            "| {} | `{}` | {} | {} | `{}` | {} |{}\n",
            md_cell(f.rule_id()),
            md_cell(&f.shown_path()),
            f.line,
            f.commit()
                .map_or("-".to_string(), |c| format!("`{}`", short_commit(c))),
            md_cell(f.redacted()),
            f.checksum.as_str(),
            match (verified, f.verification()) {
                (false, _) => String::new(),
                (true, Some(v)) => format!(" {} |", md_text(&v.short())),
                (true, None) => " - |".into(),
            }
        ));
        shown += 1;
    }
    if shown < n {
        s.push_str(&format!(
            "\n…and {} more: see the SARIF report.\n",
            n - shown
        ));
    }
    s.push_str(&what_to_do_markdown(out, rules));
    s
}

/// The summary of a merged report (`burnkey report merge --format
/// markdown`): counts per repository and rule, then every finding.
pub fn merged_summary(doc: &Merged) -> String {
    use std::collections::BTreeMap;
    let findings = &doc.findings;
    let count = |k: &str| doc.stats.get(k).and_then(|v| v.as_u64()).unwrap_or(0);
    let mut s = String::from("## burnkey: merged report\n\n");
    s.push_str(&format!(
        "{} report{}, {} files or blobs, {}: **{} leaked token{}**.\n",
        doc.reports,
        if doc.reports == 1 { "" } else { "s" },
        count("files_scanned"),
        human_bytes(count("bytes_scanned")),
        findings.len(),
        if findings.len() == 1 { "" } else { "s" },
    ));
    // Every repository scanned, clean ones too (reports name theirs).
    let scanned = doc.repositories.len();
    if scanned > 0 {
        let clean = doc.repositories.values().filter(|&&n| n == 0).count();
        s.push_str(&format!(
            "{scanned} repositor{} scanned, {clean} clean.\n",
            if scanned == 1 { "y" } else { "ies" },
        ));
    }
    if findings.is_empty() {
        return s;
    }
    let mut per_repo: BTreeMap<&str, usize> = BTreeMap::new();
    let mut per_rule: BTreeMap<&str, usize> = BTreeMap::new();
    for r in doc.repositories.keys() {
        per_repo.insert(r, 0);
    }
    for f in findings {
        *per_repo
            .entry(f.repository.as_deref().unwrap_or("-"))
            .or_default() += 1;
        *per_rule.entry(&f.rule_id).or_default() += 1;
    }
    s.push_str("\n| Repository | Findings |\n|---|---|\n");
    for (r, n) in &per_repo {
        s.push_str(&format!("| `{}` | {n} |\n", md_cell(r)));
    }
    s.push_str("\n| Rule | Findings |\n|---|---|\n");
    for (r, n) in &per_rule {
        s.push_str(&format!("| {} | {n} |\n", md_cell(r)));
    }
    s.push_str("\n| Repository | File | Line | Commit | Rule | Token | Still in |\n|---|---|---|---|---|---|---|\n");
    let mut shown = 0;
    for f in findings {
        if s.len() > TABLE_BUDGET {
            break;
        }
        s.push_str(&format!(
            "| `{}` | `{}` | {} | {} | {} | `{}` | {} |\n",
            md_cell(f.repository.as_deref().unwrap_or("-")),
            md_cell(&f.path),
            f.line,
            f.commit
                .as_deref()
                .map_or("-".to_string(), |c| format!("`{}`", short_commit(c))),
            md_cell(&f.rule_id),
            md_cell(&f.redacted),
            md_text(&f.still_in.as_deref().unwrap_or_default().join(", ")),
        ));
        shown += 1;
    }
    if shown < findings.len() {
        s.push_str(&format!(
            "\n…and {} more: see the SARIF or JSON report.\n",
            findings.len() - shown
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_cells_cannot_break_the_table() {
        assert_eq!(md_cell("a|b\nc`d"), "a\\|b↵c'd");
    }

    #[test]
    fn text_cells_hold_no_html_link_or_pipe() {
        assert_eq!(
            md_text("refs/heads/x<img src=y>&[a](b)|c\nd, 2027-01-01"),
            "refs/heads/x\\<img src=y\\>\\&\\[a\\]\\(b\\)\\|c↵d, 2027-01-01"
        );
    }
}
