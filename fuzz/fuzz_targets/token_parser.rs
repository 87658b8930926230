//! Any input: `check` never panics, and whatever it accepts is a token of
//! the format it names, which the scanner also finds on its own.
#![no_main]

use burnkey::{FormatSet, RuleSet, Scanner};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let set = FormatSet::builtin();
    if let Ok(c) = set.check(s) {
        assert!(s.starts_with(c.format.prefix.as_str()));
        assert_eq!(s.len(), c.format.token_len());
        let mut found = Vec::new();
        Scanner::new(RuleSet::builtin()).scan_slice(data, |m| found.push(m.secret));
        assert_eq!(found, vec![s.to_string()]);
    }
    // Errors render without panicking and never echo a token-like input whole.
    if let Err(e) = set.check(s) {
        let msg = e.to_string();
        if set.lookup(s).is_some() && s.len() >= 20 {
            assert!(!msg.contains(s), "{msg}");
        }
    }
});
