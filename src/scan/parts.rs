//! A large file in parts, side by side: split at line starts, each part
//! streamed by its own thread with positioned reads and its own buffer, the
//! context around it read too, so that each part gives exactly the matches
//! a single pass gives there; line numbers are shifted by the newlines of
//! the parts before.

use std::fs::File;
use std::io::{self, Read};

use crate::scan::mapped::Mapped;
use crate::scan::{is_binary, Match, Opts, Part, Scanner, StreamBuffer, BINARY_HEAD};

/// Matches a part of a large file holds while the parts before it are
/// scanned; past this, the part is scanned again in its turn.
pub(crate) const PARALLEL_HELD: usize = 100_000;

/// Reads `file` from `pos` to `end` by positioned reads (threads share the
/// file); `stop`, when set, ends it early.
pub(crate) struct At<'f> {
    pub file: &'f File,
    pub pos: u64,
    pub end: u64,
    pub stop: Option<&'f std::cell::Cell<bool>>,
}

impl Read for At<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use std::os::unix::fs::FileExt;
        if self.stop.is_some_and(|s| s.get()) || self.pos >= self.end {
            return Ok(0);
        }
        let want = buf.len().min((self.end - self.pos) as usize);
        let n = self.file.read_at(&mut buf[..want], self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// Where to split a file of `len` bytes into about `parts` parts: just
/// after a newline near each even split (within 1 MiB after it; none
/// there, no split). Returns the bounds, 0 first and `len` last.
fn split_at_lines(file: &File, len: u64, parts: usize) -> io::Result<Vec<u64>> {
    use std::os::unix::fs::FileExt;
    let mut bounds = vec![0u64];
    let mut probe = vec![0u8; 1 << 20];
    for k in 1..parts as u64 {
        let at = len / parts as u64 * k;
        if at <= *bounds.last().expect("0") {
            continue;
        }
        let n = file.read_at(&mut probe, at)?;
        if let Some(i) = memchr::memchr(b'\n', &probe[..n]) {
            let b = at + i as u64 + 1;
            if b < len {
                bounds.push(b);
            }
        }
    }
    bounds.push(len);
    Ok(bounds)
}

/// A large file split at line starts, each part scanned with the context
/// around it.
struct Parts<'a> {
    scanner: &'a Scanner,
    file: &'a File,
    len: u64,
    bounds: Vec<u64>,
    /// Context kept before and after a part.
    keeps: (usize, usize),
    binary: bool,
    /// The file mapped, when it could be: parts are searched where they
    /// lie; else read.
    mapped: Option<Mapped>,
    read_size: usize,
}

impl Parts<'_> {
    /// Scans part `k` (with `sb` when it is read), giving `g` its matches
    /// until it says no; returns the part's newlines and whether `g` said
    /// no.
    fn scan(
        &self,
        k: usize,
        sb: &mut StreamBuffer,
        g: &mut dyn FnMut(Match) -> bool,
    ) -> io::Result<(u64, bool)> {
        let (before, after) = self.keeps;
        let (s, e) = (self.bounds[k], self.bounds[k + 1]);
        let r0 = s.saturating_sub(before as u64);
        let mut part = Part {
            report: s - r0..e - r0,
            newlines: 0,
        };
        let end = (e + after as u64).min(self.len);
        if let Some(m) = &self.mapped {
            let data = &m.bytes()[r0 as usize..end as usize];
            let step = (self.binary, self.read_size);
            let go_on = self
                .scanner
                .scan_part_in_memory(data, &mut part, step, |mut m| {
                    m.offset += r0;
                    g(m)
                });
            return Ok((part.newlines, !go_on));
        }
        let stop = std::cell::Cell::new(false);
        let mut reader = At {
            file: self.file,
            pos: r0,
            end,
            stop: Some(&stop),
        };
        let opts = Opts {
            size: Some(end - r0),
            part: Some(&mut part),
            binary: Some(self.binary),
            ..Opts::default()
        };
        self.scanner.stream(&mut reader, sb, opts, |mut m| {
            m.offset += r0;
            if !stop.get() && !g(m) {
                stop.set(true);
            }
        })?;
        Ok((part.newlines, stop.get()))
    }
}

