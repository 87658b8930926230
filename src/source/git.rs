//! Git sources: the index (`--staged`), all history (`--git`) and commit
//! ranges (`--git-range`), read through the `git` command.
//!
//! History is enumerated by one `git rev-list --objects` process, which
//! names every blob reachable from any ref once, newest first (pack order);
//! blob contents stream through long-lived `git cat-file --batch`
//! processes, one per worker thread, each distinct blob exactly once. A
//! repository with 100k commits costs a handful of processes, not 100k,
//! and blobs are streamed through the scanner's fixed buffer, never held
//! whole. Where a finding's blob was added (commit and paths) comes from
//! one `git log --raw` beside the scan, started by its first finding; with
//! path globs in `.burnkeyignore`, an old git or a partial clone, and for
//! ranges, that log enumerates the blobs itself.
//!
//! **Which commit.** A `--git` finding names the earliest commit (in commit
//! date order) whose diff against a parent adds that blob at that path; a
//! `--git-range` finding, the earliest such commit in the range. `--staged`
//! findings have no commit.

use std::collections::{HashMap, VecDeque};
use std::ffi::OsStr;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::sync::Mutex;

use crate::error::Error;
use crate::findings::allow::Allowlist;
use crate::findings::finding::Location;
use crate::findings::finding::Place;
use crate::findings::outcome::{collect, Sink};
use crate::findings::stats::{ScanError, SkipReason, Stats};
use crate::scan::config::ScanConfig;
use crate::scan::layers::{Counting, Layers};
use crate::scan::{Match, Scanner, StreamBuffer};

/// A blob to scan, with where it was seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobRef {
    /// Object id (hex).
    pub id: String,
    /// Path inside the repository, as raw bytes.
    pub path: Vec<u8>,
    /// The commit that introduced it, when known.
    pub commit: Option<String>,
    /// That commit's place in the log, oldest first (0 for the index).
    pub seq: u32,
}

/// What history enumeration learned beyond the blobs it sent: where each
/// blob was first added (in log order), and the other paths a blob was
/// added at (a copied file), so that findings can be placed at every path
/// and ordered by commit. Only blobs seen at a second path cost more than
/// their key.
///
/// A place at a path the lister leaves out (a `.burnkeyignore` glob) is
/// neither read nor recorded: the blob is read at the first path that is
/// not left out, and a copy into a left-out folder is no place of the
/// token's.
#[derive(Debug, Default)]
pub struct HistoryIndex {
    first: std::collections::HashMap<u128, (u32, u64), IdBuild>,
    elsewhere: std::collections::HashMap<u128, Vec<BlobRef>, IdBuild>,
}

impl HistoryIndex {
    /// Records `b`; true when its blob is new (to be scanned).
    fn add(&mut self, b: &BlobRef) -> bool {
        use std::collections::hash_map::Entry;
        let path = path_hash(&b.path);
        let key = id_key(&b.id);
        match self.first.entry(key) {
            Entry::Vacant(v) => {
                v.insert((b.seq, path));
                true
            }
            Entry::Occupied(o) => {
                if o.get().1 != path {
                    let others = self.elsewhere.entry(key).or_default();
                    if !others.iter().any(|x| x.path == b.path) {
                        others.push(b.clone());
                    }
                }
                false
            }
        }
    }

    /// The log order of the commit that first added blob `id`, if it was
    /// added at `path` then.
    pub fn first_at(&self, id: &str, path: &[u8]) -> Option<u32> {
        let &(seq, hash) = self.first.get(&id_key(id))?;
        (hash == path_hash(path)).then_some(seq)
    }

    /// The log order of the commit that first added blob `id`.
    pub fn seq(&self, id: &str) -> Option<u32> {
        self.first.get(&id_key(id)).map(|&(seq, _)| seq)
    }

    /// The other paths (with their commits) blob `id` was added at.
    pub fn elsewhere(&self, id: &str) -> &[BlobRef] {
        self.elsewhere.get(&id_key(id)).map_or(&[], Vec::as_slice)
    }
}

/// `git log` that lists, oldest commit first, every blob each commit adds or
/// changes against its first parent (merges included), NUL-separated: the
/// input of [`parse_raw`]. Revisions follow.
///
/// Against the first parent only: every (blob, path) of every commit's
/// tree is either in its first parent's tree or in that diff (a root shows
/// all), so walking all commits shows every one, and a merge's diff against
/// its other parents only repeats what the commits of the other side
/// showed. On rust-lang/cargo (7.7k merges) it is half the output and 30%
/// less of git's time, the same (blob, path) pairs with the same first
/// commits.
const LOG_ADDED_BLOBS: [&str; 11] = [
    "log",
    "--reverse",
    "--format=%x01%H",
    "-z",
    "--raw",
    "--no-abbrev",
    "--no-renames",
    "--root",
    "--diff-merges=first-parent",
    "--diff-filter=AMT",
    "--no-ext-diff",
];

