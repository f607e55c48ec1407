//! The Users page's server functions: list users, add one, change a role, disable or enable,
//! set a new password. Admins only; every change goes into the history. An admin cannot demote
//! or disable themselves, so some admin always remains.

use crate::error::AppError;
use crate::model::UserRow;
use leptos::prelude::*;

/// Every user, by name.
#[server(endpoint = "users")]
pub async fn list_users() -> Result<Vec<UserRow>, AppError> {
    use crate::model::Role;
    use crate::server::{internal, respond};
    use crate::store::{format_time_ms, users};

    respond(|ctx| async move {
        ctx.require_role(Role::Admin).await?;
        let rows = users::list(&ctx.pool).await.map_err(internal)?;
        Ok(rows
            .into_iter()
            .filter_map(|u| {
                Some(UserRow {
                    id: u.id,
                    role: Role::parse(&u.role)?,
                    name: u.name,
                    disabled: u.disabled,
                    created_at: format_time_ms(u.created_at),
                })
            })
            .collect())
    })
    .await
}

/// Adds a user with a role and an initial password.
#[server(endpoint = "users_add")]
pub async fn add_user(name: String, role: String, password: String) -> Result<(), AppError> {
    use crate::model::Role;
    use crate::server::{internal, respond};
    use crate::store::{now_ms, users};

    respond(|ctx| async move {
        let admin = ctx.require_role(Role::Admin).await?;
        let name = crate::auth::names::check_new(&name).map_err(AppError::Invalid)?;
        let role = parse_role(&role)?;
        let hash = hash_new_password(password).await?;

        let new_user = users::NewUser {
            name,
            password_hash: &hash,
            role,
            actor: &admin.name,
            at: now_ms(),
        };
        match users::create(&ctx.pool, new_user, false).await {
            Ok(_) => {}
            Err(users::CreateUserError::Database(e)) => return Err(internal(e)),
            Err(e) => return Err(AppError::Conflict(format!("Not added: {e}."))),
        }
        tracing::info!(user = %admin.name, target = %name, %role, "user added");
        Ok(())
    })
    .await
}

/// Gives a user another role. Admins cannot demote themselves.
#[server(endpoint = "users_role")]
pub async fn set_role(name: String, role: String) -> Result<(), AppError> {
    use crate::model::Role;
    use crate::server::respond;
    use crate::store::users::Change;

    respond(|ctx| async move {
        let admin = ctx.require_role(Role::Admin).await?;
        let role = parse_role(&role)?;
        let target = target(&ctx, &name).await?;
        if target.id == admin.id && role < Role::Admin {
            return Err(AppError::Conflict(
                "You cannot take the admin role from yourself; another admin has to.".into(),
            ));
        }
        if apply(&ctx, &admin.name, &target.name, Change::Role(role)).await? {
            tracing::info!(user = %admin.name, target = %target.name, %role, "user role changed");
        }
        Ok(())
    })
    .await
}

/// Disables a user (their sessions end at once) or lets them log in again. Admins cannot
/// disable themselves.
#[server(endpoint = "users_disabled")]
pub async fn set_disabled(name: String, disabled: bool) -> Result<(), AppError> {
    use crate::model::Role;
    use crate::server::respond;
    use crate::store::users::Change;

    respond(|ctx| async move {
        let admin = ctx.require_role(Role::Admin).await?;
        let target = target(&ctx, &name).await?;
        if target.id == admin.id && disabled {
            return Err(AppError::Conflict(
                "You cannot disable yourself; another admin has to.".into(),
            ));
        }
        if apply(&ctx, &admin.name, &target.name, Change::Disabled(disabled)).await? {
            tracing::info!(user = %admin.name, target = %target.name, disabled, "user state changed");
        }
        Ok(())
    })
    .await
}

/// Sets a new password for a user; their other sessions end. An admin setting their own
/// password keeps the session they did it from.
#[server(endpoint = "users_password")]
pub async fn set_password(name: String, password: String) -> Result<(), AppError> {
    use crate::auth::session;
    use crate::model::Role;
    use crate::server::{internal, respond};
    use crate::store::users::{self, Change};

    respond(|ctx| async move {
        let admin = ctx.require_role(Role::Admin).await?;
        let target = target(&ctx, &name).await?;
        let hash = hash_new_password(password).await?;
        apply(&ctx, &admin.name, &target.name, Change::Password(&hash)).await?;

        if target.id == admin.id {
            let record = users::by_id(&ctx.pool, admin.id)
                .await
                .map_err(internal)?
                .ok_or(AppError::Unauthenticated)?;
            session::set_epoch(&ctx.session, record.session_epoch).await?;
        }
        tracing::info!(user = %admin.name, target = %target.name, "user password set");
        Ok(())
    })
    .await
}

#[cfg(feature = "ssr")]
fn parse_role(role: &str) -> Result<crate::model::Role, AppError> {
    crate::model::Role::parse(role).ok_or_else(|| {
        AppError::Invalid("The role must be one of reviewer, manager, admin.".into())
    })
}

/// The user an admin acts on, or 404.
#[cfg(feature = "ssr")]
async fn target(
    ctx: &crate::server::Ctx,
    name: &str,
) -> Result<crate::store::users::UserRecord, AppError> {
    crate::store::users::by_name(&ctx.pool, name.trim())
        .await
        .map_err(crate::server::internal)?
        .ok_or_else(|| AppError::NotFound(format!("There is no user {name:?}.")))
}

/// Applies a change made by `actor`, recorded in the history. Returns whether anything changed
/// (a role the user already has, for example, changes nothing).
#[cfg(feature = "ssr")]
async fn apply(
    ctx: &crate::server::Ctx,
    actor: &str,
    name: &str,
    change: crate::store::users::Change<'_>,
) -> Result<bool, AppError> {
    use crate::store::{now_ms, users};

    let changed = users::change(&ctx.pool, name, change, actor, now_ms())
        .await
        .map_err(|e| match e {
            users::ChangeError::LastAdmin => AppError::Conflict(
                "That would leave no active admin; make someone else an admin first.".into(),
            ),
            users::ChangeError::Database(e) => crate::server::internal(e),
        })?;
    match changed {
        users::Outcome::Changed => Ok(true),
        users::Outcome::Unchanged => Ok(false),
        users::Outcome::NoSuchUser => {
            Err(AppError::NotFound(format!("There is no user {name:?}.")))
        }
    }
}

/// Checks a new password against the rules and hashes it.
#[cfg(feature = "ssr")]
async fn hash_new_password(password: String) -> Result<String, AppError> {
    use crate::auth::password as pw;
    use secrecy::SecretString;

    pw::check_new(&password).map_err(AppError::Invalid)?;
    pw::hash(SecretString::from(password))
        .await
        .map_err(crate::server::internal)
}
