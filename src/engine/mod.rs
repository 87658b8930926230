//! The matching engine: a multi-pattern prefilter over every rule prefix
//! proposes candidates, an anchored shape check confirms them, the checksum
//! decides.
//!
//! The prefilter is aho-corasick's packed (Teddy, SIMD) searcher over the
//! distinct three-byte heads of the rule prefixes, where the CPU has it, and
//! a plain Aho-Corasick automaton elsewhere. When the first nine built-in
//! prefixes were measured (source text in cache, one core), Teddy over the
//! full prefixes ran ~8.6 GB/s, over their three-byte heads ~12 GB/s (4
//! candidates per MB), over two-byte heads ~10 GB/s (1,200 candidates per
//! MB, mostly `cfg`); the README's Performance table has today's numbers
//! for all of them. See `benches/engine.rs`. The engine is stateless and
//! `Send + Sync`.

pub(crate) mod decode;
pub(crate) mod keyword;

use aho_corasick::packed;
use aho_corasick::{AhoCorasick, AhoCorasickKind, Input, MatchKind, Span};

use crate::engine::decode::{ESCAPE_STARTS, MAX_ESCAPE_LEN};
use crate::engine::keyword::KeywordRule;
use crate::rules::{RuleSet, KEYWORD_REACH};

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
    /// Whether the token is written with escapes (`cfut\u005f…`, `%5F`):
    /// `start..end` is its escaped text.
    pub escaped: bool,
}

enum Prefilter {
    Packed(packed::Searcher),
    Automaton(AhoCorasick),
    /// No needles: nothing to find (an automaton over none would still
    /// walk every byte).
    Nothing,
}

/// A prefilter and its needles, in rule order, each with what it stands
/// for (prefix rules longest prefix first).
struct Stage {
    prefilter: Prefilter,
    needles: Vec<(Vec<u8>, Vec<Target>)>,
}

/// What a prefilter needle stands for.
#[derive(Clone, Copy, Debug)]
enum Target {
    /// Rule `rule`'s prefix holds the needle `off` bytes in.
    Prefix { rule: usize, off: usize },
    /// An anchor of the keyword rules: look around it.
    Keyword,
    /// Rule `rule`'s located literal (see
    /// [`crate::token::format::Format::located`]): the token starts where
    /// the length field after it says, under any instance prefix.
    Located { rule: usize },
}

/// Orders the prefilter needles for Teddy, which puts each needle whose
/// first three low nibbles it has not seen into bucket `7 - index % 8`
/// (spellings that differ only in case share their first one's bucket). A
/// bucket matches any mix of its needles' nibbles, so unrelated needles in
/// one bucket (`npm` with `udfl`: `edm`, `ptf`, …) make it fire on common
/// text; needles of one family (`cfu`, `cfa`, `cfk`) cost little together.
/// So: families by their first two bytes, case folded; one or more buckets
/// each; emitted round by round so that every needle lands in its family's
/// bucket, a bucket with nothing left taking a case spelling or a repeat of
/// its own first needle. Measured on source text in cache, one core
/// (`cargo bench --bench engine -- prefilter-order`): the 22 needles of the
/// built-in rules in rule order 7.7 GiB/s, in this order 9.1 GiB/s. `find`
/// confirms every needle at a candidate, so repeats and order change no
/// result.
pub fn teddy_order(needles: Vec<&[u8]>) -> Vec<&[u8]> {
    const BUCKETS: usize = 8;
    let nibbles = |n: &[u8]| -> Vec<u8> { n.iter().take(3).map(|b| b & 0x0f).collect() };
    // Distinct nibble prefixes ("reps"), and the rest (case spellings).
    let mut reps: Vec<&[u8]> = Vec::new();
    let mut spellings: Vec<&[u8]> = Vec::new();
    for n in needles {
        if reps.iter().any(|r| nibbles(r) == nibbles(n)) {
            spellings.push(n);
        } else {
            reps.push(n);
        }
    }
    let family = |n: &[u8]| -> Vec<u8> { n.iter().take(2).map(u8::to_ascii_lowercase).collect() };
    let mut families: Vec<Vec<&[u8]>> = Vec::new();
    for r in reps {
        match families.iter_mut().find(|f| family(f[0]) == family(r)) {
            Some(f) => f.push(r),
            None => families.push(vec![r]),
        }
    }
    // More families than buckets: the smallest share.
    families.sort_by_key(|f| std::cmp::Reverse(f.len()));
    while families.len() > BUCKETS {
        let last = families.pop().expect("more than 8");
        let i = families.len() - 1;
        families[i].extend(last);
        families.sort_by_key(|f| std::cmp::Reverse(f.len()));
    }
    // Spare buckets go to the largest families.
    let mut classes: Vec<Vec<&[u8]>> = families;
    while classes.len() < BUCKETS && classes.iter().any(|c| c.len() > 1) {
        classes.sort_by_key(|c| std::cmp::Reverse(c.len()));
        let keep = classes[0].len() - classes[0].len() / 2;
        let tail = classes[0].split_off(keep);
        classes.push(tail);
    }
    classes.sort_by_key(|c| std::cmp::Reverse(c.len()));
    let rounds = classes.iter().map(Vec::len).max().unwrap_or(0);
    let mut out: Vec<&[u8]> = Vec::new();
    for round in 0..rounds {
        let last_round = round + 1 == rounds;
        for c in &classes {
            match c.get(round) {
                Some(n) => out.push(*n),
                // Classes are longest first: in the last round the ones
                // with nothing left come last, and need no slot.
                None if last_round => {}
                // A spelling whose bucket is settled, else a repeat.
                None => {
                    let settled = spellings
                        .iter()
                        .position(|s| out.iter().any(|o| nibbles(o) == nibbles(s)));
                    out.push(settled.map_or(c[0], |i| spellings.remove(i)));
                }
            }
        }
    }
    out.extend(spellings);
    out
}

