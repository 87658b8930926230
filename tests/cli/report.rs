//! Organisation-wide scanning without Actions: shard planning, `--repository`
//! tags, and merging shard reports into one SARIF, JSON or Markdown report.

use serde_json::Value;

use crate::common::*;
use crate::git::{commit_all, repo};
use crate::scan::validate_sarif;

#[test]
fn shards_split_a_list_for_a_matrix() {
    let t = Tree::new();
    let list: String = (0..7).map(|i| format!("org/repo-{i}\n")).collect();
    t.write(
        "repos.txt",
        format!("# every repository\n{list}\norg/repo-3\n"),
    );
    let o = bin()
        .current_dir(t.path())
        .args(["report", "shards", "repos.txt", "--shards", "3"])
        .output()
        .unwrap();
    let (code, out, err) = parts(&o);
    assert_eq!(code, 0, "{err}");
    let m: Value = serde_json::from_str(&out).unwrap();
    let shards: Vec<&str> = m["include"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["repositories"].as_str().unwrap())
        .collect();
    assert_eq!(
        shards,
        vec![
            "org/repo-0 org/repo-1 org/repo-2",
            "org/repo-3 org/repo-4",
            "org/repo-5 org/repo-6"
        ]
    );
    assert_eq!(m["include"][2]["shard"], 2);
    for bad in [["--shards", "0"], ["--shards", "300"]] {
        let o = bin()
            .current_dir(t.path())
            .args(["report", "shards", "repos.txt"])
            .args(bad)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2));
    }
    t.write("bad.txt", "org/ok\n../../etc\n");
    let o = bin()
        .current_dir(t.path())
        .args(["report", "shards", "bad.txt"])
        .output()
        .unwrap();
    let (code, _, err) = parts(&o);
    assert_eq!(code, 2);
    assert!(err.contains("line 2"), "{err}");
}

#[test]
fn three_shard_reports_merge_into_one() {
    // Three repositories, each scanned (full history) by its own "shard".
    let work = Tree::new();
    let mut tokens = Vec::new();
    for (i, name) in ["acme/api", "acme/web", "acme/empty"].iter().enumerate() {
        let r = repo();
        if i < 2 {
            let tok = mint(if i == 0 { "cfut" } else { "npm" });
            r.write("src/config.txt", format!("x\n{tok}\n"));
            commit_all(&r, "leak");
            r.write("src/config.txt", "x\n");
            commit_all(&r, "remove");
            tokens.push(tok);
        } else {
            r.write("README", "nothing\n");
            commit_all(&r, "init");
        }
        let o = bin()
            .current_dir(r.path())
            .args([
                "scan",
                "--git",
                ".",
                "--repository",
                name,
                "--format",
                "json",
                "-o",
            ])
            .arg(work.path().join(format!("shard{i}.json")))
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(if i < 2 { 1 } else { 0 }));
    }
    let shards: Vec<std::path::PathBuf> = (0..3)
        .map(|i| work.path().join(format!("shard{i}.json")))
        .collect();
    let merge = |format: &str| {
        let o = bin()
            .args(["report", "merge", "--format", format])
            .args(&shards)
            .output()
            .unwrap();
        let (code, out, err) = parts(&o);
        assert_eq!(code, 1, "{err}");
        for t in &tokens {
            assert!(!out.contains(t.as_str()), "no secret in a merged report");
        }
        out
    };
    // JSON: every finding, tagged, and stats that add up.
    let doc: Value = serde_json::from_str(&merge("json")).unwrap();
    let repos: Vec<&str> = findings(&doc)
        .iter()
        .map(|f| f["repository"].as_str().unwrap())
        .collect();
    assert_eq!(repos, vec!["acme/api", "acme/web"]);
    let sum = |k: &str| -> u64 {
        shards
            .iter()
            .map(|p| {
                let d: Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
                d["stats"][k].as_u64().unwrap()
            })
            .sum()
    };
    for k in ["files_scanned", "bytes_scanned", "findings"] {
        assert_eq!(doc["stats"][k].as_u64().unwrap(), sum(k), "{k}");
    }
    assert_eq!(doc["stats"]["findings"], 2);
    assert_eq!(doc["reports"], 3);
    assert_eq!(doc["repositories"]["acme/web"], 1);
    assert_eq!(doc["repositories"]["acme/empty"], 0, "scanned, clean");
    // SARIF: valid, one run per repository scanned, the clean one empty.
    let sarif = merge("sarif");
    validate_sarif(&sarif);
    let s: Value = serde_json::from_str(&sarif).unwrap();
    let runs = s["runs"].as_array().unwrap();
    let ids: Vec<&str> = runs
        .iter()
        .map(|r| r["automationDetails"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "burnkey/acme/api/",
            "burnkey/acme/empty/",
            "burnkey/acme/web/"
        ]
    );
    assert_eq!(runs[1]["results"], serde_json::json!([]));
    let runs = [&runs[0], &runs[2]];
    assert_eq!(runs[1]["results"][0]["ruleId"], "npm-access-token");
    assert_eq!(
        runs[1]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "src/config.txt"
    );
    assert_eq!(
        runs[0]["results"][0]["properties"]["still_in"],
        serde_json::json!([])
    );
    // Markdown: counts per repository.
    let md = merge("markdown");
    assert!(
        md.contains("**2 leaked tokens**")
            && md.contains("3 repositories scanned, 1 clean.")
            && md.contains("| `acme/api` | 1 |")
            && md.contains("| `acme/empty` | 0 |"),
        "{md}"
    );
    // Not a report: a clear error.
    work.write("junk.json", "{\"x\": 1}");
    let o = bin()
        .args(["report", "merge"])
        .arg(work.path().join("junk.json"))
        .output()
        .unwrap();
    let (code, _, err) = parts(&o);
    assert_eq!(code, 2);
    assert!(err.contains("junk.json"), "{err}");
}
