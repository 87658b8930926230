//! SHA-256 (GitHub's fine-grained personal access tokens keep 8 base32
//! characters of it).

use super::function::Function;

/// The function.
pub struct Sha256;

impl Function for Sha256 {
    fn name(&self) -> &'static str {
        "sha256"
    }

    fn digest_len(&self) -> usize {
        32
    }

    fn digest(&self, parts: &[&[u8]], out: &mut [u8; 32]) {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        parts.iter().for_each(|p| h.update(p));
        out.copy_from_slice(&h.finalize());
    }
}
