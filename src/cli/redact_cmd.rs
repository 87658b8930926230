//! `burnkey redact`: files or stdin to stdout with their tokens masked, or
//! files rewritten in place.
//!
//! Exit status: 0, or 1 with `--fail-on-findings` when a token was masked;
//! 2 when an input could not be read or written (the others are still
//! done, and what could be read of it is written).

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::findings::finding::{Finding, Location, Place};
use crate::findings::stats::Stats;
use crate::fsutil::{create_output, replace_output};
use crate::redact::{Mask, Redactor};
use crate::report::text::escape_control;
use crate::report::ReportOptions;
use crate::{Confidence, Match, RuleSet, Scanner, ScannerBuilder};

use super::args::{Exit, RedactArgs};

/// Bytes read at a time (a pipe hands over what it has, and that is passed
/// on at once). Larger reads measured slower: the read and the scan then
/// no longer share the cache.
const READ: usize = 64 * 1024;

pub(crate) fn run(a: RedactArgs) -> anyhow::Result<Exit> {
    let min = a.min_confidence.unwrap_or(Confidence::Medium);
    let rules = RuleSet::with_files(&a.rules)?.at_least(min.max(Confidence::Medium));
    let scanner = ScannerBuilder::new()
        .report_invalid(a.shapes)
        .wrong_case(min <= Confidence::Medium)
        .decode_depth(if a.no_decode { 0 } else { a.max_decode_depth })
        .build(rules);
    let mask = match &a.mask {
        Some(t) => Mask::template(t).map_err(anyhow::Error::msg)?,
        None => Mask::Stars,
    };
    let stdin = Path::new("-");
    let inputs: Vec<&Path> = if a.files.is_empty() {
        vec![stdin]
    } else {
        a.files.iter().map(PathBuf::as_path).collect()
    };
    if a.in_place && inputs.contains(&stdin) {
        anyhow::bail!("--in-place rewrites files: name them (stdin has nowhere to go back to)");
    }
    // Open the report first: a destination that cannot be written is named
    // before anything is read.
    let mut report = match &a.report {
        Some(p) => Some((
            p,
            // Findings hold token hashes: 0600.
            BufWriter::new(
                create_output(p, false)
                    .with_context(|| format!("cannot write the report to {}", p.display()))?,
            ),
        )),
        None => None,
    };
    let job = Job {
        scanner: &scanner,
        mask: &mask,
        keep: report.is_some(),
        threads: match a.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        },
    };
    let mut stats = Stats::default();
    let mut findings = Vec::new();
    let mut stdout = io::stdout().lock();
    for path in inputs {
        let shown = escape_control(&crate::findings::finding::display_path(path)).into_owned();
        let done = if a.in_place {
            job.in_place(path)
        } else if path == stdin {
            job.stream(&mut Stdin::new(), &mut stdout)
        } else {
            match open(path) {
                Ok(mut f) => job.stream(&mut f, &mut stdout),
                Err(e) => Err(e),
            }
        };
        match done {
            Ok(d) => {
                stats.files_scanned += 1;
                stats.bytes_scanned += d.bytes;
                stats.findings += d.count;
                let location = if path == stdin {
                    Location::Stdin
                } else {
                    Location::File {
                        path: path.to_path_buf(),
                    }
                };
                let key = location.raw_path().unwrap_or(b"-").to_vec();
                let mut place = Place::new(location, key);
                for m in &d.matches {
                    findings.push(place.finding(scanner.rules().rules()[m.rule].clone(), m));
                }
            }
            // Output that cannot be written ends the run (a closed pipe is
            // no failure: `main` says so).
            Err(Failed::Output(e)) => return Err(e.into()),
            Err(Failed::Input(e)) => {
                eprintln!("burnkey: {shown}: {}", escape_control(&e.to_string()));
                stats.errors.push(crate::findings::stats::ScanError {
                    path: shown,
                    message: e.to_string(),
                });
            }
        }
    }
    if let Some((p, w)) = &mut report {
        write_report(w, &findings, &stats)
            .with_context(|| format!("cannot write the report to {}", p.display()))?;
    }
    Ok(if !stats.errors.is_empty() {
        Exit::Error
    } else if a.fail_on_findings && stats.findings > 0 {
        Exit::Found
    } else {
        Exit::Ok
    })
}

/// Opens an input: a file, a pipe or a device, not a directory.
fn open(path: &Path) -> Result<File, Failed> {
    let f = File::open(path).map_err(Failed::Input)?;
    if f.metadata().map_err(Failed::Input)?.is_dir() {
        return Err(Failed::Input(io::Error::other("is a directory")));
    }
    Ok(f)
}

/// What went wrong with one input: reading it (the run goes on), or
/// writing the output (the run ends).
enum Failed {
    Input(io::Error),
    Output(io::Error),
}

/// What one input gave.
struct Done {
    bytes: u64,
    count: u64,
    matches: Vec<Match>,
}

struct Job<'a> {
    scanner: &'a Scanner,
    mask: &'a Mask,
    keep: bool,
    /// Threads that scan a large file's blocks.
    threads: usize,
}

