//! GitHub Actions workflow commands: `::error` annotations for the first
//! findings, a notice for the rest.

use std::io::{self, Write};

use super::options::ReportOptions;
use super::remedy::{short_commit, ALLOW_TEXT, ROTATE};
use crate::findings::finding::Finding;

/// GitHub shows at most this many error annotations per step.
pub const MAX_ANNOTATIONS: usize = 10;

/// After `total` findings: a notice for those past [`MAX_ANNOTATIONS`].
pub fn write_notice(w: &mut dyn Write, total: usize) -> io::Result<()> {
    if total > MAX_ANNOTATIONS {
        writeln!(
            w,
            "::notice title=burnkey::{} more findings are not annotated (GitHub shows 10 per step): see the job summary and the SARIF report.",
            total - MAX_ANNOTATIONS
        )?;
    }
    Ok(())
}

/// Escapes a workflow-command message: `%`, CR, LF as the runner decodes
/// them, and every other control character (ESC, BEL, …) visibly, so that
/// a file name cannot drive the log viewer.
pub fn escape_data(s: &str) -> String {
    let s = s
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    super::text::escape_control(&s).into_owned()
}

/// Escapes a workflow-command property: the message escapes plus `:` and `,`.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// `::error file=…,line=…,col=…,endColumn=…,title=…::message` for a finding
/// (`::warning` for one that is not sure: keyword-anchored, or a wrong
/// checksum, as SARIF's level says).
pub fn annotation(f: &Finding, opts: ReportOptions) -> String {
    let token = opts.token(f);
    let mut msg = format!(
        "{} {} (checksum {}).",
        f.rule_name(),
        token,
        f.checksum.as_str()
    );
    if let Some(c) = f.commit() {
        msg.push_str(&format!(" Introduced in commit {}.", short_commit(c)));
    }
    if let Some(m) = f.member() {
        msg.push_str(&format!(" In archive member {m}, line {}.", f.line));
    }
    if let Some(e) = f.encoding() {
        msg.push_str(&format!(" Encoded: {e}."));
    }
    if let Some(v) = f.verification() {
        msg.push_str(&format!(" Verified: {}.", v.short()));
    }
    msg.push_str(&format!(" {ROTATE} {ALLOW_TEXT}"));
    let level = if f.confidence() == crate::rules::Confidence::High {
        "error"
    } else {
        "warning"
    };
    // Lines inside an archive's member are not the archive's: the
    // annotation names the file alone.
    let at = match f.member() {
        Some(_) => String::new(),
        None => format!(
            ",line={},col={},endColumn={}",
            f.line, f.column, f.end_column
        ),
    };
    format!(
        "::{level} file={}{at},title={}::{}",
        escape_property(f.path()),
        escape_property(&format!("Leaked {}", f.rule_name())),
        escape_data(&msg)
    )
}

/// `--format github`: an annotation a finding up to
/// [`MAX_ANNOTATIONS`], then a notice for the rest.
pub struct Github {
    opts: ReportOptions,
    annotated: usize,
}

impl Github {
    /// A printer with `opts`.
    pub fn new(opts: ReportOptions) -> Github {
        Github { opts, annotated: 0 }
    }
}

impl super::printer::Printer for Github {
    fn streams(&self) -> bool {
        true
    }

    fn finding(&mut self, w: &mut dyn Write, f: &Finding) -> io::Result<()> {
        if self.annotated < MAX_ANNOTATIONS {
            writeln!(w, "{}", annotation(f, self.opts))?;
            self.annotated += 1;
        }
        Ok(())
    }

    fn end(&mut self, w: &mut dyn Write, count: u64) -> io::Result<()> {
        write_notice(w, count as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_command_escaping() {
        assert_eq!(escape_data("50% a\r\nb: c, d"), "50%25 a%0D%0Ab: c, d");
        assert_eq!(escape_property("a,b:c%d\ne"), "a%2Cb%3Ac%25d%0Ae");
        assert_eq!(escape_data("a\x1b[2Jb\x07"), "a\\x1b[2Jb\\x07");
    }
}
