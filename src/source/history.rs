//! History without repeats: a token kept by later edits of its file is in
//! every later blob of that file, and a scan of history meets it once per
//! blob. Reports want it once per place: one finding per (rule, secret,
//! path), at the earliest commit that introduced it, with how many blobs
//! there carried it, the newest commit that did, and which refs still hold
//! it at that path.
//!
//! Memory is the per-blob findings of the scan (compact records) until they
//! are merged, then one record per distinct (rule, secret, path).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use crate::error::Error;
use crate::findings::finding::{Finding, History, Location};
use crate::source::git::{HistoryIndex, Repo};

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
            use std::os::unix::ffi::OsStrExt;
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
