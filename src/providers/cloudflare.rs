//! Cloudflare: API tokens (`cfut_`, `cfat_`, pre-2026 tokens) and Global
//! API Keys (`cfk_`, pre-2026 keys).
//!
//! | rule | verify | revoke |
//! |---|---|---|
//! | `cfut_` | `GET {api}/user/tokens/verify`, `Authorization: Bearer` | verify, then `DELETE {api}/user/tokens/{id}` |
//! | `cfat_` | `GET {api}/accounts/{account_id}/tokens/verify` (account id paired) | the same under `/accounts/{account_id}` |
//! | pre-2026 token | the user route, then the account route when an account id is paired | whichever route knows it |
//! | `cfk_`, pre-2026 key | `GET {api}/user`, `X-Auth-Key` + `X-Auth-Email` (email paired) | only in the dashboard |
//!
//! A token that may not manage tokens is answered 403 on the delete: it
//! cannot revoke itself, and the entry's fallback webhook hears of it.

use super::pair::Want;
use super::provider::{
    answered, clean, failed, unless_retried, Attempt, Check, Provider, Revocation,
};
use crate::findings::verification::{Status, Verification};
use crate::net::client::{Client, Resp};

/// The provider.
pub struct Cloudflare;

const USER: &str = "cloudflare-user-api-token";
const ACCOUNT: &str = "cloudflare-account-api-token";
const LEGACY: &str = "cloudflare-legacy-api-token";
const KEYS: [&str; 2] = [
    "cloudflare-global-api-key",
    "cloudflare-legacy-global-api-key",
];

impl Provider for Cloudflare {
    fn name(&self) -> &'static str {
        "cloudflare"
    }

    fn title(&self) -> &'static str {
        "Cloudflare"
    }

    fn api(&self) -> (&'static str, &'static str) {
        (
            "BURNKEY_CLOUDFLARE_API_URL",
            "https://api.cloudflare.com/client/v4",
        )
    }

    fn check(&self, rule_id: &str) -> Option<Check> {
        match rule_id {
            USER => Some(Check::Token),
            ACCOUNT => Some(Check::Needs(Want::AccountId)),
            LEGACY => Some(Check::Uses(Want::AccountId)),
            id if KEYS.contains(&id) => Some(Check::Needs(Want::Email)),
            _ => None,
        }
    }

    fn verify(
        &self,
        http: &Client,
        base: &str,
        rule_id: &str,
        token: &str,
        paired: Option<&str>,
    ) -> Verification {
        if KEYS.contains(&rule_id) {
            return match paired {
                Some(email) => key(self, http, &format!("{base}/user"), token, email),
                None => Verification::unknown(self.name(), "no email"),
            };
        }
        let mut last = None;
        for scope in scopes(base, rule_id, paired) {
            let v = match verify_at(http, &scope, token) {
                Ok(r) => read_verify(self, &r),
                Err(e) => failed(self, e),
            };
            // A pre-2026 token the user route refuses may be an account's.
            if v.status != Status::Invalid {
                return v;
            }
            last.get_or_insert(v);
        }
        last.unwrap_or_else(|| Verification::unknown(self.name(), "no account id"))
    }

    fn revokes(&self, rule_id: &str) -> bool {
        // API tokens; a Global API Key can only be changed in the dashboard.
        [USER, ACCOUNT, LEGACY].contains(&rule_id)
    }

    fn destroys(&self) -> bool {
        true
    }

    fn falls_back(&self) -> bool {
        true
    }

    /// Verifies the token (for its id, under the user's or the paired
    /// account's routes), then `DELETE`s it by that id. A token Cloudflare
    /// already refuses is dead: nothing to do.
    fn revoke(&self, http: &Client, base: &str, batch: &[Revocation]) -> Attempt {
        let [r] = batch else {
            return Attempt::Permanent("one Cloudflare token a request".into());
        };
        let scopes = scopes(base, r.rule_id, r.paired);
        if scopes.is_empty() {
            return Attempt::Permanent(
                "no Cloudflare account id is paired with this cfat_ token: pass --cloudflare-account ID, or name it (account_id = …) next to the token".into(),
            );
        }
        let mut found = None;
        for scope in scopes {
            let answer = match verify_at(http, &scope, r.token) {
                Ok(a) => a,
                Err(e) => return Attempt::Retry(format!("Cloudflare verify: {e}"), None),
            };
            let v = read_verify(self, &answer);
            match (v.status, v.token_id) {
                (Status::Active | Status::Inactive, Some(id))
                    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric()) =>
                {
                    found = Some((scope, id));
                    break;
                }
                (Status::Active | Status::Inactive, _) => {
                    return Attempt::Permanent(
                        "Cloudflare verify answered without a token id".into(),
                    )
                }
                // Not under this route (or not at all).
                (Status::Invalid, _) => continue,
                _ => return unless_retried("Cloudflare verify", &answer),
            }
        }
        let Some((scope, id)) = found else {
            return Attempt::Ok(
                "invalid already: Cloudflare refuses the token, nothing to revoke".into(),
            );
        };
        let auth = format!("Bearer {}", r.token);
        match http.send("DELETE", &format!("{scope}/{id}"), &[("authorization", &auth)], None) {
            Err(e) => Attempt::Retry(format!("Cloudflare delete: {e}"), None),
            Ok(d) => match d.status {
                200..=299 => Attempt::Ok("revoked".into()),
                404 => Attempt::Ok("gone already".into()),
                403 => Attempt::Refused(
                    "cannot revoke itself: Cloudflare answered 403 to the delete (the token may not manage API tokens)".into(),
                    "roll it at dash.cloudflare.com".into(),
                ),
                _ => unless_retried("Cloudflare delete", &d),
            },
        }
    }

    fn revoke_plan(&self, base: &str, r: &Revocation) -> String {
        let scope = match (r.rule_id, r.paired) {
            (ACCOUNT, Some(a)) => format!("{base}/accounts/{a}/tokens"),
            _ => format!("{base}/user/tokens"),
        };
        format!("GET {scope}/verify, then DELETE {scope}/<its id>")
    }
}

