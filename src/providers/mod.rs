//! The providers: one file a vendor, holding all burnkey knows of it beyond
//! its rule files — which of its rules can be verified and how, what a
//! token must be paired with, how its tokens are revoked, its API base.
//! `live` (`--verify`) and `revoke` iterate [`ALL`]; no other module names
//! a rule id.
//!
//! Adding a vendor: its rule file in `patterns/`, one file here that
//! implements [`Provider`], its `mod` line and its entry in [`ALL`]
//! (`gitlab.rs` was added so).
//!
//! May import: findings (what a check concluded), rules (the keyword
//! expressions pairing uses), net, error.

pub mod anthropic;
pub mod cloudflare;
pub mod github;
pub mod gitlab;
pub mod npm;
pub mod openai;
pub mod pair;
pub mod provider;
pub mod sentry;

pub use pair::Want;
pub use provider::{Attempt, Check, Provider, Revocation};

/// Every provider burnkey talks to.
pub static ALL: &[&dyn Provider] = &[
    &cloudflare::Cloudflare,
    &github::Github,
    &gitlab::Gitlab,
    &npm::Npm,
    &openai::Openai,
    &anthropic::Anthropic,
    &sentry::Sentry,
];

/// The provider called `name` (as in `via = "…"`).
pub fn by_name(name: &str) -> Option<&'static dyn Provider> {
    ALL.iter().copied().find(|p| p.name() == name)
}

/// The provider that can check `rule_id`'s tokens, and what that takes.
pub fn verifier(rule_id: &str) -> Option<(&'static dyn Provider, Check)> {
    ALL.iter().find_map(|p| p.check(rule_id).map(|c| (*p, c)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every rule of a provider's rule files that a provider checks is that
    /// provider's, and no two providers claim one rule.
    #[test]
    fn each_rule_has_at_most_one_provider_and_it_is_the_rule_files() {
        for r in crate::rules::RuleSet::builtin().rules() {
            let claims: Vec<&str> = ALL
                .iter()
                .filter(|p| p.check(r.id()).is_some())
                .map(|p| p.name())
                .collect();
            assert!(claims.len() <= 1, "{}: {claims:?}", r.id());
            if let Some(p) = claims.first() {
                assert_eq!(r.provider.to_lowercase(), *p, "{}", r.id());
            }
            for p in ALL {
                assert!(
                    !p.revokes(r.id()) || p.check(r.id()).is_some(),
                    "{} revokes {} it cannot check",
                    p.name(),
                    r.id()
                );
            }
        }
    }
}
