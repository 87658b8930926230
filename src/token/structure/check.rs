//! What a structure check is: a name, the check, and where it can, a way
//! to make a minted token hold.

/// One kind of structure check.
pub trait Check: Sync {
    /// As in rule files: `jwt`.
    fn name(&self) -> &'static str;

    /// Whether `part` (the token from the segment the spec names to its
    /// end) has the structure, for one of `seeds` where the check takes
    /// seeds.
    fn holds(&self, part: &[u8], seeds: &[u64]) -> bool;

    /// Rewrites what the structure computes (a checksum) in `part`, freshly
    /// minted, so that it holds with `seed`; `false` if this check cannot
    /// mint.
    fn seal(&self, part: &mut [u8], seed: u64) -> bool {
        let _ = (part, seed);
        false
    }

    /// Whether the check takes seeds (`seeds = [...]` in the rule file).
    fn seeded(&self) -> bool {
        false
    }
}
