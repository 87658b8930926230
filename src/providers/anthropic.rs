//! Anthropic: API keys, verified by `GET {api}/v1/models`; Admin API keys
//! by `GET {api}/v1/organizations/users?limit=1`. The key goes in
//! `x-api-key`, with the API version. Anthropic publishes no API that
//! revokes a key with itself: its owner deletes it in the console.

use super::provider::{get_status, Check, Provider};
use crate::findings::verification::Verification;
use crate::net::client::Client;

/// The provider.
pub struct Anthropic;

impl Provider for Anthropic {
    fn name(&self) -> &'static str {
        "anthropic"
    }

    fn title(&self) -> &'static str {
        "Anthropic"
    }

    fn api(&self) -> (&'static str, &'static str) {
        ("BURNKEY_ANTHROPIC_API_URL", "https://api.anthropic.com")
    }

    fn check(&self, rule_id: &str) -> Option<Check> {
        matches!(rule_id, "anthropic-api-key" | "anthropic-admin-key").then_some(Check::Token)
    }

    fn verify(
        &self,
        http: &Client,
        base: &str,
        rule_id: &str,
        token: &str,
        _paired: Option<&str>,
    ) -> Verification {
        let path = match rule_id {
            "anthropic-admin-key" => "/v1/organizations/users?limit=1",
            _ => "/v1/models",
        };
        let headers = [("x-api-key", token), ("anthropic-version", "2023-06-01")];
        get_status(self, http, &format!("{base}{path}"), &headers, path)
    }
}
