//! What a scan did: counts, and the reasons for what it left out. Reasons
//! are enums whose JSON names are the contract (README, "stats").

use std::collections::BTreeMap;

use serde::Serialize;

/// Why an entry was not scanned. Alphabetical, as reports list them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// An archive or compressed stream that is truncated or corrupt: what
    /// was read before the damage was scanned.
    ArchiveCorrupt,
    /// An encrypted zip member.
    ArchiveEncrypted,
    /// A zip member that only the archive's central directory could
    /// delimit (stored, written by a streaming writer), read from a stream.
    ArchiveUnstreamable,
    /// A zip member compressed by a method other than stored or deflate.
    ArchiveUnsupported,
    /// A block device.
    BlockDevice,
    /// A path glob in `.burnkeyignore` names it.
    Burnkeyignore,
    /// Replaced between the directory listing and the open (another file,
    /// a link or a pipe swapped in): not read.
    Changed,
    /// A character device.
    CharDevice,
    /// A compressed stream expanding beyond `--max-compression-ratio`
    /// (a zip bomb): the rest of it was not read.
    CompressionRatio,
    /// A compressed stream whose decoder would need more memory (an xz or
    /// lzma dictionary, a zstd window) than `--max-decoder-memory`: not
    /// decompressed.
    DecoderMemory,
    /// The file's decompressed bytes reached `--max-decompressed`: the
    /// rest of it was not read.
    DecompressionLimit,
    /// A named pipe.
    Fifo,
    /// Another kind of file (not regular, not one of the above).
    Other,
    /// A socket.
    Socket,
    /// A symbolic link (never followed, except a root).
    Symlink,
    /// A container nested deeper than `--max-decode-depth`.
    TooDeep,
    /// A `.gitignore`, `.ignore` or `.git/info/exclude` that is a symlink,
    /// not a regular file, or over 16 MiB: not read, and the folder it is
    /// in was scanned with no ignore files.
    IgnoreFileUnread,
    /// Larger than `--max-filesize`.
    TooLarge,
    /// Members of an archive beyond `--max-archive-members`.
    TooManyMembers,
    /// Gone between the directory listing and the open.
    Vanished,
}

impl SkipReason {
    /// Every reason, in report order.
    pub const ALL: [SkipReason; 20] = [
        SkipReason::ArchiveCorrupt,
        SkipReason::ArchiveEncrypted,
        SkipReason::ArchiveUnstreamable,
        SkipReason::ArchiveUnsupported,
        SkipReason::BlockDevice,
        SkipReason::Burnkeyignore,
        SkipReason::Changed,
        SkipReason::CharDevice,
        SkipReason::CompressionRatio,
        SkipReason::DecoderMemory,
        SkipReason::DecompressionLimit,
        SkipReason::Fifo,
        SkipReason::IgnoreFileUnread,
        SkipReason::Other,
        SkipReason::Socket,
        SkipReason::Symlink,
        SkipReason::TooDeep,
        SkipReason::TooLarge,
        SkipReason::TooManyMembers,
        SkipReason::Vanished,
    ];

    /// The JSON name: `too_large`, `char_device`, …
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::ArchiveCorrupt => "archive_corrupt",
            SkipReason::ArchiveEncrypted => "archive_encrypted",
            SkipReason::ArchiveUnstreamable => "archive_unstreamable",
            SkipReason::ArchiveUnsupported => "archive_unsupported",
            SkipReason::BlockDevice => "block_device",
            SkipReason::Burnkeyignore => "burnkeyignore",
            SkipReason::Changed => "changed",
            SkipReason::CharDevice => "char_device",
            SkipReason::CompressionRatio => "compression_ratio",
            SkipReason::DecompressionLimit => "decompression_limit",
            SkipReason::DecoderMemory => "decoder_memory",
            SkipReason::Fifo => "fifo",
            SkipReason::IgnoreFileUnread => "ignore_file_unread",
            SkipReason::Other => "other",
            SkipReason::Socket => "socket",
            SkipReason::Symlink => "symlink",
            SkipReason::TooDeep => "too_deep",
            SkipReason::TooLarge => "too_large",
            SkipReason::TooManyMembers => "too_many_members",
            SkipReason::Vanished => "vanished",
        }
    }
}

/// Why a finding was dropped by an allowlist.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SuppressReason {
    /// Its rule and secret are in the `--baseline` file.
    Baseline,
    /// Its fingerprint is in `.burnkeyignore`.
    Fingerprint,
    /// A `burnkey:allow` comment on its line.
    Inline,
    /// Its token's SHA-256 is in `.burnkeyignore`.
    Secret,
}

