//! Where `burnkey scan` puts findings as the sources make them: text, JSON
//! lines, GitHub annotations and `--print-fingerprints` lines are written at
//! once (memory does not grow with findings; from stdin each one is flushed
//! as it is found); what JSON, SARIF, the job summary, the commit guidance
//! and revocation need is kept, a compact record per finding.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use crate::findings::finding::Finding;
use crate::findings::outcome::Sink;
use crate::report::{self, ReportOptions};

/// What is written as findings arrive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stream {
    Text,
    Jsonl,
    Github,
    Fingerprints,
}

/// The report's writer, shared by the workers.
pub(crate) type Writer = Box<dyn Write + Send>;

struct Streaming {
    w: Writer,
    kind: Option<Stream>,
    annotated: usize,
}

pub(crate) struct Output {
    out: Mutex<Streaming>,
    opts: ReportOptions,
    keep: Option<Mutex<Vec<Finding>>>,
    count: AtomicU64,
    flush_each: bool,
    stop: AtomicBool,
    error: Mutex<Option<io::Error>>,
}

impl Output {
    /// `kind`: what to stream (none for JSON and SARIF, written at the end);
    /// `keep`: whether findings are needed after the scan; `flush_each`:
    /// flush after every finding (a stream someone is watching).
    pub(crate) fn new(
        w: Writer,
        kind: Option<Stream>,
        opts: ReportOptions,
        keep: bool,
        flush_each: bool,
    ) -> Output {
        Output {
            out: Mutex::new(Streaming {
                w,
                kind,
                annotated: 0,
            }),
            opts,
            keep: keep.then(|| Mutex::new(Vec::new())),
            count: AtomicU64::new(0),
            flush_each,
            stop: AtomicBool::new(false),
            error: Mutex::new(None),
        }
    }

    fn write(&self, s: &mut Streaming, f: &Finding) -> io::Result<()> {
        match s.kind {
            None => return Ok(()),
            Some(Stream::Text) => writeln!(s.w, "{}", report::text::text_line(f, self.opts))?,
            Some(Stream::Jsonl) => report::json::write_line(&mut s.w, f, self.opts)?,
            Some(Stream::Github) => {
                if s.annotated < report::github::MAX_ANNOTATIONS {
                    writeln!(s.w, "{}", report::github::annotation(f, self.opts))?;
                    s.annotated += 1;
                }
            }
            Some(Stream::Fingerprints) => writeln!(s.w, "{}", report::text::fingerprint_line(f))?,
        }
        if self.flush_each {
            s.w.flush()?;
        }
        Ok(())
    }

    /// Findings made so far.
    pub(crate) fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// Ends the stream: the annotations' closing notice, a flush. Returns
    /// the writer (for a report written at the end), the kept findings and
    /// the first write error, if any.
    pub(crate) fn finish(self) -> (Writer, Vec<Finding>, Option<io::Error>) {
        let count = self.count();
        let mut s = self.out.into_inner().unwrap_or_else(|e| e.into_inner());
        let mut error = self.error.into_inner().unwrap_or_else(|e| e.into_inner());
        if error.is_none() {
            let res = (|| {
                if s.kind == Some(Stream::Github) {
                    report::github::write_notice(&mut s.w, count as usize)?;
                }
                s.w.flush()
            })();
            error = res.err();
        }
        let kept = self
            .keep
            .map(|k| k.into_inner().unwrap_or_else(|e| e.into_inner()))
            .unwrap_or_default();
        (s.w, kept, error)
    }
}

impl Sink for Output {
    fn finding(&self, f: Finding) {
        self.count.fetch_add(1, Ordering::Relaxed);
        if !self.stop.load(Ordering::Relaxed) {
            let mut s = self.out.lock().unwrap_or_else(|e| e.into_inner());
            if let Err(e) = self.write(&mut s, &f) {
                // The reader is gone (or the disk is full): stop scanning;
                // the exit status still says what was found.
                self.stop.store(true, Ordering::Relaxed);
                self.error
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get_or_insert(e);
            }
        }
        if let Some(k) = &self.keep {
            k.lock().unwrap_or_else(|e| e.into_inner()).push(f);
        }
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}