fn checksum_of(ok: Option<bool>) -> Checksum {
    match ok {
        None => Checksum::None,
        Some(true) => Checksum::Valid,
        Some(false) => Checksum::Invalid,
    }
}

/// The compiled engine for one rule set.
pub struct Engine {
    /// What is looked for in all text.
    text: Stage,
    /// What is looked for only inside runs of base64 characters (rules
    /// with `prefilter = "runs"`), if any rule is.
    runs: Option<Stage>,
    keywords: Vec<KeywordRule>,
    rules: RuleSet,
    max_token_len: usize,
    /// Bytes searched before `from` and after `until` for needles that
    /// stand inside a prefix or near a keyword secret.
    back: usize,
    fwd: usize,
    /// Context the caller keeps around `from..until` (see [`Engine::find`]).
    context: usize,
    /// The longest keyword secret.
    keyword_len: usize,
    /// Whether tokens written with escapes are looked for.
    escapes: bool,
    /// Whether prefixes written in the wrong case are looked for.
    fold: bool,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("rules", &self.rules.rules().len())
            .field(
                "prefilter",
                &match self.text.prefilter {
                    Prefilter::Packed(_) => "packed",
                    Prefilter::Automaton(_) => "automaton",
                    Prefilter::Nothing => "nothing",
                },
            )
            .finish()
    }
}

/// How far before a token a control byte makes it binary data.
pub const BINARY_REACH: usize = 32;

/// Whether binary data is right before `start`: a control byte (below
/// space, but tab and line ends) within [`BINARY_REACH`] bytes. Binary
/// records put fields side by side (a SQLite row holds `cf_token` and
/// `cfut_…` with nothing between; a coloured log line ends its escape
/// `\x1b[0m` on a letter), so there a token whose checksum is valid needs
/// no separator on its left. Text has no such bytes; and the rule looks
/// only at the bytes before the token, so that every way of reading the
/// data (whole, streamed, in parts) decides alike.
fn binary_before(hay: &[u8], start: usize) -> bool {
    control_in(&hay[start.saturating_sub(BINARY_REACH)..start])
}

/// Whether `b` holds a control byte other than tab and line ends.
fn control_in(b: &[u8]) -> bool {
    b.iter()
        .any(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
}

/// The spelling of a checksummed rule's anchor that a capitalised prefix
/// shows (`Cfat_`, the public sample's; `Glrt-` keeps its anchor `lrt-`),
/// if it differs. All upper case (`CFAT_`) is not looked for: measured by
/// the guard, those needles cost 1.9% more instructions a byte of plain
/// text, the capitals 1.0%.
fn capitalised(anchor: &str, off: usize) -> Option<Vec<u8>> {
    let mut out = anchor.as_bytes().to_vec();
    out[0] = out[0].to_ascii_uppercase();
    (off == 0 && out != anchor.as_bytes()).then_some(out)
}

#[inline]
fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

impl Prefilter {
    /// Teddy over `needles` where the CPU has it and `packed` asks for it,
    /// else an Aho-Corasick automaton over the same list.
    fn new(needles: &[(Vec<u8>, Vec<Target>)], packed: bool) -> Prefilter {
        if needles.is_empty() {
            return Prefilter::Nothing;
        }
        let patterns = teddy_order(needles.iter().map(|(h, _)| h.as_slice()).collect());
        let searcher = if packed {
            // Short needles are below Teddy's default heuristic minimum;
            // measured, they are its fastest case here. Slim Teddy always:
            // past 32 needles aho-corasick would pick Fat Teddy, which
            // reads half as many bytes per step; with every family's
            // needles in one searcher (75, before `prefilter = "runs"`)
            // callgrind counted 86.3M instructions on the guard's text
            // corpus with Fat Teddy and 78.3M with Slim.
            packed::Config::new()
                .match_kind(packed::MatchKind::LeftmostFirst)
                .heuristic_pattern_limits(false)
                .only_teddy_fat(Some(false))
                .builder()
                .extend(patterns.iter())
                .build()
        } else {
            None
        };
        match searcher {
            Some(s) => Prefilter::Packed(s),
            // Any needle at a position is confirmed by `find`, so the
            // automaton may hold the same list.
            None => Prefilter::Automaton(
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostFirst)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(&patterns)
                    .expect("rule anchors are few and short"),
            ),
        }
    }
}

impl Engine {
    /// Compiles the prefilter over every rule prefix.
    pub fn new(rules: RuleSet) -> Engine {
        Engine::with_prefilter(rules, true)
    }

