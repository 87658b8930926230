//! History without repeats: a token kept by later edits of its file is in
//! every later blob of that file, and a scan of history meets it once per
//! blob. Reports want it once per place: one finding per (rule, secret,
//! path), at the earliest commit that introduced it, with how many blobs
//! there carried it, the newest commit that did, and which refs still hold
//! it at that path.
//!
//! Memory is the per-blob findings of the scan (compact records) until they
//! are merged, then one record per distinct (rule, secret, path).

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::{Condvar, Mutex};

use crate::error::Error;
use crate::findings::finding::{Finding, History, Location};
use crate::findings::outcome::{Collect, Sink};
use crate::findings::stats::Stats;
use crate::source::git::{id_key, BlobScan, HistoryIndex, Repo};

/// Scans history as its reachable blobs ([`Repo::reachable_blobs`]),
/// which name a path but no commit, and places each finding where the log
/// says its blob was first added (that commit, and the full path there),
/// with the other paths it was added at in the index. The log runs beside
/// the scan from its first finding on, so a clean history never pays for
/// it and one with tokens waits for little more than the slower of the
/// two. The findings are not yet allowed or merged.
pub fn scan_reachable(
    job: &BlobScan<'_>,
    workers: usize,
) -> Result<(Stats, Vec<Finding>, HistoryIndex), Error> {
    let repo = job.repo;
    let held = Collect::default();
    let start = Start::default();
    let sink = Starting {
        held: &held,
        start: &start,
    };
    let job = BlobScan {
        sink: &sink,
        ..*job
    };
    let (stats, log) = std::thread::scope(|s| {
        let log = s.spawn(|| start.wait().then(|| log_firsts(repo)).transpose());
        let stats = job.run(workers, |send| repo.reachable_blobs(send));
        start.finish();
        (stats, log.join().expect("the log thread does not panic"))
    });
    let stats = stats?;
    let findings = held.into_findings();
    let Some((index, commits)) = log? else {
        return Ok((stats, findings, HistoryIndex::default()));
    };
    // A blob whose first path is not the one rev-list named (a renamed or
    // copied file) is asked of the log once more, with its path.
    let unplaced: HashSet<u128> = findings
        .iter()
        .filter(|f| first_place(f, &index, &commits).is_none())
        .filter_map(|f| f.blob().map(id_key))
        .collect();
    let named = RefCell::new(HashMap::new());
    if !unplaced.is_empty() {
        repo.history_blobs(Some(&unplaced), &|b| {
            named.borrow_mut().insert(id_key(&b.id), b);
        })?;
    }
    let named = named.into_inner();
    let placed = findings
        .into_iter()
        .map(|f| {
            let place = first_place(&f, &index, &commits).or_else(|| {
                let b = named.get(&id_key(f.blob()?))?;
                Some((b.path.clone(), b.commit.clone().unwrap_or_default()))
            });
            match (place, f.blob()) {
                (Some((path, commit)), Some(blob)) => f.relocated(Location::Commit {
                    path: PathBuf::from(std::ffi::OsStr::from_bytes(&path)),
                    blob: blob.to_string(),
                    commit,
                }),
                _ => f,
            }
        })
        .collect();
    Ok((stats, placed, index))
}

/// The commits that first added a blob, by their place in the log.
type Commits = Vec<(u32, String)>;

/// The log over all of history: where every blob was first added, and
/// the commits that did.
fn log_firsts(repo: &Repo) -> Result<(HistoryIndex, Commits), Error> {
    let commits = RefCell::new(Vec::new());
    let index = repo.history_blobs(None, &|b| {
        let mut c = commits.borrow_mut();
        if c.last().is_none_or(|&(seq, _)| seq != b.seq) {
            c.push((b.seq, b.commit.unwrap_or_default()));
        }
    })?;
    Ok((index, commits.into_inner()))
}

/// Where `f`'s blob was first added, when that was at the path it was
/// found at: `(path, commit)`.
fn first_place(f: &Finding, index: &HistoryIndex, commits: &Commits) -> Option<(Vec<u8>, String)> {
    let path = f.location.raw_path()?;
    let seq = index.first_at(f.blob()?, path)?;
    let i = commits.binary_search_by_key(&seq, |c| c.0).ok()?;
    Some((path.to_vec(), commits[i].1.clone()))
}

