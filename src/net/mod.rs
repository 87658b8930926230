//! What every outgoing request of burnkey's must satisfy.

// `serve` sends with the client too, but retries and reads headers only for `--verify`.
#[cfg_attr(not(feature = "cli"), allow(dead_code))]
pub(crate) mod client;
#[cfg_attr(not(feature = "cli"), allow(dead_code))]
pub(crate) mod retry;

use crate::error::Error;

/// Checks that `url` is https, or http to a loopback address, and carries
/// no credentials (`hint` says where they belong instead).
pub fn check_url(url: &str, hint: &str) -> Result<(), Error> {
    // Credentials in the URL would be echoed in dry runs, reports, the
    // outbox and `revoke status`: refuse them, and without repeating them.
    let authority = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest)
        .split(['/', '?', '#'])
        .next()
        .unwrap_or("");
    if authority.contains('@') {
        return Err(Error::Invalid(format!(
            "the url carries credentials (user:password@host): remove them; {hint}"
        )));
    }
    let uri: ureq::http::Uri = url
        .parse()
        .map_err(|e| Error::Invalid(format!("bad url {url:?}: {e}")))?;
    let host = uri.host().unwrap_or("");
    if host.is_empty() {
        return Err(Error::Invalid(format!("bad url {url:?}: no host")));
    }
    match uri.scheme_str() {
        Some("https") => Ok(()),
        Some("http") => {
            let h = host.trim_start_matches('[').trim_end_matches(']');
            let loopback = h == "localhost"
                || h.parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if loopback {
                Ok(())
            } else {
                Err(Error::Invalid(format!(
                    "refusing plain http:// to {host}: use https (http is allowed only for loopback addresses)"
                )))
            }
        }
        _ => Err(Error::Invalid(format!(
            "bad url {url:?}: the scheme must be https"
        ))),
    }
}

/// The JSON body of an answer (at most 1 MiB read), or `Null` when it is
/// not JSON.
pub fn json_body(resp: &mut ureq::http::Response<ureq::Body>) -> serde_json::Value {
    resp.body_mut()
        .with_config()
        .limit(1 << 20)
        .read_to_vec()
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(serde_json::Value::Null)
}

/// A provider's base URL: its variable, else the default; checked like
/// every URL burnkey sends to, without a trailing `/`.
#[cfg(feature = "cli")]
pub fn api_base((var, default): (&str, &str)) -> Result<String, Error> {
    let v = std::env::var(var).unwrap_or_else(|_| default.to_string());
    let v = v.trim_end_matches('/').to_string();
    check_url(&v, "tokens travel in headers, never in the URL")
        .map_err(|e| Error::Invalid(format!("{var}: {e}")))?;
    Ok(v)
}
