//! The tree's read floor: what reading every file of a tree costs with no
//! search at all, for `benches/compare.sh` to time beside burnkey and
//! ripgrep in the same run (as `benches/git-history.sh` times git's floor).
//!
//! One thread per core, sharing a stack of folders; each file is opened,
//! read to its end into a reused 256 KiB buffer, and closed: the system
//! calls both scanners make, nothing more (no ignore files, no matching).
//! Hidden entries are left out, as the corpus leaves them out. Prints the
//! files and bytes read.
//!
//! `cargo bench --bench read_floor -- DIR` (compare.sh runs the built binary).
//! With no DIR, as `cargo test --all-targets` runs it, it checks itself: on
//! this crate's own sources, it must read every file a plain recursive walk
//! finds, every byte.

use std::fs::File;
use std::io::Read;
use std::path::PathBuf;
use std::sync::{Condvar, Mutex};

/// Folders still to list, and how many threads are listing one.
struct Queue {
    state: Mutex<(Vec<PathBuf>, usize)>,
    ready: Condvar,
}

impl Queue {
    /// The next folder, or `None` once every folder has been listed.
    fn pop(&self) -> Option<PathBuf> {
        let mut s = self.state.lock().unwrap();
        loop {
            if let Some(dir) = s.0.pop() {
                s.1 += 1;
                return Some(dir);
            }
            if s.1 == 0 {
                self.ready.notify_all();
                return None;
            }
            s = self.ready.wait(s).unwrap();
        }
    }

    /// `dirs` found in a folder, which is done.
    fn done(&self, dirs: Vec<PathBuf>) {
        let mut s = self.state.lock().unwrap();
        s.0.extend(dirs);
        s.1 -= 1;
        self.ready.notify_all();
    }
}

fn worker(q: &Queue) -> (u64, u64) {
    let (mut files, mut bytes) = (0u64, 0u64);
    let mut buf = vec![0u8; 256 * 1024];
    while let Some(dir) = q.pop() {
        let mut dirs = Vec::new();
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            if e.file_name().as_encoded_bytes().starts_with(b".") {
                continue;
            }
            match e.file_type() {
                Ok(t) if t.is_dir() => dirs.push(e.path()),
                Ok(t) if t.is_file() => {
                    let Ok(mut f) = File::open(e.path()) else {
                        continue;
                    };
                    while let Ok(n @ 1..) = f.read(&mut buf) {
                        bytes += n as u64;
                    }
                    files += 1;
                }
                _ => {}
            }
        }
        q.done(dirs);
    }
    (files, bytes)
}

/// Reads every file below `root`, one thread per core: (files, bytes).
fn read_all(root: PathBuf) -> (u64, u64) {
    let q = Queue {
        state: Mutex::new((vec![root], 0)),
        ready: Condvar::new(),
    };
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads).map(|_| s.spawn(|| worker(&q))).collect();
        hs.into_iter()
            .map(|h| h.join().unwrap())
            .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
    })
}

/// What a plain recursive walk finds below `dir`: (files, bytes).
fn expected(dir: &std::path::Path) -> (u64, u64) {
    let mut got = (0, 0);
    for e in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
        let md = std::fs::symlink_metadata(e.path()).unwrap();
        if e.file_name().as_encoded_bytes().starts_with(b".") {
            continue;
        } else if md.is_dir() {
            let (f, b) = expected(&e.path());
            got = (got.0 + f, got.1 + b);
        } else if md.is_file() {
            got = (got.0 + 1, got.1 + md.len());
        }
    }
    got
}

fn main() {
    match std::env::args().skip(1).find(|a| a != "--bench") {
        Some(root) => {
            let (files, bytes) = read_all(PathBuf::from(root));
            println!("{files} files, {bytes} bytes");
        }
        None => {
            let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
            let want = expected(&src);
            assert!(want.0 > 10, "{want:?}");
            assert_eq!(read_all(src), want, "the floor skipped files or bytes");
        }
    }
}
