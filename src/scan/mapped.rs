//! A large file mapped in memory, searched where it lies instead of being
//! copied out of the page cache into a buffer (on one 1 GiB file the copy
//! was 40% of the scan's CPU).
//!
//! A file truncated while it is mapped raises SIGBUS on the pages past its
//! new end, which must never kill a scan. While a mapping is registered, a
//! handler for SIGBUS maps zeros over the page that faulted in it (the
//! access is retried and reads zeros, which hold no token) and marks the
//! mapping truncated; its owner reports that as an error once the scan of
//! it is over. A fault anywhere else goes to the handler that was there
//! before (std's stack-overflow report), or to the default action.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};
use std::sync::Once;

/// Mappings that may be live at once (a big file per scanning thread);
/// past this, files are read instead.
const SLOTS: usize = 64;

/// A registered mapping: `start..end` in memory, and whether a page of it
/// faulted.
struct Slot {
    start: AtomicUsize,
    end: AtomicUsize,
    truncated: AtomicBool,
}

#[allow(clippy::declare_interior_mutable_const)]
const EMPTY: Slot = Slot {
    start: AtomicUsize::new(0),
    end: AtomicUsize::new(0),
    truncated: AtomicBool::new(false),
};

static REGISTERED: [Slot; SLOTS] = [EMPTY; SLOTS];
static PAGE: AtomicUsize = AtomicUsize::new(4096);
/// The SIGBUS action there was before ours.
static PREVIOUS: AtomicPtr<libc::sigaction> = AtomicPtr::new(std::ptr::null_mut());
static INSTALL: Once = Once::new();
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// The handler: only atomics and `mmap`, which are safe in a handler.
extern "C" fn on_sigbus(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo to an SA_SIGINFO handler.
    let addr = unsafe { (*info).si_addr() } as usize;
    let page = PAGE.load(Ordering::Relaxed);
    for s in &REGISTERED {
        let (start, end) = (
            s.start.load(Ordering::Acquire),
            s.end.load(Ordering::Acquire),
        );
        if start <= addr && addr < end {
            // SAFETY: the page is inside a mapping of ours, which nothing
            // else uses; replacing it with zeros is what we want.
            let p = unsafe {
                libc::mmap(
                    (addr & !(page - 1)) as *mut libc::c_void,
                    page,
                    libc::PROT_READ,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                    -1,
                    0,
                )
            };
            if p != libc::MAP_FAILED {
                s.truncated.store(true, Ordering::Release);
                return;
            }
        }
    }
    let prev = PREVIOUS.load(Ordering::Acquire);
    // SAFETY: set once, before the handler was installed, never freed.
    if let Some(prev) = unsafe { prev.as_ref() } {
        let h = prev.sa_sigaction;
        if h != libc::SIG_DFL && h != libc::SIG_IGN {
            if prev.sa_flags & libc::SA_SIGINFO != 0 {
                // SAFETY: an SA_SIGINFO handler has this signature.
                let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                    unsafe { std::mem::transmute(h) };
                return f(sig, info, ctx);
            }
            // SAFETY: a plain handler has this signature.
            let f: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(h) };
            return f(sig);
        }
    }
    // The default action: the access faults again, and the process ends.
    // SAFETY: resetting a disposition is allowed in a handler.
    unsafe { libc::signal(libc::SIGBUS, libc::SIG_DFL) };
}

fn install() -> bool {
    INSTALL.call_once(|| {
        // SAFETY: sysconf has no preconditions; sigaction is given valid
        // structures, and the old action is kept for ever.
        unsafe {
            let page = libc::sysconf(libc::_SC_PAGESIZE);
            if page > 0 {
                PAGE.store(page as usize, Ordering::Relaxed);
            }
            let mut new: libc::sigaction = std::mem::zeroed();
            new.sa_sigaction = on_sigbus as *const () as usize;
            new.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            libc::sigemptyset(&mut new.sa_mask);
            let old = Box::into_raw(Box::new(std::mem::zeroed::<libc::sigaction>()));
            if libc::sigaction(libc::SIGBUS, std::ptr::null(), old) == 0 {
                PREVIOUS.store(old, Ordering::Release);
                if libc::sigaction(libc::SIGBUS, &new, std::ptr::null_mut()) == 0 {
                    INSTALLED.store(true, Ordering::Release);
                }
            }
        }
    });
    INSTALLED.load(Ordering::Acquire)
}

