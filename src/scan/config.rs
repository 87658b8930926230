//! One scan configuration: the CLI turns its flags into a [`ScanConfig`]
//! once, and every source (walk, stdin, staged, history, range) reads the
//! same settings from it.

/// The default read size of a [`StreamBuffer`](crate::StreamBuffer).
pub const DEFAULT_READ_SIZE: usize = 256 * 1024;

/// How to scan, whatever the source.
#[derive(Clone, Debug)]
pub struct ScanConfig {
    /// Worker threads; 0 means one per CPU. See [`ScanConfig::workers`].
    pub threads: usize,
    /// Bytes per read.
    pub read_size: usize,
    /// Skip files and blobs larger than this (counted as `too_large`).
    pub max_filesize: Option<u64>,
    /// Also scan files that `.gitignore`/`.ignore` exclude (never `.git`).
    pub no_ignore: bool,
    /// Look inside archives and compressed files (found by their first
    /// bytes): gzip, xz, lzma, bzip2, zstd, zip, tar, PDF.
    pub archives: bool,
    /// Limits on what archives and compressed files may cost.
    pub limits: Limits,
}

/// What one file's containers may cost; the scan goes on past each limit,
/// counting it in `stats.skipped`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Bytes decompressed per file or blob, over all its layers
    /// (`decompression_limit`).
    pub max_decompressed: u64,
    /// Decompressed bytes per compressed byte, of one stream and of the
    /// whole file (all its layers' output over its size), past the first
    /// MiB (`compression_ratio`).
    pub max_ratio: u64,
    /// Members per archive (`too_many_members`).
    pub max_members: u64,
    /// Memory one decoder may take for its own state: an xz or lzma
    /// dictionary, a zstd window (`decoder_memory`). A stream declaring
    /// more is not decompressed.
    pub max_decoder_memory: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_decompressed: 256 << 20,
            max_ratio: 200,
            max_members: 100_000,
            max_decoder_memory: 64 << 20,
        }
    }
}

impl Default for ScanConfig {
    fn default() -> ScanConfig {
        ScanConfig {
            threads: 0,
            read_size: DEFAULT_READ_SIZE,
            max_filesize: None,
            no_ignore: false,
            archives: true,
            limits: Limits::default(),
        }
    }
}

/// More workers than this many per CPU only add threads (and, for git
/// sources, `cat-file` processes) that wait: `-j 10000` is capped.
pub const MAX_WORKERS_PER_CPU: usize = 4;

impl ScanConfig {
    /// The number of worker threads: `threads`, or one per CPU for 0, and
    /// at most [`MAX_WORKERS_PER_CPU`] per CPU.
    pub fn workers(&self) -> usize {
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        match self.threads {
            0 => cpus,
            n => n.min(cpus * MAX_WORKERS_PER_CPU),
        }
    }

    /// Whether a file or blob of `len` bytes is over the size limit.
    pub fn too_large(&self, len: u64) -> bool {
        self.max_filesize.is_some_and(|max| len > max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workers_are_resolved_in_one_place() {
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        let c = |threads| ScanConfig {
            threads,
            ..ScanConfig::default()
        };
        assert_eq!(c(0).workers(), cpus);
        assert_eq!(c(1).workers(), 1);
        assert_eq!(c(10_000).workers(), cpus * MAX_WORKERS_PER_CPU);
        let limited = ScanConfig {
            max_filesize: Some(10),
            ..ScanConfig::default()
        };
        assert!(limited.too_large(11) && !limited.too_large(10));
        assert!(!ScanConfig::default().too_large(u64::MAX));
    }
}
