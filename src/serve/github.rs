//! GitHub secret scanning partner alerts: the public keys GitHub signs them
//! with, and the check of a signature.
//!
//! An alert's raw body is signed with ECDSA P-256 over SHA-256; the base64
//! DER signature arrives in `Github-Public-Key-Signature` and the key's id
//! in `Github-Public-Key-Identifier`. The keys are published in the shape of
//! `https://api.github.com/meta/public_keys/secret_scanning`:
//!
//! ```json
//! {"public_keys": [{"key_identifier": "90a4…", "key": "-----BEGIN PUBLIC KEY-----\n…", "is_current": true}]}
//! ```
//!
//! The signature is checked with `ring` (already built for TLS), on the raw
//! body, before anything parses it.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ring::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_ASN1};
use serde::Deserialize;

use crate::error::Error;

/// The DER header of a SubjectPublicKeyInfo holding an uncompressed P-256
/// point: SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING
/// of 66 bytes (no unused bits, then 0x04 ‖ X ‖ Y) }.
const P256_SPKI_HEADER: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// One public key.
#[derive(Clone, Debug)]
pub struct Key {
    /// `key_identifier`.
    pub id: String,
    /// `is_current`.
    pub current: bool,
    /// The uncompressed point, 65 bytes.
    point: Vec<u8>,
}

/// The keys alerts may be signed with.
#[derive(Clone, Debug, Default)]
pub struct Keys {
    keys: Vec<Key>,
}

#[derive(Deserialize)]
struct Doc {
    public_keys: Vec<KeyDoc>,
}

#[derive(Deserialize)]
struct KeyDoc {
    key_identifier: String,
    key: String,
    #[serde(default)]
    is_current: bool,
}

/// Why an alert's signature was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignatureError {
    /// A header is missing.
    Missing(&'static str),
    /// No key has this identifier.
    UnknownKey,
    /// The signature is not base64, or does not verify.
    Bad,
}

impl std::fmt::Display for SignatureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignatureError::Missing(h) => write!(f, "the {h} header is missing"),
            SignatureError::UnknownKey => f.write_str("no public key has that identifier"),
            SignatureError::Bad => f.write_str("the signature does not verify"),
        }
    }
}

/// The uncompressed point of a P-256 public key in PEM (`BEGIN PUBLIC KEY`).
pub fn p256_point(pem: &str) -> Result<Vec<u8>, String> {
    let mut lines = pem.lines().map(str::trim).filter(|l| !l.is_empty());
    if lines.next() != Some("-----BEGIN PUBLIC KEY-----") {
        return Err("not a PEM public key (no BEGIN PUBLIC KEY line)".into());
    }
    let mut b64 = String::new();
    let mut ended = false;
    for l in lines {
        if l == "-----END PUBLIC KEY-----" {
            ended = true;
            break;
        }
        b64.push_str(l);
    }
    if !ended {
        return Err("not a PEM public key (no END PUBLIC KEY line)".into());
    }
    let der = B64
        .decode(b64)
        .map_err(|e| format!("the PEM body is not base64: {e}"))?;
    match der.strip_prefix(&P256_SPKI_HEADER[..]) {
        Some(point) if point.len() == 65 && point[0] == 4 => Ok(point.to_vec()),
        _ => Err("not an uncompressed ECDSA P-256 public key".into()),
    }
}

impl Keys {
    /// Parses GitHub's `public_keys` document.
    pub fn parse(json: &[u8]) -> Result<Keys, String> {
        Keys::of(serde_json::from_slice(json).map_err(|e| e.to_string())?)
    }

    /// The same, from JSON already read (an HTTP answer's body).
    pub fn from_json(json: serde_json::Value) -> Result<Keys, String> {
        Keys::of(serde_json::from_value(json).map_err(|e| e.to_string())?)
    }

    fn of(doc: Doc) -> Result<Keys, String> {
        let mut keys = Vec::with_capacity(doc.public_keys.len());
        for k in doc.public_keys {
            let point = p256_point(&k.key).map_err(|e| format!("key {}: {e}", k.key_identifier))?;
            keys.push(Key {
                id: k.key_identifier,
                current: k.is_current,
                point,
            });
        }
        Ok(Keys { keys })
    }

