//! Token formats: what a token of one kind looks like, how to check one and
//! how to mint one.
//!
//! A format is data: an id, a name, a prefix and a [`Layout`] for what
//! follows it (random characters, separators, fields, a checksum). The
//! built-in formats come from the rule files in `patterns/` (see
//! [`crate::rules`]); a service that issues its own tokens describes one in a
//! rule file, or makes one with [`Format::custom`].

use crate::error::{Error, TokenError};
use crate::token::checksum::Scheme;
use crate::token::layout::{Alphabet, Fail, Layout, Spans};
use crate::token::structure::Structure;

/// The characters a classic token body may hold.
pub const ALNUM: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Longest prefix a format may have, in bytes.
pub const MAX_PREFIX_LEN: usize = 32;

/// How many times a token with a structure is drawn before minting gives
/// up (an Azure Search key needs about 2 draws).
const MINT_TRIES: usize = 256;

/// Shortest prefix that needs no `_` or `-`.
pub const LONG_PREFIX: usize = 8;

/// One token format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Format {
    /// Stable rule id, e.g. `cloudflare-user-api-token`.
    pub id: String,
    /// Human name, e.g. `Cloudflare User API Token`.
    pub name: String,
    /// The literal prefix, e.g. `cfut_`. Case-sensitive.
    pub prefix: String,
    /// What follows the prefix.
    pub layout: Layout,
    /// What the token must be beyond its layout (a JWT, a checksum inside
    /// its base64), if anything.
    pub structure: Option<Structure>,
}

/// A string that passed [`Format::check`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checked<'f> {
    /// The format the token belongs to.
    pub format: &'f Format,
}

/// A token found by [`Format::match_at`]: its length and what its checksum said.
#[cfg(feature = "scan")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FormatMatch {
    /// Bytes from the start of the prefix.
    pub len: usize,
    /// `Some(ok)` for a format with a checksum, `None` for one without.
    pub checksum: Option<bool>,
}

impl Format {
    /// A format for a service's own prefix with one of the named schemes.
    /// `prefix` may be given with or without its trailing `_` (`acme` and
    /// `acme_` both mean `acme_`). The body is 40 characters of
    /// `[A-Za-z0-9]` for [`Scheme::Crc32Hex8`] (Cloudflare's layout) and 30
    /// for the others (GitHub's). Any other layout is a rule file away.
    pub fn custom(prefix: &str, scheme: Scheme) -> Result<Format, Error> {
        let prefix = if prefix.ends_with('_') {
            prefix.to_string()
        } else {
            format!("{prefix}_")
        };
        let body_len = match scheme {
            Scheme::Crc32Hex8 => 40,
            _ => 30,
        };
        let stem = prefix.trim_end_matches('_').to_ascii_lowercase();
        let f = Format {
            id: format!("custom-{stem}"),
            name: format!("{} token", prefix.trim_end_matches('_')),
            prefix,
            layout: Layout::preset(body_len, scheme).map_err(Error::Invalid)?,
            structure: None,
        };
        f.validate()?;
        Ok(f)
    }

