//! A Markdown job summary (for `$GITHUB_STEP_SUMMARY`): counts, a table of
//! every finding (redacted), and what to do.

use super::remedy::{short_commit, what_to_do_markdown};
use super::text::human_bytes;
use crate::outcome::Outcome;
use crate::rules::RuleSet;

/// GitHub caps a step summary at 1 MiB: the table stops well short of it.
const TABLE_BUDGET: usize = 900 * 1024;

fn md_cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('\r', " ")
        .replace('\n', "↵")
        .replace('`', "'")
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
    s.push_str(&format!(
        "**{n} leaked token{}** found ({} files or blobs scanned).\n\n| Rule | File | Line | Commit | Token | Checksum |\n|---|---|---|---|---|---|\n",
        if n == 1 { "" } else { "s" },
        out.stats.files_scanned
    ));
    let mut shown = 0;
    for f in &out.findings {
        if s.len() > TABLE_BUDGET {
            break;
        }
        s.push_str(&format!(
            "| {} | `{}` | {} | {} | `{}` | {} |\n",
            md_cell(f.rule_id()),
            md_cell(f.path()),
            f.line,
            f.commit()
                .map_or("-".to_string(), |c| format!("`{}`", short_commit(c))),
            md_cell(f.redacted()),
            f.checksum.as_str()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_cells_cannot_break_the_table() {
        assert_eq!(md_cell("a|b\nc`d"), "a\\|b↵c'd");
    }
}
