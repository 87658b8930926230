//! The matching engine: a multi-pattern prefilter over every rule prefix
//! proposes candidates, an anchored shape check confirms them, the checksum
//! decides.
//!
//! The prefilter is aho-corasick's packed (Teddy, SIMD) searcher over the
//! distinct three-byte heads of the rule prefixes, where the CPU has it, and
//! a plain Aho-Corasick automaton elsewhere. On source text in cache, one
//! core here, Teddy over the nine full built-in prefixes ran ~8.6 GB/s, over
//! their three-byte heads ~12 GB/s (4 candidates per MB), over two-byte
//! heads ~10 GB/s (1,200 candidates per MB, mostly `cfg`). See
//! `benches/engine.rs`. The engine is stateless and `Send + Sync`.

use aho_corasick::packed;
use aho_corasick::{AhoCorasick, AhoCorasickKind, Input, MatchKind, Span};

use crate::rules::RuleSet;

/// What the checksum said about a match.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Checksum {
    /// The checksum matches the body: for practical purposes a real token.
    Valid,
    /// The shape is right but the checksum is not (reported only on request).
    Invalid,
    /// The format has no checksum; matched by shape alone.
    None,
}

impl Checksum {
    /// The word used in reports: `valid`, `invalid`, `none`.
    pub fn as_str(self) -> &'static str {
        match self {
            Checksum::Valid => "valid",
            Checksum::Invalid => "invalid",
            Checksum::None => "none",
        }
    }
}

/// A confirmed token in a haystack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hit {
    /// Index of the rule in the engine's [`RuleSet`].
    pub rule: usize,
    /// Byte offset of the first token byte in the haystack.
    pub start: usize,
    /// Byte offset one past the last token byte.
    pub end: usize,
    /// What the checksum said.
    pub checksum: Checksum,
}

enum Prefilter {
    Packed(packed::Searcher),
    Automaton(AhoCorasick),
}

/// The compiled engine for one rule set.
pub struct Engine {
    prefilter: Prefilter,
    /// For each prefilter needle (a prefix's first three bytes): its rules,
    /// longest prefix first.
    heads: Vec<Vec<usize>>,
    rules: RuleSet,
    max_token_len: usize,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("rules", &self.rules.rules().len())
            .field(
                "prefilter",
                &match self.prefilter {
                    Prefilter::Packed(_) => "packed",
                    Prefilter::Automaton(_) => "automaton",
                },
            )
            .finish()
    }
}

#[inline]
fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

impl Engine {
    /// Compiles the prefilter over every rule prefix.
    pub fn new(rules: RuleSet) -> Engine {
        Engine::with_prefilter(rules, true)
    }