    /// Checks that the format itself is well-formed (the layout validated
    /// itself when it was built).
    pub fn validate(&self) -> Result<(), Error> {
        let p = self.prefix.as_bytes();
        if p.is_empty() {
            // No prefix: a literal at a fixed place inside (a signature,
            // `8Q~`, `+ASt`) and a checked structure tell the token from
            // chance; or a literal after a payload whose length a field
            // records, and a checksum (GitLab's routable tokens under any
            // instance prefix).
            let fixed = self.fixed_literal(3).is_some() && self.structure.is_some();
            let located = self.located().is_some() && self.layout.checksum().is_some();
            if !fixed && !located {
                return Err(Error::Invalid(format!(
                    "format {:?} has no prefix: it needs a literal of 3 bytes or more at a fixed place in its layout and a structure to check, or a literal after its first segment, that segment's length and a checksum",
                    self.id
                )));
            }
            return self.validate_id();
        }
        let ok_prefix = p.len() <= MAX_PREFIX_LEN
            && p[0].is_ascii_alphanumeric()
            && p.iter()
                .all(|&c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-');
        if !ok_prefix {
            return Err(Error::Invalid(format!(
                "prefix {:?} of format {:?} must be 1 to {MAX_PREFIX_LEN} characters of [A-Za-z0-9_-], starting with a letter or digit",
                self.prefix, self.id
            )));
        }
        if !p.iter().any(|c| !c.is_ascii_alphanumeric()) && p.len() < LONG_PREFIX {
            // Without a separator the body could not be told from the prefix,
            // and a token could hide inside a longer word; a long prefix
            // (GitLab's `GR1348941`) is its own separator.
            return Err(Error::Invalid(format!(
                "prefix {:?} of format {:?} must contain a '_' or '-' (usually at its end, like cfut_), or be {LONG_PREFIX} characters or more",
                self.prefix, self.id
            )));
        }
        self.validate_id()
    }

    /// The first literal of `min` bytes or more at a fixed place in the
    /// token (every segment before it of fixed length): its text and its
    /// offset from the start of the token, prefix included.
    pub fn fixed_literal(&self, min: usize) -> Option<(&str, usize)> {
        use crate::token::layout::{Len, Segment};
        let mut off = self.prefix.len();
        for seg in self.layout.segments() {
            match seg {
                Segment::Literal(l) if l.len() >= min => return Some((l, off)),
                Segment::Literal(l) => off += l.len(),
                Segment::Random {
                    len: Len::Fixed(n), ..
                } => off += n,
                Segment::Random { .. } => return None,
                Segment::Length { width, .. } => off += width,
                Segment::Checksum { spec, .. } => off += spec.width,
            }
        }
        None
    }

    /// For a format without a prefix that a literal after its payload
    /// locates (see [`Layout::located_literal`]): the literal. Its tokens
    /// are found under any instance prefix: up to [`MAX_PREFIX_LEN`]
    /// characters of `[A-Za-z0-9_-]` (starting with a letter or digit,
    /// ending with `-` or `_`) that the checksum covers, or none.
    pub fn located(&self) -> Option<&str> {
        if !self.prefix.is_empty() {
            return None;
        }
        self.layout.located_literal()
    }

    /// For a [`Format::located`] format: how long the instance prefix of
    /// `token` (a whole token) is; `None` if the token has no payload where
    /// its length field says or its prefix is no instance prefix.
    pub fn instance_prefix_len(&self, token: &[u8]) -> Option<usize> {
        let lit = self.located()?.as_bytes();
        (0..token.len().saturating_sub(lit.len() - 1))
            .filter(|&i| token[i..].starts_with(lit))
            .find_map(|i| {
                let s = self.layout.located_start(token, i)?;
                is_instance_prefix(&token[..s]).then_some(s)
            })
    }

    /// How much of `token` (a whole token of this format) is its prefix:
    /// its instance prefix, for a [`Format::located`] format.
    pub fn prefix_len_of(&self, token: &str) -> usize {
        self.instance_prefix_len(token.as_bytes())
            .unwrap_or(self.prefix.len())
    }

    /// A [`Format::located`] token whose literal stands at `lit` in `hay`
    /// and whose checksum holds: its start (at its instance prefix, or at
    /// its payload for none) and length. The instance prefix is every
    /// `[A-Za-z0-9_-]` character right before the payload (at most
    /// [`MAX_PREFIX_LEN`]); a wrong checksum is no token, as nothing else
    /// tells it from chance.
    #[cfg(feature = "scan")]
    pub(crate) fn match_located(&self, hay: &[u8], lit: usize) -> Option<(usize, usize)> {
        let s = self.layout.located_start(hay, lit)?;
        let rest_end = (s + self.layout.max_len() + 1).min(hay.len());
        let spans = self.layout.parse(&hay[s..rest_end]).ok()?;
        let end = s + spans.len;
        if spans.start(1) != lit - s {
            return None;
        }
        if let Some(&c) = hay.get(end) {
            if c.is_ascii_alphanumeric() || self.layout.extends(c) {
                return None;
            }
        }
        // The instance prefix: every prefix character before the payload
        // (none where a boundary stands right before it).
        let reach = &hay[s.saturating_sub(MAX_PREFIX_LEN + 1)..s];
        let k = reach
            .iter()
            .rev()
            .take_while(|&&c| is_prefix_char(c))
            .count();
        let start = s - k;
        (is_instance_prefix(&hay[start..s])
            && self.layout.checksum_ok(&hay[start..end], k, &spans) == Some(true))
        .then_some((start, end - start))
    }

    /// Checks the id alone: non-empty lowercase `[a-z0-9._-]`.
    pub fn validate_id(&self) -> Result<(), Error> {
        if self.id.is_empty()
            || !self.id.bytes().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'_' || c == b'.'
            })
        {
            return Err(Error::Invalid(format!(
                "rule id {:?} must be non-empty lowercase [a-z0-9._-]",
                self.id
            )));
        }
        Ok(())
    }

    /// Short kind name: the prefix without its trailing separator (`cfut`).
    pub fn kind(&self) -> &str {
        match self.prefix.trim_end_matches(['_', '-']) {
            "" => &self.id,
            k => k,
        }
    }

    /// Length of the longest token of this format, in bytes (of every token,
    /// for a fixed-length layout).
    #[inline]
    pub fn token_len(&self) -> usize {
        let instance = if self.located().is_some() {
            MAX_PREFIX_LEN
        } else {
            0
        };
        self.prefix.len() + instance + self.layout.max_len()
    }

    /// Length of the shortest token of this format, in bytes.
    pub fn min_token_len(&self) -> usize {
        self.prefix.len() + self.layout.min_len()
    }

    /// Whether tokens of this format carry a checksum.
    pub fn has_checksum(&self) -> bool {
        self.layout.checksum().is_some() || self.structure.is_some()
    }

    /// The named scheme, when the layout is a classic body + checksum one.
    pub fn scheme(&self) -> Option<Scheme> {
        self.layout.as_preset().map(|(_, s)| s)
    }

    /// The checksum's name: the scheme's (`crc32-hex8`), else a description
    /// (`crc32 hex little-endian, 8 characters`), else `none`.
    pub fn checksum_name(&self) -> String {
        let sum = match (self.scheme(), self.layout.checksum()) {
            (Some(s), _) => Some(s.name().to_string()),
            (None, Some(spec)) => Some(spec.describe()),
            (None, None) => None,
        };
        match (sum, &self.structure) {
            (Some(s), None) => s,
            (None, Some(st)) => st.describe(),
            (Some(s), Some(st)) => format!("{s}, {}", st.describe()),
            (None, None) => "none".to_string(),
        }
    }

    /// Whether a parsed `token` holds its structure (`None`: it has none).
    fn structure_ok(&self, token: &[u8], spans: &Spans) -> Option<bool> {
        let st = self.structure.as_ref()?;
        let from = st
            .from
            .map_or(0, |seg| self.prefix.len() + spans.start(seg));
        Some(st.check.holds(&token[from..], &st.seeds))
    }

    /// The verdict of the checksum and the structure together.
    #[cfg(feature = "scan")]
    fn verdict(&self, token: &[u8], spans: &Spans) -> Option<bool> {
        let sum = self.layout.checksum_ok(token, self.prefix.len(), spans);
        match (sum, self.structure_ok(token, spans)) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (None, None) => None,
            _ => Some(true),
        }
    }

    /// Matches a token of this format at `hay[start..]`, where the prefix is
    /// known to be: the layout, then a boundary (the next byte, if any, may
    /// neither extend the token nor be `[A-Za-z0-9]`; with `glued`, it may
    /// be anything: a field that follows in a binary record, which only a
    /// valid checksum tells from the token going on).
    #[cfg(feature = "scan")]
    #[inline]
    pub(crate) fn match_at(&self, hay: &[u8], start: usize, glued: bool) -> Option<FormatMatch> {
        let plen = self.prefix.len();
        let rest_end = (start + plen + self.layout.max_len() + 1).min(hay.len());
        let rest = &hay[start + plen..rest_end];
        let spans = self.layout.parse(rest).ok()?;
        let end = start + plen + spans.len;
        if let Some(&c) = hay.get(end).filter(|_| !glued) {
            if c.is_ascii_alphanumeric() || self.layout.extends(c) {
                return None;
            }
        }
        Some(FormatMatch {
            len: plen + spans.len,
            checksum: self.verdict(&hay[start..end], &spans),
        })
    }

    /// What tells this format's tokens, for people: the prefix, or for a
    /// format without one, the literal at its fixed place (`+ASt`).
    pub fn marker(&self) -> &str {
        match (self.fixed_literal(3), self.located()) {
            (Some((lit, _)), _) if self.prefix.is_empty() => lit,
            (_, Some(lit)) => lit,
            _ => &self.prefix,
        }
    }

    /// Where `anchor` stands in every token of this format: inside the
    /// prefix, or inside the literal at a fixed place.
    pub fn anchor_offset(&self, anchor: &str) -> Option<usize> {
        if let Some(off) = self.prefix.find(anchor) {
            return Some(off);
        }
        let (lit, off) = self.fixed_literal(3)?;
        lit.find(anchor).map(|i| off + i)
    }

    /// The prefilter's needle for this format and where it stands in the
    /// token: its named anchor, else the prefix's first three bytes, else
    /// (no prefix) the fixed literal's.
    pub fn needle<'a>(&'a self, anchor: Option<&'a str>) -> Option<(&'a str, usize)> {
        if let Some(a) = anchor {
            if let Some(off) = self.anchor_offset(a) {
                return Some((a, off));
            }
        }
        if !self.prefix.is_empty() {
            return Some((&self.prefix[..self.prefix.len().min(3)], 0));
        }
        self.fixed_literal(3)
    }

    /// Whether `token` says it is of this format: it starts with the
    /// prefix, or for a format without one, holds its signature in place.
    pub fn announced_by(&self, token: &str) -> bool {
        if !self.prefix.is_empty() {
            return token.starts_with(self.prefix.as_str());
        }
        if self.located().is_some() {
            return self.instance_prefix_len(token.as_bytes()).is_some();
        }
        self.fixed_literal(3)
            .is_some_and(|(lit, off)| token.get(off..off + lit.len()) == Some(lit))
    }

    /// Whether `c` right before a token of this format would be part of
    /// it: for a format without a prefix, a character its first segment
    /// allows (a base64 key inside a longer base64 run is no key).
    #[cfg(feature = "scan")]
    pub(crate) fn continues_left(&self, c: u8) -> bool {
        self.prefix.is_empty()
            && matches!(
                self.layout.segments().first(),
                Some(crate::token::layout::Segment::Random { alphabet, .. }) if alphabet.contains(c)
            )
    }

    /// Checks `token` against this format alone: prefix, characters, length,
    /// fields, checksum. The input is never echoed whole in the error.
    pub fn check(&self, token: &str) -> Result<Checked<'_>, TokenError> {
        if token.is_empty() {
            return Err(TokenError::Empty);
        }
        let plen = match self.located() {
            Some(_) => self
                .instance_prefix_len(token.as_bytes())
                .ok_or(TokenError::UnknownPrefix)?,
            None => self.prefix.len(),
        };
        let Some(rest) = token
            .get(plen..)
            .filter(|_| token.starts_with(self.prefix.as_str()))
        else {
            return Err(TokenError::UnknownPrefix);
        };
        let wrong_length = |expected| TokenError::WrongLength {
            kind: self.kind().to_string(),
            expected,
            found: token.chars().count(),
        };
        let spans = match self.layout.parse(rest.as_bytes()) {
            Ok(s) => s,
            Err(Fail::Short) => return Err(wrong_length(self.min_token_len())),
            Err(Fail::BadChar { at, seg }) => {
                // Every byte before `at` matched an ASCII class, so `at` is
                // a character boundary and counts characters too.
                return Err(TokenError::BadCharacter {
                    position: plen + at + 1,
                    found: rest[at..].chars().next().expect("in bounds"),
                    expected: self.layout.expected(seg),
                });
            }
            Err(Fail::LengthField { found, actual }) => {
                return Err(TokenError::LengthField {
                    kind: self.kind().to_string(),
                    found,
                    actual,
                })
            }
        };
        if spans.len != rest.len() {
            return Err(wrong_length(self.token_len()));
        }
        let mut buf = [0u8; crate::token::checksum::MAX_WIDTH];
        if self.structure_ok(token.as_bytes(), &spans) == Some(false) {
            return Err(TokenError::Structure {
                kind: self.kind().to_string(),
                check: self.structure.as_ref().expect("a structure").check.name(),
            });
        }
        match self.layout.checksum_ok(token.as_bytes(), plen, &spans) {
            None | Some(true) => Ok(Checked { format: self }),
            Some(false) => {
                let (found, expected) = self
                    .layout
                    .checksums(token.as_bytes(), plen, &spans, &mut buf)
                    .expect("a checksum");
                Err(TokenError::ChecksumMismatch {
                    kind: self.kind().to_string(),
                    found: String::from_utf8_lossy(found).into_owned(),
                    expected: String::from_utf8_lossy(expected).into_owned(),
                })
            }
        }
    }

    /// Mints a new token of this format from the operating system's CSPRNG.
    /// Random characters are drawn without modulo bias (rejection sampling);
    /// a length range is minted at its longest.
    pub fn mint(&self) -> Result<String, Error> {
        // A checksum written inside base64 may spill into a character the
        // layout restricts (an Azure Search key is base62): draw again.
        for _ in 0..MINT_TRIES {
            let bytes = self.layout.mint(self.prefix.as_bytes(), fill_random)?;
            let token = self.sealed(bytes)?;
            if self.structure.is_none() || self.check(&token).is_ok() {
                return Ok(token);
            }
        }
        Err(Error::Invalid(format!(
            "no valid {} token in {MINT_TRIES} draws",
            self.kind()
        )))
    }

    /// A freshly minted token with its structure made to hold, where the
    /// structure can mint (a seeded checksum); an error where it cannot (a
    /// JWT is its issuer's to sign).
    fn sealed(&self, mut bytes: Vec<u8>) -> Result<String, Error> {
        if let Some(st) = &self.structure {
            let plen = self.prefix.len();
            let spans = self
                .layout
                .parse(&bytes[plen..])
                .map_err(|_| Error::Invalid("a minted token must parse".into()))?;
            let from = st.from.map_or(0, |seg| plen + spans.start(seg));
            let seed = st.seeds.first().copied().unwrap_or(0);
            if !st.check.seal(&mut bytes[from..], seed) {
                return Err(Error::Invalid(format!(
                    "{} tokens are not minted here: their {} is their issuer's",
                    self.kind(),
                    st.check.name()
                )));
            }
        }
        Ok(String::from_utf8(bytes).expect("layouts are ASCII"))
    }

    /// A token of this format, checksum and all, whose random characters
    /// come from a generator seeded with `seed`: the same seed gives the
    /// same token. For test corpora and benchmarks that must be the same on
    /// every machine; never issue one (anyone can compute it).
    pub fn mint_seeded(&self, seed: u64) -> Result<String, Error> {
        let mut state = seed;
        let bytes = self
            .layout
            .mint(self.prefix.as_bytes(), |alphabet, out| {
                let chars = alphabet.chars();
                for b in out.iter_mut() {
                    // splitmix64
                    state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
                    let mut z = state;
                    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                    *b = chars[((z ^ (z >> 31)) % chars.len() as u64) as usize];
                }
                Ok(())
            })
            .expect("a seeded fill cannot fail");
        self.sealed(bytes)
    }
}

