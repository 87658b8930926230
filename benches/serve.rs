//! Load on `burnkey serve`: concurrent clients send signed revocation
//! reports (some repeated, some badly signed) to the real binary over a
//! SQLite store, then the store is checked: every good token revoked once,
//! every badly signed one untouched. Prints throughput and latencies.
//!
//! `cargo bench --bench serve` runs 50 clients and 5,000 reports;
//! `cargo test --benches` (and `--all-targets`) a small run of the same
//! checks. Nothing here asserts a time.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use burnkey::webhook::{sign, Secret};
use serde_json::{json, Value};

const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const WRONG: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

struct Report {
    token: usize,
    id: String,
    good: bool,
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (clients, reports) = if full { (50, 5000) } else { (8, 200) };
    let bin = env!("CARGO_BIN_EXE_burnkey");
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("tokens.db");
    let store = store.to_str().unwrap();

    // 70% distinct good tokens, 20% repeats of them, 10% badly signed.
    let good = reports * 7 / 10;
    let bad = reports / 10;
    let repeats = reports - good - bad;
    let out = Command::new(bin)
        .args(["mint", "--kind", "cfut", "--store", store, "--count"])
        .arg((good + bad).to_string())
        .output()
        .unwrap();
    assert!(out.status.success());
    let tokens: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(tokens.len(), good + bad);

    let mut plan: Vec<Report> = (0..good)
        .map(|i| Report {
            token: i,
            id: format!("msg_{i}"),
            good: true,
        })
        .collect();
    for r in 0..repeats {
        // Half replay the same webhook-id, half report the token anew.
        let i = (r * 7919) % good;
        let id = if r % 2 == 0 {
            format!("msg_{i}")
        } else {
            format!("msg_again_{r}")
        };
        plan.push(Report {
            token: i,
            id,
            good: true,
        });
    }
    plan.extend((good..good + bad).map(|i| Report {
        token: i,
        id: format!("msg_{i}"),
        good: false,
    }));
    // A fixed shuffle: repeats and bad reports among the first ones.
    let n = plan.len();
    for i in (1..n).rev() {
        plan.swap(i, (i * 2_654_435_761) % (i + 1));
    }

    let log = std::fs::File::create(dir.path().join("serve.log")).unwrap();
    let mut child = Command::new(bin)
        .args(["serve", "--listen", "127.0.0.1:0", "--store", store])
        .env("BURNKEY_REVOKE_SECRET", SECRET)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let addr = first
        .split("addr=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    // Keep draining the log so the server never blocks on it.
    std::thread::spawn(move || {
        use std::io::Write;
        let mut log = log;
        for l in lines.map_while(Result::ok) {
            let _ = writeln!(log, "{l}");
        }
    });
    let url = format!("http://{addr}/v1/revocations");

    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::with_capacity(n));
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..clients {
            s.spawn(|| {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .timeout_global(Some(Duration::from_secs(60)))
                    .build()
                    .into();
                let (good_key, bad_key) = (
                    Secret::parse(SECRET).unwrap(),
                    Secret::parse(WRONG).unwrap(),
                );
                let mut mine = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(r) = plan.get(i) else { break };
                    let body =
                        json!([{"token": tokens[r.token], "type": "cloudflare-user-api-token",
                        "url": "src/a.env:1", "source": "file"}])
                        .to_string();
                    let ts = SystemTime::now()
                        .duration_since(SystemTime::UNIX_EPOCH)
                        .unwrap()
                        .as_secs();
                    let key = if r.good { &good_key } else { &bad_key };
                    let t = Instant::now();
                    let mut resp = agent
                        .post(&url)
                        .header("content-type", "application/json")
                        .header("webhook-id", &r.id)
                        .header("webhook-timestamp", ts.to_string())
                        .header("webhook-signature", sign(key, &r.id, ts, body.as_bytes()))
                        .send(body.as_bytes())
                        .unwrap();
                    let status = resp.status().as_u16();
                    let answer: Value =
                        serde_json::from_str(&resp.body_mut().read_to_string().unwrap())
                            .unwrap_or(Value::Null);
                    mine.push((i, status, answer, t.elapsed()));
                }
                results.lock().unwrap().extend(mine);
            });
        }
    });
    let wall = started.elapsed();
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let st = child.wait().unwrap();
    assert!(st.success(), "serve exited {st:?}");

    // Every answer as it should be.
    let results = results.into_inner().unwrap();
    assert_eq!(results.len(), n);
    // Per good token, the webhook-ids answered true_positive: one, since
    // the record is revoked once and a replay gets its id's first answer.
    let mut revoked_by: Vec<std::collections::HashSet<&str>> = vec![Default::default(); good];
    for (i, status, answer, _) in &results {
        let r = &plan[*i];
        if !r.good {
            assert_eq!(*status, 401, "a bad signature was accepted");
            continue;
        }
        assert_eq!(*status, 200, "{answer}");
        if answer[0]["label"] == "true_positive" {
            revoked_by[r.token].insert(&r.id);
        }
    }
    // The store: exactly the good tokens revoked.
    let out = Command::new(bin)
        .args(["store", "list", "--format", "json", "--store", store])
        .output()
        .unwrap();
    let recs: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(recs.len(), good + bad, "records lost");
    let sha = |t: &str| burnkey::checksum::sha256_hex(t.as_bytes());
    let revoked: std::collections::HashSet<String> = recs
        .iter()
        .filter(|r| r["revoked"] == true)
        .map(|r| r["token_sha256"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(revoked.len(), good, "every good token revoked, no bad one");
    for t in &tokens[..good] {
        assert!(revoked.contains(&sha(t)));
    }
    assert!(
        revoked_by.iter().all(|ids| ids.len() == 1),
        "a token revoked twice, or never"
    );

    let mut lat: Vec<Duration> = results.iter().map(|r| r.3).collect();
    lat.sort();
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)];
    println!(
        "serve: {clients} clients, {n} reports ({good} distinct good, {repeats} repeats, {bad} badly signed) in {:.2} s: {:.0} reports/s; latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {} revoked once each, {} refused; store consistent",
        wall.as_secs_f64(),
        n as f64 / wall.as_secs_f64(),
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        lat[lat.len() - 1].as_secs_f64() * 1e3,
        revoked.len(),
        bad,
    );
}
