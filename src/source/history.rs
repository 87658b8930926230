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
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::{mpsc, Condvar, Mutex};

use crate::error::Error;
use crate::findings::finding::{Finding, History, Location};
use crate::findings::outcome::{Collect, Sink};
use crate::findings::stats::Stats;
use crate::source::git::{id_key, path_hash, BlobRef, BlobScan, HistoryIndex, IdBuild, Repo};

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
    let lister = Mutex::new(Lister::RevList(HashMap::default()));
    let sink = Starting {
        held: &held,
        start: &start,
    };
    let job = BlobScan {
        sink: &sink,
        ..*job
    };
    let (stats, log) = std::thread::scope(|s| {
        let log = s.spawn(|| start.wait().then(|| log_firsts(repo, &lister)).transpose());
        let stats = job.run(workers, |send| {
            repo.reachable_blobs(&|b| {
                let mut l = lock(&lister);
                let Lister::RevList(sent) = &mut *l else {
                    return false;
                };
                sent.insert(id_key(&b.id), path_hash(&b.path));
                drop(l);
                send(b);
                true
            })?;
            let mut l = lock(&lister);
            match std::mem::replace(&mut *l, Lister::Done) {
                Lister::RevList(sent) => *l = Lister::Listed(sent),
                Lister::Log(rx) => {
                    drop(l);
                    rx.into_iter().for_each(send);
                }
                other => *l = other,
            }
            Ok(())
        });
        start.finish();
        (stats, log.join().expect("the log thread does not panic"))
    });
    let stats = stats?;
    let findings = held.into_findings();
    let Some(log) = log? else {
        return Ok((stats, findings, HistoryIndex::default()));
    };
    let placed = findings
        .into_iter()
        .map(|f| match (log.first_place(&f), f.blob()) {
            (Some((path, commit)), Some(blob)) => f.relocated(Location::Commit {
                path: PathBuf::from(std::ffi::OsStr::from_bytes(&path)),
                blob: blob.to_string(),
                commit,
            }),
            _ => f,
        })
        .collect();
    Ok((stats, placed, log.index))
}

/// What lists the blobs a history scan reads. rev-list's sent blobs are
/// kept with the hash of the path it named for each.
enum Lister {
    /// rev-list, which has sent these.
    RevList(HashMap<u128, u64, IdBuild>),
    /// rev-list, which listed them all.
    Listed(HashMap<u128, u64, IdBuild>),
    /// The log, which took over from rev-list at the first finding: what
    /// rev-list had not sent comes through here.
    Log(mpsc::Receiver<BlobRef>),
    /// Nothing more.
    Done,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What the log learnt of history: where every blob was first added.
struct Firsts {
    index: HistoryIndex,
    /// The commits that first added a blob, by their place in the log.
    commits: Vec<(u32, String)>,
    /// Blobs rev-list named at another path than the one that first added
    /// them (a renamed or copied file): that first addition.
    moved: HashMap<u128, BlobRef, IdBuild>,
}

impl Firsts {
    /// Where `f`'s blob was first added: `(path, commit)`.
    fn first_place(&self, f: &Finding) -> Option<(Vec<u8>, String)> {
        let blob = f.blob()?;
        if let Some(b) = self.moved.get(&id_key(blob)) {
            return Some((b.path.clone(), b.commit.clone().unwrap_or_default()));
        }
        let path = f.location.raw_path()?;
        let seq = self.index.first_at(blob, path)?;
        let i = self.commits.binary_search_by_key(&seq, |c| c.0).ok()?;
        Some((path.to_vec(), self.commits[i].1.clone()))
    }
}

/// The log over all of history: where every blob was first added, and
/// the commits that did. While rev-list is still listing, it stops there
/// and the log sends what rev-list had not (in the log's order, oldest
/// first), so a history with tokens is not walked twice. A blob rev-list
/// named at another path than its first is kept whole, to be placed there.
fn log_firsts(repo: &Repo, lister: &Mutex<Lister>) -> Result<Firsts, Error> {
    let (tx, rx) = mpsc::channel();
    let (sent, tx) = match std::mem::replace(&mut *lock(lister), Lister::Log(rx)) {
        Lister::RevList(sent) => (sent, Some(tx)),
        Lister::Listed(sent) => (sent, None),
        _ => (HashMap::default(), None),
    };
    let commits = RefCell::new(Vec::new());
    let moved = RefCell::new(HashMap::default());
    let index = repo.history_blobs(
        &|b| {
            let mut c = commits.borrow_mut();
            if c.last().is_none_or(|&(seq, _)| seq != b.seq) {
                c.push((b.seq, b.commit.clone().unwrap_or_default()));
            }
            let key = id_key(&b.id);
            match (sent.get(&key), &tx) {
                (Some(&h), _) if h != path_hash(&b.path) => {
                    moved.borrow_mut().insert(key, b);
                }
                (None, Some(tx)) => {
                    let _ = tx.send(b);
                }
                _ => {}
            }
        },
        // Never with path globs: they select the log path.
        &|_| false,
    );
    drop(tx);
    Ok(Firsts {
        index: index?,
        commits: commits.into_inner(),
        moved: moved.into_inner(),
    })
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
        let mut s = lock(&self.state);
        if s.is_none() {
            *s = Some(true);
            self.cv.notify_all();
        }
    }

