//! Pairing: what a token needs beside it to be verified or revoked (a Cloudflare
//! account id for `cfat_`, the account's email for a Global API Key),
//! taken from a flag, an environment variable, or the same file within a
//! few lines of the token — only where a name says what the value is
//! (`account_id = …`, `/accounts/<id>/`, `X-Auth-Email: …`), never any
//! 32-hex string that happens to be near.

use std::sync::OnceLock;

use regex::bytes::Regex;

use crate::findings::verification::Paired;

/// How far from the token's line a value may be.
pub const WINDOW: u64 = 5;

/// What is looked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Want {
    AccountId,
    Email,
}

impl Want {
    /// The flag that gives it outright.
    pub fn flag(self) -> &'static str {
        match self {
            Want::AccountId => "--cloudflare-account ID",
            Want::Email => "--cloudflare-email ADDRESS",
        }
    }

    /// The environment variable that gives it outright.
    pub fn env(self) -> &'static str {
        match self {
            Want::AccountId => "CLOUDFLARE_ACCOUNT_ID",
            Want::Email => "CLOUDFLARE_EMAIL",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Want::AccountId => "account_id",
            Want::Email => "email",
        }
    }

    fn patterns(self) -> &'static [Regex] {
        static ACCOUNT: OnceLock<Vec<Regex>> = OnceLock::new();
        static EMAIL: OnceLock<Vec<Regex>> = OnceLock::new();
        match self {
            Want::AccountId => ACCOUNT.get_or_init(|| {
                vec![
                    // account_id = "…", ACCOUNT_ID=…, "accountId": "…", account-id: …
                    ascii(r#"(?i)account[_-]?id["']?\s*[:=]\s*["']?([0-9a-f]{32})\b"#),
                    // …/accounts/<id>/… in a URL
                    ascii(r"/accounts/([0-9a-f]{32})\b"),
                ]
            }),
            Want::Email => EMAIL.get_or_init(|| {
                // email = …, X-Auth-Email: …, CLOUDFLARE_EMAIL=…, "email": "…"
                vec![ascii(
                    r#"(?i)e-?mail["']?\s*[:=]\s*["']?([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})\b"#,
                )]
            }),
        }
    }
}

/// A built-in pattern, compiled as the keyword rules' contexts are: over
/// bytes, with ASCII classes and case folding. A Unicode `(?i)`, `\s` or
/// `\b` would need `regex` features that only the test build turns on, and
/// the shipped binary would panic here.
fn ascii(re: &str) -> Regex {
    crate::rules::keyword::compile(re).expect("a built-in pairing pattern compiles")
}

/// Why nothing was paired.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotPaired {
    /// Nothing named like one within the window.
    Missing,
    /// Several different values at the same, nearest distance.
    Ambiguous(Vec<u64>),
}

/// The value `want` names nearest to line `line` (1-based) of `text`,
/// within [`WINDOW`] lines.
pub fn nearby(text: &[u8], line: u64, want: Want) -> Result<Paired, NotPaired> {
    let first = line.saturating_sub(WINDOW).max(1);
    let mut best: Option<(u64, Vec<(String, u64)>)> = None;
    for (i, l) in text.split(|&b| b == b'\n').enumerate() {
        let n = i as u64 + 1;
        if n < first {
            continue;
        }
        if n > line + WINDOW {
            break;
        }
        for re in want.patterns() {
            for c in re.captures_iter(l) {
                // The patterns capture ASCII only.
                let v = String::from_utf8_lossy(&c[1]).into_owned();
                let d = n.abs_diff(line);
                match &mut best {
                    Some((bd, _)) if d > *bd => {}
                    Some((bd, vs)) if d == *bd => {
                        if !vs.iter().any(|(x, _)| *x == v) {
                            vs.push((v, n));
                        }
                    }
                    _ => best = Some((d, vec![(v, n)])),
                }
            }
        }
    }
    match best {
        None => Err(NotPaired::Missing),
        Some((_, vs)) if vs.len() > 1 => {
            Err(NotPaired::Ambiguous(vs.iter().map(|v| v.1).collect()))
        }
        Some((_, mut vs)) => {
            let (value, n) = vs.remove(0);
            Ok(Paired {
                what: want.name().into(),
                value,
                how: "nearby".into(),
                line: Some(n),
            })
        }
    }
}

/// A value given outright (`flag` or `env`).
pub fn given(want: Want, value: &str, how: &str) -> Paired {
    Paired {
        what: want.name().into(),
        value: value.into(),
        how: how.into(),
        line: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "0123456789abcdef0123456789abcdef";
    const B: &str = "fedcba9876543210fedcba9876543210";

    #[test]
    fn named_values_only_and_the_nearest() {
        let text = format!(
            "x\nCLOUDFLARE_ACCOUNT_ID={A}\nzone_id = \"{B}\"\nTOKEN=cfat_…\n\n\n\n\n\n\nurl = https://api.cloudflare.com/client/v4/accounts/{B}/tokens\n"
        );
        let p = nearby(text.as_bytes(), 4, Want::AccountId).unwrap();
        assert_eq!(
            (p.value.as_str(), p.line, p.how.as_str()),
            (A, Some(2), "nearby")
        );
        // The zone id is 32 hex too, and never taken.
        let only_zone = format!("zone_id = \"{B}\"\ntoken = cfat_…\n");
        assert_eq!(
            nearby(only_zone.as_bytes(), 2, Want::AccountId),
            Err(NotPaired::Missing)
        );
        // Beyond the window: missing.
        assert_eq!(
            nearby(text.as_bytes(), 17, Want::AccountId),
            Err(NotPaired::Missing)
        );
        let url = nearby(text.as_bytes(), 12, Want::AccountId).unwrap();
        assert_eq!((url.value.as_str(), url.line), (B, Some(11)));
    }

    #[test]
    fn two_different_values_at_the_same_distance_are_ambiguous() {
        let text = format!("account_id: {A}\nkey: cfat_…\naccountId: \"{B}\"\n");
        assert_eq!(
            nearby(text.as_bytes(), 2, Want::AccountId),
            Err(NotPaired::Ambiguous(vec![1, 3]))
        );
        let same = format!("account_id: {A}\nkey: cfat_…\n\"accountId\": \"{A}\"\n");
        assert_eq!(
            nearby(same.as_bytes(), 2, Want::AccountId).unwrap().value,
            A
        );
    }

    #[test]
    fn emails_named_as_such() {
        let text = "curl -H 'X-Auth-Email: ops@example.com' -H 'X-Auth-Key: cfk_…'\ncontact = boss@example.org\n";
        let p = nearby(text.as_bytes(), 1, Want::Email).unwrap();
        assert_eq!((p.value.as_str(), p.line), ("ops@example.com", Some(1)));
        assert_eq!(
            nearby(b"E-Mail: a@b.co\ncfk_", 2, Want::Email).map(|p| p.value),
            Ok("a@b.co".into())
        );
        assert_eq!(
            nearby(b"owner a@b.co\ncfk_", 2, Want::Email),
            Err(NotPaired::Missing)
        );
    }
}