/// `git rev-list` naming every blob reachable from any ref once, with a
/// path it has there, newest commits first. That is the order of the
/// packs: git stores a file's newest version whole and older ones as
/// deltas against newer, so a blob's delta base is usually one just read
/// and still in cat-file's cache; the log's oldest-first order rebuilds
/// chains instead. On rust-lang/cargo it lists the same 58.6k blobs as the
/// log in 0.5 s against 1.2 s, and one cat-file reads them in 1.7 s
/// against 1.9 s (48 MiB of delta bases each way).
const REACHABLE_BLOBS: [&str; 6] = [
    "rev-list",
    "--objects",
    "--all",
    "--filter=object:type=blob",
    "--filter-provided-objects",
    "--missing=print",
];

/// The delta bases kept by the git that walks history's trees (rev-list,
/// log), where git's default is 96 MiB. On rust-lang/cargo, rev-list's
/// memory falls from 55 to 34 MiB with 16 (the log's from 49 to 39), in
/// the same time; with 8, the log is slower.
const TREE_DELTA_CACHE: &str = "core.deltaBaseCacheLimit=16m";

/// Settings given to every `git` burnkey runs, over the repository's own
/// config: a scanned repository is not trusted, and its config must not run
/// a program (an fsmonitor hook, an external diff, a pager), fetch anything
/// (a partial clone's lazy fetch, through any transport), or print paths
/// quoted. (None of the commands burnkey runs runs hooks; `hook install`
/// asks where the repository keeps them.)
const HARDENED: &[&str] = &[
    "core.quotePath=false",
    "core.fsmonitor=false",
    "core.pager=cat",
    "diff.external=",
    "protocol.allow=never",
];