/// Whether `c` may be in an instance prefix.
fn is_prefix_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

/// Whether `p` is an instance prefix: none, or up to [`MAX_PREFIX_LEN`]
/// characters of `[A-Za-z0-9_-]` starting with a letter or digit and
/// ending with a separator, as GitLab writes them (`acme-glpat-`,
/// `dspat-`). A prefix ending in a payload character (`glpat-O`) is a
/// known token whose length field was edited.
fn is_instance_prefix(p: &[u8]) -> bool {
    p.is_empty()
        || (p.len() <= MAX_PREFIX_LEN
            && p[0].is_ascii_alphanumeric()
            && matches!(p[p.len() - 1], b'-' | b'_')
            && p.iter().all(|&c| is_prefix_char(c)))
}

/// Redacts a token: its prefix and the first four characters after it.
pub fn redact(token: &str, prefix_len: usize) -> String {
    let shown = token
        .char_indices()
        .nth(prefix_len + 4)
        .map_or(token.len(), |(i, _)| i);
    let shown = shown.min(token.len() / 2);
    let cut = token.floor_boundary(shown);
    format!("{}...", &token[..cut])
}

trait FloorBoundary {
    fn floor_boundary(&self, i: usize) -> usize;
}

impl FloorBoundary for str {
    fn floor_boundary(&self, mut i: usize) -> usize {
        while !self.is_char_boundary(i) {
            i -= 1;
        }
        i
    }
}