    fn finish(&self) {
        let mut s = lock(&self.state);
        if s.is_none() {
            *s = Some(false);
            self.cv.notify_all();
        }
    }

    /// Waits for either: true when a finding came first.
    fn wait(&self) -> bool {
        let mut s = lock(&self.state);
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn git(dir: &std::path::Path, args: &[&str]) -> String {
        let o = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    }

    /// The log taking over from rev-list sends exactly the blobs rev-list
    /// had not, each once, with the commit and path that first added it;
    /// the log started after rev-list ended sends nothing.
    #[test]
    fn the_log_sends_what_rev_list_had_not() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        git(d, &["init", "-q", "-b", "main"]);
        std::fs::write(d.join("a"), "one\n").unwrap();
        std::fs::write(d.join("b"), "two\n").unwrap();
        git(d, &["add", "-A"]);
        git(d, &["commit", "-qm", "first"]);
        let first = git(d, &["rev-parse", "HEAD"]);
        std::fs::write(d.join("a"), "three\n").unwrap();
        std::fs::write(d.join("c"), "two\n").unwrap();
        git(d, &["add", "-A"]);
        git(d, &["commit", "-qm", "second"]);
        let repo = Repo::discover(d).unwrap();
        let b = git(d, &["rev-parse", "HEAD:b"]);
        let a2 = git(d, &["rev-parse", "HEAD:a"]);
        let sent = [(id_key(&a2), path_hash(b"a"))].into_iter().collect();
        let lister = Mutex::new(Lister::RevList(sent));
        let Firsts { index, commits, .. } = log_firsts(&repo, &lister).unwrap();
        let Lister::Log(rx) = std::mem::replace(&mut *lock(&lister), Lister::Done) else {
            panic!("the log took over");
        };
        let mut got: Vec<(String, String, String)> = rx
            .into_iter()
            .map(|r| {
                let path = String::from_utf8(r.path).unwrap();
                (path, r.id, r.commit.unwrap())
            })
            .collect();
        got.sort();
        let a1 = git(d, &["rev-parse", &format!("{first}:a")]);
        let mut want = vec![
            ("a".to_string(), a1, first.clone()),
            ("b".into(), b.clone(), first.clone()),
        ];
        want.sort();
        assert_eq!(
            got, want,
            "a's second version was sent by rev-list; b's copy c is not new"
        );
        assert_eq!(index.elsewhere(&b)[0].path, b"c");
        assert_eq!(commits.len(), 2);
        // rev-list listed everything: the log only places, and keeps whole
        // a blob rev-list named at another path than its first (b's blob,
        // as c).
        let sent = [a2.as_str(), &b]
            .iter()
            .zip([&b"a"[..], b"c"])
            .map(|(id, path)| (id_key(id), path_hash(path)))
            .collect();
        let lister = Mutex::new(Lister::Listed(sent));
        let firsts = log_firsts(&repo, &lister).unwrap();
        let Lister::Log(rx) = std::mem::replace(&mut *lock(&lister), Lister::Done) else {
            panic!("the log ran");
        };
        assert_eq!(rx.into_iter().count(), 0);
        let moved: Vec<(&[u8], Option<&str>)> = firsts
            .moved
            .values()
            .map(|m| (&m.path[..], m.commit.as_deref()))
            .collect();
        assert_eq!(moved, vec![(&b"b"[..], Some(first.as_str()))]);
    }
}