/// Whether the scan has found something (the log starts) or ended.
#[derive(Default)]
struct Start {
    /// `None` while neither; then whether a finding came first.
    state: Mutex<Option<bool>>,
    cv: Condvar,
}

impl Start {
    fn found(&self) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if s.is_none() {
            *s = Some(true);
            self.cv.notify_all();
        }
    }

    fn finish(&self) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if s.is_none() {
            *s = Some(false);
            self.cv.notify_all();
        }
    }

    /// Waits for either: true when a finding came first.
    fn wait(&self) -> bool {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(found) = *s {
                return found;
            }
            s = self.cv.wait(s).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// Keeps findings, starting the log at the first.
struct Starting<'a> {
    held: &'a Collect,
    start: &'a Start,
}

impl Sink for Starting<'_> {
    fn finding(&self, f: Finding) {
        self.start.found();
        self.held.finding(f);
    }
}

/// Merges the per-blob findings of a history scan into one per (rule,
/// secret, path). A blob that was also added at other paths (a copy) counts
/// at each of them. Sorted as reports sort.
pub fn merge(
    findings: Vec<Finding>,
    index: &HistoryIndex,
    repo: &Repo,
) -> Result<Vec<Finding>, Error> {
    type Key = (String, String, Vec<u8>);
    // Per place: (commit order, finding) of every sighting; each finding
    // names its commit and blob.
    let mut groups: BTreeMap<Key, Vec<(u32, Finding)>> = BTreeMap::new();
    let mut add = |seq: u32, f: Finding| {
        let key = (
            f.rule_id().to_string(),
            f.secret_sha256().to_string(),
            f.location.raw_path().unwrap_or_default().to_vec(),
        );
        groups.entry(key).or_default().push((seq, f));
    };
    for f in findings {
        let Some(blob) = f.blob().map(str::to_string) else {
            continue;
        };
        for other in index.elsewhere(&blob) {
            let moved = f.relocated(Location::Commit {
                path: PathBuf::from(std::ffi::OsStr::from_bytes(&other.path)),
                blob: blob.clone(),
                commit: other.commit.clone().unwrap_or_default(),
            });
            add(other.seq, moved);
        }
        let seq = index.seq(&blob).unwrap_or(0);
        add(seq, f);
    }
    // Which refs still hold each place's blobs: one query for all tips and
    // paths.
    let tips = repo.ref_tips()?;
    let mut distinct: Vec<String> = tips.iter().map(|(_, c)| c.clone()).collect();
    distinct.sort();
    distinct.dedup();
    let paths: Vec<Vec<u8>> = groups
        .keys()
        .map(|k| k.2.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let at = if groups.is_empty() {
        Vec::new()
    } else {
        repo.blobs_at(&distinct, &paths)?
    };
    let path_index: HashMap<&[u8], usize> = paths
        .iter()
        .enumerate()
        .map(|(i, p)| (p.as_slice(), i))
        .collect();
    let tip_index: HashMap<&str, usize> = distinct
        .iter()
        .enumerate()
        .map(|(i, c)| (c.as_str(), i))
        .collect();
    let mut out = Vec::with_capacity(groups.len());
    for ((_, _, path), mut sightings) in groups {
        sightings.sort_by(|a, b| (a.0, a.1.commit()).cmp(&(b.0, b.1.commit())));
        let blobs: BTreeSet<&str> = sightings.iter().filter_map(|s| s.1.blob()).collect();
        let p = path_index[path.as_slice()];
        let still_in: Vec<String> = tips
            .iter()
            .filter(|(_, c)| {
                at[tip_index[c.as_str()]][p]
                    .as_deref()
                    .is_some_and(|b| blobs.contains(b))
            })
            .map(|(name, _)| name.clone())
            .collect();
        let history = History {
            occurrences: blobs.len() as u64,
            last_commit: sightings
                .last()
                .and_then(|s| s.1.commit())
                .unwrap_or_default()
                .to_string(),
            still_in,
        };
        let first = sightings.swap_remove(0).1;
        out.push(first.with_history(history));
    }
    out.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Ok(out)
}