/// Fills `out` with characters of `alphabet`, uniformly.
fn fill_random(alphabet: &Alphabet, out: &mut [u8]) -> Result<(), Error> {
    let chars = alphabet.chars();
    let k = chars.len();
    // Bytes at or above the largest multiple of k would bias the low characters.
    let limit = 256 - 256 % k;
    let mut filled = 0;
    let mut pool = [0u8; 64];
    while filled < out.len() {
        getrandom::fill(&mut pool).map_err(|e| Error::Random(e.to_string()))?;
        for &b in &pool {
            if (b as usize) < limit {
                out[filled] = chars[b as usize % k];
                filled += 1;
                if filled == out.len() {
                    break;
                }
            }
        }
    }
    Ok(())
}

/// A set of formats, checked together: the token's prefix picks the format.
#[derive(Clone, Debug, Default)]
pub struct FormatSet {
    formats: Vec<Format>,
}

impl FormatSet {
    /// A set over `formats`. Longer prefixes win when two could apply.
    pub fn new(mut formats: Vec<Format>) -> FormatSet {
        formats.sort_by(|a, b| b.prefix.len().cmp(&a.prefix.len()).then(a.id.cmp(&b.id)));
        FormatSet { formats }
    }

    /// The formats, longest prefix first.
    pub fn formats(&self) -> &[Format] {
        &self.formats
    }