    /// Reads a keys file.
    pub fn load(path: &std::path::Path) -> Result<Keys, Error> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Keys::parse(&bytes).map_err(|message| Error::Parse {
            path: path.to_path_buf(),
            line: None,
            message,
        })
    }

    /// The keys.
    pub fn keys(&self) -> &[Key] {
        &self.keys
    }

    /// Whether a key has this identifier.
    pub fn knows(&self, id: &str) -> bool {
        self.keys.iter().any(|k| k.id == id)
    }

    /// Checks `signature` (base64 DER) over `body` with the key `id`.
    pub fn verify(&self, id: &str, signature: &str, body: &[u8]) -> Result<(), SignatureError> {
        let key = self
            .keys
            .iter()
            .find(|k| k.id == id)
            .ok_or(SignatureError::UnknownKey)?;
        let sig = B64
            .decode(signature.trim())
            .map_err(|_| SignatureError::Bad)?;
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, &key.point)
            .verify(body, &sig)
            .map_err(|_| SignatureError::Bad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example GitHub's partner-program documentation gives for checking
    // a signature: its key, payload and signature.
    const KEY_ID: &str = "90a421169f0a406205f1563a953312f0be898d3c7b6c06b681aa86a874555f4a";
    const PEM: &str = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE9MJJHnMfn2+H4xL4YaPDA4RpJqUq\nkCmRCBnYERxZanmcpzQSXs1X/AljlKkbJ8qpVIW4clayyef9gWhFbNHWAA==\n-----END PUBLIC KEY-----\n";
    const PAYLOAD: &[u8] = br#"[{"token":"some_token","type":"some_type","url":"some_url"}]"#;
    const SIG: &str = "MEUCIQDKZokqnCjrRtw0tni+2Ltvl/uiMJ1EGumEsp1BsNr32AIgQY1YXD2nlj+XNfGK4rBfkMJ1JDOQcYXxa2sY8FNkrKc=";

    fn keys() -> Keys {
        let doc = serde_json::json!({"public_keys": [
            {"key_identifier": "other", "key": PEM, "is_current": false},
            {"key_identifier": KEY_ID, "key": PEM, "is_current": true},
        ]});
        Keys::parse(doc.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn githubs_published_example_verifies() {
        let k = keys();
        assert_eq!(k.verify(KEY_ID, SIG, PAYLOAD), Ok(()));
        assert!(k.keys()[1].current && !k.keys()[0].current);
    }

    #[test]
    fn a_changed_byte_an_unknown_key_or_junk_is_refused() {
        let k = keys();
        let mut body = PAYLOAD.to_vec();
        body[12] ^= 1;
        assert_eq!(k.verify(KEY_ID, SIG, &body), Err(SignatureError::Bad));
        assert_eq!(
            k.verify("nope", SIG, PAYLOAD),
            Err(SignatureError::UnknownKey)
        );
        assert_eq!(k.verify(KEY_ID, "!!", PAYLOAD), Err(SignatureError::Bad));
        let mut sig = B64.decode(SIG).unwrap();
        let last = sig.len() - 1;
        sig[last] ^= 1;
        assert_eq!(
            k.verify(KEY_ID, &B64.encode(sig), PAYLOAD),
            Err(SignatureError::Bad)
        );
    }

    #[test]
    fn keys_that_are_not_p256_points_are_refused() {
        assert!(p256_point("junk").is_err());
        assert!(p256_point(&PEM.replace("-----END PUBLIC KEY-----\n", "")).is_err());
        // A P-384 key's SPKI (another curve OID) is not taken for P-256.
        let mut der = B64
            .decode(PEM.lines().skip(1).take(2).collect::<String>())
            .unwrap();
        der[21] ^= 1;
        let pem = format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----",
            B64.encode(&der)
        );
        assert!(p256_point(&pem).is_err());
        assert!(
            Keys::parse(br#"{"public_keys": [{"key_identifier": "x", "key": "junk"}]}"#)
                .unwrap_err()
                .contains("key x")
        );
    }
}
