//! Scopes: what a minted token may do.
//!
//! ```text
//! scope         = permission ":" level "@" resource-type "/" resource-id
//! permission    = name / "*"                 e.g. dns, workers, billing.invoices
//! level         = "read" / "edit"            edit implies read
//! resource-type = name / "*"                 e.g. zone, account
//! resource-id   = 1*idchar / "*"             e.g. example.com, abc123
//! name          = [a-z0-9] *[a-z0-9_.-]      lowercase
//! idchar        = [A-Za-z0-9_.:-]
//! ```
//!
//! At most 256 bytes in all. `*` stands for a whole permission, resource type
//! or resource id, never part of one. A granted scope allows a requested one
//! when each part is equal or the granted part is `*`, and the granted level
//! is the requested one or `edit` (a request for `read` is allowed by `edit`).
//! A request containing `*` asks for everything there, so only a granted `*`
//! allows it.

use std::fmt;
use std::str::FromStr;

use crate::error::ScopeError;

/// Longest scope string, in bytes.
pub const MAX_SCOPE_LEN: usize = 256;

/// Access level within a permission.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Level {
    /// Read only.
    Read,
    /// Read and change; implies [`Level::Read`].
    Edit,
}

/// A parsed scope, e.g. `dns:edit@zone/example.com`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Scope {
    /// Permission name or `*`.
    pub permission: String,
    /// Access level.
    pub level: Level,
    /// Resource type or `*`.
    pub resource_type: String,
    /// Resource id or `*`.
    pub resource_id: String,
}

fn is_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter().all(|&c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'_' | b'.' | b'-')
        })
}

fn is_id(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b':' | b'-'))
}

impl Scope {
    /// Parses a scope; see the module docs for the grammar.
    pub fn parse(s: &str) -> Result<Scope, ScopeError> {
        let err = |reason: &str| ScopeError {
            scope: if s.chars().count() > 80 {
                format!("{}…", s.chars().take(80).collect::<String>())
            } else {
                s.to_string()
            },
            reason: reason.to_string(),
        };
        if s.is_empty() {
            return Err(err("it is empty"));
        }
        if s.len() > MAX_SCOPE_LEN {
            return Err(err("it is longer than 256 bytes"));
        }
        let (perm_level, resource) = s.split_once('@').ok_or_else(|| err("missing '@'"))?;
        let (permission, level) = perm_level
            .split_once(':')
            .ok_or_else(|| err("missing ':' between permission and level"))?;
        let (rtype, rid) = resource
            .split_once('/')
            .ok_or_else(|| err("missing '/' between resource type and resource id"))?;
        if permission != "*" && !is_name(permission) {
            return Err(err(
                "the permission must be a lowercase name [a-z0-9_.-] or '*'",
            ));
        }
        let level = match level {
            "read" => Level::Read,
            "edit" => Level::Edit,
            _ => return Err(err("the level must be 'read' or 'edit'")),
        };
        if rtype != "*" && !is_name(rtype) {
            return Err(err(
                "the resource type must be a lowercase name [a-z0-9_.-] or '*'",
            ));
        }
        if rid != "*" && !is_id(rid) {
            return Err(err(
                "the resource id must be characters of [A-Za-z0-9_.:-] or '*'",
            ));
        }
        Ok(Scope {
            permission: permission.to_string(),
            level,
            resource_type: rtype.to_string(),
            resource_id: rid.to_string(),
        })
    }

    /// Whether this (granted) scope allows the `requested` one.
    pub fn allows(&self, requested: &Scope) -> bool {
        let part = |granted: &str, wanted: &str| granted == "*" || granted == wanted;
        part(&self.permission, &requested.permission)
            && (self.level == Level::Edit || requested.level == Level::Read)
            && part(&self.resource_type, &requested.resource_type)
            && part(&self.resource_id, &requested.resource_id)
    }
}

impl FromStr for Scope {
    type Err = ScopeError;

    fn from_str(s: &str) -> Result<Scope, ScopeError> {
        Scope::parse(s)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            Level::Read => "read",
            Level::Edit => "edit",
        };
        write!(
            f,
            "{}:{level}@{}/{}",
            self.permission, self.resource_type, self.resource_id
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Scope {
        Scope::parse(x).unwrap()
    }

    #[test]
    fn parses_and_prints() {
        for x in [
            "dns:edit@zone/example.com",
            "workers:read@account/abc123",
            "*:read@*/*",
            "billing.invoices:read@account/a-b_c:d",
        ] {
            assert_eq!(s(x).to_string(), x);
        }
    }

    #[test]
    fn rejects_bad_scopes_with_a_reason() {
        for (x, why) in [
            ("", "empty"),
            ("dns", "missing '@'"),
            ("dns@zone/x", "missing ':'"),
            ("dns:edit@zone", "missing '/'"),
            ("dns:write@zone/x", "'read' or 'edit'"),
            ("DNS:read@zone/x", "permission"),
            ("dn*:read@zone/x", "permission"),
            ("dns:read@Zone/x", "resource type"),
            ("dns:read@zone/", "resource id"),
            ("dns:read@zone/a/b", "resource id"),
            ("dns:read@zone/exa mple", "resource id"),
            ("dns:read@zone/ex*", "resource id"),
            ("dns:read@zone/é", "resource id"),
        ] {
            let e = Scope::parse(x).unwrap_err().to_string();
            assert!(e.contains(why), "{x:?}: {e}");
        }
        let long = format!("dns:read@zone/{}", "a".repeat(300));
        assert!(Scope::parse(&long).unwrap_err().to_string().contains("256"));
        // Error text of a non-ASCII overlong scope is cut on a char boundary.
        let uni = "é".repeat(200);
        assert!(Scope::parse(&uni).is_err());
    }

    #[test]
    fn matching() {
        let g = s("dns:edit@zone/example.com");
        assert!(g.allows(&s("dns:edit@zone/example.com")));
        assert!(
            g.allows(&s("dns:read@zone/example.com")),
            "edit implies read"
        );
        assert!(!g.allows(&s("dns:edit@zone/example.org")));
        assert!(!g.allows(&s("dns:edit@account/example.com")));
        assert!(!g.allows(&s("workers:read@zone/example.com")));
        assert!(
            !g.allows(&s("dns:read@zone/*")),
            "a request for all zones needs a granted '*'"
        );
        let r = s("dns:read@zone/example.com");
        assert!(
            !r.allows(&s("dns:edit@zone/example.com")),
            "read does not imply edit"
        );
        assert!(s("*:read@zone/x").allows(&s("workers:read@zone/x")));
        assert!(s("dns:read@*/x").allows(&s("dns:read@account/x")));
        assert!(s("dns:read@zone/*").allows(&s("dns:read@zone/anything")));
        assert!(s("dns:read@zone/*").allows(&s("dns:read@zone/*")));
        assert!(s("*:edit@*/*").allows(&s("x:edit@y/z")));
    }
}