    /// Like [`Engine::new`]; `packed = false` forces the plain automaton
    /// (for tests and benchmarks that compare the two).
    pub fn with_prefilter(rules: RuleSet, packed: bool) -> Engine {
        // The prefilter looks for each rule's anchor: by default the first
        // three bytes of its prefix ("cfk", "cfu", "ghp", …) — short needles
        // give Teddy its cheaper fingerprints, and three bytes keep
        // candidates rare even in `cfg`-heavy Rust (measured:
        // benches/engine.rs). A prefix whose head is common in source text
        // (`git` of `github_pat_`) names a rarer part of itself (`b_pat_`).
        // Keyword rules add the anchors of their keywords. A candidate is
        // confirmed by an exact prefix compare.
        // Needles of all text, and of runs only.
        let mut stages: [Vec<(Vec<u8>, Vec<Target>)>; 2] = [Vec::new(), Vec::new()];
        let mut add = |stage: usize, needle: &[u8], t: Target| {
            let needles = &mut stages[stage];
            match needles.iter_mut().find(|(n, _)| n == needle) {
                Some((_, v)) => v.push(t),
                None => needles.push((needle.to_vec(), vec![t])),
            }
        };
        let mut keywords = Vec::new();
        let (mut max_off, mut max_anchor) = (0, 0);
        // Prefix anchors, then keyword anchors (the order Teddy sees is
        // `teddy_order`'s).
        for (i, r) in rules.rules().iter().enumerate() {
            if r.is_keyword() {
                continue;
            }
            if let Some(lit) = r.format.located() {
                // The literal stands after the payload: a token starting
                // before `until` may show it up to a token's length later.
                max_off = max_off.max(r.format.token_len());
                add(0, lit.as_bytes(), Target::Located { rule: i });
                continue;
            }
            let Some((anchor, off)) = r.format.needle(r.anchor.as_deref()) else {
                continue;
            };
            max_off = max_off.max(off);
            let stage = usize::from(r.in_runs);
            add(stage, anchor.as_bytes(), Target::Prefix { rule: i, off });
            if r.format.has_checksum() && off < r.format.prefix.len() {
                if let Some(spelling) = capitalised(anchor, off) {
                    add(stage, &spelling, Target::Prefix { rule: i, off });
                }
            }
        }
        for (i, r) in rules.rules().iter().enumerate() {
            if let Some(k) = KeywordRule::new(i, r) {
                keywords.push(k);
                for a in &r.keyword.as_ref().expect("a keyword rule").anchors {
                    add(0, a.as_bytes(), Target::Keyword);
                    max_anchor = max_anchor.max(a.len());
                }
            }
        }
        for (_, v) in stages.iter_mut().flatten() {
            v.sort_by_key(|t| match *t {
                Target::Prefix { rule, .. } => {
                    std::cmp::Reverse(rules.rules()[rule].format.prefix.len())
                }
                Target::Keyword | Target::Located { .. } => std::cmp::Reverse(0),
            });
            v.dedup_by(|a, b| matches!((a, b), (Target::Keyword, Target::Keyword)));
        }
        let [text, runs] = stages;
        let stage = |needles: Vec<(Vec<u8>, Vec<Target>)>| Stage {
            prefilter: Prefilter::new(&needles, packed),
            needles,
        };
        let runs = (!runs.is_empty()).then(|| stage(runs));
        let text = stage(text);
        let max_token_len = rules.max_token_len();
        // A keyword secret is looked for within KEYWORD_REACH of an anchor
        // and judged by what lies within KEYWORD_REACH of it.
        let keyword_len = keywords.iter().map(KeywordRule::max_len).max().unwrap_or(0);
        let (back, fwd, context) = if keywords.is_empty() {
            (0, max_off, 0)
        } else {
            (
                KEYWORD_REACH + 1,
                (KEYWORD_REACH + keyword_len + max_anchor).max(max_off),
                2 * KEYWORD_REACH + keyword_len + max_anchor + 1,
            )
        };
        Engine {
            text,
            runs,
            keywords,
            rules,
            max_token_len,
            back,
            fwd,
            context,
            keyword_len,
            escapes: true,
            fold: true,
        }
    }

    /// Whether tokens written with `\uXXXX`, `\xNN` or `%XX` escapes are
    /// found (on by default): where a prefix was found and its shape check
    /// failed, an escape within the token's reach gets the shape checked on
    /// the unescaped text. Needs [`Engine::max_escaped_len`] of lookahead.
    pub fn set_escapes(&mut self, on: bool) {
        self.escapes = on;
    }

    /// Whether a prefix written in the wrong case (`Cfat_…`) with a valid
    /// checksum is a token (on by default; its findings are of `medium`
    /// confidence).
    pub fn set_folding(&mut self, on: bool) {
        self.fold = on;
    }

    /// Whether wrong-case prefixes are looked for.
    pub fn folding(&self) -> bool {
        self.fold
    }

    /// Whether escapes are on.
    pub fn escapes(&self) -> bool {
        self.escapes
    }

    /// The longest token written with escapes (`&#x0000005F;` is twelve
    /// bytes).
    pub fn max_escaped_len(&self) -> usize {
        MAX_ESCAPE_LEN * (self.max_token_len + 1)
    }

    /// The rules this engine matches.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// Length of the longest token, in bytes.
    pub fn max_token_len(&self) -> usize {
        self.max_token_len
    }

    /// Bytes of context a caller of [`Engine::find`] keeps before `from`
    /// and past `until + max_token_len + 1`: 0 without keyword rules.
    pub fn context(&self) -> usize {
        self.context
    }

    /// Where the first keyword secret in `hay[lo..]` starts that what
    /// follows `hay` may still name (see `keyword::awaiting`).
    pub(crate) fn awaiting(&self, hay: &[u8], lo: usize) -> Option<usize> {
        crate::engine::keyword::awaiting(&self.keywords, hay, lo)
    }

