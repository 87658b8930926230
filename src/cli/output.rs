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
use crate::report::Printer;

/// The report's writer, shared by the workers.
pub(crate) type Writer = Box<dyn Write + Send>;

struct Streaming {
    w: Writer,
    printer: Option<Box<dyn Printer>>,
}

pub(crate) struct Output {
    out: Mutex<Streaming>,
    keep: Option<Mutex<Vec<Finding>>>,
    count: AtomicU64,
    flush_each: bool,
    stop: AtomicBool,
    error: Mutex<Option<io::Error>>,
}

impl Output {
    /// `printer`: the streaming format's (none for a document, written at
    /// the end); `keep`: whether findings are needed after the scan;
    /// `flush_each`: flush after every finding (a stream someone is
    /// watching).
    pub(crate) fn new(
        w: Writer,
        printer: Option<Box<dyn Printer>>,
        keep: bool,
        flush_each: bool,
    ) -> Output {
        Output {
            out: Mutex::new(Streaming { w, printer }),
            keep: keep.then(|| Mutex::new(Vec::new())),
            count: AtomicU64::new(0),
            flush_each,
            stop: AtomicBool::new(false),
            error: Mutex::new(None),
        }
    }

    fn write(&self, s: &mut Streaming, f: &Finding) -> io::Result<()> {
        let Some(p) = &mut s.printer else {
            return Ok(());
        };
        p.finding(&mut s.w, f)?;
        if self.flush_each {
            s.w.flush()?;
        }
        Ok(())
    }

    /// Findings made so far.
    pub(crate) fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// Ends the stream: what closes it (GitHub's notice), a flush. Returns
    /// the writer (for a report written at the end), the kept findings and
    /// the first write error, if any.
    pub(crate) fn finish(self) -> (Writer, Vec<Finding>, Option<io::Error>) {
        let count = self.count();
        let mut s = self.out.into_inner().unwrap_or_else(|e| e.into_inner());
        let mut error = self.error.into_inner().unwrap_or_else(|e| e.into_inner());
        if error.is_none() {
            let res = (|| {
                if let Some(p) = &mut s.printer {
                    p.end(&mut s.w, count)?;
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