impl Job<'_> {
    /// Redacts `input` into `out`, passing on what each read settles
    /// (read straight into the scanner's buffer); a regular file in
    /// blocks side by side. What was read before a read error is still
    /// passed on, then the error named.
    fn stream(&self, input: &mut dyn Input, out: &mut dyn Write) -> Result<Done, Failed> {
        let mut out = Watch {
            inner: out,
            failed: false,
        };
        let mut input = Noting {
            inner: input,
            error: None,
        };
        let mut r = Redactor::new(self.scanner, &mut out)
            .mask(self.mask.clone())
            .keep_matches(self.keep);
        let res = (|| {
            let bytes = match input.inner.regular() {
                Some((file, len)) => {
                    let n = r.file(file, len, self.threads)?;
                    input.inner.done(n);
                    n
                }
                None => {
                    let mut bytes = 0u64;
                    loop {
                        let n = r.read_from(&mut input, READ)?;
                        if n == 0 {
                            break bytes;
                        }
                        bytes += n as u64;
                        // Someone may be watching: what is settled shows now.
                        r.flush()?;
                    }
                }
            };
            r.close()?;
            let (count, matches) = (r.count(), r.matches().to_vec());
            Ok(Done {
                bytes,
                count,
                matches,
            })
        })();
        drop(r);
        match (res, input.error) {
            (Err(e), _) if out.failed => Err(Failed::Output(e)),
            (Err(e), _) | (Ok(_), Some(e)) => Err(Failed::Input(e)),
            (Ok(d), None) => Ok(d),
        }
    }

    /// Rewrites the file at `path` with its tokens masked: a temporary
    /// file beside it, renamed over it. A file without tokens is left
    /// alone; a kill leaves the old file or the new, never a mix.
    fn in_place(&self, path: &Path) -> Result<Done, Failed> {
        let mut input = open(path)?;
        if !input.metadata().map_err(Failed::Input)?.is_file() {
            return Err(Failed::Input(io::Error::other(
                "not a regular file: --in-place rewrites files only",
            )));
        }
        let mut done = None;
        let mut read_error = None;
        replace_output(path, None, |tmp| {
            let mut out = BufWriter::with_capacity(READ, tmp);
            match self.stream(&mut input, &mut out) {
                Ok(d) => {
                    out.flush()?;
                    let changed = d.count > 0;
                    done = Some(d);
                    Ok(changed)
                }
                Err(Failed::Output(e)) => Err(e),
                Err(Failed::Input(e)) => {
                    read_error = Some(e);
                    Ok(false)
                }
            }
        })
        .map_err(Failed::Input)?;
        match (done, read_error) {
            (Some(d), None) => Ok(d),
            (_, Some(e)) => Err(Failed::Input(e)),
            (None, None) => unreachable!("the writer ran"),
        }
    }
}

/// A reader whose error ends the data, and is kept to be named.
struct Noting<'a> {
    inner: &'a mut dyn Input,
    error: Option<io::Error>,
}

/// What is read: a regular file is read in blocks side by side.
trait Input: Read {
    /// The file and its size, for a regular file.
    fn regular(&self) -> Option<(&File, u64)> {
        None
    }

    /// Called when [`Input::regular`]'s file was read, `bytes` of it.
    fn done(&mut self, _bytes: u64) {}
}

/// Standard input; when it is a regular file read from its start (`<
/// FILE`), that file, read in blocks side by side like a named one.
struct Stdin {
    lock: io::StdinLock<'static>,
    /// File descriptor 0 as a file, never closed here.
    file: std::mem::ManuallyDrop<File>,
}

impl Stdin {
    fn new() -> Stdin {
        use std::os::unix::io::FromRawFd;
        Stdin {
            lock: io::stdin().lock(),
            // SAFETY: fd 0 is open for the life of the process, and the
            // ManuallyDrop never closes it.
            file: std::mem::ManuallyDrop::new(unsafe { File::from_raw_fd(0) }),
        }
    }
}

impl Read for Stdin {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.lock.read(buf)
    }
}

impl Input for Stdin {
    fn regular(&self) -> Option<(&File, u64)> {
        use std::io::Seek;
        let m = self.file.metadata().ok()?;
        // A file someone has read from already (`(head -1; burnkey redact)
        // < f`) is read on from where they stopped, as a stream.
        let at = (&*self.file).stream_position().ok()?;
        (m.is_file() && at == 0).then_some((&*self.file, m.len()))
    }

    fn done(&mut self, bytes: u64) {
        use std::io::{Seek, SeekFrom};
        // Read with positioned reads: leave the offset where a read to the
        // end would have, for whoever shares it.
        let _ = (&*self.file).seek(SeekFrom::Start(bytes));
    }
}

impl Input for File {
    fn regular(&self) -> Option<(&File, u64)> {
        let m = self.metadata().ok()?;
        m.is_file().then_some((self, m.len()))
    }
}

/// A writer that says whether it failed: errors of a run that it did not
/// see are the input's.
struct Watch<'a> {
    inner: &'a mut dyn Write,
    failed: bool,
}

impl Write for Watch<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let r = self.inner.write(buf);
        self.failed |= r.is_err();
        r
    }

    fn flush(&mut self) -> io::Result<()> {
        let r = self.inner.flush();
        self.failed |= r.is_err();
        r
    }
}

impl Read for Noting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.inner.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.error = Some(e);
                    return Ok(0);
                }
                ok => return ok,
            }
        }
    }
}

/// The report: `{"findings": [...], "stats": {...}}` as `scan --format
/// json` writes it, without tokens.
fn write_report(w: &mut dyn Write, findings: &[Finding], stats: &Stats) -> io::Result<()> {
    crate::report::json::write_document(w, findings, stats, ReportOptions::default(), &[])?;
    w.flush()
}
