//! Tokens and roles for writes (issue 7).
//!
//! `baton token add NAME --role ROLE` creates a random secret, prints it once
//! and stores only a salted hash in `<data>/tokens.json`. Requests carry
//! `Authorization: Bearer SECRET`; a role grants everything below it
//! (reader < trainer < editor < admin).

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// File in the data folder holding token hashes (never secrets).
pub const TOKENS_FILE: &str = "tokens.json";

/// Random bytes in a secret: 256 bits, beyond guessing.
const SECRET_BYTES: usize = 32;

/// Random bytes of salt per token.
const SALT_BYTES: usize = 16;

/// What a token may do; each role includes the ones before it.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Read (when reads require a token).
    Reader,
    /// Tag training recordings.
    Trainer,
    /// Edit documents' metadata.
    Editor,
    /// Everything.
    Admin,
}

/// One stored token: its name, role and salted hash.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredToken {
    /// Who or what holds it.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// Hex salt.
    salt: String,
    /// Hex blake3 of salt || secret.
    hash: String,
    /// When it was created (RFC 3339).
    pub created: String,
    /// Teams whose restricted documents it may read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub teams: Vec<String>,
}

/// Token store failures.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The tokens file cannot be read or written.
    #[error("{path}: {message}")]
    Store {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// A token with this name exists.
    #[error("a token named '{0}' already exists; revoke it first")]
    Exists(String),
    /// Names are for people and tools: short, printable.
    #[error("token name must be 1 to 64 letters, digits, '-', '_' or '.'")]
    BadName,
}

/// The tokens of one data folder.
#[derive(Debug)]
pub struct TokenStore {
    path: PathBuf,
    tokens: Vec<StoredToken>,
}

impl TokenStore {
    /// Loads `<data>/tokens.json` (empty when absent).
    pub fn load(data: &Path) -> Result<TokenStore, AuthError> {
        let path = data.join(TOKENS_FILE);
        let err = |message: String| AuthError::Store {
            path: path.display().to_string(),
            message,
        };
        let tokens = match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| err(e.to_string()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(err(e.to_string())),
        };
        Ok(TokenStore { path, tokens })
    }

    /// Creates a token and returns its secret (shown once, never stored).
    pub fn add(&mut self, name: &str, role: Role) -> Result<String, AuthError> {
        self.add_with_teams(name, role, &[])
    }

    /// Creates a token of `teams` (see `visibility`) and returns its secret.
    pub fn add_with_teams(
        &mut self,
        name: &str,
        role: Role,
        teams: &[String],
    ) -> Result<String, AuthError> {
        let valid = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_alphanumeric() || "-_.".contains(c));
        if !valid {
            return Err(AuthError::BadName);
        }
        if self.tokens.iter().any(|t| t.name == name) {
            return Err(AuthError::Exists(name.to_string()));
        }
        let secret = format!("baton_{}", hex(&random_bytes(SECRET_BYTES)?));
        let salt = hex(&random_bytes(SALT_BYTES)?);
        let hash = digest(&salt, &secret);
        let created = chrono::Utc::now().to_rfc3339();
        self.tokens.push(StoredToken {
            name: name.to_string(),
            role,
            salt,
            hash,
            created,
            teams: teams
                .iter()
                .map(|t| crate::visibility::normalize_team(t))
                .filter(|t| !t.is_empty())
                .collect(),
        });
        self.save()?;
        Ok(secret)
    }

    /// Removes a token; `false` when there is none with that name.
    pub fn revoke(&mut self, name: &str) -> Result<bool, AuthError> {
        let before = self.tokens.len();
        self.tokens.retain(|t| t.name != name);
        let removed = self.tokens.len() != before;
        if removed {
            self.save()?;
        }
        Ok(removed)
    }

    /// The tokens, without secrets.
    pub fn list(&self) -> &[StoredToken] {
        &self.tokens
    }

    /// The token a secret belongs to.
    pub fn verify(&self, secret: &str) -> Option<&StoredToken> {
        // blake3::Hash comparison is constant-time.
        self.tokens.iter().find(|t| {
            let expected = blake3::Hash::from_hex(&t.hash).ok();
            expected.is_some_and(|h| h == blake3::hash(format!("{}{secret}", t.salt).as_bytes()))
        })
    }

    fn save(&self) -> Result<(), AuthError> {
        let err = |message: String| AuthError::Store {
            path: self.path.display().to_string(),
            message,
        };
        let json = serde_json::to_vec_pretty(&self.tokens).map_err(|e| err(e.to_string()))?;
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
        }
        crate::write_back::write_atomically(&self.path, &json).map_err(|e| err(e.to_string()))?;
        restrict_permissions(&self.path);
        Ok(())
    }
}

fn digest(salt: &str, secret: &str) -> String {
    blake3::hash(format!("{salt}{secret}").as_bytes())
        .to_hex()
        .to_string()
}

fn random_bytes(n: usize) -> Result<Vec<u8>, AuthError> {
    let mut buf = vec![0u8; n];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(|e| AuthError::Store {
            path: "/dev/urandom".into(),
            message: e.to_string(),
        })?;
    Ok(buf)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(unix)]
fn restrict_permissions(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
}

#[cfg(not(unix))]
fn restrict_permissions(_: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_verify_revoke() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = TokenStore::load(dir.path()).unwrap();
        let secret = store.add("林美華", Role::Trainer).unwrap();
        assert!(secret.starts_with("baton_") && secret.len() > 60);
        let text = std::fs::read_to_string(dir.path().join(TOKENS_FILE)).unwrap();
        assert!(!text.contains(&secret), "only the hash is stored");
        let reloaded = TokenStore::load(dir.path()).unwrap();
        assert_eq!(
            reloaded.verify(&secret).map(|t| t.role),
            Some(Role::Trainer)
        );
        assert!(reloaded.verify("baton_wrong").is_none());
        assert!(matches!(
            store.add("林美華", Role::Admin),
            Err(AuthError::Exists(_))
        ));
        assert!(matches!(
            store.add("bad name", Role::Admin),
            Err(AuthError::BadName)
        ));
        assert!(store.revoke("林美華").unwrap());
        assert!(TokenStore::load(dir.path())
            .unwrap()
            .verify(&secret)
            .is_none());
        assert!(Role::Admin > Role::Trainer && Role::Trainer > Role::Reader);
    }
}
