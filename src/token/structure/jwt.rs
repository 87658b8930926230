//! A JSON Web Token (RFC 7519) as a token's tail: three base64url parts
//! joined by dots, the header a JSON object naming its `alg`, the payload
//! a JSON object. The signature is the issuer's and is not checked: a
//! random string of the same shape fails on the first two, which is what
//! tells a leaked credential from a look-alike.

use crate::token::structure::check::Check;
use crate::token::structure::json::object;

/// The JWT check (`jwt`).
pub struct Jwt;

impl Check for Jwt {
    fn name(&self) -> &'static str {
        "jwt"
    }

    fn holds(&self, part: &[u8], _: &[u64]) -> bool {
        let mut parts = part.split(|&b| b == b'.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return false;
        };
        !signature.is_empty()
            && object(header).is_some_and(|h| h.get("alg").is_some_and(|a| a.is_string()))
            && object(payload).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    }

    #[test]
    fn header_and_payload_must_be_objects() {
        let h = b64(r#"{"alg":"RS256","typ":"JWT"}"#);
        let p = b64(r#"{"iss":"x","exp":1}"#);
        let ok = format!("{h}.{p}.c2lnbmF0dXJl");
        assert!(Jwt.holds(ok.as_bytes(), &[]));
        let no_alg = format!("{}.{p}.c2ln", b64(r#"{"typ":"JWT"}"#));
        assert!(!Jwt.holds(no_alg.as_bytes(), &[]));
        let not_object = format!("{h}.{}.c2ln", b64("[1,2]"));
        assert!(!Jwt.holds(not_object.as_bytes(), &[]));
        assert!(!Jwt.holds(format!("{h}.{p}").as_bytes(), &[]));
        assert!(!Jwt.holds(format!("{h}.{p}.").as_bytes(), &[]));
        assert!(!Jwt.holds(format!("{h}.{p}.a.b").as_bytes(), &[]));
        assert!(!Jwt.holds(b"abcdefghij.klmnopqrst.uvwxyz", &[]));
    }
}
