//! Bearer tokens: only their SHA-256 digests are configured, a presented token is hashed and
//! compared against every digest in constant time, and no error message repeats the token.

use std::collections::HashSet;

use hyper::header::HeaderValue;
use sha2::{Digest, Sha256};

use crate::clock::Timestamp;
use crate::config::{ControlConfig, TokenConfig};

/// The longest token accepted; anything longer is refused before hashing.
const MAX_TOKEN: usize = 512;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub super_user: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("sign in first: send `Authorization: Bearer <token>`")]
    Missing,
    #[error("the Authorization header is not `Bearer <token>`")]
    Malformed,
    #[error("the token is not valid")]
    Invalid,
    #[error("the token has expired")]
    Expired,
}

#[derive(Debug, Clone)]
pub struct Auth {
    tokens: Vec<TokenConfig>,
    super_users: HashSet<String>,
}

/// Equal in constant time: every byte is compared whatever the earlier ones were.
fn same(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Auth {
    pub fn new(config: &ControlConfig) -> Self {
        Self {
            tokens: config.tokens.clone(),
            super_users: config.super_user_ids.iter().cloned().collect(),
        }
    }

    /// Who presents `header` at `now`.
    pub fn authenticate(
        &self,
        header: Option<&HeaderValue>,
        now: Timestamp,
    ) -> Result<User, AuthError> {
        let header = header.ok_or(AuthError::Missing)?;
        let text = header.to_str().map_err(|_| AuthError::Malformed)?;
        let (scheme, token) = text.trim().split_once(' ').ok_or(AuthError::Malformed)?;
        let token = token.trim();
        if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() || token.len() > MAX_TOKEN {
            return Err(AuthError::Malformed);
        }
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        // Look at every entry, so the time taken does not tell which one matched.
        let mut found: Option<&TokenConfig> = None;
        for entry in &self.tokens {
            if same(&entry.sha256, &digest) && found.is_none() {
                found = Some(entry);
            }
        }
        let entry = found.ok_or(AuthError::Invalid)?;
        if entry.expires.is_some_and(|e| e <= now) {
            return Err(AuthError::Expired);
        }
        Ok(User {
            id: entry.user_id.clone(),
            super_user: self.super_users.contains(&entry.user_id),
        })
    }
}

/// The digest to configure for `token`, as `optimize-telemetry hash-token` prints it.
pub fn digest_hex(token: &str) -> String {
    crate::hex::sha256_hex(token.trim().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth() -> Auth {
        let entry = |user: &str, token: &str, expires: Option<Timestamp>| TokenConfig {
            user_id: user.into(),
            sha256: Sha256::digest(token.as_bytes()).into(),
            expires,
        };
        Auth {
            tokens: vec![
                entry("demo", "s3cret-demo", None),
                entry("kermit", "s3cret-kermit", None),
                entry("old", "s3cret-old", Some(Timestamp(1_000))),
            ],
            super_users: ["demo".to_owned()].into_iter().collect(),
        }
    }

    fn header(text: &str) -> HeaderValue {
        HeaderValue::from_str(text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn tokens_map_to_users_and_roles() {
        let a = auth();
        let demo = a.authenticate(Some(&header("Bearer s3cret-demo")), Timestamp(0));
        assert_eq!(
            demo,
            Ok(User {
                id: "demo".into(),
                super_user: true
            })
        );
        let kermit = a.authenticate(Some(&header("bearer  s3cret-kermit ")), Timestamp(0));
        assert_eq!(
            kermit,
            Ok(User {
                id: "kermit".into(),
                super_user: false
            })
        );
    }

    #[test]
    fn refusals_are_specific() {
        let a = auth();
        let now = Timestamp(5_000);
        assert_eq!(a.authenticate(None, now), Err(AuthError::Missing));
        assert_eq!(
            a.authenticate(Some(&header("Basic ZGVtbzpkZW1v")), now),
            Err(AuthError::Malformed)
        );
        assert_eq!(
            a.authenticate(Some(&header("Bearer")), now),
            Err(AuthError::Malformed)
        );
        assert_eq!(
            a.authenticate(Some(&header(&format!("Bearer {}", "x".repeat(600)))), now),
            Err(AuthError::Malformed)
        );
        assert_eq!(
            a.authenticate(Some(&header("Bearer guess")), now),
            Err(AuthError::Invalid)
        );
        assert_eq!(
            a.authenticate(Some(&header("Bearer s3cret-old")), now),
            Err(AuthError::Expired)
        );
        let bytes = HeaderValue::from_bytes(b"Bearer \xff\xfe").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a.authenticate(Some(&bytes), now), Err(AuthError::Malformed));
    }

    #[test]
    fn digests_are_lowercase_hex_sha256() {
        assert_eq!(
            digest_hex("test\n"),
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
        );
    }
}
