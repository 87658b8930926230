//! OpenAI: project, service account and user API keys, verified by
//! `GET {api}/v1/models`; admin keys by `GET {api}/v1/organization/projects`
//! (the only endpoints they may call). The key goes as a bearer token.
//! OpenAI publishes no API that revokes a key with itself: its owner
//! deletes it in the platform's settings.

use super::provider::{get_status, Check, Provider};
use crate::findings::verification::Verification;
use crate::net::client::Client;

/// The provider.
pub struct Openai;

const KEYS: [&str; 4] = [
    "openai-project-api-key",
    "openai-project-api-key-short",
    "openai-service-account-key",
    "openai-api-key",
];

impl Provider for Openai {
    fn name(&self) -> &'static str {
        "openai"
    }

    fn title(&self) -> &'static str {
        "OpenAI"
    }

    fn api(&self) -> (&'static str, &'static str) {
        ("BURNKEY_OPENAI_API_URL", "https://api.openai.com")
    }

    fn check(&self, rule_id: &str) -> Option<Check> {
        (KEYS.contains(&rule_id) || rule_id == "openai-admin-key").then_some(Check::Token)
    }

    fn verify(
        &self,
        http: &Client,
        base: &str,
        rule_id: &str,
        token: &str,
        _paired: Option<&str>,
    ) -> Verification {
        let auth = format!("Bearer {token}");
        let path = match rule_id {
            "openai-admin-key" => "/v1/organization/projects?limit=1",
            _ => "/v1/models",
        };
        get_status(
            self,
            http,
            &format!("{base}{path}"),
            &[("authorization", &auth)],
            path,
        )
    }
}