    /// The format whose prefix `token` starts with, if any (the longest;
    /// the first by id when several formats share it).
    pub fn lookup(&self, token: &str) -> Option<&Format> {
        self.formats.iter().find(|f| f.announced_by(token))
    }

    /// The format whose kind (`cfut`), prefix (`cfut_`) or id matches `name`.
    pub fn by_name(&self, name: &str) -> Option<&Format> {
        self.formats.iter().find(|f| f.id == name).or_else(|| {
            self.formats
                .iter()
                .find(|f| f.kind() == name || f.prefix == name)
        })
    }

    /// Checks `token` against the formats its prefix selects: the first
    /// that accepts it, else the error of the first (longest prefix).
    pub fn check(&self, token: &str) -> Result<Checked<'_>, TokenError> {
        if token.is_empty() {
            return Err(TokenError::Empty);
        }
        // Formats may share a prefix (GitLab's layouts): the error of the
        // one the token got furthest into says the most.
        fn depth(e: &TokenError) -> usize {
            match e {
                TokenError::ChecksumMismatch { .. } | TokenError::Structure { .. } => usize::MAX,
                TokenError::LengthField { .. } => usize::MAX - 1,
                TokenError::BadCharacter { position, .. } => *position,
                _ => 0,
            }
        }
        let mut best: Option<TokenError> = None;
        for f in self.formats.iter().filter(|f| f.announced_by(token)) {
            match f.check(token) {
                Ok(c) => return Ok(c),
                Err(e) => {
                    if best.as_ref().is_none_or(|b| depth(&e) > depth(b)) {
                        best = Some(e);
                    }
                }
            }
        }
        Err(best.unwrap_or(TokenError::UnknownPrefix))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> FormatSet {
        FormatSet::builtin()
    }