    /// The longest keyword secret, in bytes.
    pub(crate) fn keyword_len(&self) -> usize {
        self.keyword_len
    }

    /// Every byte a token can hold as written: its rule's prefix, literals
    /// and alphabets, the characters of keyword secrets, and with escapes
    /// on the bytes that start one. A byte outside the set ends any token.
    pub(crate) fn token_bytes(&self) -> [bool; 256] {
        let mut t = [false; 256];
        for b in (0u8..=255).filter(|b| b.is_ascii_alphanumeric() || b"_-".contains(b)) {
            t[b as usize] = true;
        }
        if self.escapes {
            // What starts an escape and what an HTML reference holds (a
            // quoted-printable soft line break at the end is the
            // scanner's to hold).
            for b in ESCAPE_STARTS.iter().chain(b"#;") {
                t[*b as usize] = true;
            }
        }
        for r in self.rules.rules() {
            for &b in r.format.prefix.as_bytes() {
                t[b as usize] = true;
            }
            for seg in r.format.layout.segments() {
                match seg {
                    crate::token::layout::Segment::Literal(l) => {
                        l.bytes().for_each(|b| t[b as usize] = true)
                    }
                    crate::token::layout::Segment::Random { alphabet, .. } => {
                        alphabet.chars().iter().for_each(|&b| t[b as usize] = true)
                    }
                    // Digits of a number or a checksum: alphanumeric.
                    _ => {}
                }
            }
        }
        t
    }

    /// The prefilter's needles, in rule order (before [`teddy_order`]):
    /// for the benchmark that compares orders.
    pub fn needles(&self) -> Vec<&[u8]> {
        self.text
            .needles
            .iter()
            .map(|(n, _)| n.as_slice())
            .collect()
    }

    #[inline]
    fn next_candidate(stage: &Stage, hay: &[u8], at: usize, end: usize) -> Option<(usize, usize)> {
        match &stage.prefilter {
            Prefilter::Packed(s) => s
                .find_in(hay, Span::from(at..end))
                .map(|m| (m.start(), m.pattern().as_usize())),
            Prefilter::Automaton(a) => a
                .find(Input::new(hay).span(at..end))
                .map(|m| (m.start(), m.pattern().as_usize())),
            Prefilter::Nothing => None,
        }
    }

    /// Confirms a prefix rule's token at `start`, if any. A prefix in the
    /// wrong case counts only with a valid checksum (see
    /// [`Engine::confirm_folded`]).
    #[inline]
    fn confirm(&self, hay: &[u8], start: usize, rule: usize, glued: bool) -> Option<Hit> {
        let format = &self.rules.rules()[rule].format;
        let prefix = format.prefix.as_bytes();
        let written = hay.get(start..start + prefix.len())?;
        if written != prefix {
            return (self.fold && written.eq_ignore_ascii_case(prefix))
                .then(|| self.confirm_folded(hay, start, rule, glued))
                .flatten();
        }
        let found = format.match_at(hay, start, glued)?;
        Some(Hit {
            rule,
            start,
            end: start + found.len,
            checksum: checksum_of(found.checksum),
            escaped: false,
        })
    }

    /// `rule`'s token at `start` with its prefix written in another case
    /// (`Cfat_`): checked as if it were written right, since the checksum
    /// of some formats covers the prefix; a hit only if it holds.
    #[cold]
    fn confirm_folded(&self, hay: &[u8], start: usize, rule: usize, glued: bool) -> Option<Hit> {
        let format = &self.rules.rules()[rule].format;
        if !format.has_checksum() {
            return None;
        }
        let end = (start + format.token_len() + 1).min(hay.len());
        let mut copy = hay[start..end].to_vec();
        copy[..format.prefix.len()].copy_from_slice(format.prefix.as_bytes());
        let found = format.match_at(&copy, 0, glued)?;
        (found.checksum == Some(true)).then_some(Hit {
            rule,
            start,
            end: start + found.len,
            checksum: Checksum::Valid,
            escaped: false,
        })
    }

    /// Confirms a located rule's token whose literal stands at `lit`: only
    /// with a valid checksum.
    #[cold]
    fn confirm_located(&self, hay: &[u8], lit: usize, rule: usize) -> Option<Hit> {
        let (start, len) = self.rules.rules()[rule].format.match_located(hay, lit)?;
        Some(Hit {
            rule,
            start,
            end: start + len,
            checksum: Checksum::Valid,
            escaped: false,
        })
    }

    /// Confirms a token written with escapes at `start`: only where one
    /// appears within a token's length, since otherwise the plain check
    /// has said all there is to say.
    #[cold]
    fn confirm_escaped(&self, hay: &[u8], start: usize, rule: usize) -> Option<Hit> {
        let format = &self.rules.rules()[rule].format;
        let max = format.token_len() + 1;
        let reach = &hay[start..hay.len().min(start + MAX_ESCAPE_LEN * max)];
        reach[..reach.len().min(max)]
            .iter()
            .position(|b| ESCAPE_STARTS.contains(b))?;
        let (mut out, mut ends) = (Vec::new(), Vec::new());
        crate::engine::decode::unescape(reach, 0, max, &mut out, &mut ends);
        if !out.starts_with(format.prefix.as_bytes()) {
            return None;
        }
        let found = format.match_at(&out, 0, false)?;
        let end = ends[found.len - 1];
        // No escape inside the token itself: not this path's to report.
        if end == found.len {
            return None;
        }
        Some(Hit {
            rule,
            start,
            end: start + end,
            checksum: checksum_of(found.checksum),
            escaped: true,
        })
    }

