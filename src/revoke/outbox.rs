//! The on-disk outbox: revocation requests not yet delivered.
//!
//! Every request is written here *before* it is first sent and removed once
//! it is delivered, so a crash or `kill -9` in the middle of a run loses
//! nothing: what was planned is on disk, and `revoke flush` resends it.
//! One JSON file per request, named by its `webhook-id`, written atomically
//! (temporary file, fsync, rename, fsync of the folder), so a crash or
//! `kill -9` loses nothing that was written and a second write of the same
//! request replaces the first. Requests that failed permanently move to
//! `failed/`, where `revoke status` still lists them.
//!
//! **The token on disk.** In `hash` mode the file holds only the token's
//! SHA-256. In `token` mode it holds the token sealed with
//! ChaCha20-Poly1305 under a key derived from the endpoint's webhook secret
//! (HMAC-SHA256(secret, "burnkey outbox v1")), bound to the webhook-id:
//! reading the outbox without the secret reveals nothing, and `revoke flush`
//! needs the same secret variable to resend, which it needs anyway to sign.
//!
//! **Who wrote it.** Anyone who can write to the folder could plant a file
//! naming their own endpoint: `revoke flush` would sign it with the real
//! secret and send it (a signing oracle). So every file carries `mac`, an
//! HMAC-SHA256 of the whole entry under a key derived from the endpoint's
//! secret (HMAC-SHA256(secret, "burnkey outbox mac v1")); the flush checks
//! it, sends only to endpoints the current `burnkey.toml` configures, and
//! moves anything else to `quarantine/`. Files are opened without following
//! links, must be regular, and are read to at most [`MAX_ENTRY`] bytes.

use std::fs;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::request::Request;
use crate::error::Error;
use crate::fsutil;
use crate::webhook::Secret;

/// An outbox file and its request, or why it could not be read.
pub type Entry = (PathBuf, Result<Request, String>);

/// Largest outbox file read; a request is well under 4 KiB.
pub const MAX_ENTRY: u64 = 64 * 1024;

/// The outbox folder.
#[derive(Clone, Debug)]
pub struct Outbox {
    dir: PathBuf,
}

fn seal_key(secret: &Secret) -> Key {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.key()).expect("any key length");
    mac.update(b"burnkey outbox v1");
    let k = mac.finalize().into_bytes();
    *Key::from_slice(&k)
}

fn mac_key(secret: &Secret) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.key()).expect("any key length");
    mac.update(b"burnkey outbox mac v1");
    let k = mac.finalize().into_bytes();
    <Hmac<Sha256> as Mac>::new_from_slice(&k).expect("any key length")
}

/// The entry's MAC: HMAC-SHA256 over the entry as written without `mac`.
fn entry_mac(secret: &Secret, req: &Request) -> Vec<u8> {
    let mut unsigned = req.clone();
    unsigned.mac = None;
    let mut mac = mac_key(secret);
    mac.update(&serde_json::to_vec(&unsigned).expect("requests serialize"));
    mac.finalize().into_bytes().to_vec()
}

/// Whether `req` was written by someone holding `secret`, unaltered.
pub fn authentic(secret: &Secret, req: &Request) -> bool {
    use subtle::ConstantTimeEq;
    let Some(written) = req.mac.as_deref().and_then(|m| B64.decode(m).ok()) else {
        return false;
    };
    bool::from(entry_mac(secret, req).ct_eq(&written))
}

/// Seals `token` for the outbox, bound to `webhook_id`.
pub fn seal(secret: &Secret, webhook_id: &str, token: &str) -> Result<String, Error> {
    let mut nonce = [0u8; 12];
    getrandom::fill(&mut nonce).map_err(|e| Error::Random(e.to_string()))?;
    let ct = ChaCha20Poly1305::new(&seal_key(secret))
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: token.as_bytes(),
                aad: webhook_id.as_bytes(),
            },
        )
        .map_err(|_| Error::Invalid("sealing the token failed".into()))?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&ct);
    Ok(B64.encode(out))
}

