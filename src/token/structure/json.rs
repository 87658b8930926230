//! Tokens that carry a base64 JSON object naming what they belong to:
//! Grafana Cloud access-policy tokens (`glc_` + `{"o":…,"n":…,"k":…}`),
//! legacy Grafana API keys (`eyJrIjoi…`, `{"k":…,"n":…,"id":…}`) and
//! Sentry organization tokens (`sntrys_` + `{"iat":…,"url":…,"org":…}` +
//! `_` + secret). The object must decode and hold each field with its
//! kind: what tells a leaked key from the many look-alikes (`eyJrIjoi` is
//! also how Power BI's public embed links start, with `{"k":…,"t":…}`).

use base64::Engine as _;
use serde_json::{Map, Value};

use crate::token::structure::check::Check;

/// What a field must hold.
#[derive(Clone, Copy)]
enum Kind {
    /// Any string.
    Text,
    /// A string of decimal digits.
    Digits,
    /// A random key: at least 16 characters of `[A-Za-z0-9]`.
    Key,
    /// A number.
    Number,
}

impl Kind {
    fn holds(self, v: &Value) -> bool {
        match (self, v) {
            (Kind::Text, Value::String(s)) => !s.is_empty(),
            (Kind::Digits, Value::String(s)) => {
                !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit())
            }
            (Kind::Key, Value::String(s)) => {
                s.len() >= 16 && s.bytes().all(|c| c.is_ascii_alphanumeric())
            }
            (Kind::Number, Value::Number(_)) => true,
            _ => false,
        }
    }
}

/// A JSON-payload check: its name, the fields the object must hold, and
/// the byte that ends the payload (Sentry's `_` before its secret).
pub struct JsonPayload {
    name: &'static str,
    fields: &'static [(&'static str, Kind)],
    ends_at: Option<u8>,
}

/// Grafana Cloud access-policy tokens (`grafana-cloud-token`).
pub static GRAFANA_CLOUD: JsonPayload = JsonPayload {
    name: "grafana-cloud-token",
    fields: &[("o", Kind::Digits), ("n", Kind::Text), ("k", Kind::Key)],
    ends_at: None,
};

/// Legacy Grafana API keys (`grafana-api-key-json`).
pub static GRAFANA_API_KEY: JsonPayload = JsonPayload {
    name: "grafana-api-key-json",
    fields: &[("k", Kind::Key), ("n", Kind::Text), ("id", Kind::Number)],
    ends_at: None,
};

/// Sentry organization auth tokens (`sentry-org-token`).
pub static SENTRY_ORG: JsonPayload = JsonPayload {
    name: "sentry-org-token",
    fields: &[
        ("iat", Kind::Number),
        ("url", Kind::Text),
        ("org", Kind::Text),
    ],
    ends_at: Some(b'_'),
};

/// `text`, base64 in either alphabet with or without padding, as a JSON
/// object.
pub(crate) fn object(text: &[u8]) -> Option<Map<String, Value>> {
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    let text = text
        .strip_suffix(b"==")
        .or(text.strip_suffix(b"="))
        .unwrap_or(text);
    let bytes = URL_SAFE_NO_PAD
        .decode(text)
        .or_else(|_| STANDARD_NO_PAD.decode(text))
        .ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

impl Check for JsonPayload {
    fn name(&self) -> &'static str {
        self.name
    }

    fn holds(&self, part: &[u8], _: &[u64]) -> bool {
        let end = match self.ends_at {
            Some(b) => part.iter().position(|&c| c == b).unwrap_or(part.len()),
            None => part.len(),
        };
        object(&part[..end]).is_some_and(|m| {
            self.fields
                .iter()
                .all(|(k, kind)| m.get(*k).is_some_and(|v| kind.holds(v)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn each_field_must_be_there_with_its_kind() {
        let ok = b64(r#"{"o":"912943","n":"write","k":"tRql9uukd2AB6722l13JDn49","m":{"r":"x"}}"#);
        assert!(GRAFANA_CLOUD.holds(ok.as_bytes(), &[]));
        // Padding is optional, and so is the alphabet.
        assert!(GRAFANA_CLOUD.holds(ok.trim_end_matches('=').as_bytes(), &[]));
        for bad in [
            r#"{"o":"123456","n":"api-key","k":"abcdefg"}"#,
            r#"{"o":"org","n":"write","k":"tRql9uukd2AB6722l13JDn49"}"#,
            r#"{"o":"912943","k":"tRql9uukd2AB6722l13JDn49"}"#,
            r#"["o","n","k"]"#,
        ] {
            assert!(!GRAFANA_CLOUD.holds(b64(bad).as_bytes(), &[]), "{bad}");
        }
        assert!(!GRAFANA_CLOUD.holds(b"not base64 at all!", &[]));
        // Power BI's embed links start as a Grafana key does.
        let powerbi = b64(r#"{"k":"adbeed5e-6c46-4000-9cac-7a0537b43bdf","t":"f610c0b7","c":8}"#);
        assert!(!GRAFANA_API_KEY.holds(powerbi.as_bytes(), &[]));
        let key = b64(r#"{"k":"2DLjfwOX9p4kJ4tcTNjuhGmVK3IWOHql","n":"dni","id":1}"#);
        assert!(GRAFANA_API_KEY.holds(key.as_bytes(), &[]));
    }

    #[test]
    fn sentry_payload_ends_at_the_secret() {
        let p = b64(
            r#"{"iat":1762182224.68,"url":"https://sentry.io","region_url":"https://de.sentry.io","org":"acme"}"#,
        );
        let token = format!("{p}_kkYnedMa5ECh7CcxJkoJ9pm6LfW8W88XqoPCwgUAx20");
        assert!(SENTRY_ORG.holds(token.as_bytes(), &[]));
        let no_org = b64(r#"{"iat":1,"url":"https://sentry.io"}"#);
        assert!(!SENTRY_ORG.holds(format!("{no_org}_x").as_bytes(), &[]));
    }
}