    // Test vectors from FORMATS.md; they grant nothing. burnkey:allow (the whole table)
    const VALID: &[(&str, &str)] = &[
        (
            "cfk_ecCnqF2SUoOooSGaWPiyIip9k2ZZsXXNf1EkuPtx5244c2cb",
            "cfk",
        ), // burnkey:allow
        (
            "cfut_yGWmZQhXQCaSBLdVLIIN8nVy40xdnxVZmwkycbF1325c4830",
            "cfut",
        ), // burnkey:allow
        (
            "cfat_bthAfImpmCiMi4jFapxRslu0fHeqbkUZk8uxGRSQ317b12a7",
            "cfat",
        ), // burnkey:allow
        (
            "cfut_BI8XiVsbWqoo1eXQcTGFshG0g3fh85hW0xUxPPCR0fd7a0bc",
            "cfut",
        ), // burnkey:allow
        (
            "cfat_0000000000000000000000000000000000000000963fbb8e",
            "cfat",
        ), // burnkey:allow
        ("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", "ghp"), // burnkey:allow
        ("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", "npm"), // burnkey:allow
        ("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", "gho"), // burnkey:allow
    ];

    #[test]
    fn formats_md_valid_vectors() {
        let s = set();
        for (t, kind) in VALID {
            let c = s.check(t).unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert_eq!(c.format.kind(), *kind);
        }
    }