    /// Finds tokens that start in `from..until` of `hay` and calls `f` for
    /// each, in order. The caller guarantees that `hay` holds
    /// [`Engine::context`] bytes before `from` (at least the byte before
    /// it), or everything from the start of the data, and
    /// [`Engine::max_token_len`] + 1 + [`Engine::context`] bytes past
    /// `until` unless `hay` ends at the end of the data (`at_eof`). Under
    /// those conditions the hits do not depend on how the data was split,
    /// which is what makes streaming exact. Matches with a bad checksum are
    /// passed to `f` only when `report_invalid` is set.
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
        f: impl FnMut(Hit),
    ) -> usize {
        self.find_in(hay, (from, until), at_eof, report_invalid, f)
    }

    #[inline]
    fn find_in(
        &self,
        hay: &[u8],
        (from, until): (usize, usize),
        at_eof: bool,
        report_invalid: bool,
        mut f: impl FnMut(Hit),
    ) -> usize {
        debug_assert!(
            at_eof || hay.len() > until + self.max_token_len + self.context,
            "caller must keep a full token of lookahead"
        );
        let lo = from.saturating_sub(self.back);
        let hi = (until + self.fwd).min(hay.len());
        let mut hits: Vec<Hit> = Vec::new();
        // Keyword regions around anchors, merged as they come.
        let mut regions: Vec<(usize, usize)> = Vec::new();
        let stage = (&self.text, lo, hi);
        self.candidates(
            stage,
            hay,
            (from, until),
            report_invalid,
            &mut hits,
            &mut regions,
        );
        for &region in &regions {
            crate::engine::keyword::find_in(
                &self.keywords,
                hay,
                region,
                from,
                until,
                |rule, s, e| {
                    hits.push(Hit {
                        rule,
                        start: s,
                        end: e,
                        checksum: Checksum::None,
                        escaped: false,
                    })
                },
            );
        }
        self.in_order(&mut hits);
        let mut next = until;
        for h in hits {
            next = next.max(h.end);
            f(h);
        }
        next
    }

    /// The tokens of `stage`'s rules whose needles its prefilter finds in
    /// `hay[lo..hi]` and that start in `from..until`, into `hits`; keyword
    /// anchors widen `regions`.
    fn candidates(
        &self,
        (stage, lo, hi): (&Stage, usize, usize),
        hay: &[u8],
        (from, until): (usize, usize),
        report_invalid: bool,
        hits: &mut Vec<Hit>,
        regions: &mut Vec<(usize, usize)>,
    ) {
        // Tokens never overlap: a prefix inside a token (possible only for
        // custom prefixes with inner separators) is not a new token.
        let mut free = from;
        let mut at = lo;
        while at < hi {
            let Some((pos, _)) = Engine::next_candidate(stage, hay, at, hi) else {
                break;
            };
            at = pos + 1;
            // Every needle found at `pos` (one may begin another).
            for (needle, targets) in &stage.needles {
                if !hay[pos..].starts_with(needle) {
                    continue;
                }
                let mut confirmed = false;
                for t in targets {
                    match *t {
                        Target::Keyword => self.keyword_region(pos, regions),
                        Target::Located { rule } => {
                            let Some(hit) = self.confirm_located(hay, pos, rule) else {
                                continue;
                            };
                            // Its instance prefix may be a known prefix
                            // whose token did not check (`acme-glpat-…`):
                            // `in_order` keeps the one that starts first.
                            if confirmed || hit.start < from || hit.start >= until {
                                continue;
                            }
                            free = free.max(hit.end);
                            hits.push(hit);
                            confirmed = true;
                        }
                        Target::Prefix { rule, off } => {
                            let Some(start) = pos.checked_sub(off) else {
                                continue;
                            };
                            if confirmed || start < free || start >= until {
                                continue;
                            }
                            // Rules sharing the needle, longest prefix first;
                            // rules may share a whole prefix with different
                            // layouts: the first that matches.
                            let Some(hit) = self.token_at(hay, start, rule, report_invalid) else {
                                continue;
                            };
                            free = hit.end;
                            hits.push(hit);
                            confirmed = true;
                        }
                    }
                }
            }
        }
    }

    /// Whether some rules are looked for only inside runs of base64
    /// characters ([`Engine::find_in_run`]).
    pub fn has_run_rules(&self) -> bool {
        self.runs.is_some()
    }

    /// The tokens of the rules looked for only inside runs (`prefilter =
    /// "runs"`) that lie in the run `hay[s..e]`, in order. `hay` holds the
    /// text around the run (a token's neighbours decide its boundaries).
    pub fn find_in_run(
        &self,
        hay: &[u8],
        (s, e): (usize, usize),
        report_invalid: bool,
        mut f: impl FnMut(Hit),
    ) {
        let Some(stage) = &self.runs else {
            return;
        };
        let mut hits = Vec::new();
        self.candidates(
            (stage, s, e),
            hay,
            (s, e),
            report_invalid,
            &mut hits,
            &mut Vec::new(),
        );
        self.in_order(&mut hits);
        hits.into_iter().for_each(&mut f);
    }

    /// Widens `regions` (merged as they come) by the keyword reach around
    /// an anchor at `pos`.
    #[inline]
    fn keyword_region(&self, pos: usize, regions: &mut Vec<(usize, usize)>) {
        let r = (
            pos.saturating_sub(KEYWORD_REACH + self.keyword_len),
            pos + KEYWORD_REACH + 1,
        );
        match regions.last_mut() {
            Some(last) if last.1 >= r.0 => last.1 = last.1.max(r.1),
            _ => regions.push(r),
        }
    }

    /// `rule`'s token starting at `start`, if one is there: at a word
    /// boundary (or after an escape; in binary data, anywhere if its
    /// checksum is valid), plain or escaped, and with a wrong checksum only
    /// when those are reported.
    #[inline]
    fn token_at(&self, hay: &[u8], start: usize, rule: usize, report_invalid: bool) -> Option<Hit> {
        if !self.may_start(hay, start, rule) {
            return None;
        }
        let glued = start > 0
            && (is_word(hay[start - 1])
                || self.rules.rules()[rule]
                    .format
                    .continues_left(hay[start - 1]))
            && !(self.escapes && crate::engine::decode::escaped_boundary_before(hay, start));
        let mut binary = None;
        let mut binary = || *binary.get_or_insert_with(|| binary_before(hay, start));
        // Right after a token glued to it in binary data (`tok1tok2`) is a
        // boundary: once the first is masked, the second stands alone.
        let glued = glued && !self.token_ends_at(hay, start);
        if glued && !binary() {
            return None;
        }
        let hit = match self.confirm(hay, start, rule, false) {
            Some(hit) => hit,
            None => {
                let escaped = self.escapes.then(|| self.confirm_escaped(hay, start, rule));
                match escaped.flatten() {
                    Some(hit) => hit,
                    // A field may follow it in a binary record, too.
                    None if binary() => self
                        .confirm(hay, start, rule, true)
                        .filter(|h| h.checksum == Checksum::Valid)?,
                    None => return None,
                }
            }
        };
        if glued {
            return (hit.checksum == Checksum::Valid).then_some(hit);
        }
        (hit.checksum != Checksum::Invalid || report_invalid).then_some(hit)
    }

    /// Whether `rule`'s prefix may start at `start`: written out (in any
    /// case, when wrong-case prefixes are looked for) up to its end or to
    /// an escape. Most candidates (`glob` for `gloas-`) fail here, on their
    /// first differing byte.
    #[inline]
    fn may_start(&self, hay: &[u8], start: usize, rule: usize) -> bool {
        let prefix = self.rules.rules()[rule].format.prefix.as_bytes();
        for (i, &want) in prefix.iter().enumerate() {
            let Some(&c) = hay.get(start + i) else {
                return false;
            };
            if c == want || (self.fold && c.eq_ignore_ascii_case(&want)) {
                continue;
            }
            return self.escapes && ESCAPE_STARTS.contains(&c);
        }
        true
    }

    /// The token of fixed length with a valid checksum and a boundary on
    /// its left that ends at `end` with a word right after it: what the
    /// text right after a token turns out to be (an encoded one, found by a
    /// decoding) makes it stand alone. `None` if there is none.
    #[cold]
    pub(crate) fn token_glued_before(&self, hay: &[u8], end: usize) -> Option<Hit> {
        if end >= hay.len() || !is_word(hay[end]) {
            return None;
        }
        self.rules.rules().iter().enumerate().find_map(|(rule, r)| {
            let f = &r.format;
            let len = f.token_len();
            if r.is_keyword() || !f.has_checksum() || len != f.min_token_len() || end < len {
                return None;
            }
            let start = end - len;
            let bounded = start == 0 || !is_word(hay[start - 1]) || binary_before(hay, start);
            self.confirm(hay, start, rule, true)
                .filter(|h| bounded && h.end == end && h.checksum == Checksum::Valid)
        })
    }

    /// Whether a token of fixed length with a valid checksum, in binary
    /// data, ends at `end`.
    #[cold]
    fn token_ends_at(&self, hay: &[u8], end: usize) -> bool {
        // Text (no control byte within reach of any token): at once.
        if !control_in(&hay[end.saturating_sub(self.max_token_len + BINARY_REACH)..end]) {
            return false;
        }
        self.rules.rules().iter().enumerate().any(|(rule, r)| {
            let f = &r.format;
            let len = f.token_len();
            !r.is_keyword()
                && f.has_checksum()
                && len == f.min_token_len()
                && end >= len
                && binary_before(hay, end - len)
                && self
                    .confirm(hay, end - len, rule, true)
                    .is_some_and(|h| h.end == end && h.checksum == Checksum::Valid)
        })
    }

    /// Sorts `hits` by position and drops overlaps: where a keyword secret
    /// overlaps a token, the token stays.
    fn in_order(&self, hits: &mut Vec<Hit>) {
        if hits.len() > 1 {
            hits.sort_by_key(|h| (h.start, self.rules.rules()[h.rule].is_keyword()));
            let mut end = 0;
            hits.retain(|h| {
                let keep = h.start >= end;
                if keep {
                    end = h.end;
                }
                keep
            });
        }
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

    /// A GitLab routable token under `prefix` (none for ""), as GitLab
    /// writes it: the CRC-32 of everything before it, in base36.
    fn routable(prefix: &str, payload: &str) -> String {
        let b36 = |mut n: u64, w: usize| {
            let d = b"0123456789abcdefghijklmnopqrstuvwxyz";
            let mut s = Vec::new();
            while n > 0 {
                s.insert(0, d[(n % 36) as usize]);
                n /= 36;
            }
            while s.len() < w {
                s.insert(0, b'0');
            }
            String::from_utf8(s).unwrap()
        };
        let body = format!("{prefix}{payload}.01.{}", b36(payload.len() as u64, 2));
        let crc = b36(crc32fast::hash(body.as_bytes()) as u64, 7);
        format!("{body}{crc}")
    }

    #[test]
    fn routable_tokens_under_any_instance_prefix() {
        let e = Engine::new(RuleSet::builtin());
        let payload = "iw4XUmipwX6qQcUV8vYimW86MQp1OjUKCA";
        let any = "gitlab-routable-token";
        for prefix in ["acme-glpat-", "dspat-", "SIE_", ""] {
            let t = routable(prefix, payload);
            for before in ["x = \"", "oauth2:", "", "(", " "] {
                let hay = format!("{before}{t}\"\n");
                assert_eq!(
                    hits(&e, &hay, true),
                    vec![(any.to_string(), before.len(), Checksum::Valid)],
                    "{hay}"
                );
            }
            // Found whatever the split: a hit starting before `until` is
            // the first call's, though its literal lies after it.
            let hay = format!(
                "k: {t}\n{}",
                " ".repeat(e.max_token_len() + e.context() + 2)
            );
            for until in 1..t.len() + 5 {
                let mut found = Vec::new();
                let next = e.find(hay.as_bytes(), 0, until, false, true, |h| {
                    found.push(h.start)
                });
                e.find(hay.as_bytes(), next, hay.len(), true, true, |h| {
                    found.push(h.start)
                });
                assert_eq!(found, vec![3], "{prefix:?} split at {until}");
            }
        }
        // GitLab's own prefix keeps its own rule.
        let own = routable("glpat-", payload);
        assert_eq!(
            hits(&e, &own, true),
            vec![(
                "gitlab-personal-access-token".to_string(),
                0,
                Checksum::Valid
            )]
        );
        let t = routable("acme-", payload);
        // The checksum covers the instance prefix, and nothing is reported
        // without it (not even as invalid: nothing else tells it).
        for bad in [
            t.replacen("acme", "acmf", 1),
            t.replacen("acme-", "x-acme-", 1),
            t.replacen("acme-", "", 1),
            t.replacen(".01.0y", ".01.0z", 1),
            format!("{}x", &t[..t.len() - 1]),
            format!("{t}a"),
            format!("ab{}", &t[..]).replacen("acme-", "", 1),
        ] {
            assert_eq!(hits(&e, &bad, true), vec![], "{bad}");
        }
        // A prefix that ends in a payload character is a known token whose
        // length field was edited, checksum redone: not this rule's.
        let forged = routable("glpat-O", &payload[1..]);
        assert_eq!(hits(&e, &forged, false), vec![], "{forged}");
    }

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
            assert!(!ok(&CFUT.replace("cfut_", "cFut_")));
        }
    }

    #[test]
    fn a_wrong_case_prefix_needs_a_valid_checksum_and_can_be_turned_off() {
        // The prefilter finds `Github_pat_` by `b_pat`; the checksum covers
        // the prefix, so it is computed over the prefix as GitHub writes it.
        let mut e = Engine::new(RuleSet::builtin());
        let pat = "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"; // burnkey:allow
        let title = pat.replacen('g', "G", 1);
        assert_eq!(
            hits(&e, &title, false),
            vec![(
                "github-fine-grained-personal-access-token".into(),
                0,
                Checksum::Valid
            )]
        );
        let bad = title.replace("U0l", "V0l");
        assert!(hits(&e, &bad, true).is_empty(), "never a wrong checksum");
        // Shape-only rules have nothing to vouch for a wrong case.
        assert!(hits(&e, "Ghs_FLtH2Agf49PEqi6dEmrFglCR0jEpTe3zbThR", false).is_empty()); // burnkey:allow
        e.set_folding(false);
        assert!(hits(&e, &title, false).is_empty());
        assert_eq!(hits(&e, pat, false).len(), 1);
    }

    #[test]
    fn every_checksummed_prefix_is_found_capitalised() {
        // The public `Cfat_` sample's mistake, for every family whose
        // checksum can vouch for it: each rule's examples, capitalised.
        let e = Engine::new(RuleSet::builtin());
        let mut seen = 0;
        for (i, r) in e.rules().rules().iter().enumerate() {
            let f = &r.format;
            if !f.has_checksum() || f.prefix.is_empty() || r.is_keyword() {
                continue;
            }
            for ex in &r.examples {
                let Some(at) = ex.find(f.prefix.as_str()) else {
                    continue;
                };
                let mut title = ex.clone();
                title[at..at + 1].make_ascii_uppercase();
                let mut found = Vec::new();
                let push = |h: Hit| found.push((h.rule, h.start, h.checksum));
                match r.in_runs {
                    // The scanner hands the engine the run holding it.
                    true => e.find_in_run(title.as_bytes(), (0, title.len()), false, push),
                    false => {
                        e.find(title.as_bytes(), 0, title.len(), true, false, push);
                    }
                }
                assert!(
                    found.contains(&(i, at, Checksum::Valid)),
                    "{}: {title} gave {found:?}",
                    r.id()
                );
                seen += 1;
            }
        }
        assert!(seen >= 20, "{seen} examples");
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
        use crate::token::checksum::Scheme;
        use crate::token::format::Format;
        let mut rules: Vec<crate::rules::Rule> = RuleSet::builtin()
            .rules()
            .iter()
            .map(|r| (**r).clone())
            .collect();
        let template = rules
            .iter()
            .find(|r| !r.is_keyword() && !r.in_runs)
            .unwrap()
            .clone();
        let mut acme = template.clone();
        acme.format = Format::custom("acme", Scheme::Crc32Hex8).unwrap();
        let mut ack = template.clone();
        ack.format = Format::custom("ack", Scheme::Crc32Base62x6).unwrap();
        // "cf" is shared with the Cloudflare prefixes too.
        let mut cfx = template.clone();
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
    fn an_engine_with_no_rules_finds_nothing() {
        for packed in [true, false] {
            let e = Engine::with_prefilter(RuleSet::from_rules(Vec::new()).unwrap(), packed);
            assert!(format!("{e:?}").contains("\"nothing\""), "{e:?}");
            let text = format!("{CFUT} cfut_ ghp_ npm_");
            assert!(hits(&e, &text, true).is_empty());
            // Nothing to look for: the whole window is done.
            let n = text.len();
            assert_eq!(e.find(text.as_bytes(), 0, n, true, true, |_| ()), n);
        }
    }

    #[test]
    fn teddy_order_keeps_families_in_their_buckets() {
        let needles: Vec<&[u8]> = [
            "cfu", "cfa", "cfk", "ghp", "gho", "ghu", "ghs", "ghr", "b_pat", "glp", "gla", "glw",
            "gls", "npm", "udfl", "udFl", "UDFL", "CF_", "cf_", "h-key", "h-Key", "H-KEY",
        ]
        .iter()
        .map(|s| s.as_bytes())
        .collect();
        let order = teddy_order(needles.clone());
        // Every needle is still there; Teddy's bucket rule puts each family
        // in buckets of its own.
        for n in &needles {
            assert!(order.contains(n), "{}", String::from_utf8_lossy(n));
        }
        let nib = |n: &[u8]| n.iter().take(3).map(|b| b & 15).collect::<Vec<_>>();
        let mut bucket_of: Vec<(Vec<u8>, usize)> = Vec::new();
        let mut buckets: Vec<Vec<&[u8]>> = vec![Vec::new(); 8];
        for (id, n) in order.iter().enumerate() {
            let b = match bucket_of.iter().find(|(k, _)| *k == nib(n)) {
                Some(&(_, b)) => b,
                None => {
                    bucket_of.push((nib(n), 7 - id % 8));
                    7 - id % 8
                }
            };
            buckets[b].push(n);
        }
        for b in &buckets {
            let fam = |n: &[u8]| n[..2].to_ascii_lowercase();
            assert!(
                b.iter().all(|n| fam(n) == fam(b[0])),
                "a bucket mixes families: {:?}",
                b.iter()
                    .map(|n| String::from_utf8_lossy(n))
                    .collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn escapes_that_end_before_the_prefix_does() {
        // Found by fuzzing: an escape inside what the head promised was a
        // prefix (`cfu` then `%74` is `cfut`, out of scope), at the end of
        // the data, or with the prefix cut short.
        let e = Engine::new(RuleSet::builtin());
        for hay in ["cfu%", "cfu\\u", "cfu%7", "cfut%5", "cfut\\x5", "_ÿcfu%20"] {
            assert!(hits(&e, hay, true).is_empty(), "{hay}");
        }
        let t = CFUT.replacen('_', "%5F", 1);
        assert_eq!(hits(&e, &t, false).len(), 1);
        assert!(hits(&e, &t[..t.len() - 1], true).is_empty());
    }

    #[test]
    fn a_valid_token_glued_to_a_word_counts_only_in_binary_data() {
        let e = Engine::new(RuleSet::builtin());
        let t = crate::token::format::FormatSet::builtin()
            .by_name("cfut")
            .unwrap()
            .mint()
            .unwrap();
        let bad = format!("{}0", &t[..t.len() - 1]);
        let bad = if bad == t {
            format!("{}1", &t[..t.len() - 1])
        } else {
            bad
        };
        let n = |hay: String, invalid: bool| hits(&e, &hay, invalid).len();
        // Text: a letter before it, no token.
        assert_eq!(n(format!("key{t}"), false), 0);
        assert_eq!(n(format!("a line\nkey{t}"), false), 0);
        // A SQLite record, a coloured log line: control bytes just before.
        assert_eq!(n(format!("\x03\x17cf_token{t}"), false), 1);
        assert_eq!(n(format!("\x1b[32mINFO\x1b[0m{t}"), false), 1);
        // Not with a wrong checksum, even when those are asked for.
        assert_eq!(n(format!("\x03\x17cf_token{bad}"), true), 0);
        // A field may follow it too.
        assert_eq!(n(format!("\x03\x17cf_token{t}gh_next\x01"), false), 1);
        assert_eq!(n(format!("key: {t}gh_next"), false), 0);
        // Right after another token in binary data (masking the first would
        // leave the second standing alone); in text, glued tokens are none.
        assert_eq!(n(format!("\x03{t}{t}\n"), false), 2);
        assert_eq!(n(format!("x {t}{t}\n"), false), 0);
        // Too far back (past BINARY_REACH) is text again.
        let far = "x".repeat(BINARY_REACH);
        assert_eq!(n(format!("\x03{far}{t}"), false), 0);
    }

    #[test]
    fn engine_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Engine>();
    }
}
