//! Arbitrary report bodies, correctly signed, handed to `burnkey serve`'s
//! receiver over a store with live records: it never panics, answers 200
//! or 400 (the signature is good), and never echoes a token it was sent —
//! not in the feedback, not in an error about a body it could not parse.
#![no_main]

use std::sync::OnceLock;
use std::time::SystemTime;

use burnkey::serve::log::Log;
use burnkey::serve::{Receiver, Settings};
use burnkey::webhook::{sign, Secret};
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

struct World {
    _dir: tempfile::TempDir,
    receiver: Receiver,
    secret: Secret,
}

fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("tokens.jsonl");
        let f = burnkey::FormatSet::builtin().by_name("cfut").unwrap().clone();
        let minted: Vec<_> = (0..4)
            .map(|_| burnkey::record::mint(&f, &[], None).unwrap())
            .collect();
        let s = burnkey::store::open(store.to_str().unwrap()).unwrap();
        s.insert(&minted.iter().map(|m| m.record.clone()).collect::<Vec<_>>())
            .unwrap();
        std::env::set_var("FUZZ_SERVE_SECRET", SECRET);
        let settings = Settings {
            store: store.display().to_string(),
            secret_env: "FUZZ_SERVE_SECRET".into(),
            secret_env_given: true,
            ..Settings::default()
        };
        World {
            receiver: Receiver::new(&settings, Log::new(true)).unwrap(),
            secret: Secret::parse(SECRET).unwrap(),
            _dir: dir,
        }
    })
}

fuzz_target!(|body: &[u8]| {
    let w = world();
    let now = SystemTime::now();
    let ts = now.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
    // A fresh id each time: the replay cache is not what is fuzzed here.
    let id = format!("msg_{}", burnkey::checksum::sha256_hex(body));
    let sig = sign(&w.secret, &id, ts, body);
    let ts = ts.to_string();
    let headers = [
        ("webhook-id", id.as_str()),
        ("webhook-timestamp", ts.as_str()),
        ("webhook-signature", sig.as_str()),
    ];
    let reply = w.receiver.revocations(&headers, body, now);
    assert!(
        reply.status == 200 || reply.status == 400,
        "status {}",
        reply.status
    );
    // The tokens it was sent (where the body is a report), never echoed
    // unless the sender put the same text in a field that is echoed (`type`).
    if let Ok(serde_json::Value::Array(items)) = serde_json::from_slice::<serde_json::Value>(body) {
        let echoed: Vec<&str> = items.iter().filter_map(|i| i["type"].as_str()).collect();
        let answer = String::from_utf8_lossy(&reply.body);
        for t in items.iter().filter_map(|i| i["token"].as_str()) {
            if t.len() >= 16 && !echoed.iter().any(|e| e.contains(t)) {
                assert!(!answer.contains(t), "a token was echoed: {answer}");
            }
        }
    }
    let answer = String::from_utf8_lossy(&reply.body);
    if reply.status == 400 {
        // Nothing of a body it could not read comes back.
        if let Ok(text) = std::str::from_utf8(body) {
            for word in text.split(|c: char| !c.is_ascii_alphanumeric() && c != '_') {
                if word.len() >= 24 {
                    assert!(!answer.contains(word), "the body was echoed: {answer}");
                }
            }
        }
    }
});