    #[test]
    fn formats_md_invalid_vectors() {
        let s = set();
        let e = s
            .check("cfut_yGWmZQhXQCaSBLdVLIIN8nVy40xdnxVZmwkycbF1325c4831") // burnkey:allow
            .unwrap_err();
        assert_eq!(
            e,
            TokenError::ChecksumMismatch {
                kind: "cfut".into(),
                found: "325c4831".into(),
                expected: "325c4830".into()
            }
        );
        let e = s
            .check("cfut_yGWmZQhXQCaSBLdVLIIN8nVy40xdnxVZmwkycbF1325C4830") // burnkey:allow
            .unwrap_err();
        assert!(
            matches!(
                e,
                TokenError::BadCharacter {
                    position: 49,
                    found: 'C',
                    ..
                }
            ),
            "{e:?}"
        );
    }

    #[test]
    fn every_error_kind() {
        let s = set();
        assert_eq!(s.check(""), Err(TokenError::Empty));
        assert_eq!(s.check("xyz_abc"), Err(TokenError::UnknownPrefix));
        // Prefix matching is case-sensitive.
        assert_eq!(
            s.check("Cfat_bthAfImpmCiMi4jFapxRslu0fHeqbkUZk8uxGRSQ317b12a7"), // burnkey:allow
            Err(TokenError::UnknownPrefix)
        );
        assert_eq!(
            s.check("cfut_abc"),
            Err(TokenError::WrongLength {
                kind: "cfut".into(),
                expected: 53,
                found: 8
            })
        );
        let long = format!("{}x", VALID[1].0);
        assert!(matches!(
            s.check(&long),
            Err(TokenError::WrongLength {
                expected: 53,
                found: 54,
                ..
            })
        ));
        let mut bad = VALID[1].0.to_string();
        bad.replace_range(20..21, "-");
        assert_eq!(
            s.check(&bad),
            Err(TokenError::BadCharacter {
                position: 21,
                found: '-',
                expected: "[A-Za-z0-9] in the body".into()
            })
        );
        // Non-ASCII: position counts characters, not bytes.
        let mut uni = VALID[1].0.to_string();
        uni.replace_range(10..11, "é");
        assert!(matches!(
            s.check(&uni),
            Err(TokenError::BadCharacter {
                position: 11,
                found: 'é',
                ..
            })
        ));
        let nul = format!("cfut_{}", "\0".repeat(48));
        assert!(matches!(
            s.check(&nul),
            Err(TokenError::BadCharacter {
                position: 6,
                found: '\0',
                ..
            })
        ));
        // A megabyte of valid-looking characters is a length error, not a panic.
        let huge = format!("cfut_{}", "a".repeat(1 << 20));
        assert!(matches!(
            s.check(&huge),
            Err(TokenError::BadCharacter { .. }) | Err(TokenError::WrongLength { .. })
        ));
    }

    #[test]
    fn errors_never_echo_the_token() {
        let s = set();
        for t in VALID {
            let mut bad = t.0.to_string();
            let last = bad.pop().unwrap();
            bad.push(if last == '0' { '1' } else { '0' });
            let msg = s.check(&bad).unwrap_err().to_string();
            assert!(!msg.contains(&bad), "{msg}");
            assert!(!msg.contains(&t.0[..t.0.len() - 10]), "{msg}");
        }
    }

