//! Standard Webhooks signatures (standardwebhooks.com), for sending
//! revocation reports and for the token issuers who receive them.
//!
//! A message is signed as `v1,` + base64 of HMAC-SHA256 over
//! `"{id}.{timestamp}.{body}"`, with the key from a `whsec_<base64>` secret.
//! Headers: `webhook-id`, `webhook-timestamp` (Unix seconds),
//! `webhook-signature` (a space-separated list, for key rotation).
//!
//! A receiver, e.g. behind an issuer's revocation endpoint:
//!
//! ```
//! use burnkey::webhook::{Secret, sign, verify};
//!
//! let secret = Secret::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
//! let (id, ts, body) = ("msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", 1649367553, br#"{"email":"test@example.com","username":"test_user"}"#);
//! let sig = sign(&secret, id, ts, body);
//! assert_eq!(sig, "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=");
//!
//! // On receipt: check the signature in constant time and the timestamp
//! // within five minutes, then deduplicate on the webhook-id.
//! assert!(verify(&secret, id, &ts.to_string(), &sig, body, ts + 10, 300).is_ok());
//! assert!(verify(&secret, id, &ts.to_string(), &sig, b"tampered", ts, 300).is_err());
//! ```

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// Receivers reject timestamps further than this from their clock.
pub const DEFAULT_TOLERANCE_SECS: u64 = 300;

/// A webhook signing key.
#[derive(Clone)]
pub struct Secret {
    key: Vec<u8>,
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl Secret {
    /// Parses `whsec_<base64>` (the prefix is optional).
    pub fn parse(s: &str) -> Result<Secret, String> {
        let b = s.trim().strip_prefix("whsec_").unwrap_or(s.trim());
        let key = B64
            .decode(b)
            .map_err(|_| "the secret is not whsec_ followed by base64".to_string())?;
        if key.len() < 16 {
            return Err("the secret is shorter than 16 bytes".into());
        }
        Ok(Secret { key })
    }

    /// The raw key.
    pub fn key(&self) -> &[u8] {
        &self.key
    }

    fn mac(&self) -> HmacSha256 {
        HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length")
    }
}

fn signature_bytes(secret: &Secret, id: &str, timestamp: &str, body: &[u8]) -> Vec<u8> {
    let mut mac = secret.mac();
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

/// The `webhook-signature` header value for a message.
pub fn sign(secret: &Secret, id: &str, timestamp: u64, body: &[u8]) -> String {
    format!(
        "v1,{}",
        B64.encode(signature_bytes(secret, id, &timestamp.to_string(), body))
    )
}

/// Why a signature was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyError {
    /// The timestamp header is not a number.
    BadTimestamp,
    /// The timestamp is too far from `now`.
    Expired,
    /// No `v1` signature in the header matches.
    NoMatch,
}

impl std::fmt::Display for VerifyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            VerifyError::BadTimestamp => "the webhook-timestamp header is not a Unix time",
            VerifyError::Expired => "the webhook-timestamp is outside the tolerance",
            VerifyError::NoMatch => "no signature matches",
        })
    }
}

impl std::error::Error for VerifyError {}

/// Verifies a received message: `timestamp` within `tolerance` seconds of
/// `now`, and one of the space-separated `v1,` signatures matching, compared
/// in constant time.
pub fn verify(
    secret: &Secret,
    id: &str,
    timestamp: &str,
    signatures: &str,
    body: &[u8],
    now: u64,
    tolerance: u64,
) -> Result<(), VerifyError> {
    let ts: u64 = timestamp
        .trim()
        .parse()
        .map_err(|_| VerifyError::BadTimestamp)?;
    if ts.abs_diff(now) > tolerance {
        return Err(VerifyError::Expired);
    }
    let want = signature_bytes(secret, id, timestamp.trim(), body);
    let mut ok = false;
    for sig in signatures.split_whitespace() {
        if let Some(b) = sig.strip_prefix("v1,") {
            if let Ok(got) = B64.decode(b) {
                ok |= bool::from(got.ct_eq(&want));
            }
        }
    }
    if ok {
        Ok(())
    } else {
        Err(VerifyError::NoMatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    const ID: &str = "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk";
    const BODY: &[u8] = br#"{"email":"test@example.com","username":"test_user"}"#;

    #[test]
    fn ecosystem_test_vector() {
        let s = Secret::parse(SECRET).unwrap();
        assert_eq!(
            sign(&s, ID, 1649367553, BODY),
            "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
        );
    }

    #[test]
    fn verification_rules() {
        let s = Secret::parse(SECRET).unwrap();
        let sig = sign(&s, ID, 1649367553, BODY);
        let v =
            |ts: &str, sigs: &str, body: &[u8], now: u64| verify(&s, ID, ts, sigs, body, now, 300);
        assert_eq!(v("1649367553", &sig, BODY, 1649367553), Ok(()));
        assert_eq!(
            v("1649367553", &format!("v1,bad= {sig}"), BODY, 1649367553),
            Ok(()),
            "rotation list"
        );
        assert_eq!(
            v("1649367553", &sig, b"x", 1649367553),
            Err(VerifyError::NoMatch)
        );
        assert_eq!(
            v("1649367553", "v2,abc", BODY, 1649367553),
            Err(VerifyError::NoMatch)
        );
        assert_eq!(
            v("1649367553", &sig, BODY, 1649367553 + 301),
            Err(VerifyError::Expired)
        );
        assert_eq!(
            v("1649367553", &sig, BODY, 1649367553 - 301),
            Err(VerifyError::Expired)
        );
        assert_eq!(v("soon", &sig, BODY, 0), Err(VerifyError::BadTimestamp));
        let other = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(
            verify(&other, ID, "1649367553", &sig, BODY, 1649367553, 300),
            Err(VerifyError::NoMatch)
        );
    }

    #[test]
    fn bad_secrets() {
        assert!(Secret::parse("whsec_!!!").is_err());
        assert!(Secret::parse("whsec_c2hvcnQ=").is_err(), "too short");
        assert!(
            format!("{:?}", Secret::parse(SECRET).unwrap()) == "Secret(…)",
            "never printed"
        );
    }
}