/// A file mapped read-only, guarded against truncation while mapped.
pub(crate) struct Mapped {
    ptr: *mut libc::c_void,
    len: usize,
    slot: &'static Slot,
}

// SAFETY: the mapping is read-only and owned; sharing it between threads
// only reads it.
unsafe impl Send for Mapped {}
// SAFETY: as above.
unsafe impl Sync for Mapped {}

impl Mapped {
    /// Maps the first `len` bytes of `file`; `None` where it cannot be
    /// (then the file is read as before).
    pub(crate) fn new(file: &File, len: u64) -> Option<Mapped> {
        let len = usize::try_from(len).ok().filter(|&l| l > 0)?;
        if !install() {
            return None;
        }
        // SAFETY: a fresh private read-only mapping of an open file; the
        // kernel picks the address.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return None;
        }
        let start = ptr as usize;
        let claimed = REGISTERED.iter().find(|s| {
            s.start
                .compare_exchange(0, start, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
        });
        let Some(slot) = claimed else {
            // SAFETY: unmapping what was just mapped, never read.
            unsafe { libc::munmap(ptr, len) };
            return None;
        };
        slot.truncated.store(false, Ordering::Release);
        slot.end.store(start + len, Ordering::Release);
        // SAFETY: advice on our own mapping: read in order, and ahead. (The
        // advice values are not flags: each takes its own call.)
        unsafe {
            libc::madvise(ptr, len, libc::MADV_SEQUENTIAL);
            libc::madvise(ptr, len, libc::MADV_WILLNEED);
        }
        Some(Mapped { ptr, len, slot })
    }

    /// The file's bytes (zeros where it was truncated meanwhile).
    pub(crate) fn bytes(&self) -> &[u8] {
        // SAFETY: `len` readable bytes from `ptr` while `self` lives; a
        // page past a truncation reads zeros (see the module's doc).
        unsafe { std::slice::from_raw_parts(self.ptr as *const u8, self.len) }
    }

    /// Whether the file was truncated while mapped: part of what was read
    /// is zeros, not the file.
    pub(crate) fn truncated(&self) -> bool {
        self.slot.truncated.load(Ordering::Acquire)
    }
}

impl Drop for Mapped {
    fn drop(&mut self) {
        // Unregistered first: the range may be reused by the next mapping.
        self.slot.end.store(0, Ordering::Release);
        self.slot.start.store(0, Ordering::Release);
        // SAFETY: our mapping, no longer borrowed.
        unsafe { libc::munmap(self.ptr, self.len) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A file cut short while mapped reads zeros past its new end, and
    /// says so; the process lives.
    #[test]
    fn truncation_while_mapped_reads_zeros_and_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let mut f = File::create(&path).unwrap();
        let data: Vec<u8> = (0..3 * 65536u32).map(|i| b'a' + (i % 26) as u8).collect();
        f.write_all(&data).unwrap();
        let f = File::open(&path).unwrap();
        let m = Mapped::new(&f, data.len() as u64).unwrap();
        assert_eq!(m.bytes(), &data[..]);
        assert!(!m.truncated());
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(65536)
            .unwrap();
        let tail: u64 = m.bytes()[65536..].iter().map(|&b| b as u64).sum();
        assert_eq!(tail, 0, "past the new end: zeros");
        assert_eq!(&m.bytes()[..65536], &data[..65536]);
        assert!(m.truncated());
        drop(m);
        // The slot is free again, and a new mapping is not truncated.
        let m = Mapped::new(&f, 65536).unwrap();
        assert!(!m.truncated());
    }
}
