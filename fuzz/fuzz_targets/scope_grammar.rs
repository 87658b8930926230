//! Any input: parsing never panics; a parsed scope prints back to the same
//! string, parses again to the same value, and allows itself.
#![no_main]

use burnkey::Scope;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(scope) = Scope::parse(s) {
        assert_eq!(scope.to_string(), s);
        assert_eq!(Scope::parse(&scope.to_string()).unwrap(), scope);
        assert!(scope.allows(&scope));
    } else {
        let _ = Scope::parse(s).unwrap_err().to_string();
    }
});