    #[test]
    fn custom_formats() {
        let f = Format::custom("acme", Scheme::Crc32Hex8).unwrap();
        assert_eq!(f.prefix, "acme_");
        assert_eq!(f.token_len(), 5 + 40 + 8);
        let t = f.mint().unwrap();
        assert!(f.check(&t).is_ok());
        let g = Format::custom("acme_", Scheme::Crc32Base62x6).unwrap();
        assert_eq!(g.token_len(), 5 + 30 + 6);
        assert!(g.check(&g.mint().unwrap()).is_ok());
        assert!(Format::custom("ac me", Scheme::Crc32Hex8).is_err());
        assert!(Format::custom("", Scheme::Crc32Hex8).is_err());
        assert!(Format::custom("_x", Scheme::Crc32Hex8).is_err());
    }

    #[test]
    fn seeded_tokens_are_valid_and_the_same_for_the_same_seed() {
        for f in FormatSet::builtin().formats() {
            // A JWT is its issuer's to sign: not minted.
            let Some(a) = f.mint_seeded(7).ok().filter(|_| f.has_checksum()) else {
                continue;
            };
            assert_eq!(a, f.mint_seeded(7).unwrap(), "{}", f.kind());
            assert!(f.check(&a).is_ok(), "{}: {a}", f.kind());
            assert_ne!(a, f.mint_seeded(8).unwrap(), "{}", f.kind());
        }
    }

    #[test]
    fn mint_covers_the_alphabet_evenly() {
        // 62 characters, 40_000 draws: each should appear about 645 times.
        // A modulo-biased sampler (b % 62 on all 256 values) gives the first
        // 8 characters ~5/4 of the others' share.
        let f = Format::custom("acme", Scheme::Crc32Hex8).unwrap();
        let mut counts = [0usize; 128];
        for _ in 0..1000 {
            for c in f.mint().unwrap()[5..45].bytes() {
                counts[c as usize] += 1;
            }
        }
        let seen: Vec<usize> = ALNUM.iter().map(|&c| counts[c as usize]).collect();
        let low = seen[..8].iter().sum::<usize>() as f64 / 8.0;
        let high = seen[8..].iter().sum::<usize>() as f64 / 54.0;
        assert!((low / high - 1.0).abs() < 0.1, "bias: {low} vs {high}");
        assert!(seen.iter().all(|&n| n > 400), "{seen:?}");
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn kinds() -> impl Strategy<Value = &'static str> {
            prop::sample::select(vec![
                "cfut", "cfat", "cfk", "ghp", "gho", "ghu", "ghr", "npm",
            ])
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]

            /// Any minted token checks valid; any change of one character in
            /// its body or checksum makes it invalid (CRC-32 catches every
            /// single-byte error). A prefix change either fails or names
            /// another kind: the prefix is not covered by the checksum.
            #[test]
            fn minted_tokens_check_and_single_edits_break_them(
                kind in kinds(),
                pos in any::<prop::sample::Index>(),
                repl in prop::sample::select(ALNUM.to_vec()),
            ) {
                let set = FormatSet::builtin();
                let f = set.by_name(kind).unwrap();
                let t = f.mint().unwrap();
                prop_assert_eq!(set.check(&t).unwrap().format.id.as_str(), f.id.as_str());
                let i = pos.index(t.len());
                prop_assume!(t.as_bytes()[i] != repl);
                let mut b = t.clone().into_bytes();
                b[i] = repl;
                let edited = String::from_utf8(b).unwrap();
                match set.check(&edited) {
                    Err(_) => {}
                    Ok(c) => {
                        prop_assert!(i < f.prefix.len(), "edit at {} still valid", i);
                        prop_assert_ne!(c.format.id.as_str(), f.id.as_str());
                    }
                }
            }

            /// The checker never panics, whatever the input.
            #[test]
            fn check_never_panics(s in ".{0,80}") {
                let _ = FormatSet::builtin().check(&s);
            }
        }
    }
}
