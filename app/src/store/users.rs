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
    /// Raised when the password changes or the user is disabled; sessions from before are over.
    pub session_epoch: i64,
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
    // IMMEDIATE: the first-user check and the history append read under the write lock.
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;

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
    sqlx::query_as(
        "SELECT id, name, password_hash, role, disabled, session_epoch FROM users WHERE name = ?",
    )
    .bind(name)
    .fetch_optional(pool)
    .await
}

/// The user with this id.
pub async fn by_id(pool: &SqlitePool, id: i64) -> sqlx::Result<Option<UserRecord>> {
    sqlx::query_as(
        "SELECT id, name, password_hash, role, disabled, session_epoch FROM users WHERE id = ?",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// A change to an existing user.
pub enum Change<'a> {
    Password(&'a str),
    Role(Role),
    Disabled(bool),
}

/// Why a user change was refused.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error("that would leave no active admin; make someone else an admin first")]
    LastAdmin,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// What [`change`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The user was changed and the change recorded in the history.
    Changed,
    /// The user already had that role, or was already disabled or enabled: nothing was written.
    Unchanged,
    /// There is no user of that name.
    NoSuchUser,
}

/// Applies `change` to the user `name` and records it in the history (never the hash). A role
/// the user already has, or disabling (enabling) a user who already is, changes and records
/// nothing. A new password or disabling raises the user's session epoch,
/// which ends all their sessions on their next request; a disabled user also cannot log in.
/// A change that would leave no active admin is refused: the check and the change are one
/// transaction, so two admins demoting each other at once cannot both succeed.
pub async fn change(
    pool: &SqlitePool,
    name: &str,
    change: Change<'_>,
    actor: &str,
    at: i64,
) -> Result<Outcome, ChangeError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let current: Option<(i64, String, String, bool)> =
        sqlx::query_as("SELECT id, name, role, disabled FROM users WHERE name = ?")
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((id, stored_name, current_role, current_disabled)) = current else {
        return Ok(Outcome::NoSuchUser);
    };
    let unchanged = match &change {
        Change::Password(_) => false,
        Change::Role(role) => role.as_str() == current_role,
        Change::Disabled(disabled) => *disabled == current_disabled,
    };
    if unchanged {
        return Ok(Outcome::Unchanged);
    }
    let (sql, value, history_kind, detail) = match &change {
        Change::Password(hash) => (
            "UPDATE users SET password_hash = ?, session_epoch = session_epoch + 1 WHERE id = ?",
            hash.to_string(),
            kind::USER_PASSWORD,
            "changed the password of".to_owned(),
        ),
        Change::Role(role) => (
            "UPDATE users SET role = ? WHERE id = ?",
            role.as_str().to_owned(),
            kind::USER_ROLE,
            format!("gave role {role} to"),
        ),
        Change::Disabled(disabled) => (
            "UPDATE users SET disabled = ?1, session_epoch = session_epoch + ?1 WHERE id = ?2",
            i64::from(*disabled).to_string(),
            if *disabled {
                kind::USER_DISABLED
            } else {
                kind::USER_ENABLED
            },
            if *disabled { "disabled" } else { "enabled" }.to_owned(),
        ),
    };
    let was_active_admin = current_role == Role::Admin.as_str() && !current_disabled;
    sqlx::query(sql)
        .bind(value)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let may_remove_an_admin = matches!(change, Change::Role(role) if role != Role::Admin)
        || matches!(change, Change::Disabled(true));
    if may_remove_an_admin && was_active_admin {
        let admins: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = 0")
                .fetch_one(&mut *tx)
                .await?;
        if admins == 0 {
            return Err(ChangeError::LastAdmin);
        }
    }

    history::append(
        &mut tx,
        NewEntry {
            at,
            actor,
            kind: history_kind,
            reference_id: None,
            detail: format!("{detail} user {stored_name}"),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Outcome::Changed)
}

/// A user as `moddesk user list` and the Users page show them.
#[derive(FromRow)]
pub struct UserSummary {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub disabled: bool,
    pub created_at: i64,
}

/// Every user, by name.
pub async fn list(pool: &SqlitePool) -> sqlx::Result<Vec<UserSummary>> {
    sqlx::query_as("SELECT id, name, role, disabled, created_at FROM users ORDER BY name")
        .fetch_all(pool)
        .await
}
