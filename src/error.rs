//! The library's typed errors. Messages are whole sentences and never contain
//! a full token.

use std::fmt;
use std::path::PathBuf;

/// Why a string is not a valid token.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenError {
    /// The input was empty.
    Empty,
    /// The input starts with no known token prefix.
    UnknownPrefix,
    /// A character that the format does not allow. `position` is 1-based and
    /// counts characters; `found` is the offending character.
    BadCharacter {
        position: usize,
        found: char,
        expected: String,
    },
    /// The token has the wrong number of characters for its format.
    WrongLength {
        kind: String,
        expected: usize,
        found: usize,
    },
    /// A length field inside the token disagrees with the part it measures.
    LengthField {
        kind: String,
        found: usize,
        actual: usize,
    },
    /// The token's structure does not hold (a JWT that is not one, a
    /// checksum inside its base64 that does not match).
    Structure { kind: String, check: &'static str },
    /// The checksum does not match the body.
    ChecksumMismatch {
        kind: String,
        found: String,
        expected: String,
    },
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenError::Empty => write!(f, "the token is empty"),
            TokenError::UnknownPrefix => write!(f, "the token starts with no known prefix"),
            TokenError::BadCharacter {
                position,
                found,
                expected,
            } => write!(
                f,
                "bad character {found:?} at position {position} (expected {expected})"
            ),
            TokenError::WrongLength {
                kind,
                expected,
                found,
            } => write!(
                f,
                "wrong length for a {kind} token: {found} characters, expected {expected}"
            ),
            TokenError::Structure { kind, check } => {
                write!(f, "not a {kind} token: its {check} structure does not hold")
            }
            TokenError::LengthField {
                kind,
                found,
                actual,
            } => write!(
                f,
                "the length field of a {kind} token says {found}, but the part it measures has {actual} characters"
            ),
            // Neither checksum is printed: the written one is part of the
            // token, and the right one would complete a mistyped token.
            TokenError::ChecksumMismatch { kind, .. } => write!(
                f,
                "checksum mismatch for a {kind} token: its checksum does not match its body (a typo, or not a real token)"
            ),
        }
    }
}

impl std::error::Error for TokenError {}

/// A scope string that does not follow the grammar documented in
/// [`crate::token::scope`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScopeError {
    pub(crate) scope: String,
    pub(crate) reason: String,
}

impl fmt::Display for ScopeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid scope {:?}: {} (expected <permission>:<read|edit>@<resource-type>/<resource-id>, e.g. dns:edit@zone/example.com)",
            self.scope, self.reason
        )
    }
}

impl std::error::Error for ScopeError {}

/// An error from a record store, or from loading rules and configuration files.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// An I/O error on a named file.
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A file's content is malformed; `line` is 1-based when known.
    Parse {
        path: PathBuf,
        line: Option<usize>,
        message: String,
    },
    /// Anything else that is invalid: a rule, an argument, a configuration value.
    Invalid(String),
    /// The operating system's random number generator failed.
    Random(String),
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::Parse {
                path,
                line: Some(line),
                message,
            } => write!(f, "{}:{line}: {message}", path.display()),
            Error::Parse {
                path,
                line: None,
                message,
            } => write!(f, "{}: {message}", path.display()),
            Error::Invalid(message) => f.write_str(message),
            Error::Random(message) => {
                write!(f, "the system random number generator failed: {message}")
            }
        }
    }
}

/// The message already says what the underlying error said (`path: why`),
/// so no `source` is reported: a chain printed with `{:#}` would say it twice.
impl std::error::Error for Error {}
