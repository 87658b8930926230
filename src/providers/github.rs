//! GitHub: personal access tokens (classic and fine-grained), OAuth,
//! user-to-server, server-to-server and refresh tokens.
//!
//! Verified by `GET {api}/user` (`ghs_`: `GET
//! {api}/installation/repositories?per_page=1`); revoked through GitHub's
//! public `POST {api}/credentials/revoke`, unauthenticated as GitHub
//! requires, at most 1000 tokens a request and 60 requests an hour,
//! answered 202 with no verdict per token ("submitted").

use super::provider::{
    answered, clean, failed, unless_retried, Attempt, Check, Provider, Revocation,
};
use crate::findings::verification::{Status, Verification};
use crate::net::client::Client;

/// The provider.
pub struct Github;

/// The tokens GitHub's credential revocation API accepts.
const REVOCABLE: [&str; 5] = [
    "github-personal-access-token",
    "github-fine-grained-personal-access-token",
    "github-oauth-token",
    "github-user-to-server-token",
    "github-refresh-token",
];

/// What `/user` answers for.
const USERS: [&str; 4] = [
    "github-personal-access-token",
    "github-oauth-token",
    "github-user-to-server-token",
    "github-fine-grained-personal-access-token",
];

const APP: &str = "github-server-to-server-token";
const REFRESH: &str = "github-refresh-token";

/// GitHub's credential revocation API takes at most this many a request.
pub const BATCH: usize = 1000;

const VERSION: (&str, &str) = ("x-github-api-version", "2022-11-28");
const ACCEPT: (&str, &str) = ("accept", "application/vnd.github+json");

impl Provider for Github {
    fn name(&self) -> &'static str {
        "github"
    }

    fn title(&self) -> &'static str {
        "GitHub"
    }

    fn api(&self) -> (&'static str, &'static str) {
        ("BURNKEY_GITHUB_API_URL", "https://api.github.com")
    }

    fn check(&self, rule_id: &str) -> Option<Check> {
        match rule_id {
            id if USERS.contains(&id) || id == APP => Some(Check::Token),
            REFRESH => Some(Check::Not(
                "a refresh token cannot call the API (it is exchanged with its app's client secret)"
                    .into(),
            )),
            _ => None,
        }
    }

    fn verify(
        &self,
        http: &Client,
        base: &str,
        rule_id: &str,
        token: &str,
        _paired: Option<&str>,
    ) -> Verification {
        let route = if rule_id == APP {
            "/installation/repositories?per_page=1"
        } else {
            "/user"
        };
        let auth = format!("Bearer {token}");
        let headers = [("authorization", auth.as_str()), ACCEPT, VERSION];
        let r = match http.get(&format!("{base}{route}"), &headers) {
            Ok(r) => r,
            Err(e) => return failed(self, e),
        };
        let header = |k: &str| r.header(k).map(clean).filter(|v| !v.is_empty());
        match r.status {
            200 => Verification {
                account: r.body["login"].as_str().map(clean),
                scopes: header("x-oauth-scopes"),
                expires_on: header("github-authentication-token-expiration"),
                ..answered(self.name(), Status::Active)
            },
            401 => Verification {
                message: Some("GitHub answered 401 (bad credentials)".into()),
                ..answered(self.name(), Status::Invalid)
            },
            403 if r.header("x-ratelimit-remaining") == Some("0") => {
                failed(self, "its rate limit is spent; try later".into())
            }
            // Authenticated, but not allowed this route (an organisation's
            // SAML enforcement, a token without the permission): it works.
            403 => Verification {
                message: Some(format!(
                    "GitHub accepted the token but refused {route} (403)"
                )),
                ..answered(self.name(), Status::Active)
            },
            _ => failed(self, format!("answered {}", r.status)),
        }
    }

    fn revokes(&self, rule_id: &str) -> bool {
        REVOCABLE.contains(&rule_id)
    }

    fn batch(&self) -> usize {
        BATCH
    }

    fn revoke(&self, http: &Client, base: &str, batch: &[Revocation]) -> Attempt {
        let tokens: Vec<&str> = batch.iter().map(|r| r.token).collect();
        let body = serde_json::to_vec(&serde_json::json!({ "credentials": tokens })).expect("json");
        let headers = [ACCEPT, VERSION, ("content-type", "application/json")];
        let url = format!("{base}/credentials/revoke");
        match http.send("POST", &url, &headers, Some(&body)) {
            Err(e) => Attempt::Retry(e, None),
            // GitHub says nothing per token: it was submitted.
            Ok(r) if (200..300).contains(&r.status) => Attempt::Ok("submitted".into()),
            Ok(r) if r.status == 403 && r.header("x-ratelimit-remaining") == Some("0") => {
                Attempt::Retry(
                    "GitHub: its rate limit (60 an hour) is spent".into(),
                    r.header("retry-after")
                        .and_then(crate::net::retry::retry_after),
                )
            }
            Ok(r) if r.status == 422 => Attempt::Permanent(
                "GitHub: HTTP 422 (validation failed, or too many requests)".into(),
            ),
            Ok(r) => unless_retried("GitHub", &r),
        }
    }

    fn revoke_plan(&self, base: &str, _r: &Revocation) -> String {
        format!("POST {base}/credentials/revoke (in batches of {BATCH})")
    }
}