/// The token routes to try, in order: a `cfat_` under its account only; a
/// `cfut_` under the user; a pre-2026 token under the user, then under
/// its account when one is paired.
fn scopes(base: &str, rule_id: &str, account: Option<&str>) -> Vec<String> {
    let user = format!("{base}/user/tokens");
    match (rule_id, account) {
        (ACCOUNT, Some(a)) => vec![format!("{base}/accounts/{a}/tokens")],
        (ACCOUNT, None) => vec![],
        (LEGACY, Some(a)) => vec![user, format!("{base}/accounts/{a}/tokens")],
        _ => vec![user],
    }
}

/// `GET {scope}/verify` with the token: the one request both `--verify`
/// and revocation make.
fn verify_at(http: &Client, scope: &str, token: &str) -> Result<Resp, String> {
    http.get(
        &format!("{scope}/verify"),
        &[("authorization", &format!("Bearer {token}"))],
    )
}

/// What an answer to `…/tokens/verify` says.
fn read_verify(p: &Cloudflare, r: &Resp) -> Verification {
    let result = &r.body["result"];
    match r.status {
        200 if r.body["success"] == true => {
            let word = result["status"].as_str().map(clean);
            let text = |k: &str| result[k].as_str().map(clean);
            Verification {
                token_id: text("id"),
                expires_on: text("expires_on"),
                not_before: text("not_before"),
                token_status: word.clone(),
                ..answered(
                    p.name(),
                    if word.as_deref() == Some("active") {
                        Status::Active
                    } else {
                        Status::Inactive
                    },
                )
            }
        }
        400 | 401 | 403 => Verification {
            message: Some(error(r)),
            ..answered(p.name(), Status::Invalid)
        },
        404 => Verification::unknown(
            p.name(),
            format!("{} (is the paired account id right?)", error(r)),
        ),
        _ => failed(p, format!("answered {}", r.status)),
    }
}

/// A Global API Key, with its account's email.
fn key(p: &Cloudflare, http: &Client, url: &str, key: &str, email: &str) -> Verification {
    match http.get(url, &[("x-auth-key", key), ("x-auth-email", email)]) {
        Err(e) => failed(p, e),
        Ok(r) if r.status == 200 && r.body["success"] == true => answered(p.name(), Status::Active),
        Ok(r) if matches!(r.status, 400 | 401 | 403) => Verification {
            message: Some(format!("{}, for the paired email", error(&r))),
            ..answered(p.name(), Status::Invalid)
        },
        Ok(r) => failed(p, format!("answered {}", r.status)),
    }
}

/// Cloudflare's first error, as `code message`.
fn error(r: &Resp) -> String {
    let e = &r.body["errors"][0];
    match (e["code"].as_i64(), e["message"].as_str()) {
        (Some(c), Some(m)) => clean(&format!("Cloudflare answered {}: {c} {m}", r.status)),
        _ => format!("Cloudflare answered {}", r.status),
    }
}
