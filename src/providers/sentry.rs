//! Sentry: organization (`sntrys_`) and user (`sntryu_`) auth tokens,
//! verified by `GET {api}/api/0/organizations/` with the token as a bearer
//! token: a user token lists its organizations, an organization token
//! (scoped to CI) is refused with 403 once it has authenticated. Only the
//! configured API is asked, never the URL an organization token names
//! (`BURNKEY_SENTRY_URL=https://sentry.example.com` for a self-hosted
//! Sentry). Sentry publishes no API that revokes a token with itself.

use super::provider::{get_status, Check, Provider};
use crate::findings::verification::Verification;
use crate::net::client::Client;

/// The provider.
pub struct Sentry;

impl Provider for Sentry {
    fn name(&self) -> &'static str {
        "sentry"
    }

    fn title(&self) -> &'static str {
        "Sentry"
    }

    fn api(&self) -> (&'static str, &'static str) {
        ("BURNKEY_SENTRY_URL", "https://sentry.io")
    }

    fn check(&self, rule_id: &str) -> Option<Check> {
        matches!(rule_id, "sentry-org-auth-token" | "sentry-user-auth-token")
            .then_some(Check::Token)
    }

    fn verify(
        &self,
        http: &Client,
        base: &str,
        _rule_id: &str,
        token: &str,
        _paired: Option<&str>,
    ) -> Verification {
        let auth = format!("Bearer {token}");
        let path = "/api/0/organizations/";
        get_status(
            self,
            http,
            &format!("{base}{path}"),
            &[("authorization", &auth)],
            path,
        )
    }
}