impl SuppressReason {
    /// Every reason, in report order.
    pub const ALL: [SuppressReason; 4] = [
        SuppressReason::Baseline,
        SuppressReason::Fingerprint,
        SuppressReason::Inline,
        SuppressReason::Secret,
    ];

    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            SuppressReason::Baseline => "baseline",
            SuppressReason::Fingerprint => "fingerprint",
            SuppressReason::Inline => "inline",
            SuppressReason::Secret => "secret",
        }
    }
}

/// A file or blob that could not be read, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ScanError {
    /// The path (or `blob:path` for git sources).
    pub path: String,
    /// What went wrong.
    pub message: String,
}

/// What a scan did, for the report's `stats`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Stats {
    /// Files (or blobs) read to the end.
    pub files_scanned: u64,
    /// Bytes read.
    pub bytes_scanned: u64,
    /// Members of archives and compressed files scanned (their bytes,
    /// decompressed, are not in `bytes_scanned`).
    pub members_scanned: u64,
    /// Entries not scanned, by reason.
    pub skipped: BTreeMap<SkipReason, u64>,
    /// Findings dropped by an allowlist, by reason.
    pub suppressed: BTreeMap<SuppressReason, u64>,
    /// Entries that could not be read; the scan went on without them.
    pub errors: Vec<ScanError>,
    /// Findings reported.
    pub findings: u64,
    /// Wall time of the scan, in seconds.
    pub elapsed_secs: f64,
}

impl Stats {
    /// Counts one skipped entry.
    pub fn skip(&mut self, reason: SkipReason) {
        self.skip_n(reason, 1);
    }

    /// Counts `n` skipped entries.
    pub fn skip_n(&mut self, reason: SkipReason, n: u64) {
        if n > 0 {
            *self.skipped.entry(reason).or_default() += n;
        }
    }

    /// Counts one suppressed finding.
    pub fn suppress(&mut self, why: SuppressReason) {
        self.suppress_n(why, 1);
    }

    /// Counts `n` suppressed findings (none: no entry).
    pub fn suppress_n(&mut self, why: SuppressReason, n: u64) {
        if n > 0 {
            *self.suppressed.entry(why).or_default() += n;
        }
    }

    /// Records an entry that could not be read.
    pub fn error(&mut self, path: String, message: String) {
        self.errors.push(ScanError { path, message });
    }

    /// Adds `other` into `self` (per-thread stats into the total).
    pub fn merge(&mut self, other: Stats) {
        self.files_scanned += other.files_scanned;
        self.bytes_scanned += other.bytes_scanned;
        self.members_scanned += other.members_scanned;
        for (k, v) in other.skipped {
            *self.skipped.entry(k).or_default() += v;
        }
        for (k, v) in other.suppressed {
            *self.suppressed.entry(k).or_default() += v;
        }
        self.errors.extend(other.errors);
        self.findings += other.findings;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_names_are_the_documented_ones() {
        for r in SkipReason::ALL {
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
        for r in SuppressReason::ALL {
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
        let mut names: Vec<&str> = SkipReason::ALL.iter().map(|r| r.as_str()).collect();
        let sorted = {
            let mut s = names.clone();
            s.sort();
            s
        };
        assert_eq!(names, sorted, "reports list reasons alphabetically");
        names.dedup();
        assert_eq!(names.len(), SkipReason::ALL.len());
    }

    /// Every key the code can emit is documented, by the name it is emitted as.
    #[test]
    fn readme_lists_every_stats_key() {
        let readme = include_str!("../../README.md");
        let start = readme
            .find("**`stats`**")
            .expect("the README documents stats");
        let stats_doc = &readme[start..start + readme[start..].find("\n\n").unwrap()];
        let doc = serde_json::to_value(Stats::default()).unwrap();
        for key in doc.as_object().unwrap().keys() {
            assert!(
                stats_doc.contains(&format!("`{key}`")),
                "stats.{key} is undocumented"
            );
        }
        for r in SkipReason::ALL {
            assert!(
                stats_doc.contains(&format!("`{}`", r.as_str())),
                "skipped.{} is undocumented",
                r.as_str()
            );
        }
        for r in SuppressReason::ALL {
            assert!(
                stats_doc.contains(&format!("`{}`", r.as_str())),
                "suppressed.{} is undocumented",
                r.as_str()
            );
        }
        for key in ["path", "message"] {
            assert!(
                stats_doc.contains(&format!("`{key}`")),
                "errors[].{key} is undocumented"
            );
        }
    }
}
