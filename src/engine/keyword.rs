//! Keyword-anchored secrets: a string of the right shape is a finding only
//! where a keyword names it — a key on its line (`CLOUDFLARE_API_KEY=…`,
//! `X-Auth-Key: …`), an enclosing key above it (`cloudflare:` then
//! `  api_key: …`; `[cloudflare]`; `provider "cloudflare" {`), or a
//! request nearby (`Authorization: Bearer …` to `api.cloudflare.com`).
//!
//! The engine's prefilter finds the rules' anchors (rare substrings of
//! their keywords); only the bytes within [`KEYWORD_REACH`] of an anchor
//! are looked at, and every decision about a secret looks only at its own
//! surroundings, at most [`KEYWORD_REACH`] bytes and [`KEYWORD_LINES`]
//! lines away — so a stream gives exactly what the whole slice gives.

use regex::bytes::Regex;

use crate::rules::keyword::compile;
use crate::rules::{Rule, KEYWORD_LINES, KEYWORD_REACH};
use crate::token::layout::{Alphabet, Segment};

/// The bytes a secret's run is made of: a run longer or shorter than the
/// rule's length is not the secret (a 64-hex digest holds no 40-hex key).
#[inline]
fn in_run(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

struct Context {
    before: Regex,
    parent: Option<Regex>,
    near: Option<Regex>,
}

const DIGIT: u8 = 1;
const UPPER: u8 = 2;
const LOWER: u8 = 4;
const LETTER: u8 = 8;

/// One keyword rule, compiled.
pub(crate) struct KeywordRule {
    /// Index of the rule in the engine's rule set.
    pub rule: usize,
    alphabet: Alphabet,
    min: usize,
    max: usize,
    require: u8,
    /// The rule's contexts as written, compiled on first use: most texts
    /// never show a keyword, and compiling every expression costs more
    /// than a short event's whole scan (7M instructions at start-up,
    /// measured by callgrind, for the built-in rules).
    specs: Vec<crate::rules::Context>,
    compiled: std::sync::OnceLock<Vec<Context>>,
    /// Whether a context has `near` (it looks ahead).
    looks_ahead: bool,
}

/// Words that mark a documentation placeholder, not a secret.
const PLACEHOLDERS: &[&[u8]] = &[
    b"xxxx",
    b"your",
    b"example",
    b"sample",
    b"placeholder",
    b"token",
    b"secret",
    b"redacted",
    b"dummy",
    b"change",
    b"replace",
    b"insert",
    b"fake",
    b"test",
];

impl KeywordRule {
    /// Compiles rule `index`; `None` for a prefix rule.
    pub fn new(index: usize, rule: &Rule) -> Option<KeywordRule> {
        let kw = rule.keyword.as_ref()?;
        let Some(Segment::Random { alphabet, len, .. }) = rule.format.layout.segments().first()
        else {
            unreachable!("validated when the rule was parsed")
        };
        let require = kw.require.iter().fold(0, |acc, r| {
            acc | match r.as_str() {
                "digit" => DIGIT,
                "upper" => UPPER,
                "lower" => LOWER,
                _ => LETTER,
            }
        });
        Some(KeywordRule {
            rule: index,
            alphabet: alphabet.clone(),
            min: len.min(),
            max: len.max(),
            require,
            looks_ahead: kw.contexts.iter().any(|c| c.near.is_some()),
            specs: kw.contexts.clone(),
            compiled: std::sync::OnceLock::new(),
        })
    }

    /// The contexts, compiled.
    fn contexts(&self) -> &[Context] {
        self.compiled.get_or_init(|| {
            let re = |s: &String| compile(s).expect("validated when the rule was parsed");
            self.specs
                .iter()
                .map(|c| Context {
                    before: re(&c.before),
                    parent: c.parent.as_ref().map(re),
                    near: c.near.as_ref().map(re),
                })
                .collect()
        })
    }

    /// The longest secret, in bytes.
    pub fn max_len(&self) -> usize {
        self.max
    }

    /// Whether `s` has the rule's shape and looks random rather than like
    /// a placeholder: all of the required classes, at least 8 distinct
    /// characters, no character five times in a row, no run of six
    /// ascending or descending characters (`123456`, `abcdef`), no
    /// placeholder word.
    fn shape_ok(&self, s: &[u8]) -> bool {
        if s.len() < self.min || s.len() > self.max || !s.iter().all(|&c| self.alphabet.contains(c))
        {
            return false;
        }
        let mut classes = 0u8;
        let mut seen = [false; 256];
        let (mut same, mut up, mut down) = (1, 1, 1);
        for (i, &c) in s.iter().enumerate() {
            classes |= match c {
                b'0'..=b'9' => DIGIT,
                b'A'..=b'Z' => UPPER | LETTER,
                b'a'..=b'z' => LOWER | LETTER,
                _ => 0,
            };
            seen[c as usize] = true;
            if i > 0 {
                let p = s[i - 1];
                same = if c == p { same + 1 } else { 1 };
                up = if c == p.wrapping_add(1) { up + 1 } else { 1 };
                down = if p == c.wrapping_add(1) { down + 1 } else { 1 };
                if same >= 5 || up >= 6 || down >= 6 {
                    return false;
                }
            }
        }
        if classes & self.require != self.require || seen.iter().filter(|&&b| b).count() < 8 {
            return false;
        }
        let lower = s.to_ascii_lowercase();
        !PLACEHOLDERS
            .iter()
            .any(|w| memchr::memmem::find(&lower, w).is_some())
    }

    /// Whether a context names the secret at `hay[start..end]`.
    fn named(&self, hay: &[u8], start: usize, end: usize) -> bool {
        let ls = line_start(hay, start);
        let before = &hay[ls..start];
        self.contexts().iter().any(|c| {
            c.before.is_match(before)
                && c.parent
                    .as_ref()
                    .is_none_or(|p| has_parent(hay, start, ls, p))
                && c.near.as_ref().is_none_or(|n| {
                    let (lo, hi) = near_span(hay, start, ls, end);
                    near_matches(&hay[lo..hi], start - lo, n)
                })
        })
    }
}

/// Where the line holding `at` starts, looking back at most
/// [`KEYWORD_REACH`] bytes.
fn line_start(hay: &[u8], at: usize) -> usize {
    let lo = at.saturating_sub(KEYWORD_REACH);
    memchr::memrchr(b'\n', &hay[lo..at]).map_or(lo, |i| lo + i + 1)
}

/// Where the line holding `at` ends (its newline), looking ahead at most
/// [`KEYWORD_REACH`] bytes.
fn line_end(hay: &[u8], at: usize) -> usize {
    let hi = (at + KEYWORD_REACH).min(hay.len());
    memchr::memchr(b'\n', &hay[at..hi]).map_or(hi, |i| at + i)
}

fn indent(line: &[u8]) -> usize {
    line.iter()
        .take_while(|&&c| c == b' ' || c == b'\t')
        .count()
}

/// The whole lines above `ls` (the secret's line start), nearest first, at
/// most [`KEYWORD_LINES`] and none starting before `start - KEYWORD_REACH`.
fn lines_above(hay: &[u8], start: usize, ls: usize) -> impl Iterator<Item = &[u8]> {
    let floor = start.saturating_sub(KEYWORD_REACH);
    let mut end = ls;
    std::iter::from_fn(move || {
        if end <= floor || end == 0 {
            return None;
        }
        let nl = end - 1; // the newline that ends the line above
        let s = memchr::memrchr(b'\n', &hay[floor..nl]).map_or(floor, |i| floor + i + 1);
        if s == floor && floor > 0 && hay[floor - 1] != b'\n' {
            return None; // cut by the reach: not a whole line
        }
        let line = &hay[s..nl];
        end = s;
        Some(line.strip_suffix(b"\r").unwrap_or(line))
    })
    .take(KEYWORD_LINES)
}

/// Whether an enclosing key above the secret matches `parent`: a
/// `[table]` header with no other header between, or a line indented less
/// than every line between it and the secret (walking up through keys that
/// do not match, so `cloudflare:` → `  auth:` → `    key: …` counts).
fn has_parent(hay: &[u8], start: usize, ls: usize, parent: &Regex) -> bool {
    let mut innermost = indent(&hay[ls..start]);
    for line in lines_above(hay, start, ls) {
        let body = line.trim_ascii();
        if body.is_empty() || body.starts_with(b"#") || body.starts_with(b"//") {
            continue;
        }
        if body.starts_with(b"[") {
            // A TOML/INI table header closes whatever came before it.
            return parent.is_match(line);
        }
        let ind = indent(line);
        if ind < innermost {
            if parent.is_match(line) {
                return true;
            }
            innermost = ind;
        }
    }
    false
}

/// The bytes within [`KEYWORD_LINES`] lines above and below the secret's
/// line (and [`KEYWORD_REACH`] bytes), the line included.
fn near_span(hay: &[u8], start: usize, ls: usize, end: usize) -> (usize, usize) {
    let lo = lines_above(hay, start, ls)
        .last()
        .map_or(ls, |l| l.as_ptr() as usize - hay.as_ptr() as usize);
    let cap = (end + KEYWORD_REACH).min(hay.len());
    let mut hi = line_end(hay, end);
    for _ in 0..KEYWORD_LINES {
        if hi >= cap {
            break;
        }
        hi = memchr::memchr(b'\n', &hay[hi + 1..cap]).map_or(cap, |i| hi + 1 + i);
    }
    (lo, hi)
}

/// Whether a `near` expression names the secret at `at` of its near span:
/// where the span holds URLs, the one nearest the secret must match (a
/// bearer header belongs to the request on its own line or the nearest
/// one, not to a request to another host a line away); else anything in
/// the span may.
fn near_matches(span: &[u8], at: usize, near: &Regex) -> bool {
    let mut nearest: Option<(usize, &[u8])> = None;
    for i in memchr::memmem::find_iter(span, b"://") {
        let s = span[..i]
            .iter()
            .rposition(|c| !c.is_ascii_alphanumeric())
            .map_or(0, |p| p + 1);
        let e = span[i..]
            .iter()
            .position(|&c| {
                c.is_ascii_whitespace() || matches!(c, b'"' | b'\'' | b'`' | b'<' | b'>')
            })
            .map_or(span.len(), |p| i + p);
        let d = if e <= at {
            at - e
        } else {
            s.saturating_sub(at)
        };
        if nearest.is_none_or(|(best, _)| d < best) {
            nearest = Some((d, &span[s..e]));
        }
    }
    match nearest {
        Some((_, url)) => near.is_match(url),
        None => near.is_match(span),
    }
}

/// Finds the secrets of `rules` that start in `hay[region]` and in
/// `from..until`, calling `found(rule, start, end)` for each named one.
/// Runs that start before the region are left to the region that holds
/// them.
///
/// Most text is short words: a run as long as the shortest secret (`min`)
/// covers one of every `min`-th byte, so only those are looked at until
/// one is inside a run.
pub(crate) fn find_in(
    rules: &[KeywordRule],
    hay: &[u8],
    region: (usize, usize),
    from: usize,
    until: usize,
    mut found: impl FnMut(usize, usize, usize),
) {
    let (lo, hi) = (region.0.max(from), region.1.min(until));
    let Some(min) = rules.iter().map(|r| r.min).min() else {
        return;
    };
    let max = rules.iter().map(|r| r.max).max().unwrap_or(0);
    // Past this, a run that started in the region is too long anyway.
    let stop = (hi + max + 1).min(hay.len());
    let mut p = lo;
    while p < hi + min && p < hay.len() {
        if !in_run(hay[p]) {
            p += min;
            continue;
        }
        // Back to the run's start, or to just before the region.
        let mut s = p;
        while s > 0 && s >= lo && in_run(hay[s - 1]) {
            s -= 1;
        }
        let mut e = p + 1;
        while e < stop && in_run(hay[e]) {
            e += 1;
        }
        if s >= lo && s < hi {
            let secret = &hay[s..e];
            if let Some(r) = rules
                .iter()
                .find(|r| r.shape_ok(secret) && r.named(hay, s, e))
            {
                found(r.rule, s, e);
            }
        }
        p = e + 1;
    }
}

/// Where the first secret in `hay[lo..]` starts whose naming is not yet
/// settled by the data so far: one of a shape a `near` context accepts,
/// named on its line (and by its parent) already, whose `near` span the
/// end of the data cuts short and does not match yet. What follows may
/// still name it (`api.cloudflare.com` on the line below a bearer header),
/// so a filter that passes bytes on as they arrive holds it back.
pub(crate) fn awaiting(rules: &[KeywordRule], hay: &[u8], lo: usize) -> Option<usize> {
    // Only a `near` context looks ahead.
    if !rules.iter().any(|r| r.looks_ahead) {
        return None;
    }
    let len = hay.len();
    let mut p = lo;
    while p < len {
        if !in_run(hay[p]) {
            p += 1;
            continue;
        }
        let mut e = p + 1;
        while e < len && in_run(hay[e]) {
            e += 1;
        }
        // A run cut by the end is held back whole by the caller; one that
        // starts before `lo` is out of reach of anything still to come.
        if e < len && (p == 0 || !in_run(hay[p - 1])) && e + KEYWORD_REACH > len {
            let (s, secret) = (p, &hay[p..e]);
            let ls = line_start(hay, s);
            let pending = rules.iter().any(|r| {
                r.shape_ok(secret)
                    && r.contexts().iter().any(|c| {
                        c.near.as_ref().is_some_and(|n| {
                            let (nlo, nhi) = near_span(hay, s, ls, e);
                            nhi == len
                                && c.before.is_match(&hay[ls..s])
                                && c.parent
                                    .as_ref()
                                    .is_none_or(|pr| has_parent(hay, s, ls, pr))
                                && !near_matches(&hay[nlo..nhi], s - nlo, n)
                        })
                    })
            });
            if pending {
                return Some(s);
            }
        }
        p = e + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_above_stop_at_the_reach_and_the_count() {
        let hay = b"a\nbb\nccc\ndddd\neeeee\nffffff\nggggggg\nSECRET";
        let ls = hay.len() - 6;
        let got: Vec<&[u8]> = lines_above(hay, ls, ls).collect();
        assert_eq!(
            got,
            vec![&b"ggggggg"[..], b"ffffff", b"eeeee", b"dddd", b"ccc"]
        );
        let long = [b"x".repeat(600), b"\nkey\nSECRET".to_vec()].concat();
        let ls = long.len() - 6;
        let got: Vec<&[u8]> = lines_above(&long, ls, ls).collect();
        assert_eq!(
            got,
            vec![&b"key"[..]],
            "a line cut by the reach is not read"
        );
    }

    #[test]
    fn parents_are_enclosing_keys_only() {
        let p = compile("(?i)cloudflare").unwrap();
        let check = |text: &str| {
            let start = text.find("SECRET").unwrap();
            let ls = line_start(text.as_bytes(), start);
            has_parent(text.as_bytes(), start, ls, &p)
        };
        assert!(check("cloudflare:\n  api_key: SECRET"));
        assert!(check("cloudflare:\n  auth:\n    key: SECRET"));
        assert!(check("[cloudflare]\nzone = 1\napi_token = SECRET"));
        assert!(check(
            "provider \"cloudflare\" {\n  # c\n\n  api_token = SECRET"
        ));
        assert!(!check("cloudflare:\n  zone: 1\nother:\n  api_key: SECRET"));
        assert!(!check("[cloudflare]\nx = 1\n[github]\ntoken = SECRET"));
        assert!(
            !check("cloudflare: 1\napi_key: SECRET"),
            "a sibling, not a parent"
        );
    }

    // Made-up values of the legacy shapes (random, granting nothing).
    const KEY: &str = "cc6577428c2f6d6bc64e5a22fac180d6b2e6e"; // burnkey:allow
    const TOK: &str = "H1D0SZaozaNv4AH17KzcnNjeh1MVLymYZwH6Qqq5"; // burnkey:allow
    const KEY_ID: &str = "cloudflare-legacy-global-api-key";
    const TOK_ID: &str = "cloudflare-legacy-api-token";

    fn found(text: &str) -> Vec<(String, String)> {
        let scanner = crate::Scanner::new(crate::RuleSet::builtin());
        let mut out = Vec::new();
        scanner.scan_slice(text.as_bytes(), |m| {
            out.push((
                scanner.rules().rules()[m.rule].id().to_string(),
                m.secret.clone(),
            ))
        });
        out
    }

    #[test]
    fn legacy_cloudflare_credentials_named_by_a_keyword() {
        let k = KEY;
        let t = TOK;
        let yes: Vec<(String, &str, &str)> = vec![
            (format!("CLOUDFLARE_API_TOKEN={t}"), TOK_ID, ".env"),
            (format!("CF_API_KEY={k}"), KEY_ID, ".env"),
            (format!("CLOUDFLARE_API_KEY=\"{k}\""), KEY_ID, ".env, quoted"),
            (format!("export CF_API_TOKEN='{t}'"), TOK_ID, "shell export"),
            (format!("export CLOUDFLARE_GLOBAL_API_KEY={k}"), KEY_ID, "shell export"),
            (format!("curl -H \"X-Auth-Email: a@b.example\" -H \"X-Auth-Key: {k}\" https://api.cloudflare.com/client/v4/zones"), KEY_ID, "curl -H"),
            (format!("curl -H \"Authorization: Bearer {t}\" https://api.cloudflare.com/client/v4/user/tokens/verify"), TOK_ID, "curl, URL after"),
            (format!("curl -X GET \"https://api.cloudflare.com/client/v4/user/tokens/verify\" \\\n     -H \"Authorization: Bearer {t}\" \\\n     -H \"Content-Type: application/json\""), TOK_ID, "curl, URL above"),
            (format!("curl \\\n  -H 'Authorization: Bearer {t}' \\\n  https://api.cloudflare.com/client/v4/zones"), TOK_ID, "curl, URL below"),
            (format!("cloudflare:\n  api_token: {t}\n"), TOK_ID, "YAML parent"),
            (format!("cloudflare:\n  auth:\n    key: {k}\n"), KEY_ID, "YAML grandparent"),
            (format!("{{\"cloudflare\": {{\n  \"apiToken\": \"{t}\"\n}}}}"), TOK_ID, "JSON parent"),
            (format!("{{\"CLOUDFLARE_API_TOKEN\": \"{t}\"}}"), TOK_ID, "JSON key"),
            (format!("provider \"cloudflare\" {{\n  api_token = \"{t}\"\n}}"), TOK_ID, "Terraform provider"),
            (format!("provider \"cloudflare\" {{\n  email   = \"a@b.example\"\n  api_key = \"{k}\"\n}}"), KEY_ID, "Terraform provider, key"),
            (format!("variable \"cloudflare_api_token\" {{\n  type    = string\n  default = \"{t}\"\n}}"), TOK_ID, "Terraform variable"),
            (format!("name = \"worker\"\n[vars]\nCLOUDFLARE_API_TOKEN = \"{t}\""), TOK_ID, "wrangler.toml"),
            (format!("[cloudflare]\nemail = \"a@b.example\"\napi_key = \"{k}\""), KEY_ID, "TOML table"),
            (format!("dns_cloudflare_api_token = {t}"), TOK_ID, "certbot ini"),
            (format!("dns_cloudflare_api_key = {k}"), KEY_ID, "certbot ini, key"),
            (format!("export CF_Key=\"{k}\""), KEY_ID, "acme.sh"),
            (format!("export CF_Token=\"{t}\""), TOK_ID, "acme.sh"),
            (format!("const cloudflareApiKey = '{k}';"), KEY_ID, "JavaScript"),
            (format!("os.environ[\"CF_API_TOKEN\"] = \"{t}\""), TOK_ID, "Python"),
            (format!("api, err := cloudflare.New(\"{k}\", \"a@b.example\")"), KEY_ID, "cloudflare-go"),
            (format!("env:\n  CLOUDFLARE_API_TOKEN: {t}\n"), TOK_ID, "Actions env"),
            (format!("$env:CLOUDFLARE_API_TOKEN = \"{t}\""), TOK_ID, "PowerShell"),
            (format!("flarectl --auth-key {k} zone list"), KEY_ID, "--auth-key"),
            (format!("      - CF_DNS_API_TOKEN={t}"), TOK_ID, "docker-compose"),
            (format!("        CF_ZONE_API_TOKEN: \"{t}\""), TOK_ID, "Traefik"),
        ];
        for (text, rule, what) in &yes {
            let got = found(text);
            let want = vec![(
                rule.to_string(),
                if *rule == KEY_ID { k } else { t }.to_string(),
            )];
            assert_eq!(got, want, "{what}: {text}");
        }
        let sha40 = "b2f2d0f0cc022238daceee2092f073ff80b94abc";
        let no: Vec<(String, &str)> = vec![
            ("CLOUDFLARE_ACCOUNT_ID=b2f2d0f0cc022238daceee2092f073ff".into(), "a 32-hex account id"),
            ("CLOUDFLARE_ZONE_ID: b2f2d0f0cc022238daceee2092f073ff".into(), "a 32-hex zone id"),
            ("CLOUDFLARE_API_TOKEN=${CLOUDFLARE_API_TOKEN}".into(), "a variable"),
            ("CLOUDFLARE_API_TOKEN=<token>".into(), "a placeholder"),
            ("CLOUDFLARE_API_TOKEN=your-api-token".into(), "a placeholder"),
            (format!("CLOUDFLARE_API_TOKEN={}", "x".repeat(40)), "one character"),
            (format!("CF_API_KEY={}", "a".repeat(37)), "one character"),
            ("CLOUDFLARE_API_TOKEN=your_cloudflare_api_token_here_123456789".into(), "placeholder words"),
            ("X-Auth-Key: 1234567890abcdef1234567890abcdef12345".into(), "a counting placeholder"),
            ("CF_API_TOKEN=0123456789abcdefghijABCDEFGHIJ0123456789".into(), "a counting placeholder"),
            (format!("source = \"git+https://github.com/cloudflare/quiche?rev=1#{sha40}\""), "Cargo.lock git id"),
            (format!("\"resolved\": \"git+ssh://git@github.com/cloudflare/foo.git#{sha40}\","), "package-lock git id"),
            (format!("cloudflare:\n  commit: {sha40}\n"), "a hash under cloudflare"),
            (format!("github:\n  api_key: {k}\n"), "a key under another parent"),
            (format!("cloudflare:\n  zone: x\nother:\n  api_token: {t}\n"), "cloudflare is a sibling, not a parent"),
            (format!("curl -H \"Authorization: Bearer {t}\" https://api.github.com/user"), "Bearer to another API"),
            (format!("# api.cloudflare.com\n1\n2\n3\n4\n5\n6\ncurl -H \"Authorization: Bearer {t}\" x"), "the URL too far above"),
            (format!("GITHUB_TOKEN={t}"), "another keyword"),
            (format!("sha1 = \"{sha40}\"  # cloudflare"), "a keyword after, not a key"),
            (format!("CLOUDFLARE_API_TOKEN={t}x"), "41 characters"),
            (format!("CLOUDFLARE_API_KEY={sha40}{sha40}"), "too long for a key"),
            (format!("cloudflare_api_token_sha256 = \"{t}\""), "a key that is not the token"),
            (format!("CLOUDFLARE_API_TOKEN={sha40}"), "hex is not a token"),
            (format!("cloudflare:\n  api_key: !ENV {k}x\n"), "not the secret's shape"),
            (format!("CLOUDFLARE_API_KEY={k}_suffix"), "part of a longer word"),
        ];
        for (text, what) in &no {
            assert_eq!(found(text), vec![], "{what}: {text}");
        }
        assert!(yes.len() >= 20 && no.len() >= 20);
    }

    #[test]
    fn keyword_findings_do_not_depend_on_read_size() {
        let pad = "let x = 1; // filler\n".repeat(40);
        let mut text = String::new();
        for i in 0..30 {
            text.push_str(&pad[..(i * 37) % pad.len()]);
            text.push_str(&format!("cloudflare:\n  api_token: {TOK}\n"));
            text.push_str(&format!("CF_API_KEY={KEY}\n"));
        }
        let scanner = crate::Scanner::new(crate::RuleSet::builtin());
        let mut whole = Vec::new();
        scanner.scan_slice(text.as_bytes(), |m| whole.push(m));
        assert_eq!(whole.len(), 60);
        for size in [1, 7, 64, 333, 4096] {
            let mut sb = crate::StreamBuffer::new(size);
            let mut got = Vec::new();
            scanner
                .scan_reader(&mut text.as_bytes(), &mut sb, |m| got.push(m))
                .unwrap();
            assert_eq!(got, whole, "read size {size}");
        }
    }
}
