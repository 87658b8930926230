//! Text for people: `path:line:col rule redacted`, one finding per line,
//! and a summary line for stderr.

use super::options::ReportOptions;
use super::remedy::short_commit;
use crate::engine::Checksum;
use crate::findings::finding::Finding;
use crate::findings::stats::Stats;

/// `s` with every control character written as an escape (`\n`, `\t`,
/// `\x1b`, `\u{9b}`), so that a name from a scanned tree can neither move
/// a terminal's cursor, ring its bell, colour it, nor start a new line in a
/// log or in a file meant to be pasted (`.burnkeyignore`). A backslash is
/// doubled so that the escaped form cannot be forged.
pub fn escape_control(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() || c == '\\') {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 && c.is_control() => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// One line of text output: `path:line:col rule redacted`.
pub fn text_line(f: &Finding, opts: ReportOptions) -> String {
    let (path, pos, rule, off) = if opts.color {
        ("\x1b[35m", "\x1b[32m", "\x1b[1;31m", "\x1b[0m")
    } else {
        ("", "", "", "")
    };
    let token = opts.token(f);
    let mut s = format!(
        "{path}{}{off}:{pos}{}:{}{off} {rule}{}{off} {token}",
        escape_control(&f.shown_path()),
        f.line,
        f.column,
        f.rule_id()
    );
    if f.checksum != Checksum::Valid {
        s.push_str(&format!(" (checksum {})", f.checksum.as_str()));
    }
    if let Some(p) = f.prefix_as_written() {
        s.push_str(&format!(" (prefix written {p:?})"));
    } else if f.rule.is_keyword() {
        s.push_str(" (named by a keyword)");
    }
    match f.instance_prefix() {
        Some("") => s.push_str(" (no instance prefix)"),
        Some(p) => s.push_str(&format!(" (instance prefix {p:?})")),
        None => {}
    }
    if let Some(e) = f.encoding() {
        s.push_str(&format!(" (encoded: {e})"));
    }
    if let Some(c) = f.commit() {
        s.push_str(&format!(" commit {}", short_commit(c)));
    }
    if let Some(v) = f.verification() {
        s.push_str(&format!(" [{}]", escape_control(&v.short())));
    }
    if let Some(r) = f.repository() {
        s.push_str(&format!(" repository {}", escape_control(r)));
    }
    if let Some(h) = f.history() {
        if h.occurrences > 1 {
            s.push_str(&format!(
                " ({} versions, last {})",
                h.occurrences,
                short_commit(&h.last_commit)
            ));
        }
        if h.still_in.is_empty() {
            s.push_str(" (history only)");
        } else {
            let names: Vec<&str> = h
                .still_in
                .iter()
                .map(|r| {
                    r.strip_prefix("refs/heads/")
                        .or_else(|| r.strip_prefix("refs/"))
                        .unwrap_or(r)
                })
                .collect();
            s.push_str(&format!(
                " (still in {})",
                escape_control(&names.join(", "))
            ));
        }
    }
    s
}

/// A `.burnkeyignore` line for `f`: the fingerprint, then a comment naming
/// the place. The name is escaped: a file named `"x\n*\n#"` must not add a
/// `*` line to the allowlist when this output is pasted into it.
pub fn fingerprint_line(f: &Finding) -> String {
    format!(
        "{}  # {}:{}:{} {} {}",
        f.fingerprint(),
        escape_control(&f.shown_path()),
        f.line,
        f.column,
        f.rule_id(),
        f.redacted()
    )
}

/// The one-line summary printed after a text report.
pub fn summary_line(stats: &Stats) -> String {
    let mut s = format!(
        "burnkey: {} finding{} in {} file{} ({}) in {:.2}s",
        stats.findings,
        if stats.findings == 1 { "" } else { "s" },
        stats.files_scanned,
        if stats.files_scanned == 1 { "" } else { "s" },
        human_bytes(stats.bytes_scanned),
        stats.elapsed_secs
    );
    let list = |counts: &mut dyn Iterator<Item = (&str, u64)>| {
        counts
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let skipped: u64 = stats.skipped.values().sum();
    if skipped > 0 {
        let names = &mut stats.skipped.iter().map(|(k, v)| (k.as_str(), *v));
        s.push_str(&format!("; skipped {skipped} ({})", list(names)));
    }
    let suppressed: u64 = stats.suppressed.values().sum();
    if suppressed > 0 {
        let names = &mut stats.suppressed.iter().map(|(k, v)| (k.as_str(), *v));
        s.push_str(&format!("; allowed {suppressed} ({})", list(names)));
    }
    if !stats.errors.is_empty() {
        s.push_str(&format!(
            "; {} unreadable{}",
            stats.errors.len(),
            if stats.errors.len() == 1 {
                ""
            } else {
                " (see above)"
            }
        ));
    }
    s
}

/// `1.5 MiB` and the like.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// `--format text`: a line a finding.
pub struct Text(pub ReportOptions);

impl super::printer::Printer for Text {
    fn streams(&self) -> bool {
        true
    }

    fn finding(&mut self, w: &mut dyn std::io::Write, f: &Finding) -> std::io::Result<()> {
        writeln!(w, "{}", text_line(f, self.0))
    }
}

/// `--print-fingerprints`: a `.burnkeyignore` line a finding.
pub struct Fingerprints;

impl super::printer::Printer for Fingerprints {
    fn streams(&self) -> bool {
        true
    }

    fn finding(&mut self, w: &mut dyn std::io::Write, f: &Finding) -> std::io::Result<()> {
        writeln!(w, "{}", fingerprint_line(f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape_control("plain/é.rs"), "plain/é.rs");
        assert_eq!(
            escape_control("x\n*\n#\x1b[31m\x07\r\u{9b}\\"),
            "x\\n*\\n#\\x1b[31m\\x07\\r\\u{9b}\\\\"
        );
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human_bytes(5), "5 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(3 << 30), "3.0 GiB");
    }

    #[test]
    fn summary_names_reasons_as_json_does() {
        let mut st = Stats::default();
        st.skip(crate::findings::stats::SkipReason::TooLarge);
        st.skip(crate::findings::stats::SkipReason::CharDevice);
        st.suppress(crate::findings::stats::SuppressReason::Inline);
        let line = summary_line(&st);
        assert!(
            line.contains("skipped 2 (char_device 1, too_large 1)"),
            "{line}"
        );
        assert!(line.contains("allowed 1 (inline 1)"), "{line}");
    }
}
