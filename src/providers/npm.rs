//! npm: granular and automation access tokens (`npm_`), verified by
//! `GET {registry}/-/whoami`. npm has no public revocation API.

use super::provider::{answered, clean, failed, Check, Provider};
use crate::findings::verification::{Status, Verification};
use crate::net::client::Client;

/// The provider.
pub struct Npm;

impl Provider for Npm {
    fn name(&self) -> &'static str {
        "npm"
    }

    fn title(&self) -> &'static str {
        "npm"
    }

    fn api(&self) -> (&'static str, &'static str) {
        ("BURNKEY_NPM_REGISTRY_URL", "https://registry.npmjs.org")
    }

    fn check(&self, rule_id: &str) -> Option<Check> {
        (rule_id == "npm-access-token").then_some(Check::Token)
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
        match http.get(&format!("{base}/-/whoami"), &[("authorization", &auth)]) {
            Err(e) => failed(self, e),
            Ok(r) if r.status == 200 => Verification {
                account: r.body["username"].as_str().map(clean),
                ..answered(self.name(), Status::Active)
            },
            Ok(r) if matches!(r.status, 401 | 403) => Verification {
                message: Some(format!("the registry answered {}", r.status)),
                ..answered(self.name(), Status::Invalid)
            },
            Ok(r) => failed(self, format!("answered {}", r.status)),
        }
    }
}