/// Opens a sealed token.
pub fn open(secret: &Secret, webhook_id: &str, sealed: &str) -> Result<String, Error> {
    let bad = || {
        Error::Invalid(format!(
            "outbox request {webhook_id}: the sealed token does not open with this secret"
        ))
    };
    let raw = B64.decode(sealed).map_err(|_| bad())?;
    if raw.len() < 12 {
        return Err(bad());
    }
    let pt = ChaCha20Poly1305::new(&seal_key(secret))
        .decrypt(
            Nonce::from_slice(&raw[..12]),
            Payload {
                msg: &raw[12..],
                aad: webhook_id.as_bytes(),
            },
        )
        .map_err(|_| bad())?;
    String::from_utf8(pt).map_err(|_| bad())
}

impl Outbox {
    /// An outbox in `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> Outbox {
        Outbox { dir: dir.into() }
    }

    /// `$BURNKEY_OUTBOX`, else `$XDG_STATE_HOME/burnkey/outbox`, else
    /// `~/.local/state/burnkey/outbox`.
    pub fn default_dir() -> PathBuf {
        if let Some(d) = std::env::var_os("BURNKEY_OUTBOX").filter(|v| !v.is_empty()) {
            return PathBuf::from(d);
        }
        let state = std::env::var_os("XDG_STATE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
            .unwrap_or_else(|| PathBuf::from("."));
        state.join("burnkey/outbox")
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn write(dir: &Path, req: &Request, secret: &Secret, sync_dir: bool) -> Result<PathBuf, Error> {
        fsutil::create_private_dir(dir).map_err(|e| Error::io(dir, e))?;
        let path = dir.join(format!("{}.json", req.webhook_id));
        let mut signed = req.clone();
        signed.mac = Some(B64.encode(entry_mac(secret, req)));
        let json = serde_json::to_vec_pretty(&signed).expect("requests serialize");
        fsutil::write_output_atomic(&path, &json, None).map_err(|e| Error::io(&path, e))?;
        if sync_dir {
            fsutil::sync_dir(dir).map_err(|e| Error::io(dir, e))?;
        }
        Ok(path)
    }

    /// Writes `req` (its token sealed or absent; see the module docs),
    /// authenticated under `secret`.
    pub fn put(&self, req: &Request, secret: &Secret) -> Result<PathBuf, Error> {
        Outbox::write(&self.dir, req, secret, true)
    }

    /// Writes many requests, syncing the folder once at the end.
    pub fn put_all<'r>(
        &self,
        reqs: impl IntoIterator<Item = (&'r Request, &'r Secret)>,
    ) -> Result<Vec<PathBuf>, Error> {
        let mut paths = Vec::new();
        for (req, secret) in reqs {
            paths.push(Outbox::write(&self.dir, req, secret, false)?);
        }
        if !paths.is_empty() {
            fsutil::sync_dir(&self.dir).map_err(|e| Error::io(&self.dir, e))?;
        }
        Ok(paths)
    }

    /// Reads one entry: never through a link, only a regular file, at most
    /// [`MAX_ENTRY`] bytes.
    fn read_entry(p: &Path) -> Result<Request, String> {
        let b = fsutil::read_regular(p, MAX_ENTRY).map_err(|e| match e {
            fsutil::Unread::Link => "a symlink, not an outbox file".to_string(),
            fsutil::Unread::TooLarge => format!("larger than {MAX_ENTRY} bytes"),
            e => e.to_string(),
        })?;
        serde_json::from_slice::<Request>(&b).map_err(|e| e.to_string())
    }

    fn read_dir(dir: &Path) -> Result<Vec<Entry>, Error> {
        let rd = match fs::read_dir(dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io(dir, e)),
        };
        let mut out = Vec::new();
        for e in rd {
            let e = e.map_err(|e| Error::io(dir, e))?;
            let p = e.path();
            if p.extension().and_then(|x| x.to_str()) != Some("json")
                || e.file_name().to_string_lossy().starts_with('.')
            {
                continue;
            }
            let r = Outbox::read_entry(&p);
            out.push((p, r));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// Pending requests (and files that could not be read, with why).
    pub fn pending(&self) -> Result<Vec<Entry>, Error> {
        Outbox::read_dir(&self.dir)
    }

    /// Requests that failed permanently.
    pub fn failed(&self) -> Result<Vec<Entry>, Error> {
        Outbox::read_dir(&self.dir.join("failed"))
    }

    /// Removes a delivered request.
    pub fn remove(&self, path: &Path) -> Result<(), Error> {
        fs::remove_file(path).map_err(|e| Error::io(path, e))
    }

    /// Moves a request that failed permanently to `failed/`, with its reason.
    pub fn mark_failed(
        &self,
        path: Option<&Path>,
        req: &Request,
        secret: &Secret,
    ) -> Result<PathBuf, Error> {
        let p = Outbox::write(&self.dir.join("failed"), req, secret, true)?;
        if let Some(old) = path {
            let _ = fs::remove_file(old);
        }
        Ok(p)
    }

    /// Files the flush would not trust, moved aside.
    pub fn quarantined(&self) -> Result<Vec<Entry>, Error> {
        Outbox::read_dir(&self.dir.join("quarantine"))
    }

    /// Moves an untrusted file to `quarantine/` (the link itself, for a
    /// link): nothing in it is sent.
    pub fn quarantine(&self, path: &Path) -> Result<PathBuf, Error> {
        let q = self.dir.join("quarantine");
        fsutil::create_private_dir(&q).map_err(|e| Error::io(&q, e))?;
        let dst = q.join(path.file_name().unwrap_or_default());
        fs::rename(path, &dst).map_err(|e| Error::io(path, e))?;
        Ok(dst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_round_trip_and_binding() {
        let s = Secret::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
        let other = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let sealed = seal(&s, "msg_1", "cfut_secret").unwrap();
        assert!(!sealed.contains("cfut_secret"));
        assert_eq!(open(&s, "msg_1", &sealed).unwrap(), "cfut_secret");
        assert!(open(&other, "msg_1", &sealed).is_err(), "another secret");
        assert!(open(&s, "msg_2", &sealed).is_err(), "another request");
        assert_ne!(
            seal(&s, "msg_1", "cfut_secret").unwrap(),
            sealed,
            "fresh nonce each time"
        );
    }

    #[test]
    fn entries_are_authenticated_whole() {
        let s = Secret::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
        let other = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let d = tempfile::tempdir().unwrap();
        let ob = Outbox::new(d.path());
        let req = Request {
            version: 1,
            webhook_id: "msg_1".into(),
            endpoint: "https://r.example/x".into(),
            secret_env: "S".into(),
            send: crate::revoke::config::SendMode::Hash,
            rule_id: "r".into(),
            location: "a:1".into(),
            source: "file".into(),
            token_sha256: "00".repeat(32),
            redacted: "cfut_abcd...".into(),
            account_id: None,
            token_sealed: None,
            attempts: 0,
            last_error: None,
            created_at: "2026-01-01T00:00:00Z".into(),
            mac: None,
            token: None,
        };
        let p = ob.put(&req, &s).unwrap();
        let back = Outbox::read_entry(&p).unwrap();
        assert!(authentic(&s, &back));
        assert!(!authentic(&other, &back), "another secret");
        let mut moved = back.clone();
        moved.endpoint = "https://attacker.example/".into();
        assert!(!authentic(&s, &moved), "any edit breaks it");
        let mut unsigned = back;
        unsigned.mac = None;
        assert!(!authentic(&s, &unsigned));
        // Links and non-files are not read.
        let link = d.path().join("msg_2.json");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        assert!(Outbox::read_entry(&link).unwrap_err().contains("symlink"));
    }
}
