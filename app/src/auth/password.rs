//! Password hashing with argon2id, off the async runtime.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use std::sync::LazyLock;

/// Shortest password accepted for a new account.
pub const MIN_LENGTH: usize = 12;

/// Longest password, in characters. Login refuses longer ones before any hashing work, so a
/// longer password could never be used; it is refused wherever a password is set.
pub const MAX_LENGTH: usize = 1024;

/// A real hash of a random password, verified against when the user does not exist, so both
/// paths take the same time and unknown names cannot be told apart.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(salt.as_str().as_bytes(), &salt)
        .map(|h| h.to_string())
        .unwrap_or_default()
});

fn hasher() -> Argon2<'static> {
    // OWASP's argon2id baseline: 19 MiB, 2 iterations, 1 lane.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Why a new password was refused: the one length rule for the setup link, the Users page and
/// `moddesk user`.
pub fn check_new(password: &str) -> Result<(), String> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(format!(
            "The password needs at least {MIN_LENGTH} characters."
        ));
    }
    if length > MAX_LENGTH {
        return Err(format!(
            "The password may have at most {MAX_LENGTH} characters; login refuses longer ones."
        ));
    }
    Ok(())
}

/// Hashes `password` with argon2id and a fresh salt.
pub async fn hash(password: SecretString) -> Result<String, String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher()
            .hash_password(password.expose_secret().as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())?
}

/// Checks `password` against `stored` (or against a dummy hash when there is no user), taking the
/// same time either way.
pub async fn verify(password: SecretString, stored: Option<String>) -> bool {
    let known = stored.is_some();
    let stored = stored.unwrap_or_else(|| DUMMY_HASH.clone());

    let matched = tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored)
            .map(|parsed| {
                hasher()
                    .verify_password(password.expose_secret().as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false);

    known && matched
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let hashed = hash(SecretString::from("correct horse battery"))
            .await
            .unwrap();

        assert!(hashed.starts_with("$argon2id$"));
        assert!(
            verify(
                SecretString::from("correct horse battery"),
                Some(hashed.clone())
            )
            .await
        );
        assert!(!verify(SecretString::from("wrong horse battery"), Some(hashed)).await);
        assert!(!verify(SecretString::from("anything"), None).await);
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(check_new("short").is_err());
        assert!(check_new("twelve chars").is_ok());
        assert!(check_new(&"x".repeat(MAX_LENGTH)).is_ok());
        assert!(check_new(&"x".repeat(MAX_LENGTH + 1)).is_err());
    }
}
