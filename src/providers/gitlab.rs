//! GitLab: personal, project and group access tokens (`glpat-`), routable
//! and legacy.
//!
//! Verified by `GET {api}/personal_access_tokens/self` with the token in
//! `PRIVATE-TOKEN`; revoked by `DELETE {api}/personal_access_tokens/self`
//! with the token itself (GitLab 15.0 and later), which destroys it: an
//! entry needs consent. `{api}` is GitLab.com's, or a self-managed
//! instance's (`BURNKEY_GITLAB_API_URL=https://gitlab.example.com/api/v4`).

use super::provider::{
    answered, clean, failed, unless_retried, Attempt, Check, Provider, Revocation,
};
use crate::findings::verification::{Status, Verification};
use crate::net::client::Client;

/// The provider.
pub struct Gitlab;

const TOKENS: [&str; 3] = [
    "gitlab-personal-access-token",
    "gitlab-personal-access-token-unversioned",
    "gitlab-personal-access-token-legacy",
];

impl Provider for Gitlab {
    fn name(&self) -> &'static str {
        "gitlab"
    }

    fn title(&self) -> &'static str {
        "GitLab"
    }

    fn api(&self) -> (&'static str, &'static str) {
        ("BURNKEY_GITLAB_API_URL", "https://gitlab.com/api/v4")
    }

    fn check(&self, rule_id: &str) -> Option<Check> {
        TOKENS.contains(&rule_id).then_some(Check::Token)
    }

    fn verify(
        &self,
        http: &Client,
        base: &str,
        _rule_id: &str,
        token: &str,
        _paired: Option<&str>,
    ) -> Verification {
        let url = format!("{base}/personal_access_tokens/self");
        let r = match http.get(&url, &[("private-token", token)]) {
            Ok(r) => r,
            Err(e) => return failed(self, e),
        };
        let b = &r.body;
        match r.status {
            200 => {
                let works = b["active"] == true && b["revoked"] != true;
                let word = if b["revoked"] == true {
                    "revoked"
                } else if works {
                    "active"
                } else {
                    "inactive"
                };
                let scopes: Vec<&str> = b["scopes"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|s| s.as_str()).collect())
                    .unwrap_or_default();
                Verification {
                    token_id: b["id"].as_u64().map(|i| i.to_string()),
                    token_status: Some(word.into()),
                    expires_on: b["expires_at"].as_str().map(clean),
                    scopes: (!scopes.is_empty()).then(|| clean(&scopes.join(", "))),
                    ..answered(
                        self.name(),
                        if works {
                            Status::Active
                        } else {
                            Status::Inactive
                        },
                    )
                }
            }
            401 => Verification {
                message: Some("GitLab answered 401 (invalid, expired or revoked)".into()),
                ..answered(self.name(), Status::Invalid)
            },
            // Authenticated, but not allowed to read itself: it works.
            403 => Verification {
                message: Some(
                    "GitLab accepted the token but refused /personal_access_tokens/self (403)"
                        .into(),
                ),
                ..answered(self.name(), Status::Active)
            },
            code => failed(self, format!("answered {code}")),
        }
    }

    fn revokes(&self, rule_id: &str) -> bool {
        TOKENS.contains(&rule_id)
    }

    fn destroys(&self) -> bool {
        true
    }

    fn revoke(&self, http: &Client, base: &str, batch: &[Revocation]) -> Attempt {
        let [r] = batch else {
            return Attempt::Permanent("one GitLab token a request".into());
        };
        let url = format!("{base}/personal_access_tokens/self");
        match http.send("DELETE", &url, &[("private-token", r.token)], None) {
            Err(e) => Attempt::Retry(format!("GitLab revoke: {e}"), None),
            Ok(a) => match a.status {
                200..=299 => Attempt::Ok("revoked".into()),
                401 => Attempt::Ok(
                    "invalid already: GitLab refuses the token, nothing to revoke".into(),
                ),
                403 => Attempt::Permanent(
                    "GitLab answered 403: the token may not revoke itself; revoke it in its access token settings".into(),
                ),
                _ => unless_retried("GitLab revoke", &a),
            },
        }
    }

    fn revoke_plan(&self, base: &str, _r: &Revocation) -> String {
        format!("DELETE {base}/personal_access_tokens/self, with the token itself")
    }
}