    /// Like [`Engine::new`]; `packed = false` forces the plain automaton
    /// (for tests and benchmarks that compare the two).
    pub fn with_prefilter(rules: RuleSet, packed: bool) -> Engine {
        // The prefilter looks for the distinct three-byte heads of the
        // prefixes ("cfk", "cfu", "cfa", "ghp", …): short needles give Teddy
        // its cheaper fingerprints, and three bytes keep candidates rare even
        // in `cfg`-heavy Rust (measured: benches/engine.rs). Each head lists
        // its rules, longest prefix first; a candidate is confirmed by an
        // exact prefix compare.
        let mut heads: Vec<(Vec<u8>, Vec<usize>)> = Vec::new();
        for (i, r) in rules.rules().iter().enumerate() {
            let p = r.format.prefix.as_bytes();
            let head = p[..p.len().min(3)].to_vec();
            match heads.iter_mut().find(|(h, _)| *h == head) {
                Some((_, v)) => v.push(i),
                None => heads.push((head, vec![i])),
            }
        }
        for (_, v) in &mut heads {
            v.sort_by_key(|&i| std::cmp::Reverse(rules.rules()[i].format.prefix.len()));
        }
        let needles: Vec<&[u8]> = heads.iter().map(|(h, _)| h.as_slice()).collect();
        let searcher = if packed {
            // Short needles are below Teddy's default heuristic minimum;
            // measured, they are its fastest case here.
            packed::Config::new()
                .match_kind(packed::MatchKind::LeftmostFirst)
                .heuristic_pattern_limits(false)
                .builder()
                .extend(needles.iter())
                .build()
        } else {
            None
        };
        let prefilter = match searcher {
            Some(s) => Prefilter::Packed(s),
            None => Prefilter::Automaton(
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostFirst)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(&needles)
                    .expect("rule prefixes are few and short"),
            ),
        };
        let max_token_len = rules.max_token_len();
        Engine {
            prefilter,
            heads: heads.into_iter().map(|(_, v)| v).collect(),
            rules,
            max_token_len,
        }
    }

    /// The rules this engine matches.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// Length of the longest token, in bytes.
    pub fn max_token_len(&self) -> usize {
        self.max_token_len
    }

    /// Whether the packed SIMD prefilter is in use.
    pub fn is_packed(&self) -> bool {
        matches!(self.prefilter, Prefilter::Packed(_))
    }

    #[inline]
    fn next_candidate(&self, hay: &[u8], at: usize) -> Option<(usize, usize)> {
        match &self.prefilter {
            Prefilter::Packed(s) => s
                .find_in(hay, Span::from(at..hay.len()))
                .map(|m| (m.start(), m.pattern().as_usize())),
            Prefilter::Automaton(a) => a
                .find(Input::new(hay).span(at..hay.len()))
                .map(|m| (m.start(), m.pattern().as_usize())),
        }
    }

    /// Finds tokens that start in `from..until` of `hay` and calls `f` for
    /// each. The caller guarantees that `hay` holds the byte before `from`
    /// (or `from` is the start of the data) and at least
    /// [`Engine::max_token_len`] + 1 bytes past `until` unless `hay` ends
    /// at the end of the data (`at_eof`). Under those conditions the hits do
    /// not depend on how the data was split, which is what makes streaming
    /// exact. Matches with a bad checksum are passed to `f` only when
    /// `report_invalid` is set.
    ///
    /// Returns where the next call should start: `until`, or the end of a
    /// token that reaches past it (tokens never overlap).
    #[inline]
    pub fn find(
        &self,
        hay: &[u8],
        from: usize,
        until: usize,
        at_eof: bool,
        report_invalid: bool,
        mut f: impl FnMut(Hit),
    ) -> usize {
        debug_assert!(
            at_eof || hay.len() > until + self.max_token_len,
            "caller must keep a full token of lookahead"
        );
        let mut at = from;
        while at < until {
            let Some((start, pat)) = self.next_candidate(hay, at) else {
                return until;
            };
            if start >= until {
                return until;
            }
            at = start + 1;
            if start > 0 && is_word(hay[start - 1]) {
                continue;
            }
            let tail = &hay[start..];
            // Rules sharing the head, longest prefix first; rules may share
            // a whole prefix with different layouts: the first that matches.
            let Some((rule, found)) = self.heads[pat].iter().find_map(|&r| {
                let format = &self.rules.rules()[r].format;
                if !tail.starts_with(format.prefix.as_bytes()) {
                    return None;
                }
                format.match_at(hay, start).map(|f| (r, f))
            }) else {
                continue;
            };
            let end = start + found.len;
            let checksum = match found.checksum {
                None => Checksum::None,
                Some(true) => Checksum::Valid,
                Some(false) => Checksum::Invalid,
            };
            if checksum == Checksum::Invalid && !report_invalid {
                continue;
            }
            f(Hit {
                rule,
                start,
                end,
                checksum,
            });
            // Tokens never overlap: a prefix inside a token (possible only
            // for custom prefixes with inner separators) is not a new token.
            at = end;
        }
        at.max(until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(e: &Engine, hay: &str, invalid: bool) -> Vec<(String, usize, Checksum)> {
        let mut out = Vec::new();
        e.find(hay.as_bytes(), 0, hay.len(), true, invalid, |h| {
            out.push((
                e.rules().rules()[h.rule].id().to_string(),
                h.start,
                h.checksum,
            ))
        });
        out
    }

    const CFUT: &str = "cfut_yGWmZQhXQCaSBLdVLIIN8nVy40xdnxVZmwkycbF1325c4830"; // burnkey:allow

    #[test]
    fn boundaries() {
        for e in [
            Engine::with_prefilter(RuleSet::builtin(), true),
            Engine::with_prefilter(RuleSet::builtin(), false),
        ] {
            let ok = |s: &str| !hits(&e, s, false).is_empty();
            assert!(ok(CFUT));
            assert!(ok(&format!("\"{CFUT}\"")));
            assert!(ok(&format!("a_{CFUT}")), "underscore before is a boundary");
            assert!(ok(&format!("{CFUT}_x")));
            assert!(ok(&format!("é{CFUT}é")));
            assert!(!ok(&format!("x{CFUT}")));
            assert!(!ok(&format!("9{CFUT}")));
            assert!(!ok(&format!("{CFUT}a")));
            assert!(!ok(&format!("{CFUT}0")));
            assert!(!ok(&CFUT[..52]), "truncated at end of data");
            assert!(!ok(&CFUT.replace("cfut_", "Cfut_")));
            assert!(!ok(&CFUT.replace("cfut_", "CFUT_")));
        }
    }

    #[test]
    fn invalid_only_on_request() {
        let e = Engine::new(RuleSet::builtin());
        let bad = CFUT.replace("4830", "4831");
        assert!(hits(&e, &bad, false).is_empty());
        assert_eq!(
            hits(&e, &bad, true),
            vec![("cloudflare-user-api-token".into(), 0, Checksum::Invalid)]
        );
    }

    #[test]
    fn adjacent_and_repeated_tokens() {
        let e = Engine::new(RuleSet::builtin());
        let s = format!("{CFUT} {CFUT},{CFUT}\n{CFUT}");
        let h = hits(&e, &s, false);
        assert_eq!(
            h.iter().map(|x| x.1).collect::<Vec<_>>(),
            vec![0, 54, 108, 162]
        );
        // Two tokens glued together: neither has a clean boundary.
        assert!(hits(&e, &format!("{CFUT}{CFUT}"), false).is_empty());
    }

    #[test]
    fn shape_only_rule_reports_none() {
        let e = Engine::new(RuleSet::builtin());
        let h = hits(&e, "x ghs_FLtH2Agf49PEqi6dEmrFglCR0jEpTe3zbThR x", false); // burnkey:allow
        assert_eq!(
            h,
            vec![("github-server-to-server-token".into(), 2, Checksum::None)]
        );
    }

    #[test]
    fn prefixes_sharing_a_head_each_find_their_tokens() {
        use crate::checksum::Scheme;
        use crate::format::Format;
        let mut rules: Vec<crate::rules::Rule> = RuleSet::builtin()
            .rules()
            .iter()
            .map(|r| (**r).clone())
            .collect();
        let mut acme = rules[0].clone();
        acme.format = Format::custom("acme", Scheme::Crc32Hex8).unwrap();
        let mut ack = rules[0].clone();
        ack.format = Format::custom("ack", Scheme::Crc32Base62x6).unwrap();
        // "cf" is shared with the Cloudflare prefixes too.
        let mut cfx = rules[0].clone();
        cfx.format = Format::custom("cfxyz", Scheme::Crc32Hex8).unwrap();
        let (a, k, c) = (
            acme.format.mint().unwrap(),
            ack.format.mint().unwrap(),
            cfx.format.mint().unwrap(),
        );
        rules.extend([acme, ack, cfx]);
        for packed in [true, false] {
            let e = Engine::with_prefilter(RuleSet::from_rules(rules.clone()).unwrap(), packed);
            let text = format!("{a} {k} {c} {CFUT} acm_x ac cf");
            let got: Vec<String> = hits(&e, &text, false).into_iter().map(|h| h.0).collect();
            assert_eq!(
                got,
                vec![
                    "custom-acme",
                    "custom-ack",
                    "custom-cfxyz",
                    "cloudflare-user-api-token"
                ]
            );
        }
    }

    #[test]
    fn engine_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Engine>();
    }
}