impl Scanner {
    /// Scans a large file of `len` bytes in `parts` parts side by side,
    /// split at line starts, each by its own thread (mapped, or read with
    /// positioned reads and its own buffer) with its own line count; calls
    /// `f` with every match in file order. The first part's matches go to
    /// `f` as they are found; the others' wait for it, up to `held` each (a
    /// part with more is scanned again, in turn, once the parts before it
    /// are done), so memory stays bounded ([`PARALLEL_HELD`]). `map`: try
    /// mapping it first. Returns the bytes scanned.
    pub(crate) fn scan_file_parallel(
        &self,
        file: &File,
        len: u64,
        (parts, held, map): (usize, usize, bool),
        read_size: usize,
        mut f: impl FnMut(Match),
    ) -> io::Result<u64> {
        // Binary or not is the file's, as its first bytes say.
        let mut head = [0u8; BINARY_HEAD];
        let n = std::os::unix::fs::FileExt::read_at(file, &mut head, 0)?;
        let p = Parts {
            scanner: self,
            file,
            len,
            bounds: split_at_lines(file, len, parts)?,
            keeps: self.keeps(),
            binary: is_binary(&head[..n]),
            mapped: map.then(|| Mapped::new(file, len)).flatten(),
            read_size,
        };
        let p = &p;
        std::thread::scope(|scope| {
            let held: Vec<_> = (1..p.bounds.len() - 1)
                .map(|k| {
                    scope.spawn(move || {
                        let mut sb = StreamBuffer::new(read_size);
                        let mut got = Vec::new();
                        let res = p.scan(k, &mut sb, &mut |m| {
                            got.push(m);
                            got.len() < held
                        });
                        (res, got)
                    })
                })
                .collect();
            let mut sb = StreamBuffer::new(read_size);
            let (mut lines_before, _) = p.scan(0, &mut sb, &mut |m| {
                f(m);
                true
            })?;
            for (i, h) in held.into_iter().enumerate() {
                let (res, got) = h
                    .join()
                    .map_err(|_| io::Error::other("a scan thread panicked"))?;
                let (mut newlines, overflowed) = res?;
                let shift = |mut m: Match| {
                    m.line += lines_before;
                    m
                };
                if overflowed {
                    // Too many to hold: this part again, delivered as found.
                    newlines = p
                        .scan(i + 1, &mut sb, &mut |m| {
                            f(shift(m));
                            true
                        })?
                        .0;
                } else {
                    got.into_iter().for_each(|m| f(shift(m)));
                }
                lines_before += newlines;
            }
            match p.mapped.as_ref().is_some_and(Mapped::truncated) {
                true => Err(io::Error::other("the file was truncated while it was read")),
                false => Ok(len),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;
    use crate::scan::config::DEFAULT_READ_SIZE;
    use crate::token::format::FormatSet;

    fn mint(kind: &str) -> String {
        FormatSet::builtin().by_name(kind).unwrap().mint().unwrap()
    }

    fn b64(data: &[u8]) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(data)
    }

    #[test]
    fn a_large_file_in_parts_gives_what_one_pass_gives() {
        let s = Scanner::new(RuleSet::builtin());
        // Lines of noise; tokens, keyword contexts, base64 and escapes at
        // every distance from wherever the splits fall.
        let mut data = Vec::new();
        let mut x: u32 = 5;
        let key = "cc6577428c2f6d6bc64e5a22fac180d6b2e6e"; // burnkey:allow
        for i in 0..4000 {
            x = x.wrapping_mul(1664525).wrapping_add(1013904223);
            let n = (x >> 22) as usize;
            data.extend(std::iter::repeat_n(b"ab c\xc3\xa9x"[i % 7], n % 300));
            data.push(b'\n');
            match i % 9 {
                0 => data.extend_from_slice(mint("cfut").as_bytes()),
                1 => data.extend_from_slice(format!("X-Auth-Key: {key}").as_bytes()),
                2 => data
                    .extend_from_slice(b64(format!("T={}\n", mint("ghp")).as_bytes()).as_bytes()),
                3 => data.extend_from_slice(mint("cfat").replacen('_', "%5F", 1).as_bytes()),
                _ => {}
            }
            data.push(b'\n');
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        std::fs::write(&path, &data).unwrap();
        let file = File::open(&path).unwrap();
        let mut whole = Vec::new();
        s.scan_file(&file, &mut StreamBuffer::default(), |m| whole.push(m))
            .unwrap();
        assert!(whole.len() > 1500);
        for parts in [2, 3, 7] {
            for read_size in [4096, DEFAULT_READ_SIZE] {
                // Held, and (past 10) scanned again in turn; mapped and
                // read.
                for (held, map) in [
                    (PARALLEL_HELD, true),
                    (10, true),
                    (PARALLEL_HELD, false),
                    (10, false),
                ] {
                    let mut got = Vec::new();
                    let len = data.len() as u64;
                    let n = s
                        .scan_file_parallel(&file, len, (parts, held, map), read_size, |m| {
                            got.push(m)
                        })
                        .unwrap();
                    assert_eq!(n, len);
                    assert_eq!(
                        got, whole,
                        "{parts} parts, reads of {read_size}, {held} held, mapped {map}"
                    );
                }
            }
        }
    }
}
