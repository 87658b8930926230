//! GitLab: personal, project and group access tokens (`glpat-`), routable
//! and legacy; runner authentication tokens (`glrt-`).
//!
//! An access token is verified by `GET {api}/personal_access_tokens/self`
//! with the token in `PRIVATE-TOKEN`, and revoked by
//! `DELETE {api}/personal_access_tokens/self` with the token itself (GitLab
//! 15.0 and later). A runner token is verified by `POST {api}/runners/verify`
//! and revoked by `DELETE {api}/runners`, the token in the form (which
//! deletes the runner). Both destroy a credential: an entry needs consent.
//! GitLab's other tokens (deploy, feed, trigger, …) have no API that takes
//! the token alone. `{api}` is GitLab.com's, or a self-managed
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

const RUNNERS: [&str; 4] = [
    "gitlab-runner-authentication-token",
    "gitlab-runner-authentication-token-typed",
    "gitlab-runner-authentication-token-routable",
    "gitlab-runner-authentication-token-routable-unversioned",
];

/// The form a runner token goes in (no token is ever in a URL). Runner
/// tokens are `[A-Za-z0-9_.-]` by their rules: nothing in them to escape.
fn runner_form(token: &str) -> Vec<u8> {
    format!("token={token}").into_bytes()
}

const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

impl Gitlab {
    /// `POST /runners/verify`: 200 for a runner GitLab knows, 403 otherwise.
    fn verify_runner(&self, http: &Client, base: &str, token: &str) -> Verification {
        let form = runner_form(token);
        match http.send(
            "POST",
            &format!("{base}/runners/verify"),
            &[FORM],
            Some(&form),
        ) {
            Err(e) => failed(self, e),
            Ok(r) => match r.status {
                200 => Verification {
                    token_id: r.body["id"].as_u64().map(|i| i.to_string()),
                    token_status: Some("active".into()),
                    ..answered(self.name(), Status::Active)
                },
                401 | 403 => Verification {
                    message: Some(format!("GitLab answered {} (no such runner)", r.status)),
                    ..answered(self.name(), Status::Invalid)
                },
                code => failed(self, format!("answered {code}")),
            },
        }
    }
}

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
        (TOKENS.contains(&rule_id) || RUNNERS.contains(&rule_id)).then_some(Check::Token)
    }

    fn verify(
        &self,
        http: &Client,
        base: &str,
        rule_id: &str,
        token: &str,
        _paired: Option<&str>,
    ) -> Verification {
        if RUNNERS.contains(&rule_id) {
            return self.verify_runner(http, base, token);
        }
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
        TOKENS.contains(&rule_id) || RUNNERS.contains(&rule_id)
    }

    fn destroys(&self) -> bool {
        true
    }

    fn revoke(&self, http: &Client, base: &str, batch: &[Revocation]) -> Attempt {
        let [r] = batch else {
            return Attempt::Permanent("one GitLab token a request".into());
        };
        if RUNNERS.contains(&r.rule_id) {
            let form = runner_form(r.token);
            return match http.send("DELETE", &format!("{base}/runners"), &[FORM], Some(&form)) {
                Err(e) => Attempt::Retry(format!("GitLab runner delete: {e}"), None),
                Ok(a) => match a.status {
                    200..=299 => Attempt::Ok("revoked (runner deleted)".into()),
                    401 | 403 => Attempt::Ok(
                        "invalid already: GitLab knows no runner with this token".into(),
                    ),
                    _ => unless_retried("GitLab runner delete", &a),
                },
            };
        }
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

    fn revoke_plan(&self, base: &str, r: &Revocation) -> String {
        match RUNNERS.contains(&r.rule_id) {
            true => {
                format!("DELETE {base}/runners, with the token in the form (deletes the runner)")
            }
            false => format!("DELETE {base}/personal_access_tokens/self, with the token itself"),
        }
    }
}
