//! Dashboard users. The password hash stays in this module's row type.

use crate::model::{CurrentUser, Role};
use crate::store::history::{self, NewEntry, kind};
use sqlx::{FromRow, SqlitePool};

/// A user row as stored, hash included. Never sent to a page.
#[derive(FromRow)]
pub struct UserRecord {
    pub id: i64,
    pub name: String,
    pub password_hash: String,
    pub role: String,
    pub disabled: bool,
}

impl UserRecord {
    /// The page-safe view of this user, or `None` when disabled or the role is unknown.
    pub fn to_current(&self) -> Option<CurrentUser> {
        if self.disabled {
            return None;
        }
        Some(CurrentUser {
            id: self.id,
            name: self.name.clone(),
            role: Role::parse(&self.role)?,
        })
    }
}

/// Why a user was not created.
#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error("a user named {0:?} already exists")]
    NameTaken(String),
    #[error("users already exist; the first admin was created before")]
    NotFirst,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// A user to create; `actor` is who created them, for the history.
pub struct NewUser<'a> {
    pub name: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub actor: &'a str,
    pub at: i64,
}

/// Creates a user and records it in the history. With `only_if_first`, refuses unless no user
/// exists yet (checked inside the same transaction).
pub async fn create(
    pool: &SqlitePool,
    user: NewUser<'_>,
    only_if_first: bool,
) -> Result<i64, CreateUserError> {
    let mut tx = pool.begin().await?;

    if only_if_first {
        let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&mut *tx)
            .await?;
        if existing > 0 {
            return Err(CreateUserError::NotFirst);
        }
    }

    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO users (name, password_hash, role, created_at) VALUES (?, ?, ?, ?) \
         ON CONFLICT (name) DO NOTHING RETURNING id",
    )
    .bind(user.name)
    .bind(user.password_hash)
    .bind(user.role.as_str())
    .bind(user.at)
    .fetch_optional(&mut *tx)
    .await?;
    let id = id.ok_or_else(|| CreateUserError::NameTaken(user.name.to_owned()))?;

    history::append(
        &mut tx,
        NewEntry {
            at: user.at,
            actor: user.actor,
            kind: kind::USER_CREATED,
            reference_id: None,
            detail: format!("created user {} with role {}", user.name, user.role),
        },
    )
    .await?;

    tx.commit().await?;
    Ok(id)
}

/// How many users exist.
pub async fn count(pool: &SqlitePool) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(pool)
        .await
}

/// The user with this name (case-insensitive).
pub async fn by_name(pool: &SqlitePool, name: &str) -> sqlx::Result<Option<UserRecord>> {
    sqlx::query_as("SELECT id, name, password_hash, role, disabled FROM users WHERE name = ?")
        .bind(name)
        .fetch_optional(pool)
        .await
}

/// The user with this id.
pub async fn by_id(pool: &SqlitePool, id: i64) -> sqlx::Result<Option<UserRecord>> {
    sqlx::query_as("SELECT id, name, password_hash, role, disabled FROM users WHERE id = ?")
        .bind(id)
        .fetch_optional(pool)
        .await
}