/// `git -C dir`, hardened: [`HARDENED`] settings; objects read as they are
/// stored (`refs/replace/*`, which a mirror clone fetches, cannot hide a
/// blob behind another); no lazy fetch; pathspecs literal; no stdin.
pub fn command(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.arg("-C").arg(dir);
    for kv in HARDENED {
        c.args(["-c", kv]);
    }
    c.env("GIT_NO_REPLACE_OBJECTS", "1")
        .env("GIT_NO_LAZY_FETCH", "1")
        .env("GIT_LITERAL_PATHSPECS", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("GIT_EXTERNAL_DIFF")
        .stdin(Stdio::null());
    c
}

/// Runs `git -C dir rev-parse ARGS` and returns its output lines as raw
/// bytes; a failure means `dir` is not in a repository (or git is missing).
pub fn rev_parse(dir: &Path, args: &[&str]) -> Result<Vec<Vec<u8>>, Error> {
    let out = command(dir)
        .arg("rev-parse")
        .args(args)
        .output()
        .map_err(git_missing)?;
    if !out.status.success() {
        return Err(Error::Invalid(format!(
            "{}: not a git repository ({})",
            dir.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(out
        .stdout
        .split(|&c| c == b'\n')
        .map(<[u8]>::to_vec)
        .collect())
}

/// A git repository, by its working tree (or git dir for bare ones).
#[derive(Clone, Debug)]
pub struct Repo {
    dir: PathBuf,
    top: Option<PathBuf>,
}

fn git_missing(e: io::Error) -> Error {
    if e.kind() == io::ErrorKind::NotFound {
        Error::Invalid(
            "git is not installed or not on PATH: burnkey needs it to read repositories".into(),
        )
    } else {
        Error::Invalid(format!("cannot run git: {e}"))
    }
}

fn is_zero_oid(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c == b'0')
}

impl Repo {
    /// The repository around `dir`. Errors if git is missing or `dir` is not
    /// inside a repository.
    pub fn discover(dir: &Path) -> Result<Repo, Error> {
        let meta = std::fs::metadata(dir).map_err(|e| Error::io(dir, e))?;
        if !meta.is_dir() {
            return Err(Error::Invalid(format!(
                "{}: not a directory",
                dir.display()
            )));
        }
        // `--show-toplevel` fails outside a work tree (a bare repository, a
        // mirror clone, or inside `.git`): ask for it only within one.
        let lines = rev_parse(dir, &["--is-inside-work-tree"])?;
        let top = if lines.first().is_some_and(|l| l == b"true") {
            rev_parse(dir, &["--show-toplevel"])?
                .into_iter()
                .next()
                .filter(|l| !l.is_empty())
                .map(|l| PathBuf::from(OsStr::from_bytes(&l)))
        } else {
            None
        };
        Ok(Repo {
            dir: top.clone().unwrap_or_else(|| dir.to_path_buf()),
            top,
        })
    }

    /// The working tree's top directory (none for a bare repository).
    pub fn top(&self) -> Option<&Path> {
        self.top.as_deref()
    }

    /// The blob at `path` in commit `rev` (`HEAD:.burnkeyignore`): what a
    /// repository without a work tree holds in place of its files. `None`
    /// where `rev` has no such blob (or no commit at all); an error for a
    /// blob over `max` bytes, which is not read.
    pub fn read_blob_at(&self, rev: &str, path: &str, max: u64) -> Result<Option<Vec<u8>>, Error> {
        let name = format!("{rev}:{path}");
        let mut child = self.cat_file("--batch", Stdio::null())?;
        {
            let mut stdin = child.stdin.take().expect("piped");
            // A name with a newline cannot be asked on a line.
            if !name.contains('\n') {
                let _ = stdin.write_all(name.as_bytes());
            }
            let _ = stdin.write_all(b"\n");
        }
        let mut out = BufReader::new(child.stdout.take().expect("piped"));
        let mut header = Vec::new();
        out.read_until(b'\n', &mut header)
            .map_err(|e| Error::Invalid(format!("reading git cat-file: {e}")))?;
        let header = String::from_utf8_lossy(&header);
        let mut f = header.split_whitespace();
        let found = match (f.next(), f.next(), f.next()) {
            (Some(_), Some("blob"), Some(size)) => Some(size.parse::<u64>().unwrap_or(u64::MAX)),
            _ => None,
        };
        let result = match found {
            None => Ok(None),
            Some(size) if size > max => Err(Error::Invalid(format!(
                "{name}: {size} bytes, over the {max}-byte limit for this file"
            ))),
            Some(size) => {
                let mut data = Vec::with_capacity(size as usize);
                out.by_ref()
                    .take(size)
                    .read_to_end(&mut data)
                    .map_err(|e| Error::Invalid(format!("reading git cat-file: {e}")))?;
                Ok(Some(data))
            }
        };
        drop(out);
        let _ = child.kill();
        let _ = child.wait();
        result
    }

    fn git(&self) -> Command {
        command(&self.dir)
    }

    /// A `git cat-file MODE` that answers on its stdout what is asked on
    /// its stdin.
    fn cat_file(&self, mode: &str, stderr: Stdio) -> Result<Child, Error> {
        self.cat_file_cached(mode, stderr, DELTA_CACHE_MB)
    }

    /// [`Repo::cat_file`] keeping at most `cache_mb` MiB of delta bases.
    fn cat_file_cached(&self, mode: &str, stderr: Stdio, cache_mb: usize) -> Result<Child, Error> {
        self.git()
            .args(["-c", &format!("core.deltaBaseCacheLimit={cache_mb}m")])
            .args(["cat-file", mode])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .map_err(git_missing)
    }

    /// The content of blob `id`, whole (for pairing a token with what is
    /// named near it); `None` if it cannot be read.
    pub fn blob(&self, id: &str) -> Option<Vec<u8>> {
        let o = self
            .git()
            .args(["cat-file", "blob", id])
            .stderr(Stdio::null())
            .output()
            .ok()?;
        o.status.success().then_some(o.stdout)
    }

    fn run(&self, args: &[&str]) -> Result<Vec<u8>, Error> {
        let out = self.git().args(args).output().map_err(git_missing)?;
        if !out.status.success() {
            return Err(Error::Invalid(format!(
                "git {} failed: {}",
                args.first().unwrap_or(&""),
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(out.stdout)
    }

    /// Whether the repository is a shallow clone.
    pub fn is_shallow(&self) -> bool {
        self.run(&["rev-parse", "--is-shallow-repository"])
            .map(|o| o.starts_with(b"true"))
            .unwrap_or(false)
    }

    /// The blobs staged in the index that differ from `HEAD` (added, copied,
    /// modified, renamed, type-changed), with their index paths. Works on an
    /// unborn branch (everything staged is new).
    pub fn staged_blobs(&self) -> Result<Vec<BlobRef>, Error> {
        let out = self.run(&[
            "diff",
            "--cached",
            "--raw",
            "-z",
            "--no-abbrev",
            "--no-renames",
            "--no-ext-diff",
            "--diff-filter=ACMRT",
        ])?;
        Ok(parse_raw(&out))
    }

    /// The blobs that commits in `range` add or change, each once, with the
    /// earliest commit of the range that did. `range` is `A..B` (or any
    /// revision list git accepts, e.g. `B ^A`); `A` all zeros (a new
    /// branch) means every commit of `B` not on a remote-tracking branch.
    /// Places whose path `leave_out` names are left out (see
    /// [`HistoryIndex`]).
    pub fn range_blobs(
        &self,
        range: &str,
        leave_out: &dyn Fn(&[u8]) -> bool,
    ) -> Result<(Vec<BlobRef>, HistoryIndex), Error> {
        let mut revs: Vec<String> = Vec::new();
        match range.split_once("..") {
            Some((a, b)) if !b.starts_with('.') && is_zero_oid(a) => {
                revs.push(if b.is_empty() {
                    "HEAD".into()
                } else {
                    b.into()
                });
                revs.push("--not".into());
                revs.push("--remotes".into());
            }
            _ => revs.extend(range.split_whitespace().map(String::from)),
        }
        if revs
            .iter()
            .any(|r| r.starts_with('-') && r != "--not" && r != "--remotes")
        {
            return Err(Error::Invalid(format!("{range:?} is not a commit range")));
        }
        let mut args: Vec<&str> = LOG_ADDED_BLOBS.to_vec();
        args.extend(revs.iter().map(String::as_str));
        args.push("--");
        let out = self.run(&args).map_err(|e| {
            if self.is_shallow() {
                Error::Invalid(format!(
                    "{e}\nThe repository is a shallow clone and may lack the start of the range: deepen it (git fetch --deepen=N, or --unshallow) and retry."
                ))
            } else {
                e
            }
        })?;
        let mut index = HistoryIndex::default();
        let blobs = parse_raw(&out)
            .into_iter()
            .filter(|b| !leave_out(&b.path) && index.add(b))
            .collect();
        Ok((blobs, index))
    }

    /// Streams every blob in the history of any ref (branches, tags, the
    /// stash, notes) into `tx`, each distinct blob once, with the earliest
    /// commit (by commit date) whose diff against a parent adds it, and the
    /// full path there: the commit and path come with the blob, so no second
    /// pass is needed.
    ///
    /// `git log --all --reverse --raw` would say the same, but `--reverse`
    /// makes git walk and diff all of history before it prints a line, and
    /// the scan waits for it. So `git rev-list --all --reverse` lists the
    /// commits (a cheap walk, no diffs) into `git log --no-walk=unsorted
    /// --stdin --raw`, which diffs them in that order as it goes: the same
    /// output, byte for byte, streamed. Places whose path `leave_out` names
    /// are left out (see [`HistoryIndex`]).
    pub fn history_blobs(
        &self,
        tx: &dyn Fn(BlobRef),
        leave_out: &dyn Fn(&[u8]) -> bool,
    ) -> Result<HistoryIndex, Error> {
        let (revs, commits, revs_err_thread) =
            spawn_piped(self.git().args(["rev-list", "--all", "--reverse"]))?;
        let mut args = LOG_ADDED_BLOBS.to_vec();
        args.retain(|&a| a != "--reverse");
        args.extend(["--no-walk=unsorted", "--stdin"]);
        let (mut child, stdout, err_thread) = spawn_piped(
            self.git()
                .args(["-c", TREE_DELTA_CACHE])
                .args(&args)
                .stdin(Stdio::from(commits)),
        )?;
        let mut parser = RawParser::default();
        let mut index = HistoryIndex::default();
        for tok in BufReader::with_capacity(1 << 16, stdout).split(0) {
            let tok = tok.map_err(|e| Error::Invalid(format!("reading git log: {e}")))?;
            if let Some(b) = parser.push(&tok) {
                if !leave_out(&b.path) && index.add(&b) {
                    tx(b);
                }
            }
        }
        let status = child.wait().map_err(git_missing)?;
        let err = err_thread.join().unwrap_or_default();
        wait_ok(revs, revs_err_thread, "rev-list")?;
        if !status.success() {
            // An empty repository has no commits: nothing to scan.
            if err.contains("does not have any commits") || err.trim().is_empty() {
                return Ok(index);
            }
            return Err(Error::Invalid(format!("git log failed: {}", err.trim())));
        }
        Ok(index)
    }

    /// Whether [`Repo::reachable_blobs`] can list this repository's
    /// history: git 2.32 or later (`--filter=object:type=blob`), and not a
    /// partial clone, whose missing blobs `rev-list` would try to fetch.
    pub fn lists_reachable_blobs(&self) -> bool {
        let version = self.run(&["version"]).unwrap_or_default();
        let version = String::from_utf8_lossy(&version);
        let mut nums = version
            .trim()
            .trim_start_matches("git version ")
            .split(['.', ' '])
            .map(|n| n.parse::<u32>().unwrap_or(0));
        let (major, minor) = (nums.next().unwrap_or(0), nums.next().unwrap_or(0));
        let partial = self
            .run(&[
                "config",
                "--get-regexp",
                r"^(extensions\.partialclone|remote\..*\.promisor)$",
            ])
            .is_ok_and(|o| !o.is_empty());
        (major, minor) >= (2, 32) && !partial
    }

    /// Sends every blob reachable from a ref, once, with one path it has
    /// there and no commit (see [`REACHABLE_BLOBS`]): what a history scan
    /// reads, without diffing every commit against its parent. `tx`
    /// answers whether to go on; false stops the listing.
    pub fn reachable_blobs(&self, tx: &dyn Fn(BlobRef) -> bool) -> Result<(), Error> {
        let (mut child, stdout, err_thread) = spawn_piped(
            self.git()
                .args(["-c", TREE_DELTA_CACHE])
                .args(REACHABLE_BLOBS),
        )?;
        let mut out = BufReader::with_capacity(1 << 16, stdout);
        let mut line = Vec::new();
        loop {
            line.clear();
            let n = out
                .read_until(b'\n', &mut line)
                .map_err(|e| Error::Invalid(format!("reading git rev-list: {e}")))?;
            if n == 0 {
                break;
            }
            let line = line.strip_suffix(b"\n").unwrap_or(&line);
            // "<id> <path>" (a path is cut at a newline by rev-list; the
            // log names it whole when a finding is placed), or "?<id>" for
            // an object missing from the database, which cat-file then
            // reports as missing.
            let (id, path) = match line.strip_prefix(b"?") {
                Some(id) => (id, &[][..]),
                None => match memchr::memchr(b' ', line) {
                    Some(sp) => (&line[..sp], &line[sp + 1..]),
                    None => continue,
                },
            };
            let Ok(id) = std::str::from_utf8(id) else {
                continue;
            };
            let more = tx(BlobRef {
                id: id.to_string(),
                path: path.to_vec(),
                commit: None,
                seq: 0,
            });
            if !more {
                let _ = child.kill();
                let _ = child.wait();
                return Ok(());
            }
        }
        wait_ok(child, err_thread, "rev-list")
    }

    /// The tips of the branches, tags and remote-tracking branches:
    /// `(refname, commit)`, annotated tags peeled.
    pub fn ref_tips(&self) -> Result<Vec<(String, String)>, Error> {
        let out = self.run(&[
            "for-each-ref",
            "--format=%(refname)%00%(objectname)%00%(*objectname)",
            "refs/heads",
            "refs/tags",
            "refs/remotes",
        ])?;
        Ok(out
            .split(|&c| c == b'\n')
            .filter_map(|l| {
                let l = String::from_utf8_lossy(l);
                let mut f = l.split('\0');
                let (name, obj, peeled) = (f.next()?, f.next()?, f.next().unwrap_or(""));
                let commit = if peeled.is_empty() { obj } else { peeled };
                (!name.is_empty()).then(|| (name.to_string(), commit.to_string()))
            })
            .collect())
    }

    /// The blob at `path` in each commit of `tips`, for each of `paths`: one
    /// `cat-file --batch-check` process for them all. `None` where the path
    /// is absent (or is no blob).
    pub fn blobs_at(
        &self,
        tips: &[String],
        paths: &[Vec<u8>],
    ) -> Result<Vec<Vec<Option<String>>>, Error> {
        let mut child =
            self.cat_file("--batch-check=%(objectname) %(objecttype)", Stdio::null())?;
        let mut stdin = child.stdin.take().expect("piped");
        let stdout = child.stdout.take().expect("piped");
        // A name with a newline cannot be asked on a line: it is asked as
        // an empty name, whose answer is "missing".
        let mut input = Vec::new();
        for t in tips {
            for p in paths {
                input.extend_from_slice(t.as_bytes());
                input.push(b':');
                if !p.contains(&b'\n') {
                    input.extend_from_slice(p);
                }
                input.push(b'\n');
            }
        }
        let writer = std::thread::spawn(move || stdin.write_all(&input));
        let mut lines = BufReader::new(stdout).split(b'\n');
        let mut out = Vec::with_capacity(tips.len());
        for _ in tips {
            let mut row = Vec::with_capacity(paths.len());
            for _ in paths {
                let line = lines
                    .next()
                    .ok_or_else(|| Error::Invalid("git cat-file ended early".into()))?
                    .map_err(|e| Error::Invalid(format!("reading git cat-file: {e}")))?;
                let line = String::from_utf8_lossy(&line);
                row.push(match line.split_once(' ') {
                    Some((oid, "blob")) => Some(oid.to_string()),
                    _ => None,
                });
            }
            out.push(row);
        }
        let _ = writer.join();
        let _ = child.wait();
        Ok(out)
    }
}

/// Starts `cmd` with its output to read and its errors drained beside.
fn spawn_piped(
    cmd: &mut Command,
) -> Result<(Child, ChildStdout, std::thread::JoinHandle<String>), Error> {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(git_missing)?;
    let stdout = child.stdout.take().expect("piped");
    let err_thread = drain_stderr(&mut child);
    Ok((child, stdout, err_thread))
}

/// Waits for a git that [`spawn_piped`] started: an error with what it
/// said when `git WHAT` failed.
fn wait_ok(
    mut child: Child,
    err_thread: std::thread::JoinHandle<String>,
    what: &str,
) -> Result<(), Error> {
    let status = child.wait().map_err(git_missing)?;
    let err = err_thread.join().unwrap_or_default();
    match status.success() {
        true => Ok(()),
        false => Err(Error::Invalid(format!("git {what} failed: {}", err.trim()))),
    }
}

/// Reads a child's piped stderr on a thread (so a full pipe never stalls
/// it); the thread returns what it said.
fn drain_stderr(child: &mut Child) -> std::thread::JoinHandle<String> {
    let mut stderr = child.stderr.take().expect("piped");
    std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    })
}

/// Parses `git diff --raw -z` / `git log --raw -z --format=%x01%H` output,
/// one NUL-separated token at a time, into blobs (new side), skipping
/// deletions and submodules.
#[derive(Default)]
struct RawParser {
    commit: Option<String>,
    /// Commits read so far: the current one's place in the log.
    seq: u32,
    /// The `:old_mode new_mode old_id new_id status` token awaiting its path.
    meta: Option<Vec<u8>>,
}

impl RawParser {
    fn push(&mut self, tok: &[u8]) -> Option<BlobRef> {
        if let Some(meta) = self.meta.take() {
            // "old_mode new_mode old_id new_id status"
            let mut parts = meta.split(|&c| c == b' ');
            let new_mode = parts.nth(1)?;
            let new_id = parts.nth(1)?;
            parts.next()?;
            let new_id = std::str::from_utf8(new_id).ok()?;
            if new_mode == b"160000" || new_mode == b"000000" || is_zero_oid(new_id) {
                return None;
            }
            return Some(BlobRef {
                id: new_id.to_string(),
                path: tok.to_vec(),
                commit: self.commit.clone(),
                seq: self.seq,
            });
        }
        let tok = tok.strip_prefix(b"\n").unwrap_or(tok);
        if let Some(c) = tok.strip_prefix(b"\x01") {
            self.commit = Some(String::from_utf8_lossy(c).trim().to_string());
            self.seq += 1;
        } else if let Some(meta) = tok.strip_prefix(b":") {
            self.meta = Some(meta.to_vec());
        }
        None
    }
}

fn parse_raw(out: &[u8]) -> Vec<BlobRef> {
    let mut p = RawParser::default();
    out.split(|&c| c == 0).filter_map(|t| p.push(t)).collect()
}

/// Hashes an object id's key by its low 64 bits: ids are already uniform
/// (SHA-1 or SHA-256), so the maps keyed by them need no mixing.
#[derive(Clone, Copy, Default)]
pub(crate) struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes.iter().take(8) {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }

    fn write_u128(&mut self, n: u128) {
        self.0 = n as u64;
    }
}

/// Maps and sets keyed by [`id_key`].
pub(crate) type IdBuild = std::hash::BuildHasherDefault<IdHasher>;

/// A path's hash, which the index keeps instead of the path.
pub(crate) fn path_hash(path: &[u8]) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    BuildHasherDefault::<DefaultHasher>::default().hash_one(path)
}

/// A compact key for a hex object id (its first 128 bits): a set of a
/// million ids stays small.
pub(crate) fn id_key(id: &str) -> u128 {
    u128::from_str_radix(&id[..id.len().min(32)], 16).unwrap_or(0)
}

/// One `git cat-file --batch` process and the blobs asked of it but not yet
/// read back.
struct CatFile {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

/// Asks for a 1 MiB pipe (Linux; elsewhere, and when refused, the default
/// stays): blobs then cross in fewer, larger reads and writes, with fewer
/// wake-ups of the reader and of `cat-file`.
fn widen_pipe(p: &impl std::os::fd::AsRawFd) {
    #[cfg(target_os = "linux")]
    // SAFETY: fcntl on a descriptor we own; F_SETPIPE_SZ changes only its
    // capacity and fails harmlessly.
    unsafe {
        libc::fcntl(p.as_raw_fd(), libc::F_SETPIPE_SZ, 1 << 20);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = p;
}

/// At most this many requests are written ahead of the one being read: their
/// lines fit in a pipe buffer, so writing never waits on reading.
const AHEAD: usize = 256;

/// Which worker reads a blob. Each path's versions go to one worker, in
/// runs of [`ROUTE_RUN`]: a blob's delta base is mostly an earlier version
/// of its own file, so one cat-file keeps a chain's bases in its cache
/// instead of both inflating them, and a file with thousands of versions
/// still keeps every worker busy (each run costs one chain's bases again).
/// Measured on rust-lang/cargo's history against the runs of 64
/// consecutive blobs per worker this replaced: 1.9 s against 2.2 s, and
/// 15% less CPU in git.
struct Router {
    workers: u64,
    /// Versions routed so far, by path hash.
    versions: HashMap<u64, u64, IdBuild>,
}

/// How many consecutive versions of one path one worker reads.
const ROUTE_RUN: u64 = 512;

impl Router {
    fn new(workers: usize) -> Router {
        Router {
            workers: workers.max(1) as u64,
            versions: HashMap::default(),
        }
    }

    /// The worker for the next version of `path`.
    fn route(&mut self, path: &[u8]) -> usize {
        let h = path_hash(path);
        let v = self.versions.entry(h).or_insert(0);
        let w = h.wrapping_add(*v / ROUTE_RUN) % self.workers;
        *v += 1;
        w as usize
    }
}

/// The delta bases a scan's cat-file processes keep, in MiB, all together:
/// git's default is 96 for each. Shared, each keeps at least
/// [`DELTA_CACHE_MIN_MB`]. Read in pack order ([`REACHABLE_BLOBS`]) and
/// routed by path ([`Router`]), rust-lang/cargo's history took 2.20 s with
/// two workers of 32 MiB and 2.04 s with 48, but all of burnkey's
/// processes together peaked at 124 MiB of anonymous memory against 156:
/// over the 128 MiB a history scan keeps to.
const DELTA_CACHE_MB: usize = 64;
const DELTA_CACHE_MIN_MB: usize = 24;

impl CatFile {
    fn spawn(repo: &Repo, cache_mb: usize) -> Result<CatFile, Error> {
        let mut child = repo.cat_file_cached("--batch", Stdio::inherit(), cache_mb)?;
        Ok(CatFile {
            stdin: child.stdin.take().expect("piped"),
            stdout: BufReader::with_capacity(1 << 16, {
                let out = child.stdout.take().expect("piped");
                widen_pipe(&out);
                out
            }),
            child,
        })
    }

    fn ask(&mut self, id: &str) -> io::Result<()> {
        let mut line = String::with_capacity(id.len() + 1);
        line.push_str(id);
        line.push('\n');
        self.stdin.write_all(line.as_bytes())
    }
}

impl Drop for CatFile {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Which git objects a blob came from: the index, or history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlobKind {
    /// Staged in the index.
    Staged,
    /// In a commit.
    Commit,
}

/// What one worker needs to turn blobs into findings.
pub struct BlobScan<'a> {
    /// The scanner.
    pub scanner: &'a Scanner,
    /// The repository.
    pub repo: &'a Repo,
    /// The repository's `.burnkeyignore`.
    pub allow: &'a Allowlist,
    /// Index or history.
    pub kind: BlobKind,
    /// Read size and size limit.
    pub config: &'a ScanConfig,
    /// Where findings go as they are made.
    pub sink: &'a dyn Sink,
}

impl BlobScan<'_> {
    /// Scans the blobs that arrive on `rx` through one cat-file process.
    fn worker(&self, rx: mpsc::Receiver<BlobRef>, cache_mb: usize) -> Stats {
        let mut out = Stats::default();
        let mut sb = StreamBuffer::new(self.config.read_size);
        let mut pending: VecDeque<BlobRef> = VecDeque::new();
        let mut rx = Some(rx);
        let mut cat: Option<CatFile> = None;
        loop {
            // The report's reader went away: nothing more is wanted.
            if self.sink.stopped() {
                return out;
            }
            if cat.is_none() {
                match CatFile::spawn(self.repo, cache_mb) {
                    Ok(mut c) => {
                        // A restart re-asks what the dead process never answered.
                        let ok = pending.iter().all(|b| c.ask(&b.id).is_ok());
                        if !ok {
                            self.fail_all(
                                &mut out,
                                &mut pending,
                                "git cat-file stopped accepting requests",
                            );
                            return out;
                        }
                        cat = Some(c);
                    }
                    Err(e) => {
                        self.fail_all(&mut out, &mut pending, &e.to_string());
                        for b in rx.take().into_iter().flatten() {
                            out.errors.push(self.error(&b, &e.to_string()));
                        }
                        return out;
                    }
                }
            }
            let c = cat.as_mut().expect("spawned above");
            // Keep the pipe fed ahead of the reads.
            while pending.len() < AHEAD {
                let Some(r) = rx.as_ref() else { break };
                let next = if pending.is_empty() {
                    r.recv().ok()
                } else {
                    r.try_recv().ok()
                };
                match next {
                    Some(b) => {
                        let _ = c.ask(&b.id);
                        pending.push_back(b);
                    }
                    None => {
                        if pending.is_empty() {
                            rx = None;
                        }
                        break;
                    }
                }
            }
            let Some(b) = pending.pop_front() else {
                if rx.is_none() {
                    return out;
                }
                continue;
            };
            match self.read_one(c, &b, &mut sb, &mut out) {
                Ok(()) => {}
                Err(e) => {
                    // The process died (a corrupt object can do that): report
                    // this blob and carry on with a fresh one.
                    out.errors
                        .push(self.error(&b, &format!("git cat-file failed: {e}")));
                    cat = None;
                }
            }
        }
    }

    fn error(&self, b: &BlobRef, msg: &str) -> ScanError {
        ScanError {
            path: format!("{}:{}", &b.id, String::from_utf8_lossy(&b.path)),
            message: msg.to_string(),
        }
    }

    fn fail_all(&self, out: &mut Stats, pending: &mut VecDeque<BlobRef>, msg: &str) {
        for b in pending.drain(..) {
            out.errors.push(self.error(&b, msg));
        }
    }

    fn read_one(
        &self,
        c: &mut CatFile,
        b: &BlobRef,
        sb: &mut StreamBuffer,
        out: &mut Stats,
    ) -> io::Result<()> {
        let mut header = Vec::new();
        c.stdout.read_until(b'\n', &mut header)?;
        if header.last() != Some(&b'\n') {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "no answer"));
        }
        let header = String::from_utf8_lossy(&header[..header.len() - 1]).into_owned();
        let parts: Vec<&str> = header.split(' ').collect();
        match parts.as_slice() {
            [_, "missing"] | [_, "ambiguous"] => {
                out.errors.push(self.error(
                    b,
                    "blob missing from the object database (shallow or partial clone?)",
                ));
                Ok(())
            }
            [_, kind, size] => {
                let size: u64 = size.parse().map_err(|_| {
                    io::Error::new(io::ErrorKind::InvalidData, format!("bad header {header:?}"))
                })?;
                let path = PathBuf::from(OsStr::from_bytes(&b.path));
                let location = match self.kind {
                    BlobKind::Staged => Location::Staged {
                        path,
                        blob: b.id.clone(),
                    },
                    BlobKind::Commit => Location::Commit {
                        path,
                        blob: b.id.clone(),
                        commit: b.commit.clone().unwrap_or_default(),
                    },
                };
                let mut place = Place::new(location, b.path.clone());
                let mut body = (&mut c.stdout).take(size);
                let scan = *kind == "blob" && !self.config.too_large(size);
                if scan {
                    let (rules, allow, sink) = (self.scanner.rules(), self.allow, self.sink);
                    let mut v = Counting {
                        stats: out,
                        found: |m: Match, stats: &mut Stats| {
                            collect(rules, allow, &m, &mut place, sink, stats)
                        },
                    };
                    Layers::new(self.scanner, self.config).reader(
                        &mut body,
                        Some(&b.path),
                        sb,
                        &mut v,
                    )?;
                }
                io::copy(&mut body, &mut io::sink())?;
                if body.limit() != 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "truncated object",
                    ));
                }
                let mut lf = [0u8; 1];
                c.stdout.read_exact(&mut lf)?;
                if scan {
                    out.files_scanned += 1;
                    out.bytes_scanned += size;
                } else if *kind == "blob" {
                    out.skip(SkipReason::TooLarge);
                }
                Ok(())
            }
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("unexpected answer {header:?}"),
            )),
        }
    }

    /// Scans every blob that `produce` emits, spread over `workers` threads
    /// by path, each with its own cat-file process.
    pub fn run(
        &self,
        workers: usize,
        produce: impl FnOnce(&dyn Fn(BlobRef)) -> Result<(), Error>,
    ) -> Result<Stats, Error> {
        let workers = workers.max(1);
        let cache_mb = (DELTA_CACHE_MB / workers).max(DELTA_CACHE_MIN_MB);
        let total = Mutex::new(Stats::default());
        let result = std::thread::scope(|s| {
            let mut senders = Vec::with_capacity(workers);
            for _ in 0..workers {
                let (tx, rx) = mpsc::channel::<BlobRef>();
                senders.push(tx);
                let total = &total;
                s.spawn(move || {
                    let out = self.worker(rx, cache_mb);
                    total.lock().unwrap_or_else(|e| e.into_inner()).merge(out);
                });
            }
            let router = std::cell::RefCell::new(Router::new(workers));
            let send = |b: BlobRef| {
                let w = router.borrow_mut().route(&b.path);
                let _ = senders[w].send(b);
            };
            let r = produce(&send);
            drop(senders);
            r
        });
        result?;
        Ok(total.into_inner().unwrap_or_else(|e| e.into_inner()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_stays_with_one_worker_for_a_run_and_a_long_history_is_shared() {
        let mut r = Router::new(2);
        // Short histories: each path's versions all go to one worker, and
        // paths spread over both.
        let paths: Vec<String> = (0..200).map(|i| format!("src/f{i}.rs")).collect();
        let homes: Vec<usize> = paths.iter().map(|p| r.route(p.as_bytes())).collect();
        for _ in 0..10 {
            for (p, &home) in paths.iter().zip(&homes) {
                assert_eq!(r.route(p.as_bytes()), home, "{p}");
            }
        }
        let on_first = homes.iter().filter(|&&w| w == 0).count();
        assert!(
            (50..150).contains(&on_first),
            "{on_first} of 200 paths on worker 0"
        );
        // One file with thousands of versions: consecutive runs, alternating.
        let mut r = Router::new(2);
        let ws: Vec<usize> = (0..4 * ROUTE_RUN).map(|_| r.route(b"Cargo.lock")).collect();
        let runs: Vec<&[usize]> = ws.chunks(ROUTE_RUN as usize).collect();
        for (k, run) in runs.iter().enumerate() {
            assert!(run.iter().all(|&w| w == run[0]), "run {k} split");
            assert_ne!(run[0], runs[(k + 1) % runs.len()][0], "runs {k} and next");
        }
        // One worker takes everything.
        let mut r = Router::new(1);
        assert!((0..1000).all(|i| r.route(format!("p{}", i % 7).as_bytes()) == 0));
    }

    #[test]
    fn raw_parsing_skips_deletions_and_submodules() {
        let z = "0".repeat(40);
        let a = "a".repeat(40);
        let b = "b".repeat(40);
        let c = "c".repeat(40);
        let text = format!(
            "\x01{c}\0\n:000000 100644 {z} {a} A\0x y\0:100644 000000 {a} {z} D\0gone\0:000000 160000 {z} {b} A\0sub\0\x01{b}\0\n:100644 100644 {a} {b} M\0n\nl\0"
        );
        let got = parse_raw(text.as_bytes());
        assert_eq!(got.len(), 2);
        assert_eq!(
            (
                got[0].id.as_str(),
                got[0].path.as_slice(),
                got[0].commit.as_deref()
            ),
            (a.as_str(), &b"x y"[..], Some(c.as_str()))
        );
        assert_eq!(
            (
                got[1].id.as_str(),
                got[1].path.as_slice(),
                got[1].commit.as_deref()
            ),
            (b.as_str(), &b"n\nl"[..], Some(b.as_str()))
        );
    }
}
